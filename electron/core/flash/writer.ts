import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { FlashTargetProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { openContent, type Compression } from './image';

const run = promisify(execFile);

/** Writes go out in blocks of this size (a multiple of every sector size), all targets in step. */
const BLOCK = 4 * 1024 * 1024;
/** Dirty data per target is flushed every this many bytes, so progress means "on the drive". */
const SYNC_EVERY = 64 * 1024 * 1024;
/** Blocks read ahead of the slowest target's writes (memory: this many blocks). */
const IN_FLIGHT = 4;

export interface WriteTarget {
  path: string;
}

export interface WriteOptions {
  image: string;
  compression: Compression;
  /** Decompressed size if known (for the ETA). */
  size: number | null;
  targets: WriteTarget[];
  verify: boolean;
  signal: AbortSignal;
  onProgress(targets: FlashTargetProgress[]): void;
}

export interface WriteResult {
  /** SHA-256 of the content written (decompressed), computed while writing. */
  contentSha256: string;
  bytes: number;
  targets: FlashTargetProgress[];
}

interface Live extends FlashTargetProgress {
  fh: FileHandle | null;
  sinceSync: number;
  startedAt: number;
}

/**
 * Streams an image (decompressed once) onto every target in step: each block is written to all
 * targets, a failing target drops out without stopping the others, dirty data is flushed as it
 * goes, and each target is then read back (its buffer cache dropped first) and compared with the
 * hash computed while writing. Cancelling leaves targets stated as partially written.
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
    sinceSync: 0,
    startedAt: started,
  }));
  const fail = (t: Live, e: unknown, condition: string) => {
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
      t.fh = await open(t.path, constants.O_WRONLY | constants.O_EXCL);
    } catch (e) {
      fail(t, e, 'not written (could not be opened)');
    }
  }
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  // Writes are queued per target (in order) while the next blocks are read and hashed, with a
  // bounded number of blocks in flight, so reading, hashing and writing overlap.
  const chains = new Map<Live, Promise<void>>(live.map((t) => [t, Promise.resolve()]));
  const inFlight: Promise<void>[] = [];
  const writeTo = async (t: Live, block: Buffer, pos: number): Promise<void> => {
    if (!t.fh || t.phase !== 'writing') return;
    try {
      let off = 0;
      while (off < block.length) {
        const { bytesWritten } = await t.fh.write(block, off, block.length - off, pos + off);
        if (bytesWritten === 0) throw new AppError(ErrorCode.INTERNAL, `${t.path} took no more data at ${pos + off} bytes: the drive is smaller than the image.`);
        off += bytesWritten;
      }
      t.written += block.length;
      t.sinceSync += block.length;
      if (t.sinceSync >= SYNC_EVERY) {
        t.sinceSync = 0;
        await t.fh.datasync();
      }
    } catch (e) {
      fail(t, e, 'partially written, not bootable');
    }
    report();
  };
  const writeBlock = async (block: Buffer): Promise<void> => {
    const pos = bytes;
    bytes += block.length;
    const all = live.map((t) => {
      const next = chains.get(t)!.then(() => writeTo(t, block, pos));
      chains.set(t, next);
      return next;
    });
    inFlight.push(Promise.all(all).then(() => undefined));
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  };

  let canceled = false;
  try {
    const source = openContent(o.image, o.compression, o.signal);
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      pending.push(chunk);
      pendingLen += chunk.length;
      while (pendingLen >= BLOCK) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
        await writeBlock(all.subarray(0, BLOCK));
        pending = all.length > BLOCK ? [all.subarray(BLOCK)] : [];
        pendingLen -= BLOCK;
      }
      if (live.every((t) => t.phase !== 'writing')) break;
    }
    if (pendingLen) await writeBlock(Buffer.concat(pending, pendingLen));
    await Promise.all(inFlight);
  } catch (e) {
    await Promise.all(inFlight).catch(() => undefined);
    if (o.signal.aborted) canceled = true;
    else {
      for (const t of live) if (t.phase === 'writing') fail(t, e, 'partially written, not bootable');
      throw Object.assign(e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL, String((e as Error)?.message ?? e)), { targets: live.map(strip) });
    }
  }
  if (o.signal.aborted) canceled = true;

  // Flush what is buffered, whatever happens: a cancelled target is left in a stated condition.
  await Promise.all(
    live.map(async (t) => {
      if (!t.fh) return;
      try {
        t.phase = canceled ? t.phase : 'flushing';
        report(true);
        await t.fh.sync();
        await t.fh.close();
        t.fh = null;
        if (canceled) {
          t.phase = 'canceled';
          t.condition = `partially written (${t.written} of ${o.size ?? '?'} bytes), not bootable`;
        }
      } catch (e) {
        fail(t, e, 'partially written, not bootable');
      }
    }),
  );
  const contentSha256 = hash.digest('hex');
  if (canceled) {
    report(true);
    return { contentSha256, bytes, targets: live.map(strip) };
  }

  if (o.verify) {
    await Promise.all(
      live.map(async (t) => {
        if (t.phase !== 'flushing') return;
        t.phase = 'verifying';
        t.startedAt = Date.now();
        report(true);
        try {
          // Drop the block device's cached pages so the read-back comes from the drive.
          await run('blockdev', ['--flushbufs', t.path]).catch(() => undefined);
          const h = createHash('sha256');
          if (bytes > 0) {
            for await (const c of createReadStream(t.path, { start: 0, end: bytes - 1, highWaterMark: BLOCK, signal: o.signal }) as AsyncIterable<Buffer>) {
              h.update(c);
              t.verified += c.length;
              report();
            }
          }
          if (h.digest('hex') !== contentSha256) {
            fail(t, new AppError('VERIFY_FAILED', `${t.path} does not read back what was written: the drive may be failing or counterfeit.`), 'written but does not verify: do not use');
          } else t.phase = 'done';
        } catch (e) {
          if (o.signal.aborted) {
            t.phase = 'canceled';
            t.condition = 'written completely; verification cancelled';
          } else fail(t, e, 'written; verification could not run');
        }
      }),
    );
  } else {
    for (const t of live) if (t.phase === 'flushing') t.phase = 'done';
  }
  for (const t of live) if (t.phase === 'done') t.condition = o.verify ? 'written and verified' : 'written, not verified';
  report(true);
  return { contentSha256, bytes, targets: live.map(strip) };
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
 * drive must hash the same as the image's content. The buffer cache is dropped first.
 */
export async function verifyDrive(image: string, compression: Compression, path: string, signal?: AbortSignal): Promise<{ match: boolean; bytes: number; imageSha256: string; driveSha256: string }> {
  const want = createHash('sha256');
  let bytes = 0;
  for await (const c of openContent(image, compression, signal) as AsyncIterable<Buffer>) {
    want.update(c);
    bytes += c.length;
  }
  await run('blockdev', ['--flushbufs', path]).catch(() => undefined);
  const got = createHash('sha256');
  let read = 0;
  if (bytes > 0) {
    for await (const c of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: BLOCK, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
      got.update(c);
      read += c.length;
    }
  }
  const imageSha256 = want.digest('hex');
  const driveSha256 = got.digest('hex');
  return { match: read === bytes && imageSha256 === driveSha256, bytes, imageSha256, driveSha256 };
}
