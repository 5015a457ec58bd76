import { open } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { formatSize } from '../flash/drives';

/** A remote file's size, or null when it does not exist. */
export const sftpSize = (sftp: SFTPWrapper, path: string): Promise<number | null> =>
  new Promise((resolve) => sftp.stat(path, (err, st) => resolve(err ? null : st.size)));

/**
 * A byte rate shared by every upload that takes from it (a token bucket holding at most one
 * second of bytes): a rollout's limit holds whatever the number of devices sending at once.
 */
export class RateLimit {
  private tokens: number;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();
  constructor(readonly bytesPerSecond: number) {
    this.tokens = bytesPerSecond;
  }

  /** Resolves when `n` bytes may be sent. Callers are served in order. */
  take(n: number): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = Date.now();
        this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
        this.last = now;
        if (this.tokens >= n || this.tokens >= this.bytesPerSecond) {
          this.tokens -= n;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.ceil(((n - this.tokens) / this.bytesPerSecond) * 1000)));
      }
    });
    this.queue = turn;
    return turn;
  }
}

export interface UploadProgress {
  done: number;
  total: number;
  bytesPerSecond: number;
}

/**
 * SFTP writes are sent CHUNK bytes at a time with up to IN_FLIGHT unanswered (one at a time, as
 * a stream does, waits a round trip per chunk). A write may land before one sent earlier, so an
 * interrupted upload can end with a hole in its last WINDOW bytes: a resume starts that far back.
 */
const CHUNK = 64 * 1024;
const IN_FLIGHT = 32;
export const RESUME_WINDOW = CHUNK * IN_FLIGHT;

/** Sends local[from..] to the remote file at the same offsets, IN_FLIGHT chunks at a time. */
export async function writeWindowed(
  sftp: SFTPWrapper,
  local: { path: string; size: number },
  remote: string,
  from: number,
  opts: { signal: AbortSignal; onProgress: (p: UploadProgress) => void; limit?: RateLimit | undefined },
): Promise<void> {
  const handle = await new Promise<Buffer>((resolve, reject) =>
    sftp.open(remote, from ? 'r+' : 'w', { mode: 0o600 }, (err, h) => (err ? reject(new Error(`cannot open ${remote} for writing: ${err.message}`)) : resolve(h))),
  );
  const fh = await open(local.path, 'r');
  const started = Date.now();
  let sent = from;
  let last = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let next = from;
      let inFlight = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const onAbort = () => fail(new Error('cancelled'));
      opts.signal.addEventListener('abort', onAbort, { once: true });
      const pump = (): void => {
        while (!failed && inFlight < IN_FLIGHT && next < local.size) {
          const at = next;
          const len = Math.min(CHUNK, local.size - at);
          next += len;
          inFlight++;
          const buf = Buffer.allocUnsafe(len);
          (opts.limit ? opts.limit.take(len) : Promise.resolve())
            .then(() => fh.read(buf, 0, len, at))
            .then(
            () =>
              sftp.write(handle, buf, 0, len, at, (err) => {
                inFlight--;
                if (err) return fail(new Error(`writing at ${formatSize(at)}: ${err.message}`));
                sent += len;
                const now = Date.now();
                if (now - last >= 250 || sent === local.size) {
                  last = now;
                  const secs = (now - started) / 1000;
                  opts.onProgress({ done: sent, total: local.size, bytesPerSecond: secs > 0 ? (sent - from) / secs : 0 });
                }
                if (sent === local.size) {
                  opts.signal.removeEventListener('abort', onAbort);
                  resolve();
                } else pump();
              }),
            (e: Error) => fail(e),
          );
        }
      };
      pump();
    });
  } finally {
    await fh.close();
    await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
  }
}
