/**
 * bootc command lines by release: a flag a device's bootc lacks is never sent (the caller
 * does the equivalent steps itself, e.g. `rollback` then a reboot instead of `rollback --apply`).
 */

export type BootcFeature = 'downloadOnly' | 'rollbackApply' | 'softReboot' | 'upgradeTag';

/** The release that added each flag (bootc-cli.md §2, §4). */
const SINCE: Record<BootcFeature, [number, number, number]> = {
  downloadOnly: [1, 12, 0],
  rollbackApply: [1, 1, 7],
  softReboot: [1, 7, 0],
  upgradeTag: [1, 15, 0],
};

/** `bootc 1.16.9` / `1.16.9` / `v1.1.3-rc.0` → [1, 16, 9]; null when unreadable. */
export function parseBootcVersion(text: string | null | undefined): [number, number, number] | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** Whether a bootc release has a feature; an unknown version is assumed not to. */
export function supports(version: string | null | undefined, feature: BootcFeature): boolean {
  const v = parseBootcVersion(version);
  if (!v) return false;
  const s = SINCE[feature];
  for (let i = 0; i < 3; i++) if (v[i] !== s[i]) return v[i]! > s[i]!;
  return true;
}

export const checkArgv = (): string[] => ['bootc', 'upgrade', '--check'];

/** Stage the update (or, with downloadOnly, download it without arming it for the next boot). */
export function upgradeArgv(opts: { downloadOnly?: boolean } = {}): string[] {
  return ['bootc', 'upgrade', ...(opts.downloadOnly ? ['--download-only'] : [])];
}

/** Arms a download-only staged deployment so the next boot runs it (1.12+). */
export const fromDownloadedArgv = (): string[] => ['bootc', 'upgrade', '--from-downloaded'];

/** With `enforceSignatures`, `--enforce-container-sigpolicy` (bootc 0.1.5+): refuse an image the policy does not verify. */
export function switchArgv(image: string, transport: string, opts: { enforceSignatures?: boolean } = {}): string[] {
  return ['bootc', 'switch', ...(transport !== 'registry' ? ['--transport', transport] : []), ...(opts.enforceSignatures ? ['--enforce-container-sigpolicy'] : []), image];
}

export const rollbackArgv = (): string[] => ['bootc', 'rollback'];

/** The reboot every action uses (bootc's own `--apply` never returns over SSH). */
export const rebootArgv = (): string[] => ['systemctl', 'reboot'];
