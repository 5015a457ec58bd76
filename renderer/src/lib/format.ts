/** Small presentation helpers shared by pages. */
import type { Device } from '../../../shared/contract';

/** `user@host:port`, with IPv6 literals in brackets. */
export function formatAddress(d: Pick<Device, 'host' | 'port' | 'user'>): string {
  const host = d.host.includes(':') ? `[${d.host}]` : d.host;
  return `${d.user ? `${d.user}@` : ''}${host}:${d.port}`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A timestamp in the user's locale and time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeFmt.format(d);
}

/** "1 device", "2,000 devices". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Splits a comma- or space-separated tag list into tags. */
export function splitTags(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export { shortDigest } from '../../../shared/contract';

/** "42 s", "5 min", "3 h", "2 d": a duration in seconds, rounded to its largest unit. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** "just now", "5 min ago", "3 h ago": how long ago `iso` was, seen from `now` (ms). */
export function formatRelative(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const secs = (now - t) / 1000;
  if (secs < 10) return 'just now';
  return `${formatAge(secs)} ago`;
}

/** An uptime or ETA: "45 s", "3 min 20 s", "2 h 5 min", "4 d 3 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return r ? `${m} min ${r} s` : `${m} min`;
  return `${r} s`;
}

/** Bytes in binary units: "512 MiB", "1.8 TiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

/**
 * Bytes in decimal units, as drives are sold and as the core describes them: "32 GB", "4.7 MB".
 * The Flash page uses these throughout, so an image and a drive compare at a glance.
 */
export function formatDecimalBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * An image reference without its registry host, for narrow cells: `quay.io/org/os:42` → `org/os:42`.
 * References with a transport prefix (`oci:/var/…`, `containers-storage:…`) are left whole.
 */
export function imageShortName(ref: string): string {
  if (/^(oci|oci-archive|containers-storage|dir|docker-archive|docker-daemon|ostree-[a-z-]+):/.test(ref)) return ref;
  const slash = ref.indexOf('/');
  if (slash < 0) return ref;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? ref.slice(slash + 1) : ref;
}
