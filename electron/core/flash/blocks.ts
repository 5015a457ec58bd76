import { constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';

/**
 * Aligned buffers and block I/O for writing drives. Direct I/O (O_DIRECT) skips the page cache,
 * so a write is on the drive when it completes and a read-back comes from the drive, but the
 * kernel then needs buffers aligned to the drive's logical block size. Node's Buffers have no
 * alignment guarantee (malloc's 16 bytes), while a WebAssembly memory is page-aligned: blocks are
 * cut from one at multiples of 4096, which suits every sector size (512 and 4Kn drives).
 */
export const ALIGN = 4096;
const WASM_PAGE = 65536;
/** WebAssembly as Node provides it (the electron layer's lib has no DOM/WebAssembly typings). */
const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer } } }).WebAssembly;

/** A fixed set of aligned blocks, handed out and returned; waiting when all are in use. */
export class BlockPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((b: Buffer) => void)[] = [];
  /** The memory the blocks are cut from; shared, so a worker thread can read blocks without a copy. */
  readonly memory: SharedArrayBuffer;

  constructor(
    readonly blockSize: number,
    count: number,
  ) {
    if (blockSize % ALIGN) throw new Error(`block size ${blockSize} is not a multiple of ${ALIGN}`);
    const pages = Math.ceil((blockSize * count) / WASM_PAGE);
    this.memory = new Wasm.Memory({ initial: pages, maximum: pages, shared: true }).buffer as SharedArrayBuffer;
    for (let i = 0; i < count; i++) this.free.push(Buffer.from(this.memory, i * blockSize, blockSize));
  }

  async acquire(): Promise<Buffer> {
    return this.free.pop() ?? new Promise((resolve) => this.waiting.push(resolve));
  }

  release(b: Buffer): void {
    const w = this.waiting.shift();
    if (w) w(b);
    else this.free.push(b);
  }
}

/** Where direct I/O cannot be used (a regular file on tmpfs, some drivers): buffered, with syncs. */
export async function openDirect(path: string, flags: number): Promise<{ fh: FileHandle; direct: boolean }> {
  try {
    return { fh: await open(path, flags | constants.O_DIRECT), direct: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    return { fh: await open(path, flags), direct: false };
  }
}

/** Writes all of `data` at `pos`, or throws; a drive that takes no more is too small. */
export async function writeFully(fh: FileHandle, data: Buffer, pos: number, onShort: () => Error): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, pos + off);
    if (bytesWritten === 0) throw onShort();
    off += bytesWritten;
  }
}

/** Reads until `into` is full or the file ends; returns the bytes read. */
export async function readFully(fh: FileHandle, into: Buffer, length: number, pos: number): Promise<number> {
  let n = 0;
  while (n < length) {
    const { bytesRead } = await fh.read(into, n, length - n, pos + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}

/**
 * Content to write, pulled a block at a time into the writer's aligned buffers (no copy for a
 * plain file). `read` fills `into` as far as it can and returns the bytes placed; 0 at the end.
 */
export interface ContentSource {
  read(into: Buffer): Promise<number>;
  close(): void;
}

/** A plain file read straight into the blocks. */
export async function fileSource(path: string): Promise<ContentSource> {
  const fh = await open(path, 'r');
  let pos = 0;
  return {
    async read(into) {
      const n = await readFully(fh, into, into.length, pos);
      pos += n;
      return n;
    },
    close: () => void fh.close().catch(() => undefined),
  };
}

/** Any stream of chunks (a decompressor's output, the helper's input), copied into the blocks. */
export function streamSource(stream: AsyncIterable<Buffer>, onClose: () => void = () => undefined): ContentSource {
  const it = stream[Symbol.asyncIterator]();
  let rest: Buffer | null = null;
  let ended = false;
  return {
    async read(into) {
      let n = 0;
      while (n < into.length) {
        if (!rest || rest.length === 0) {
          if (ended) break;
          const r = await it.next();
          if (r.done) {
            ended = true;
            break;
          }
          rest = r.value;
        }
        const take = Math.min(rest.length, into.length - n);
        rest.copy(into, n, 0, take);
        rest = rest.subarray(take);
        n += take;
      }
      return n;
    },
    close() {
      void it.return?.();
      onClose();
    },
  };
}

/** A running hash: what the writer feeds blocks to and reads a digest from. */
export interface Hasher {
  update(b: Uint8Array): void;
  digest(): string;
}

let xxhashApi: ReturnType<typeof xxhash> | null = null;

/**
 * XXH64 (xxhash-wasm): what each drive's read-back is compared with. About 5x faster than
 * SHA-256 here (0.15 s per GiB against 0.7 s), so verifying costs the read and little else;
 * it detects corruption, not tampering, which is all a read-back must do. Digests read
 * `xxh64:0123456789abcdef`.
 */
export async function xxh64(): Promise<Hasher> {
  const api = await (xxhashApi ??= xxhash());
  const h = api.create64();
  return {
    update: (b) => void h.update(b),
    digest: () => `xxh64:${h.digest().toString(16).padStart(16, '0')}`,
  };
}

export function sha256(): Hasher {
  const h = createHash('sha256');
  return { update: (b) => void h.update(b), digest: () => h.digest('hex') };
}

/** The SHA-256 worker's code (inline, so it needs no file of its own in a bundle). */
const SHA256_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const h = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.len !== undefined) h.update(new Uint8Array(workerData.memory, m.off, m.len));
  parentPort.postMessage(m.len !== undefined ? null : h.digest('hex'));
});`;

/**
 * SHA-256 of blocks from a pool, computed on a worker thread reading the pool's shared memory:
 * it runs beside the fast hash and the I/O instead of after them (the second core on a small
 * machine). `update` resolves once the worker has hashed the block (then it may be reused).
 */
export class Sha256Worker {
  private readonly worker: Worker;
  private readonly pending: ((v: string | null) => void)[] = [];
  private failed: Error | null = null;

  constructor(pool: BlockPool) {
    this.worker = new Worker(SHA256_WORKER, { eval: true, workerData: { memory: pool.memory } });
    this.worker.unref();
    this.worker.on('message', (v: string | null) => this.pending.shift()?.(v));
    this.worker.on('error', (e) => {
      this.failed = e;
      for (const p of this.pending.splice(0)) p(null);
    });
  }

  private ask(m: object): Promise<string | null> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.worker.postMessage(m);
    });
  }

  update(block: Buffer): Promise<void> {
    return this.ask({ off: block.byteOffset, len: block.length }).then(() => undefined);
  }

  async digest(): Promise<string> {
    const d = await this.ask({});
    if (d === null) throw this.failed ?? new Error('the SHA-256 worker stopped');
    return d;
  }

  close(): void {
    void this.worker.terminate();
  }
}
