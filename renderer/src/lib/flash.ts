/** Words for flashing install media, shared by the Flash page and the notices. */
import { normalizeSha256, SHA256_MESSAGE, type Drive, type Flash, type FlashTargetProgress, type ImageInfo } from '../../../shared/contract';
import { formatDecimalBytes, plural } from './format';

/** The last part of a path: `/srv/images/live.iso` → `live.iso`. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || path;
}

/** The directory of a path: `/srv/images/live.iso` → `/srv/images`; null for a bare name. */
export function dirName(path: string): string | null {
  const at = path.replace(/\/+$/, '').lastIndexOf('/');
  if (at < 0) return null;
  return at === 0 ? '/' : path.slice(0, at);
}

/** A drive's phase, in words. */
export const flashPhaseLabel: Record<FlashTargetProgress['phase'], string> = {
  writing: 'Writing',
  flushing: 'Flushing',
  verifying: 'Verifying',
  done: 'Done',
  failed: 'Failed',
  canceled: 'Cancelled',
};

/** A flash's state, in words. */
export const flashStateLabel: Record<Flash['state'], string> = {
  running: 'running',
  done: 'done',
  failed: 'failed',
  canceled: 'cancelled',
  interrupted: 'interrupted',
};

/** What is wrong with a pasted SHA-256 (the rule the core applies), or null when it is fine or empty. */
export function sha256Problem(text: string): string | null {
  if (!text.trim()) return null;
  return normalizeSha256(text) ? null : SHA256_MESSAGE;
}

/** "ISO 9660", "Disk image", "Unknown format". */
export function formatLabel(info: ImageInfo): string {
  return info.format === 'iso' ? 'ISO 9660' : info.format === 'disk' ? 'Disk image' : 'Unknown format';
}

/** Whether the image boots from a USB stick, in words, and whether that is a concern. */
export function bootLabel(info: ImageInfo): { text: string; warn: boolean } {
  if (info.mbr && info.elTorito) return { text: 'Bootable: hybrid ISO (El Torito and MBR)', warn: false };
  if (info.mbr) return { text: 'Bootable from USB (MBR with a partition)', warn: false };
  if (info.elTorito) return { text: 'El Torito only: boots from optical media; may not boot from a USB stick', warn: true };
  if (info.format === 'disk') return { text: 'Disk image (GPT)', warn: false };
  return { text: 'No boot record found: a USB stick written with it may not boot', warn: true };
}

/** "3.4 MB", or "1.2 GB (xz, 640.0 MB compressed)". */
export function imageSizeLabel(info: ImageInfo): string {
  if (info.compression === 'none') return formatDecimalBytes(info.fileSize);
  const file = `${info.compression}, ${formatDecimalBytes(info.fileSize)} compressed`;
  return info.size !== null ? `${formatDecimalBytes(info.size)} (${file})` : `size unknown until decompressed (${file})`;
}

/** A drive's identity on one line: "SanDisk Ultra 32.0 GB (USB) · /dev/sdb · serial 4C53…". */
export function driveIdentity(d: { description: string; path: string; serial: string | null }): string {
  return [d.description, d.path, d.serial ? `serial ${d.serial}` : null].filter(Boolean).join(' · ');
}

/** The mount points of a drive and its partitions, without repeats. */
export function driveMounts(d: Drive): string[] {
  return [...new Set([...d.mountpoints, ...d.partitions.flatMap((p) => p.mountpoints)])];
}

/** How far a target is: the bytes of its current phase (written, or read back while verifying). */
export function targetBytes(t: FlashTargetProgress): { done: number; total: number | null } {
  if (t.phase === 'verifying') return { done: t.verified, total: t.total };
  return { done: t.written, total: t.total };
}

/** The notice at the end of a flash: "live.iso written to 2 drives and verified", or what went wrong. */
export function flashNotice(f: Flash): string {
  const name = baseName(f.image);
  const n = f.targets.length;
  const done = f.targets.filter((t) => t.phase === 'done').length;
  if (f.state === 'done') return `${name} written to ${plural(n, 'drive')}${f.verify ? ' and verified' : ' (not verified)'}`;
  if (f.state === 'canceled') return `Writing ${name} cancelled: ${f.targets.map((t) => `${t.path} ${t.condition ?? flashPhaseLabel[t.phase].toLowerCase()}`).join('; ')}`;
  const bad = f.targets.filter((t) => t.phase !== 'done');
  const first = bad.find((t) => t.error)?.error?.message;
  const head = f.state === 'interrupted' ? `Writing ${name} was interrupted` : `Writing ${name} failed on ${bad.length} of ${plural(n, 'drive')}`;
  return `${head}${done ? ` (${done} done)` : ''}${first ? `: ${first}` : ''}`;
}
