import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { FlashTargetProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { ALIGN, BlockPool, openDirect, readFully, Sha256Worker, sha256, writeFully, xxh64, type ContentSource, type Hasher } from './blocks';
import { formatSize } from './drives';
import { openContent, type Compression } from './image';

const run = promisify(execFile);

/** Writes go out in blocks of this size (a multiple of every sector size), all targets in step. */
const BLOCK = 4 * 1024 * 1024;
/** Blocks read ahead of the slowest target's writes (memory: this many blocks). */
const IN_FLIGHT = 6;
/** Reads in flight while verifying. */
const VERIFY_IN_FLIGHT = 3;
/**
 * Written with buffered I/O (no direct I/O on that target), the dirty data is synced every this
 * many bytes, so memory stays bounded and progress means "on the drive".
 */
const SYNC_EVERY = 64 * 1024 * 1024;

export interface WriteTarget {
  path: string;
}

export interface WriteOptions {
  /** The content to write, pulled a block at a time. */
  source: ContentSource;
  /** Also compute the content's SHA-256 (when the caller does not know the image's already). */
  sha256: boolean;
  /** Content size if known (for the ETA). */
  size: number | null;
  targets: WriteTarget[];
  verify: boolean;
  signal: AbortSignal;
  onProgress(targets: FlashTargetProgress[]): void;
}

export interface WriteResult {
  /** XXH64 of the content written (decompressed), computed while writing: each drive must read back the same. */
  contentDigest: string;
  /** SHA-256 of the content written, when asked for. */
  contentSha256: string | null;
  bytes: number;
  targets: FlashTargetProgress[];
}

interface Live extends FlashTargetProgress {
  fh: FileHandle | null;
  direct: boolean;
  sinceSync: number;
  startedAt: number;
}

/**
 * Streams content onto every target in step, from one read of the source: each block is hashed
 * and written to all targets with direct I/O (aligned blocks, several in flight, so reading,
 * hashing and writing overlap); a failing target drops out without stopping the others; each
 * target is synced, then read back (direct I/O again, so from the drive, not the cache) and
 * compared with the hash computed while writing. Cancelling leaves targets stated as partially
 * written.
 */
export async function writeImage(o: WriteOptions): Promise<WriteResult> {
  const started = Date.now();
  const live: Live[] = o.targets.map((t) => ({
    path: t.path,
    phase: 'writing',
    written: 0,
    verified: 0,
    total: o.size,
    bytesPerSecond: 0,
    etaSeconds: null,
    error: null,
    condition: null,
    fh: null,
    direct: false,
    sinceSync: 0,
    startedAt: started,
  }));
  const fail = (t: Live, e: unknown, condition: string) => {
    if (t.phase === 'failed') return;
    t.phase = 'failed';
    t.error = e instanceof AppError ? { code: e.code, message: e.message } : { code: ErrorCode.INTERNAL, message: describeIoError(t.path, e) };
    t.condition = condition;
    void t.fh?.close().catch(() => undefined);
    t.fh = null;
  };
  const report = (() => {
    let last = 0;
    return (force = false) => {
      const now = Date.now();
      if (!force && now - last < 200) return;
      last = now;
      for (const t of live) {
        const secs = (now - t.startedAt) / 1000;
        const done = t.phase === 'verifying' ? t.verified : t.written;
        t.bytesPerSecond = secs > 0 ? Math.round(done / secs) : 0;
        const total = t.total ?? null;
        t.etaSeconds = total && t.bytesPerSecond ? Math.max(0, Math.round((total - done) / t.bytesPerSecond)) : null;
      }
      o.onProgress(live.map(strip));
    };
  })();

  // Open every target exclusively: the kernel refuses a block device that is mounted or in use.
  for (const t of live) {
    try {
      const { fh, direct } = await openDirect(t.path, constants.O_WRONLY | constants.O_EXCL);
      t.fh = fh;
      t.direct = direct;
    } catch (e) {
      fail(t, e, 'not written (could not be opened)');
    }
  }
  const pool = new BlockPool(BLOCK, IN_FLIGHT + 2);
  const digest = await xxh64();
  const hash = o.sha256 ? new Sha256Worker(pool) : null;
  let bytes = 0;
  // Writes are queued per target, in order; a block goes back to the pool once every target has it.
  const chains = new Map<Live, Promise<void>>(live.map((t) => [t, Promise.resolve()]));
  const writeTo = async (t: Live, block: Buffer, pos: number): Promise<void> => {
    if (!t.fh || t.phase !== 'writing') return;
    try {
      const tooSmall = () => new AppError(ErrorCode.INTERNAL, `${t.path} took no more data at ${pos} bytes: the drive is smaller than the image.`);
      const aligned = block.length - (block.length % ALIGN);
      if (t.direct && aligned < block.length) {
        // The image's last bytes are not a whole block: direct I/O takes whole blocks only.
        if (aligned) await writeFully(t.fh, block.subarray(0, aligned), pos, tooSmall);
        const tail = await open(t.path, constants.O_WRONLY);
        try {
          await writeFully(tail, Buffer.from(block.subarray(aligned)), pos + aligned, tooSmall);
          await tail.sync();
        } finally {
          await tail.close();
        }
      } else await writeFully(t.fh, block, pos, tooSmall);
      t.written += block.length;
      t.sinceSync += block.length;
      if (!t.direct && t.sinceSync >= SYNC_EVERY) {
        t.sinceSync = 0;
        await t.fh.datasync();
      }
    } catch (e) {
      fail(t, e, 'partially written, not bootable');
    }
    report();
  };

  let canceled = false;
  let failure: unknown = null;
  try {
    let buf = await pool.acquire();
    let n = await o.source.read(buf);
    while (n > 0) {
      if (o.signal.aborted) break;
      const block = buf.subarray(0, n);
      const pos = bytes;
      bytes += n;
      // Start reading the next block before hashing this one, so the read overlaps the hash.
      const nextBuf = await pool.acquire();
      const next = n === buf.length ? o.source.read(nextBuf) : Promise.resolve(0);
      digest.update(block);
      const all: Promise<void>[] = live.map((t) => {
        const p = chains.get(t)!.then(() => writeTo(t, block, pos));
        chains.set(t, p);
        return p;
      });
      if (hash) all.push(hash.update(block));
      const done = buf;
      void Promise.allSettled(all).then(() => pool.release(done));
      if (live.every((t) => t.phase !== 'writing')) {
        await next.catch(() => 0);
        pool.release(nextBuf);
        break;
      }
      buf = nextBuf;
      n = await next;
    }
  } catch (e) {
    failure = e;
  } finally {
    o.source.close();
  }
  await Promise.all(chains.values());
  if (o.signal.aborted) canceled = true;
  else if (failure) {
    hash?.close();
    for (const t of live) if (t.phase === 'writing') fail(t, failure, 'partially written, not bootable');
    throw Object.assign(failure instanceof AppError ? failure : new AppError(ErrorCode.INTERNAL, String((failure as Error)?.message ?? failure)), { targets: live.map(strip) });
  }

  const contentDigest = digest.digest();
  const contentSha256 = hash ? await hash.digest().finally(() => hash.close()) : null;
  // Each target is synced (the drive commits what it cached) and, at the same time, read back:
  // direct writes are already on the drive, so the read-back does not wait for the sync and the
  // two overlap. A cancelled target is synced too and left in a stated condition.
  await Promise.all(
    live.map(async (t) => {
      if (!t.fh) return;
      const fh = t.fh;
      const verifying = !canceled && o.verify;
      t.phase = canceled ? t.phase : verifying ? 'verifying' : 'flushing';
      t.startedAt = Date.now();
      report(true);
      const synced = fh.sync().then(() => fh.close());
      const readBackResult = verifying
        ? readBack(t.path, bytes, await xxh64(), o.signal, (n) => {
            t.verified += n;
            report();
          }).then(
            (sha) => ({ sha, error: null }),
            (error: unknown) => ({ sha: null, error }),
          )
        : null;
      try {
        await synced;
        t.fh = null;
      } catch (e) {
        await readBackResult;
        t.fh = null;
        return fail(t, e, 'partially written, not bootable');
      }
      if (canceled) {
        t.phase = 'canceled';
        t.condition = `partially written (${formatSize(t.written)} of ${o.size !== null ? formatSize(o.size) : 'an unknown size'}), not bootable`;
        return;
      }
      if (!readBackResult) {
        t.phase = 'done';
        return;
      }
      const r = await readBackResult;
      if (r.error) {
        if (o.signal.aborted) {
          t.phase = 'canceled';
          t.condition = 'written completely; verification cancelled';
        } else fail(t, r.error, 'written; verification could not run');
      } else if (r.sha !== contentDigest) {
        fail(t, new AppError('VERIFY_FAILED', `${t.path} does not read back what was written: the drive may be failing or counterfeit.`), 'written but does not verify: do not use');
      } else t.phase = 'done';
    }),
  );
  for (const t of live) if (t.phase === 'done') t.condition = o.verify ? 'written and verified' : 'written, not verified';
  report(true);
  return { contentDigest, contentSha256, bytes, targets: live.map(strip) };
}

/**
 * SHA-256 of a drive's first `bytes`, read from the drive itself: direct I/O with several reads
 * in flight (hashing one block while the next are read); the cache is dropped first for the part
 * direct I/O cannot read (a last partial sector) and for drives that do not take direct I/O.
 */
export async function readBack(path: string, bytes: number, h: Hasher, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<string> {
  await run('blockdev', ['--flushbufs', path]).catch(() => undefined);
  const { fh, direct } = await openDirect(path, constants.O_RDONLY);
  const pool = new BlockPool(BLOCK, VERIFY_IN_FLIGHT);
  try {
    const aligned = direct ? bytes - (bytes % ALIGN) : bytes;
    const reads: Promise<{ buf: Buffer; n: number; want: number }>[] = [];
    let pos = 0;
    const issue = (): void => {
      if (pos >= aligned) return;
      const want = Math.min(BLOCK, aligned - pos);
      const at = pos;
      pos += want;
      reads.push(pool.acquire().then(async (buf) => ({ buf, want, n: await readFully(fh, buf, want, at) })));
    };
    for (let i = 0; i < VERIFY_IN_FLIGHT; i++) issue();
    while (reads.length) {
      signal?.throwIfAborted();
      const { buf, n, want } = await reads.shift()!;
      h.update(buf.subarray(0, n));
      pool.release(buf);
      onBytes?.(n);
      if (n < want) return h.digest(); // the drive ended early: it cannot match
      issue();
    }
    if (aligned < bytes) {
      const tail = await open(path, 'r');
      try {
        const b = Buffer.alloc(bytes - aligned);
        const n = await readFully(tail, b, b.length, aligned);
        h.update(b.subarray(0, n));
        onBytes?.(n);
      } finally {
        await tail.close();
      }
    }
    return h.digest();
  } finally {
    await fh.close();
  }
}

function strip(t: Live): FlashTargetProgress {
  return { path: t.path, phase: t.phase, written: t.written, verified: t.verified, total: t.total, bytesPerSecond: t.bytesPerSecond, etaSeconds: t.etaSeconds, error: t.error, condition: t.condition };
}

function describeIoError(path: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'EBUSY':
      return `${path} is in use (a mounted filesystem or another program has it open).`;
    case 'EACCES':
    case 'EPERM':
      return `No permission to write ${path}: writing a drive needs root (run as root, or use the desktop app's helper).`;
    case 'ENOSPC':
      return `${path} is full: it is smaller than the image.`;
    case 'EROFS':
      return `${path} is read-only.`;
    case 'EIO':
      return `${path} reported an I/O error: the drive may be failing or was removed.`;
    case 'ENOENT':
    case 'ENXIO':
      return `${path} is gone (unplugged?).`;
    default:
      return `${path}: ${err?.message ?? String(e)}`;
  }
}

/**
 * Reads a drive back and compares it with an image (decompressed): the first `bytes` of the
 * drive must hash the same as the image's content. Where the content size is known up front the
 * image and the drive are read at the same time.
 */
export async function verifyDrive(image: string, compression: Compression, size: number | null, path: string, signal?: AbortSignal): Promise<{ match: boolean; bytes: number; imageSha256: string; driveSha256: string }> {
  const hashImage = async (): Promise<{ sha: string; bytes: number }> => {
    const want = createHash('sha256');
    let bytes = 0;
    for await (const c of openContent(image, compression, signal) as AsyncIterable<Buffer>) {
      want.update(c);
      bytes += c.length;
    }
    return { sha: want.digest('hex'), bytes };
  };
  const [img, drive] = size !== null ? await Promise.all([hashImage(), readBack(path, size, sha256(), signal)]) : await hashImage().then(async (i) => [i, await readBack(path, i.bytes, sha256(), signal)] as const);
  return { match: img.sha === drive && (size === null || size === img.bytes), bytes: img.bytes, imageSha256: img.sha, driveSha256: drive };
}
