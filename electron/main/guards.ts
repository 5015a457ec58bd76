import type { Session, WebContents } from 'electron';
import { CSP } from '../serve/security';
import { isAllowedExternal } from './external-links';

/** A URL of the app's own renderer (its file:// page, or the dev server in `npm run dev`). */
export function isTrustedUrl(url: string, trustedPrefix: string): boolean {
  // A bare origin (the dev server) is a directory: http://localhost:5173 must not admit http://localhost:5173.evil.example.
  const prefix = /^https?:\/\/[^/]+$/.test(trustedPrefix) ? `${trustedPrefix}/` : trustedPrefix;
  if (prefix.endsWith('/')) return url.startsWith(prefix);
  return url === prefix || url.startsWith(`${prefix}#`) || url.startsWith(`${prefix}?`);
}

/** Permissions the renderer may have: desktop notifications when long work ends. Everything else is refused. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications']);

/**
 * The session: permission requests and checks refused except ALLOWED_PERMISSIONS, the strict CSP
 * (no remote sources) on every response, and no downloads the app did not start.
 */
export function lockSession(s: Session): void {
  s.setPermissionRequestHandler((_wc, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  s.setPermissionCheckHandler((_wc, permission) => ALLOWED_PERMISSIONS.has(permission));
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/**
 * Every web contents: it never navigates away from the app, never opens a window (allow-listed
 * https links go to the system browser instead), and never attaches a webview.
 */
export function guardContents(contents: WebContents, o: { trustedPrefix: string; openExternal(url: string): void }): void {
  contents.on('will-navigate', (e) => {
    if (!isTrustedUrl(e.url, o.trustedPrefix)) e.preventDefault();
  });
  contents.on('will-redirect', (e) => {
    if (!isTrustedUrl(e.url, o.trustedPrefix)) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) o.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
}
