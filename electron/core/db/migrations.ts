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
  {
    version: 2,
    name: 'fleet status: host keys, jump hosts, status snapshots, latest state per device',
    up(db) {
      db.exec(`
        -- OpenSSH ProxyJump syntax ([user@]host[:port],...): per device, else the site's.
        ALTER TABLE devices ADD COLUMN proxy_jump TEXT;
        ALTER TABLE sites ADD COLUMN proxy_jump TEXT;

        -- Pinned host keys. target is 'device:<id>' or 'jump:<host>:<port>'. offered_* holds a
        -- different key the host presented and that was refused, until accepted or forgotten.
        CREATE TABLE host_keys (
          target TEXT PRIMARY KEY,
          device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
          key_type TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('first-use', 'known_hosts', 'accepted')),
          pinned_at TEXT NOT NULL,
          offered_type TEXT,
          offered_fingerprint TEXT,
          offered_at TEXT
        ) STRICT;
        CREATE INDEX host_keys_device ON host_keys (device_id);

        -- One row per contact attempt: what bootc said (parsed and raw) or why it failed.
        CREATE TABLE status_snapshots (
          id INTEGER PRIMARY KEY,
          device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
          at TEXT NOT NULL,
          outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'not-bootc', 'error')),
          error_code TEXT,
          error_message TEXT,
          booted_image TEXT,
          booted_digest TEXT,
          booted_version TEXT,
          staged_digest TEXT,
          rollback_digest TEXT,
          -- The parsed status (shared/contract/status.ts) as JSON, and bootc's own output, deflated.
          status TEXT,
          raw BLOB,
          command TEXT,
          duration_ms INTEGER
        ) STRICT;
        CREATE INDEX status_snapshots_device ON status_snapshots (device_id, id);

        -- The latest known state of each device, one row, so the fleet view reads 100,000
        -- devices without scanning history. Written with each snapshot.
        CREATE TABLE device_status (
          device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
          reach TEXT NOT NULL CHECK (reach IN ('online', 'offline', 'error', 'not-bootc')),
          last_attempt_at TEXT NOT NULL,
          last_seen_at TEXT,
          error_code TEXT,
          error_message TEXT,
          snapshot_id INTEGER,
          booted_image TEXT,
          booted_digest TEXT,
          booted_version TEXT,
          staged_digest TEXT,
          staged_version TEXT,
          rollback_digest TEXT,
          rollback_version TEXT,
          update_digest TEXT,
          update_version TEXT,
          bootc_api TEXT,
          facts TEXT,
          facts_at TEXT
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX device_status_reach ON device_status (reach);
        CREATE INDEX device_status_seen ON device_status (last_seen_at);
        CREATE INDEX device_status_version ON device_status (booted_version);
      `);
    },
  },
  {
    version: 3,
    name: 'device actions: jobs and their per-device steps',
    up(db) {
      db.exec(`
        -- A job is recorded before any device is touched and updated at every step, so a
        -- restart shows where each device stood. pid/host name the process that runs it.
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          action TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'canceled', 'interrupted')),
          params TEXT NOT NULL,
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          created_at TEXT NOT NULL,
          finished_at TEXT,
          summary TEXT
        ) STRICT;
        CREATE INDEX jobs_created ON jobs (created_at);
        CREATE INDEX jobs_state ON jobs (state);

        CREATE TABLE job_devices (
          job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
          -- Kept when the device is removed from the inventory (an audit trail outlives it).
          device_id TEXT REFERENCES devices(id) ON DELETE SET NULL,
          device_name TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'canceled', 'interrupted')),
          phase TEXT NOT NULL,
          from_digest TEXT,
          expected_digest TEXT,
          result_digest TEXT,
          boot_id_before TEXT,
          started_at TEXT,
          updated_at TEXT NOT NULL,
          finished_at TEXT,
          outcome TEXT,
          error_code TEXT,
          error_message TEXT,
          log TEXT NOT NULL DEFAULT '',
          PRIMARY KEY (job_id, device_id)
        ) STRICT;
        CREATE INDEX job_devices_device ON job_devices (device_id, state);
      `);
    },
  },
  {
    version: 4,
    name: 'desired state: per site and tag, registry resolutions, registry logins',
    up(db) {
      db.exec(`
        -- The desired image of a site (target: site id) or a tag (target: tag name, kept while no
        -- device carries the tag). A device's own is devices.desired_image; the most specific wins.
        CREATE TABLE desired_images (
          scope TEXT NOT NULL CHECK (scope IN ('site', 'tag')),
          target TEXT NOT NULL COLLATE NOCASE,
          image TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          updated_by TEXT NOT NULL,
          PRIMARY KEY (scope, target)
        ) STRICT, WITHOUT ROWID;
        CREATE TRIGGER sites_desired_gone AFTER DELETE ON sites BEGIN
          DELETE FROM desired_images WHERE scope = 'site' AND target = OLD.id;
        END;

        -- What a reference pointed at when last asked: the last success, and the last failure if later.
        CREATE TABLE image_resolutions (
          ref TEXT PRIMARY KEY,
          digest TEXT,
          media_type TEXT,
          platforms TEXT NOT NULL DEFAULT '[]',
          -- ' <digest> <platform digest> ... ': what a booted digest may equal to match, for instr().
          match_digests TEXT,
          resolved_at TEXT,
          error_code TEXT,
          error_message TEXT,
          error_at TEXT
        ) STRICT;

        CREATE TABLE registries (
          host TEXT PRIMARY KEY COLLATE NOCASE,
          insecure INTEGER NOT NULL DEFAULT 0 CHECK (insecure IN (0, 1)),
          username TEXT,
          secret_id TEXT REFERENCES secrets(id) ON DELETE SET NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 5,
    name: 'rollouts: batches of devices over jobs',
    up(db) {
      db.exec(`
        -- A rollout is recorded with every device and its batch before any device is touched;
        -- each device points at the job that last acted on it. pid/host name the driving process.
        CREATE TABLE rollouts (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          action TEXT NOT NULL,
          params TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'halted', 'done', 'canceled', 'interrupted')),
          reason TEXT,
          -- A pause or cancel asked for by any process; the driving process acts on it.
          request TEXT CHECK (request IN ('pause', 'cancel')),
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          finished_at TEXT
        ) STRICT;
        CREATE INDEX rollouts_created ON rollouts (created_at);

        CREATE TABLE rollout_devices (
          rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
          -- Kept when the device is removed from the inventory (an audit trail outlives it).
          device_id TEXT REFERENCES devices(id) ON DELETE SET NULL,
          device_name TEXT NOT NULL,
          batch INTEGER NOT NULL,
          position INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped', 'interrupted')),
          job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
          PRIMARY KEY (rollout_id, device_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX rollout_devices_batch ON rollout_devices (rollout_id, batch, position);
        -- bootfleet log --device: one device's entries, newest first.
        CREATE INDEX activity_entity_id ON activity (entity_id, id);

        ALTER TABLE jobs ADD COLUMN rollout_id TEXT REFERENCES rollouts(id) ON DELETE SET NULL;
      `);
    },
  },
  {
    version: 6,
    name: 'flashes: which drive got which image',
    up(db) {
      db.exec(`
        CREATE TABLE flashes (
          id TEXT PRIMARY KEY,
          image TEXT NOT NULL,
          image_sha256 TEXT NOT NULL,
          checksum TEXT NOT NULL CHECK (checksum IN ('matched', 'unchecked')),
          content_sha256 TEXT,
          bytes INTEGER,
          verify INTEGER NOT NULL CHECK (verify IN (0, 1)),
          state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'canceled', 'interrupted')),
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          targets TEXT NOT NULL
        ) STRICT;
        CREATE INDEX flashes_started ON flashes (started_at);
      `);
    },
  },
  {
    version: 7,
    name: 'provision_runs: boxes installed over SSH, step by step',
    up(db) {
      db.exec(`
        CREATE TABLE provision_runs (
          id TEXT PRIMARY KEY,
          batch_id TEXT NOT NULL,
          host TEXT NOT NULL,
          port INTEGER NOT NULL,
          user TEXT NOT NULL,
          name TEXT NOT NULL,
          site TEXT,
          image TEXT NOT NULL,
          archive TEXT,
          params TEXT NOT NULL,
          digest TEXT,
          disk TEXT,
          method TEXT CHECK (method IN ('podman', 'bootc')),
          command TEXT,
          state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'canceled', 'interrupted')),
          phase TEXT NOT NULL,
          stopped_phase TEXT,
          detail TEXT,
          transfer TEXT,
          host_key_type TEXT,
          host_key_fingerprint TEXT,
          host_key_confirmed_by TEXT,
          boot_id_before TEXT,
          device_id TEXT REFERENCES devices (id) ON DELETE SET NULL,
          booted_digest TEXT,
          outcome TEXT,
          error_code TEXT,
          error_message TEXT,
          error_next TEXT,
          log TEXT NOT NULL DEFAULT '',
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          pid INTEGER NOT NULL,
          pid_host TEXT NOT NULL,
          created_at TEXT NOT NULL,
          started_at TEXT,
          updated_at TEXT NOT NULL,
          finished_at TEXT
        ) STRICT;
        CREATE INDEX provision_runs_batch ON provision_runs (batch_id);
        CREATE INDEX provision_runs_created ON provision_runs (created_at);
      `);
    },
  },
  {
    version: 8,
    name: 'image library: images, their manifests and the blobs they use',
    up(db) {
      db.exec(`
        CREATE TABLE library_images (
          id TEXT PRIMARY KEY,
          name TEXT,
          tag TEXT,
          digest TEXT NOT NULL UNIQUE,
          media_type TEXT NOT NULL,
          version TEXT,
          created TEXT,
          architectures TEXT NOT NULL,
          size INTEGER NOT NULL,
          source TEXT NOT NULL,
          added_at TEXT NOT NULL,
          added_by TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX library_images_ref ON library_images (name, tag) WHERE tag IS NOT NULL;
        CREATE TABLE library_manifests (
          image_id TEXT NOT NULL REFERENCES library_images (id) ON DELETE CASCADE,
          digest TEXT NOT NULL,
          os TEXT,
          architecture TEXT,
          variant TEXT,
          config_digest TEXT NOT NULL,
          size INTEGER NOT NULL,
          layers TEXT NOT NULL,
          PRIMARY KEY (image_id, digest)
        ) STRICT;
        CREATE INDEX library_manifests_digest ON library_manifests (digest);
        CREATE TABLE library_blobs (
          image_id TEXT NOT NULL REFERENCES library_images (id) ON DELETE CASCADE,
          digest TEXT NOT NULL,
          size INTEGER NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('index', 'manifest', 'config', 'layer')),
          PRIMARY KEY (image_id, digest)
        ) STRICT;
        CREATE INDEX library_blobs_digest ON library_blobs (digest);
      `);
    },
  },
  {
    version: 9,
    name: 'job_devices.transfer: progress of an image sent from the library',
    up(db) {
      db.exec(`ALTER TABLE job_devices ADD COLUMN transfer TEXT;`);
    },
  },
  {
    version: 10,
    name: 'device_image_sources: the registry image a path on a device stands for',
    up(db) {
      // bootc shows an image Bootfleet sent from the library by its path on the device
      // (`oci:/var/lib/bootfleet/images:v2`); this keeps which registry image that was, per
      // device and per digest (a path that later names a newer image keeps the older mapping
      // for the rollback deployment).
      db.exec(`
        CREATE TABLE device_image_sources (
          device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
          ref TEXT NOT NULL,
          manifest_digest TEXT NOT NULL,
          image TEXT NOT NULL,
          image_digest TEXT NOT NULL,
          recorded_at TEXT NOT NULL,
          PRIMARY KEY (device_id, ref, manifest_digest)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 11,
    name: 'usr_overlay on status snapshots and device_status, for the audit',
    up(db) {
      // The access mode of an active /usr overlay (bootc usr-overlay), null when none: kept as a
      // column so an audit of 100,000 devices need not parse every stored status.
      db.exec(`
        ALTER TABLE status_snapshots ADD COLUMN usr_overlay TEXT;
        ALTER TABLE device_status ADD COLUMN usr_overlay TEXT;
        UPDATE status_snapshots SET usr_overlay = json_extract(status, '$.usrOverlay.accessMode') WHERE status IS NOT NULL;
        UPDATE device_status SET usr_overlay = (SELECT sn.usr_overlay FROM status_snapshots sn WHERE sn.id = device_status.snapshot_id);
      `);
    },
  },
  {
    version: 12,
    name: 'signing keys: this installation\'s Ed25519 identity and the keys it trusts',
    up(db) {
      db.exec(`
        -- One row: the identity that signs reports and bundles. The private key is a secret (encrypted).
        CREATE TABLE identity_key (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          public_key TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          secret_id TEXT NOT NULL REFERENCES secrets(id),
          created_at TEXT NOT NULL
        ) STRICT;
        -- Keys of other installations whose signatures are accepted (trust is explicit and logged).
        CREATE TABLE trusted_keys (
          fingerprint TEXT PRIMARY KEY,
          public_key TEXT NOT NULL,
          name TEXT NOT NULL,
          trusted_at TEXT NOT NULL,
          trusted_by TEXT NOT NULL,
          revoked_at TEXT,
          revoked_by TEXT
        ) STRICT;
      `);
    },
  },
  {
    version: 13,
    name: 'sites.stale_after_days: how old a device\'s data may be before the audit cannot vouch for it',
    up(db) {
      db.exec(`ALTER TABLE sites ADD COLUMN stale_after_days INTEGER;`);
    },
  },
  {
    version: 14,
    name: 'site bundles: where merged activity and device data came from',
    up(db) {
      db.exec(`
        -- Activity merged from another installation: its key's fingerprint and its own id there,
        -- so the same entry is never added twice (the log stays append-only).
        ALTER TABLE activity ADD COLUMN origin TEXT;
        ALTER TABLE activity ADD COLUMN origin_id INTEGER;
        CREATE UNIQUE INDEX activity_origin ON activity (origin, origin_id) WHERE origin IS NOT NULL;
        -- The signed bundle a device's data last came from.
        CREATE TABLE device_provenance (
          device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
          key_fingerprint TEXT NOT NULL,
          key_name TEXT NOT NULL,
          bundle_made_at TEXT NOT NULL,
          imported_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    version: 15,
    name: 'device_applied: the last image another installation rebooted a device into (from a site bundle)',
    up(db) {
      // What job_devices says at the site (the audit's "fell back" needs it), for devices whose
      // data came from a bundle: the digest applied, the one booted before, when, and the job.
      db.exec(`
        CREATE TABLE device_applied (
          device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
          digest TEXT NOT NULL,
          from_digest TEXT,
          at TEXT NOT NULL,
          job_id TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    version: 16,
    name: '/etc changes and image signatures for the audit; "require signed images" on desired entries',
    up(db) {
      db.exec(`
        -- What \`ostree admin config-diff\` said at a contact ({"modified":[],"added":[],"removed":[],
        -- "truncated":0}, paths under /etc), stored once per distinct diff (a fleet's devices mostly
        -- change the same files), or NULL where it could not be read; and the booted image's
        -- signature policy as bootc reports it (containerPolicy, ostreeRemote:NAME, insecure; NULL = none).
        CREATE TABLE etc_diffs (
          id INTEGER PRIMARY KEY,
          diff TEXT NOT NULL UNIQUE
        ) STRICT;
        ALTER TABLE status_snapshots ADD COLUMN etc_diff_id INTEGER REFERENCES etc_diffs(id);
        ALTER TABLE status_snapshots ADD COLUMN booted_signature TEXT;
        ALTER TABLE device_status ADD COLUMN etc_diff_id INTEGER REFERENCES etc_diffs(id);
        ALTER TABLE device_status ADD COLUMN booted_signature TEXT;
        -- When config-diff was last asked (a refresh asks again only after a while, or when told to).
        ALTER TABLE device_status ADD COLUMN etc_read_at TEXT;
        UPDATE status_snapshots SET booted_signature = json_extract(status, '$.booted.image.ref.signature') WHERE status IS NOT NULL;
        UPDATE device_status SET booted_signature = (SELECT sn.booted_signature FROM status_snapshots sn WHERE sn.id = device_status.snapshot_id);
        -- The desired state can ask that devices boot their image with a signature policy enforced.
        ALTER TABLE desired_images ADD COLUMN require_signed INTEGER NOT NULL DEFAULT 0 CHECK (require_signed IN (0, 1));
        ALTER TABLE devices ADD COLUMN desired_require_signed INTEGER NOT NULL DEFAULT 0 CHECK (desired_require_signed IN (0, 1));
      `);
    },
  },
  {
    version: 17,
    name: 'terminal session recordings (asciicast v2), on per site',
    up(db) {
      db.exec(`
        ALTER TABLE sites ADD COLUMN record_terminals INTEGER NOT NULL DEFAULT 0 CHECK (record_terminals IN (0, 1));
        -- One row per recorded session; the output itself is a .cast file in the data directory's
        -- recordings/ folder (never keystrokes: a password typed with echo off is not in it).
        CREATE TABLE terminal_recordings (
          id TEXT PRIMARY KEY,
          -- Kept when the device is removed from the inventory (an audit trail outlives it).
          device_id TEXT REFERENCES devices(id) ON DELETE SET NULL,
          device_name TEXT NOT NULL,
          site_name TEXT,
          actor TEXT NOT NULL,
          via TEXT NOT NULL,
          command TEXT,
          cols INTEGER NOT NULL,
          rows INTEGER NOT NULL,
          started_at TEXT NOT NULL,
          ended_at TEXT,
          bytes INTEGER NOT NULL DEFAULT 0,
          exit_code INTEGER,
          reason TEXT,
          file TEXT NOT NULL
        ) STRICT;
        CREATE INDEX terminal_recordings_device ON terminal_recordings (device_id, started_at);
      `);
    },
  },
  {
    version: 18,
    name: 'how long a site keeps its terminal recordings',
    up(db) {
      db.exec(`
        -- Days a site keeps its recorded terminal sessions (NULL: for ever, as before).
        ALTER TABLE sites ADD COLUMN keep_recordings_days INTEGER CHECK (keep_recordings_days IS NULL OR keep_recordings_days BETWEEN 1 AND 36500);
        CREATE INDEX terminal_recordings_ended ON terminal_recordings (ended_at);
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;
