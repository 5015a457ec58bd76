import { open, stat } from 'node:fs/promises';
import { AppError, ErrorCode } from '../../../shared/errors';
import { INDEX_TYPES } from '../library/oci';
import { tarEntries, type TarEntry as Entry } from '../library/tar';
import type { ResolvedImage } from '../registry/client';

/**
 * OCI archives (`oci-archive:`, an OCI image layout in a tar, as `skopeo copy` and `podman save
 * --format oci-archive` write them), read without unpacking: one pass over the tar headers,
 * then `index.json` and the manifests it names. This tells which digest a box will install from
 * the archive (its platform's manifest), as the registry would.
 */

async function readJson(path: string, e: Entry | undefined, what: string): Promise<Record<string, unknown>> {
  if (!e) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not an OCI archive: it has no ${what}.`);
  if (e.size > 4 * 1024 * 1024) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${what} is implausibly large (${e.size} bytes).`);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(e.size);
    await fh.read(buf, 0, e.size, e.offset);
    return JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${what} is not valid JSON (${err.message}).`);
    throw err;
  } finally {
    await fh.close();
  }
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ArchiveImage extends ResolvedImage {
  /** The archive file's size in bytes. */
  size: number;
  /** The tag the archive names its image with (`org.opencontainers.image.ref.name`), if any. */
  refName: string | null;
}

/** Reads what an OCI archive holds: its image's digest and, for a multi-platform image, each platform's. */
export async function readOciArchive(path: string): Promise<ArchiveImage> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new AppError(ErrorCode.NOT_FOUND, `The image archive ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  const entries = await tarEntries(path);
  if (entries.truncated) throw new AppError(ErrorCode.VALIDATION_FAILED, `The archive ${path} is truncated: ${entries.truncated} (a copy cut short?).`);
  if (!entries.has('oci-layout')) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not an OCI archive (no oci-layout file): make one with \`skopeo copy ... oci-archive:FILE\` or \`podman save --format oci-archive\`.`);
  const index = await readJson(path, entries.get('index.json'), 'index.json');
  const manifests = (index.manifests as Descriptor[] | undefined) ?? [];
  if (manifests.length !== 1) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} holds ${manifests.length} images; give an archive of exactly one (one tag, all its platforms).`);
  }
  const top = manifests[0]!;
  if (!top.digest || !/^sha256:[0-9a-f]{64}$/.test(top.digest)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path}: index.json names no sha256 digest.`);
  const blob = (d: string) => entries.get(`blobs/sha256/${d.slice(7)}`);
  const refName = top.annotations?.['org.opencontainers.image.ref.name'] ?? null;
  const mediaType = top.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  if (!blob(top.digest)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is incomplete: the blob ${top.digest} its index names is missing (a truncated copy?).`);
  if (!INDEX_TYPES.has(mediaType)) return { ref: path, digest: top.digest, mediaType, platforms: [], size, refName };
  const list = await readJson(path, blob(top.digest), `the image index ${top.digest}`);
  const platforms = ((list.manifests as Descriptor[] | undefined) ?? [])
    .filter((m) => m.digest && m.platform?.os && m.platform.architecture && m.platform.os !== 'unknown')
    .map((m) => ({ digest: m.digest!, os: m.platform!.os!, architecture: m.platform!.architecture!, variant: m.platform!.variant ?? null }));
  const missing = platforms.find((p) => !blob(p.digest));
  if (missing) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is incomplete: the ${missing.architecture} manifest ${missing.digest} is missing.`);
  return { ref: path, digest: top.digest, mediaType, platforms, size, refName };
}
