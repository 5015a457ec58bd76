/** Pure helpers for the Bundles and Keys dialogs (issue 10). */
import { isAbsolutePath } from './library';

/** A bundle's default folder name: `bootfleet-plant-7-2026-11-24` (or `bootfleet-images-…`). */
export function bundleName(site: string | null, day: string): string {
  const what = site ? site.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'site' : 'images';
  return `bootfleet-${what}-${day}`;
}

export interface ExportForm {
  refs: string[];
  site: string | null;
  since: string;
  path: string;
}

/** Checks the export form as `bundle.export` would: field → message. */
export function exportErrors(f: ExportForm): { refs?: string; since?: string; path?: string } {
  const e: { refs?: string; since?: string; path?: string } = {};
  if (f.refs.length === 0 && !f.site) e.refs = 'Choose at least one image, or a site';
  const since = f.since.trim();
  if (since && !f.site) e.since = 'Only with a site';
  else if (since && Number.isNaN(Date.parse(since))) e.since = 'Give a date like 2026-11-01';
  const p = f.path.trim();
  if (!p) e.path = 'Choose where to write the bundle';
  else if (!isAbsolutePath(p)) e.path = 'Give the full path, from /';
  return e;
}

/**
 * The signer named in a refused import ("Signed by SHA256:… (name), a key this installation does
 * not trust", or "… whose trust was revoked"), or null when the refusal is for another reason.
 */
export function refusedSigner(message: string): { fingerprint: string; revoked: boolean } | null {
  if (!/does not trust|trust was revoked/.test(message)) return null;
  const m = /SHA256:[A-Za-z0-9+/]+/.exec(message);
  if (!m) return null;
  return { fingerprint: m[0], revoked: /trust was revoked/.test(message) };
}

/** Which Trust field a `keys.trust` refusal belongs to. */
export function trustErrorField(message: string): 'publicKey' | 'fingerprint' | 'name' | null {
  if (/you typed/.test(message)) return 'fingerprint';
  if (/Not a Bootfleet public key|bytes, not the 32|own key/i.test(message)) return 'publicKey';
  return null;
}

/** The name a key line carries (`bootfleet-ed25519 BASE64 NAME`), or ''. */
export function keyLineName(line: string): string {
  const parts = line.trim().split(/\s+/);
  return parts.length > 2 ? parts.slice(2).join(' ') : '';
}

/** A file name for a public key: `plant-7-hq.pub`. */
export function keyFileName(name: string): string {
  const base = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${base || 'bootfleet-key'}.pub`;
}

/** "2 devices, 14 snapshots, 30 activity entries added" for a site merge. */
export function siteMergeText(s: { devicesAdded: number; snapshotsAdded: number; activityAdded: number; recordingsAdded?: number }): string {
  const n = (k: number, one: string, many: string): string => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  const recordings = s.recordingsAdded ? `, ${n(s.recordingsAdded, 'terminal recording', 'terminal recordings')}` : '';
  return `${n(s.devicesAdded, 'device', 'devices')}, ${n(s.snapshotsAdded, 'snapshot', 'snapshots')}, ${n(s.activityAdded, 'activity entry', 'activity entries')}${recordings} added`;
}
