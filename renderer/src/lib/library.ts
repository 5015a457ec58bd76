/** Words and small calculations for the image library (the Images page and Switch from the library). */
import type { LibraryImage, MethodOutput } from '../../../shared/contract';
import { shortDigest } from '../../../shared/contract';

export type LibraryDetail = MethodOutput<'library.get'>;
export type LibraryManifest = LibraryDetail['manifests'][number];

/** What an image is called: NAME:TAG, else its tag, else its short digest. */
export function imageLabel(img: Pick<LibraryImage, 'reference' | 'tag' | 'digest'>): string {
  return img.reference ?? img.tag ?? shortDigest(img.digest);
}

/**
 * The reference to hand the core for one image of the list: NAME:TAG, else its tag when no other
 * image has that tag (a tag shared by several images would be ambiguous), else its digest.
 */
export function imageRef(img: LibraryImage, all: readonly LibraryImage[]): string {
  if (img.reference) return img.reference;
  if (img.tag && all.filter((i) => i.tag === img.tag).length === 1) return img.tag;
  return img.digest;
}

/** `linux/arm64/v8`. */
export function platformLabel(m: Pick<LibraryManifest, 'os' | 'architecture' | 'variant'>): string {
  return `${m.os ?? '?'}/${m.architecture ?? '?'}${m.variant ? `/${m.variant}` : ''}`;
}

/** "2 booted · 1 rollback", or null when it is deployed nowhere. */
export function deployedText(d: LibraryImage['deployed']): string | null {
  const parts = [d.booted ? `${d.booted} booted` : null, d.staged ? `${d.staged} staged` : null, d.rollback ? `${d.rollback} rollback` : null].filter(Boolean);
  return parts.length ? parts.join(' · ') : null;
}

/** The total devices it is deployed on, counting a device once per slot. */
export function deployedCount(d: LibraryImage['deployed']): number {
  return d.booted + d.staged + d.rollback;
}

/** Where an image came from, in words: "oci-archive /srv/os.tar", "registry 127.0.0.1:5000/os:2.0". */
export function sourceText(source: string): { kind: string; where: string } {
  const m = /^(docker|oci-archive|oci|bundle):(?:\/\/)?(.*)$/.exec(source);
  if (!m) return { kind: 'source', where: source };
  const kind = m[1] === 'docker' ? 'registry' : m[1]!;
  return { kind, where: m[2] ?? '' };
}

/**
 * The blobs of an image as far as `library.get` tells them: each layer by digest, each platform's
 * manifest with its config (one unit, by manifest digest), and the index (the rest).
 */
export function blobUnits(d: LibraryDetail): Map<string, number> {
  const units = new Map<string, number>();
  for (const m of d.manifests) {
    const layers = m.layers.reduce((n, l) => n + l.size, 0);
    units.set(m.digest, Math.max(0, m.size - layers));
    for (const l of m.layers) units.set(l.digest, l.size);
  }
  if (!units.has(d.digest)) {
    const counted = [...units.values()].reduce((n, s) => n + s, 0);
    units.set(d.digest, Math.max(0, d.size - counted));
  }
  return units;
}

/** The bytes removing `target` frees: its blobs that no other image uses. */
export function freedBytes(target: LibraryDetail, others: readonly LibraryDetail[]): number {
  const used = new Set<string>();
  for (const o of others) if (o.id !== target.id) for (const k of blobUnits(o).keys()) used.add(k);
  let n = 0;
  for (const [digest, size] of blobUnits(target)) if (!used.has(digest)) n += size;
  return n;
}

/** Seconds left at this speed, or null when it cannot be told. */
export function etaSeconds(p: { done: number; total: number; bytesPerSecond: number }): number | null {
  if (p.bytesPerSecond <= 0 || p.total <= 0 || p.done >= p.total) return null;
  return (p.total - p.done) / p.bytesPerSecond;
}

/** A path the core can use: absolute on the machine Bootfleet runs on. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/** A file name for an exported image: `os-1.1.oci.tar` (oci-archive) or `os-1.1` (layout directory). */
export function exportName(img: Pick<LibraryImage, 'name' | 'tag' | 'digest'>, format: 'oci-archive' | 'oci'): string {
  const repo = img.name ? (img.name.split('/').pop() ?? 'image') : 'image';
  const tag = img.tag ?? shortDigest(img.digest);
  const base = `${repo}-${tag}`.replace(/[^A-Za-z0-9._-]/g, '-');
  return format === 'oci-archive' ? `${base}.oci.tar` : base;
}

/** Joins a directory and a name with the directory's own separator. */
export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** The form `library.pull` accepts for a platform. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

/** Platforms offered in the pull dialog (any other can be typed). */
export const COMMON_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x'];
