import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../../shared/errors';
import { cleanupTempDirs, closeTestCores, countRows, fails, ok, openTestCore, tempDir } from '../test-support';
import { APPLICATION_ID, LATEST_SCHEMA_VERSION, openDatabase } from './open';
import { migrations, type Migration } from './migrations';

const open: Database.Database[] = [];
function track<T extends { db: Database.Database }>(o: T): T {
  open.push(o.db);
  return o;
}

afterEach(() => {
  while (open.length) {
    const db = open.pop()!;
    if (db.open) db.close();
  }
  closeTestCores();
  cleanupTempDirs();
});

/** Runs `fn`, expecting an AppError, and returns it. */
function appErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

describe('openDatabase', () => {
  it('creates a new inventory in WAL mode with foreign keys, the Bootfleet application id and the latest schema', () => {
    const path = join(tempDir(), 'nested', 'dir', 'bootfleet.db');
    const { db, schemaVersion, backupPath } = track(openDatabase(path));
    expect(existsSync(path)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(backupPath).toBeNull();
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['activity', 'device_tags', 'devices', 'secrets', 'sites', 'tags']));
  });

  it('reopens an existing inventory without migrating again or losing rows', () => {
    const path = join(tempDir(), 'bootfleet.db');
    const first = openDatabase(path);
    first.db.prepare("INSERT INTO sites (id, name, created_at, updated_at) VALUES ('s1', 'lab', 'now', 'now')").run();
    first.db.close();
    const again = track(openDatabase(path));
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(again.backupPath).toBeNull();
    expect(again.db.prepare('SELECT name FROM sites').all()).toEqual([{ name: 'lab' }]);
    expect(existsSync(`${path}.before-v${LATEST_SCHEMA_VERSION}.bak`)).toBe(false);
  });

  it('runs a migration added later, keeps the existing rows and writes a .before-vN.bak copy first', () => {
    const path = join(tempDir(), 'bootfleet.db');
    const first = openDatabase(path);
    first.db.prepare("INSERT INTO sites (id, name, created_at, updated_at) VALUES ('s1', 'lab', 'now', 'now')").run();
    first.db.close();

    const next = LATEST_SCHEMA_VERSION + 1;
    const extra: Migration = {
      version: next,
      name: 'sites: region',
      up(db) {
        db.exec("ALTER TABLE sites ADD COLUMN region TEXT NOT NULL DEFAULT 'eu'");
      },
    };
    const opened = track(openDatabase(path, { migrations: [...migrations, extra] }));
    expect(opened.schemaVersion).toBe(next);
    expect(opened.db.pragma('user_version', { simple: true })).toBe(next);
    expect(opened.db.prepare('SELECT name, region FROM sites').all()).toEqual([{ name: 'lab', region: 'eu' }]);

    const bak = `${path}.before-v${next}.bak`;
    expect(opened.backupPath).toBe(bak);
    expect(existsSync(bak)).toBe(true);
    const old = new Database(bak, { readonly: true });
    try {
      expect(old.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(old.prepare('SELECT * FROM sites').all()).toEqual([expect.objectContaining({ name: 'lab' })]);
      expect((old.prepare('PRAGMA table_info(sites)').all() as { name: string }[]).map((c) => c.name)).not.toContain('region');
    } finally {
      old.close();
    }
  });

  it('leaves the database at the old version when a new migration fails', () => {
    const path = join(tempDir(), 'bootfleet.db');
    openDatabase(path).db.close();
    const broken: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'broken',
      up(db) {
        db.exec('CREATE TABLE half_done (x)');
        db.exec('THIS IS NOT SQL');
      },
    };
    expect(() => openDatabase(path, { migrations: [...migrations, broken] })).toThrow(AppError);
    const db = track(openDatabase(path));
    expect(db.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(db.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
  });

  it('refuses an inventory written by a newer Bootfleet, naming both schema versions', () => {
    const path = join(tempDir(), 'bootfleet.db');
    const { db } = openDatabase(path);
    db.pragma('user_version = 99');
    db.close();
    const err = appErrorOf(() => openDatabase(path));
    expect(err.code).toBe(ErrorCode.DB_SCHEMA_TOO_NEW);
    expect(err.message).toContain('99');
    expect(err.message).toContain(String(LATEST_SCHEMA_VERSION));
    expect(err.details).toEqual({ found: 99, known: LATEST_SCHEMA_VERSION });
  });

  it('refuses a file of random bytes as corrupt', () => {
    const path = join(tempDir(), 'bootfleet.db');
    writeFileSync(path, randomBytes(8192));
    expect(appErrorOf(() => openDatabase(path)).code).toBe(ErrorCode.DB_CORRUPT);
  });

  it('refuses the SQLite database of another application that has no application id', () => {
    const path = join(tempDir(), 'bootfleet.db');
    const other = new Database(path);
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    other.prepare('INSERT INTO notes (body) VALUES (?)').run('keep me');
    other.close();
    const err = appErrorOf(() => openDatabase(path));
    expect(err.code).toBe(ErrorCode.DB_CORRUPT);
    expect(err.message).toMatch(/not a Bootfleet inventory/);
    // It was not touched.
    const again = new Database(path, { readonly: true });
    try {
      expect(again.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'keep me' }]);
      expect(again.pragma('application_id', { simple: true })).toBe(0);
      expect(again.pragma('user_version', { simple: true })).toBe(0);
    } finally {
      again.close();
    }
  });

  it('refuses the SQLite database of another application that has its own application id', () => {
    const path = join(tempDir(), 'bootfleet.db');
    const other = new Database(path);
    other.pragma('application_id = 1234');
    other.exec('CREATE TABLE t (x)');
    other.close();
    const err = appErrorOf(() => openDatabase(path));
    expect(err.code).toBe(ErrorCode.DB_CORRUPT);
    expect(err.message).toMatch(/another application/);
  });

  it('adopts an existing empty file as a new inventory', () => {
    const path = join(tempDir(), 'bootfleet.db');
    writeFileSync(path, '');
    const { db, schemaVersion } = track(openDatabase(path));
    expect(schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
  });

  it('reports a data directory that cannot be created as unreadable, not as an internal error', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), 'x');
    const err = appErrorOf(() => openDatabase(join(dir, 'a-file', 'sub', 'bootfleet.db')));
    expect(err.code).toBe(ErrorCode.DB_UNREADABLE);
  });

  it('reports a database path that is a directory as unreadable', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bootfleet.db'));
    expect(appErrorOf(() => openDatabase(join(dir, 'bootfleet.db'))).code).toBe(ErrorCode.DB_UNREADABLE);
  });

  it.skipIf(process.getuid?.() === 0)('reports a database file it may not read as unreadable', () => {
    const path = join(tempDir(), 'bootfleet.db');
    openDatabase(path).db.close();
    chmodSync(path, 0o000);
    try {
      expect(appErrorOf(() => openDatabase(path)).code).toBe(ErrorCode.DB_UNREADABLE);
    } finally {
      chmodSync(path, 0o600);
    }
  });
});

describe('the activity table', () => {
  it('refuses UPDATE and DELETE', async () => {
    const core = openTestCore();
    await ok(core, 'sites.add', { name: 'lab' });
    expect(countRows(core, 'activity')).toBe(1);
    expect(() => core.db.prepare("UPDATE activity SET summary = 'rewritten'").run()).toThrow(/append-only/);
    expect(() => core.db.prepare('DELETE FROM activity').run()).toThrow(/append-only/);
    expect(core.db.prepare('SELECT summary FROM activity').all()).toEqual([{ summary: 'Added site lab' }]);
  });
});

describe('a locked database', () => {
  it('fails an inventory write with DB_LOCKED and writes nothing', async () => {
    const dataDir = tempDir();
    const core = openTestCore({ dataDir });
    core.db.pragma('busy_timeout = 50');
    const other = new Database(core.databasePath);
    open.push(other);
    other.pragma('busy_timeout = 50');
    other.exec('BEGIN EXCLUSIVE');
    try {
      const err = await fails(core, 'devices.add', { name: 'e1', host: '10.0.0.1', site: null, tags: ['a'] });
      expect(err.code).toBe(ErrorCode.DB_LOCKED);
      expect(err.message).toContain(core.databasePath);
      const siteErr = await fails(core, 'sites.add', { name: 'lab' });
      expect(siteErr.code).toBe(ErrorCode.DB_LOCKED);
    } finally {
      other.exec('ROLLBACK');
    }
    expect(countRows(core, 'devices')).toBe(0);
    expect(countRows(core, 'sites')).toBe(0);
    expect(countRows(core, 'tags')).toBe(0);
    expect(countRows(core, 'activity')).toBe(0);
    // Once the other writer is gone the same write succeeds.
    await ok(core, 'devices.add', { name: 'e1', host: '10.0.0.1' });
    expect(countRows(core, 'devices')).toBe(1);
  });

  it('still answers reads while another process holds the write lock', async () => {
    const core = openTestCore();
    await ok(core, 'devices.add', { name: 'e1', host: '10.0.0.1' });
    core.db.pragma('busy_timeout = 50');
    const other = new Database(core.databasePath);
    open.push(other);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const page = await ok(core, 'devices.list', {});
      expect(page.items.map((d) => d.name)).toEqual(['e1']);
    } finally {
      other.exec('ROLLBACK');
    }
  });
});
