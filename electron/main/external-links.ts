/**
 * Which links the desktop app hands to the system browser (shell.openExternal): https only, to hosts
 * that document what Bootfleet manages. Anything else (http, file:, a custom scheme, another host,
 * credentials in the URL) is refused: a page or a terminal's output cannot launch programs or open
 * arbitrary sites through the app. Kept free of Electron so it is tested under plain Node.
 */
export const EXTERNAL_HOSTS = [
  'bootc-dev.github.io',
  'containers.github.io',
  'docs.fedoraproject.org',
  'docs.asciinema.org',
  'github.com',
  'docs.redhat.com',
  'access.redhat.com',
] as const;

export function isAllowedExternal(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return false;
  const host = url.hostname.toLowerCase();
  return EXTERNAL_HOSTS.some((h) => host === h);
}
