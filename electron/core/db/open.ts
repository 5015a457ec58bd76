import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError, ErrorCode } from '../../../shared/errors';
import { LATEST_SCHEMA_VERSION, migrations, type Migration } from './migrations';
import { translateSqliteError } from './sqlite-errors';

export type Db = Database.Database;

/** 'BFlt': marks a SQLite file as a Bootfleet inventory. */
export const APPLICATION_ID = 0x42466c74;

export interface OpenOptions {
  /** Wait this long for another writer before failing with DB_LOCKED. */
  busyTimeoutMs?: number;
  /** Migrations to apply (tests pass their own list). */
  migrations?: Migration[];
}

export interface OpenedDb {
  db: Db;
  schemaVersion: number;
  /** Path of the copy taken before migrating an existing database, if one was taken. */
  backupPath: string | null;
}

/**
 * Opens (creating if needed) the inventory database: WAL, foreign keys, a busy timeout,
 * then runs pending migrations, each in its own transaction, after copying the file aside.
 * Refuses a file that is not SQLite, that belongs to another application, or whose schema is
 * newer than this build knows.
 */
export function openDatabase(path: string, options: OpenOptions = {}): OpenedDb {
  const list = options.migrations ?? migrations;
  const latest = list.length ? list[list.length - 1]!.version : 0;
  let db: Db | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const isNew = !existsSync(path);
    db = new Database(path, { fileMustExist: false });
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // Reading the header proves the file is a database before anything writes to it.
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== 0 && appId !== APPLICATION_ID) {
      throw new AppError(ErrorCode.DB_CORRUPT, `${path} is a SQLite database of another application, not a Bootfleet inventory; choose another data directory.`);
    }
    if (appId === 0 && version === 0 && !isNew) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) {
        throw new AppError(ErrorCode.DB_CORRUPT, `${path} is a SQLite database but not a Bootfleet inventory; choose another data directory.`);
      }
    }
    if (version > latest) {
      throw new AppError(
        ErrorCode.DB_SCHEMA_TOO_NEW,
        `The inventory at ${path} was written by a newer Bootfleet (schema ${version}; this version knows up to ${latest}). Update Bootfleet to open it.`,
        { found: version, known: latest },
      );
    }
    const walResult = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (walResult !== 'wal') {
      throw new AppError(ErrorCode.DB_UNREADABLE, `Cannot switch ${path} to WAL mode (got ${walResult}).`);
    }
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // 64 MiB of page cache: large imports and sorts stay in memory instead of spilling.
    db.pragma('cache_size = -65536');

    let backupPath: string | null = null;
    const pending = list.filter((m) => m.version > version);
    if (pending.length && version > 0) {
      // Never lose data: keep a consistent copy of the old schema beside the database.
      backupPath = `${path}.before-v${pending[pending.length - 1]!.version}.bak`;
      db.exec(`VACUUM INTO '${backupPath.replace(/'/g, "''")}'`);
    }
    for (const m of pending) {
      db.transaction(() => {
        m.up(db!);
        db!.pragma(`user_version = ${m.version}`);
        db!.pragma(`application_id = ${APPLICATION_ID}`);
      }).immediate();
    }
    if (appId === 0 && !pending.length) db.pragma(`application_id = ${APPLICATION_ID}`);
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length) {
      throw new AppError(ErrorCode.DB_CORRUPT, `The inventory at ${path} has ${violations.length} broken references; restore a backup.`);
    }
    return { db, schemaVersion: db.pragma('user_version', { simple: true }) as number, backupPath };
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing */
    }
    throw translateSqliteError(err, path);
  }
}

export { LATEST_SCHEMA_VERSION };
