import { Worker } from 'node:worker_threads';

/**
 * Reads the audit's device rows as JSON text, in chunks, on a worker thread with its own
 * read-only connection (SQLite in WAL mode lets it read while the app writes): building the JSON
 * of 100,000 rows costs about a third of a second, and with the worker the main thread parses and
 * classifies one chunk while the next is built (the second core of a small machine).
 */

/** The worker's code (inline, so it needs no file of its own in a bundle). */
const ROWS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('cache_size = -65536');
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  try {
    const stmt = db.prepare(m.sql);
    // One read transaction: every chunk sees the same moment of the inventory.
    db.exec('BEGIN');
    try {
      for (const [lo, hi] of m.ranges) parentPort.postMessage({ id: m.id, text: stmt.pluck().get({ ...m.params, lo, hi }) });
    } finally {
      db.exec('COMMIT');
    }
    parentPort.postMessage({ id: m.id, done: true });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});`;

interface Pending {
  onChunk: (text: string) => void;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class AuditRowsReader {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly databasePath: string) {}

  /**
   * Runs @sql (which must select one JSON text for the rows with `@lo <= d.rowid < @hi`) once per
   * range, handing each chunk's text to @onChunk in order as it arrives.
   */
  read(sql: string, params: Record<string, unknown>, ranges: [number, number][], onChunk: (text: string) => void): Promise<void> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { onChunk, resolve, reject });
      worker.ref();
      worker.postMessage({ id, sql, params, ranges });
    });
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // The worker loads the same better-sqlite3 as this process, by its resolved path (a bundle or a package install).
    const worker = new Worker(ROWS_WORKER, { eval: true, workerData: { sqlite: require.resolve('better-sqlite3'), path: this.databasePath } });
    worker.unref();
    worker.on('message', (m: { id: number; text?: string; done?: boolean; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.error !== undefined) {
        this.pending.delete(m.id);
        p.reject(new Error(m.error));
      } else if (m.done) {
        this.pending.delete(m.id);
        if (!this.pending.size) worker.unref();
        p.resolve();
      } else p.onChunk(m.text ?? '[]');
    });
    worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = null;
    });
    this.worker = worker;
    return worker;
  }
}
