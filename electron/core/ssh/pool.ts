import { AppError, ErrorCode } from '../../../shared/errors';
import { connect, type HostKeyPolicy, type SshConnection, type SshTarget } from './connection';

export interface SshPoolOptions {
  /** Most connections open at once, in use or idle (default 32). */
  concurrency?: number;
  connectTimeoutMs?: number;
  keepaliveMs?: number;
  /** How long an idle connection is kept for reuse (default 30 s). */
  idleMs?: number;
}

interface Idle {
  key: string;
  conn: SshConnection;
  timer: NodeJS.Timeout;
}

/**
 * Every SSH connection the core opens goes through here: at most `concurrency` are open at
 * once (a refresh of thousands of devices neither floods the LAN nor runs out of file
 * descriptors), and a connection is reused for the next commands to the same device while
 * it is idle. Idle connections give up their slot when someone else is waiting.
 */
export class SshPool {
  readonly concurrency: number;
  readonly connectTimeoutMs: number;
  private readonly keepaliveMs: number;
  private readonly idleMs: number;
  private open = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly idle = new Map<string, Idle>();
  private closed = false;

  constructor(
    private readonly policy: HostKeyPolicy,
    opts: SshPoolOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 32);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.keepaliveMs = opts.keepaliveMs ?? 15_000;
    this.idleMs = opts.idleMs ?? 30_000;
  }

  /**
   * Runs `work` on a connection to the target, opening one (or reusing an idle one) within
   * the concurrency limit. `key` identifies the target and its settings: a changed key means
   * a fresh connection. The connection returns to the idle set unless `work` failed.
   */
  async with<T>(key: string, target: SshTarget, work: (conn: SshConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let conn = this.takeIdle(key);
    if (!conn) {
      await this.acquire(signal);
      try {
        conn = await connect(target, this.policy, { connectTimeoutMs: this.connectTimeoutMs, keepaliveMs: this.keepaliveMs, signal });
      } catch (e) {
        this.release();
        throw e;
      }
    }
    try {
      const result = await work(conn);
      this.putIdle(key, conn);
      return result;
    } catch (e) {
      conn.close();
      this.release();
      throw e;
    }
  }

  /**
   * A connection of its own, outside the pool's limit and reuse (a terminal holds one for as long
   * as it is open), with the same pinned host keys. The caller closes it.
   */
  dedicated(target: SshTarget, signal?: AbortSignal): Promise<SshConnection> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.CANCELED, 'Bootfleet is shutting down.'));
    return connect(target, this.policy, { connectTimeoutMs: this.connectTimeoutMs, keepaliveMs: this.keepaliveMs, signal });
  }

  /** Connections open now (in use and idle). */
  get openCount(): number {
    return this.open;
  }

  /** Closes idle connections and refuses new work. */
  close(): void {
    this.closed = true;
    for (const i of [...this.idle.values()]) this.dropIdle(i);
  }

  private takeIdle(key: string): SshConnection | undefined {
    const i = this.idle.get(key);
    if (!i) return undefined;
    clearTimeout(i.timer);
    this.idle.delete(key);
    if (i.conn.isOpen) return i.conn;
    this.release();
    return undefined;
  }

  private putIdle(key: string, conn: SshConnection): void {
    const existing = this.idle.get(key);
    if (existing || !conn.isOpen || this.closed || this.idleMs <= 0 || this.waiters.length > 0) {
      conn.close();
      this.release();
      return;
    }
    const timer = setTimeout(() => this.dropIdle(this.idle.get(key)), this.idleMs);
    timer.unref();
    this.idle.set(key, { key, conn, timer });
  }

  private dropIdle(i: Idle | undefined): void {
    if (!i || this.idle.get(i.key) !== i) return;
    clearTimeout(i.timer);
    this.idle.delete(i.key);
    i.conn.close();
    this.release();
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new AppError(ErrorCode.CANCELED, 'Bootfleet is shutting down.');
    if (this.open < this.concurrency) {
      this.open++;
      return;
    }
    // Full: an idle connection to some other device gives up its slot first.
    const oldest = this.idle.values().next().value as Idle | undefined;
    if (oldest) {
      clearTimeout(oldest.timer);
      this.idle.delete(oldest.key);
      oldest.conn.close();
      return; // its slot passes straight to us
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new AppError(ErrorCode.CANCELED, 'Cancelled.'));
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.open--;
  }
}
