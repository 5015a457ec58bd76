import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { normalizeSha256, SHA256_MESSAGE } from '../../../shared/contract/fields';
import { AppError, ErrorCode } from '../../../shared/errors';
import { fileSource, streamSource, type ContentSource } from './blocks';
import { readBootcIsoImage } from './iso';

const run = promisify(execFile);

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

/** What an install image is, read from its first sectors (decompressed where needed). */
export interface ImageInfo {
  path: string;
  fileSize: number;
  compression: Compression;
  /** The size once decompressed; null where the format does not record it. */
  size: number | null;
  format: 'iso' | 'disk' | 'unknown';
  /** ISO 9660 volume identifier. */
  volumeLabel: string | null;
  /** El Torito boot catalog (boots from optical media and, with the MBR, from USB). */
  elTorito: boolean;
  /** A valid MBR (boot signature and at least one partition): boots from a USB stick. */
  mbr: boolean;
  /** For a bootc-image-builder installer: the container image it installs (from its kickstart). */
  bootc: { imageRef: string; transport: string | null; source: string } | null;
}

const MAGIC: [Compression, number[]][] = [
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** How much of the (decompressed) start of an image is needed: the MBR, the ISO descriptors. */
const HEAD = 64 * 1024;

export function compressionOf(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) if (magic.every((b, i) => head[i] === b)) return kind;
  return 'none';
}

/**
 * A readable stream of the image's content, decompressed (gzip in process, xz and zstd by their
 * tools, fed by this process). `onFileBytes` sees the file's bytes as read (to hash the file as
 * published while it is decompressed, in one read).
 */
export function openContent(path: string, compression: Compression, signal?: AbortSignal, onFileBytes?: (b: Buffer) => void): NodeJS.ReadableStream {
  const file = createReadStream(path, { highWaterMark: compression === 'none' ? 4 * 1024 * 1024 : 1024 * 1024, ...(signal ? { signal } : {}) });
  if (onFileBytes) file.on('data', (b) => onFileBytes(b as Buffer));
  if (compression === 'none') return file;
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
    file.on('error', (e) => gunzip.destroy(e));
    return file.pipe(gunzip);
  }
  const [cmd, args] = compression === 'xz' ? ['xz', ['-dc', '-T0']] : ['zstd', ['-dc']];
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  // The content ends only when the tool exits well: a corrupt or truncated file is an error, not a short image.
  const out = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4096);
  });
  child.stdin.on('error', () => undefined); // the tool stopped reading: its exit status says why
  file.on('error', (e) => out.destroy(e));
  file.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('error', (e: NodeJS.ErrnoException) => {
    out.destroy(e.code === 'ENOENT' ? new AppError(ErrorCode.INTERNAL, `${cmd} is not installed; it is needed for .${compression === 'xz' ? 'xz' : 'zst'} images.`) : e);
  });
  child.on('close', (code, sig) => {
    if (code === 0) out.end();
    else if (!out.destroyed) out.destroy(new AppError(ErrorCode.VALIDATION_FAILED, `${stderr.trim().split('\n').pop() || `${cmd} exited with ${code ?? sig}`}`));
  });
  out.on('close', () => {
    file.destroy();
    child.kill();
  });
  return out;
}

/**
 * The image's content as a block source for the writer, and the SHA-256 of the file as
 * published, computed from the same read: for a plain file the content is the file (null here:
 * the writer's content hash is the file's); for a compressed one the compressed bytes are hashed
 * on their way to the decompressor.
 */
export async function openSource(path: string, compression: Compression, signal?: AbortSignal): Promise<{ source: ContentSource; fileSha256: () => string | null }> {
  if (compression === 'none') return { source: await fileSource(path), fileSha256: () => null };
  const hash = createHash('sha256');
  const stream = openContent(path, compression, signal, (b) => hash.update(b));
  let digest: string | null = null;
  return {
    source: streamSource(stream as AsyncIterable<Buffer>, () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy()),
    fileSha256: () => (digest ??= hash.digest('hex')),
  };
}

async function readHead(path: string, compression: Compression): Promise<Buffer> {
  const stream = openContent(path, compression);
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= HEAD) break;
    }
  } catch (e) {
    if (n < HEAD) throw new AppError(ErrorCode.VALIDATION_FAILED, `${basename(path)} could not be decompressed: ${(e as Error).message}`);
  } finally {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
  return Buffer.concat(chunks).subarray(0, HEAD);
}

/** The decompressed size where the container records it (xz index, zstd frame header, gzip trailer when under 4 GiB). */
async function contentSize(path: string, compression: Compression, fileSize: number): Promise<number | null> {
  try {
    if (compression === 'none') return fileSize;
    if (compression === 'xz') {
      const { stdout } = await run('xz', ['--robot', '--list', '--', path]);
      const totals = stdout.split('\n').find((l) => l.startsWith('totals\t'));
      return totals ? Number(totals.split('\t')[4]) : null;
    }
    if (compression === 'zstd') {
      const { stdout } = await run('zstd', ['-lv', '--', path]);
      const m = /Decompressed Size:.*\((\d+) B\)/.exec(stdout);
      return m ? Number(m[1]) : null;
    }
    // gzip keeps the size modulo 2^32: trust it only for files that cannot have wrapped.
    if (fileSize >= 2 ** 32) return null;
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(4);
      await fh.read(b, 0, 4, fileSize - 4);
      const isize = b.readUInt32LE(0);
      return isize >= fileSize / 1100 ? isize : null; // more than 1100:1 means it wrapped
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** Reads what an image file is. Refuses what is not a file or is empty. */
export async function inspectImage(path: string): Promise<ImageInfo> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new AppError(ErrorCode.NOT_FOUND, `No image at ${path}.`);
  }
  if (!st.isFile()) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not a file.`);
  if (st.size === 0) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is empty.`);
  const fh = await open(path, 'r');
  const magic = Buffer.alloc(8);
  await fh.read(magic, 0, 8, 0);
  await fh.close();
  const compression = compressionOf(magic);
  const head = await readHead(path, compression);
  const iso = head.length >= 0x8800 && head.toString('latin1', 0x8001, 0x8006) === 'CD001';
  const elTorito = head.length >= 0x8900 && head[0x8800] === 0 && head.toString('latin1', 0x8801, 0x8806) === 'CD001' && head.toString('latin1', 0x8807, 0x881e) === 'EL TORITO SPECIFICATION';
  const mbr = head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa && [0, 1, 2, 3].some((i) => head[446 + i * 16 + 4] !== 0);
  return {
    path,
    fileSize: st.size,
    compression,
    size: await contentSize(path, compression, st.size),
    format: iso ? 'iso' : mbr || head.toString('latin1', 512, 520) === 'EFI PART' ? 'disk' : 'unknown',
    volumeLabel: iso ? head.toString('latin1', 0x8028, 0x8048).trim() || null : null,
    elTorito,
    mbr,
    // A bootc installer says which image it installs in its kickstart (read in place: plain ISOs only).
    bootc: iso && compression === 'none' ? await readBootcIsoImage(path).catch(() => null) : null,
  };
}

/** Identifies one version of a file: a hash computed for it stays good while this is unchanged. */
export async function fileVersion(path: string): Promise<string> {
  const st = await stat(path);
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Hashes already computed in this process (inspecting an image, then writing it, hashes it once). */
const known = new Map<string, { version: string; sha256: string }>();

/** Records a file's SHA-256 computed elsewhere (while writing it). */
export function rememberSha256(path: string, version: string, sha256: string): void {
  known.set(path, { version, sha256 });
}

/** The SHA-256 of a file if this process has computed it for its current version. */
export async function knownSha256(path: string): Promise<string | null> {
  const k = known.get(path);
  return k && k.version === (await fileVersion(path).catch(() => '')) ? k.sha256 : null;
}

/** SHA-256 of a file as stored (the compressed file, as published checksums are). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const version = await fileVersion(path);
  const k = known.get(path);
  if (k && k.version === version) return k.sha256;
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 * 1024 * 1024, ...(signal ? { signal } : {}) })) hash.update(c as Buffer);
  const sha256 = hash.digest('hex');
  rememberSha256(path, version, sha256);
  return sha256;
}

/**
 * The expected SHA-256 of `image` from a checksum file: GNU (`HEX  name`, `HEX *name`) or BSD
 * (`SHA256 (name) = HEX`) lines, matched by file name. Null when the file does not list it.
 */
export function findInSums(text: string, image: string): string | null {
  const name = basename(image);
  for (const line of text.split(/\r?\n/)) {
    const gnu = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (gnu && basename(gnu[2]!) === name) return gnu[1]!.toLowerCase();
    const bsd = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(line.trim());
    if (bsd && basename(bsd[1]!) === name) return bsd[2]!.toLowerCase();
  }
  return null;
}

export interface ChecksumResult {
  /** matched: equal to the expected one; failed: differs (refuse to write); unchecked: nothing to compare with. */
  result: 'matched' | 'failed' | 'unchecked';
  actual: string;
  expected: string | null;
  /** Where the expected value came from: "pasted", or the checksum file's path. */
  source: string | null;
}

/**
 * The SHA-256 an image should have: pasted, from a checksum file, or (with neither) from
 * SHA256SUMS, IMAGE.sha256 or CHECKSUM next to it. Null when there is nothing to compare with.
 */
export async function expectedSha256(path: string, opts: { sha256?: string | undefined; sumsFile?: string | undefined }): Promise<{ expected: string; source: string } | null> {
  if (opts.sha256) {
    const hex = normalizeSha256(opts.sha256);
    if (!hex) throw new AppError(ErrorCode.VALIDATION_FAILED, SHA256_MESSAGE);
    return { expected: hex, source: 'pasted' };
  }
  const candidates = opts.sumsFile ? [opts.sumsFile] : [join(dirname(path), 'SHA256SUMS'), `${path}.sha256`, join(dirname(path), 'CHECKSUM')];
  for (const f of candidates) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      if (opts.sumsFile) throw new AppError(ErrorCode.NOT_FOUND, `No checksum file at ${f}.`);
      continue;
    }
    const expected = findInSums(text, path);
    if (expected) return { expected, source: f };
    if (opts.sumsFile) throw new AppError(ErrorCode.VALIDATION_FAILED, `${f} lists no SHA-256 for ${basename(path)}.`);
  }
  return null;
}

/**
 * Checks an image against its published SHA-256 (see expectedSha256). The image is always
 * hashed (once per version of the file in this process), so a flash record says what was written.
 */
export async function checkImage(path: string, opts: { sha256?: string | undefined; sumsFile?: string | undefined; signal?: AbortSignal }): Promise<ChecksumResult> {
  const want = await expectedSha256(path, opts);
  const actual = await sha256File(path, opts.signal);
  return { result: want === null ? 'unchecked' : want.expected === actual ? 'matched' : 'failed', actual, expected: want?.expected ?? null, source: want?.source ?? null };
}
