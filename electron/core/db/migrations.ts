import type { Database } from 'better-sqlite3';

/**
 * Versioned schema migrations. Append only: never edit a migration that has shipped; add
 * the next one. Each runs in its own transaction; `user_version` records the last applied.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'inventory: sites, devices, tags, secrets, activity',
    up(db) {
      db.exec(`
        CREATE TABLE sites (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL COLLATE NOCASE UNIQUE,
          notes TEXT NOT NULL DEFAULT '',
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;

        -- Encrypted passwords and key passphrases. scheme names the cipher ('keyfile', 'safeStorage').
        CREATE TABLE secrets (
          id TEXT PRIMARY KEY,
          scheme TEXT NOT NULL,
          ciphertext BLOB NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE devices (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL COLLATE NOCASE,
          site_id TEXT REFERENCES sites(id) ON DELETE RESTRICT,
          host TEXT NOT NULL,
          port INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
          ssh_user TEXT,
          auth TEXT NOT NULL CHECK (auth IN ('agent', 'key', 'password')),
          key_path TEXT,
          secret_id TEXT REFERENCES secrets(id) ON DELETE SET NULL,
          sudo INTEGER NOT NULL DEFAULT 0 CHECK (sudo IN (0, 1)),
          notes TEXT NOT NULL DEFAULT '',
          desired_image TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        -- Names are unique within a site (devices without a site share one namespace).
        CREATE UNIQUE INDEX devices_site_name ON devices (ifnull(site_id, ''), name);
        CREATE INDEX devices_name ON devices (name);
        CREATE INDEX devices_site ON devices (site_id, name);
        CREATE INDEX devices_host ON devices (host, name);
        CREATE INDEX devices_updated ON devices (updated_at);
        CREATE INDEX devices_created ON devices (created_at);

        CREATE TABLE tags (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL COLLATE NOCASE UNIQUE
        ) STRICT;
        CREATE TABLE device_tags (
          device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
          tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
          PRIMARY KEY (device_id, tag_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX device_tags_tag ON device_tags (tag_id, device_id);

        -- Append-only: who did what, when, through which host.
        CREATE TABLE activity (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          action TEXT NOT NULL,
          entity_type TEXT NOT NULL,
          entity_id TEXT,
          entity_name TEXT,
          summary TEXT NOT NULL,
          details TEXT
        ) STRICT;
        CREATE INDEX activity_entity ON activity (entity_type, id);
        CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
          BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
        CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
          BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;
