import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors';
import { hexOf, isDigest } from './oci';

/**
 * Content-addressed blobs on disk, as an OCI layout keeps them (`blobs/sha256/HEX`): each blob
 * once, whatever images share it. A blob comes in through a temporary file that is hashed on the
 * way; only a blob whose SHA-256 and size are those it was named by takes its place.
 */
export class BlobStore {
  readonly blobsDir: string;
  private readonly tmpDir: string;
  /** Downloads in progress, kept across runs so a pull resumes. */
  private readonly partialDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.blobsDir, { recursive: true });
    // Leftovers of an import that was killed are never blobs: drop them.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });
    this.partialDir = join(root, 'partial');
    mkdirSync(this.partialDir, { recursive: true });
  }

  /** Where a download of `digest` collects its bytes until they are complete and checked. */
  partialPath(digest: string): string {
    if (!isDigest(digest)) throw new AppError(ErrorCode.VALIDATION_FAILED, `"${digest}" is not a sha256 digest.`);
    return join(this.partialDir, hexOf(digest));
  }

  /** Moves a complete, checked file into the store as `digest`. */
  async adopt(file: string, digest: string): Promise<void> {
    await rename(file, this.path(digest));
  }

  path(digest: string): string {
    if (!isDigest(digest)) throw new AppError(ErrorCode.VALIDATION_FAILED, `"${digest}" is not a sha256 digest.`);
    return join(this.blobsDir, hexOf(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  open(digest: string, start = 0): NodeJS.ReadableStream {
    return createReadStream(this.path(digest), { start, highWaterMark: 1024 * 1024 });
  }

  /**
   * Stores what `source` yields as `digest`, or refuses it with `what` named: bytes that do
   * not hash to the digest (corrupt) or are not `size` long (truncated). Returns false when
   * the blob was already there (nothing written).
   */
  async ingest(digest: string, size: number, open: () => NodeJS.ReadableStream, what: string, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<boolean> {
    const dest = this.path(digest);
    if (existsSync(dest)) return false;
    const tmp = join(this.tmpDir, `${hexOf(digest).slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let n = 0;
    try {
      await pipeline(
        open(),
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            n += chunk.length;
            onBytes?.(chunk.length);
            cb(null, chunk);
          },
        }),
        createWriteStream(tmp, { mode: 0o644 }),
        ...(signal ? [{ signal }] : []),
      );
      const got = `sha256:${hash.digest('hex')}`;
      if (n !== size) throw new AppError(ErrorCode.VALIDATION_FAILED, `${what} ${digest} is truncated: ${n} bytes of ${size}.`, { digest });
      if (got !== digest) throw new AppError(ErrorCode.VALIDATION_FAILED, `${what} ${digest} is corrupt: its content hashes to ${got}.`, { digest });
      await rename(tmp, dest);
      return true;
    } catch (e) {
      await rm(tmp, { force: true });
      if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
      throw e;
    }
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  /** Every blob on disk, with its size. */
  all(): { digest: string; size: number }[] {
    return readdirSync(this.blobsDir)
      .filter((f) => /^[0-9a-f]{64}$/.test(f))
      .map((f) => ({ digest: `sha256:${f}`, size: statSync(join(this.blobsDir, f)).size }));
  }
}
