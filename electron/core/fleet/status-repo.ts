import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { BootcStatus, DeviceFacts, Deployment, EtcDiff, Reach, SnapshotSummary, StatusSummary } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import { etcDiffId } from './etc-diffs';

/** The device_status columns the devices query joins in (as `ds_*`), for `toSummary`. */
export const STATUS_COLUMNS = `ds.reach AS ds_reach, ds.last_attempt_at AS ds_last_attempt_at, ds.last_seen_at AS ds_last_seen_at,
  ds.error_code AS ds_error_code, ds.error_message AS ds_error_message, ds.booted_image AS ds_booted_image,
  ds.booted_digest AS ds_booted_digest, ds.booted_version AS ds_booted_version, ds.staged_digest AS ds_staged_digest,
  ds.staged_version AS ds_staged_version, ds.rollback_digest AS ds_rollback_digest, ds.rollback_version AS ds_rollback_version,
  ds.update_digest AS ds_update_digest, ds.update_version AS ds_update_version,
  (SELECT src.image FROM device_image_sources src WHERE src.device_id = ds.device_id AND src.ref = ds.booted_image AND src.manifest_digest = ds.booted_digest) AS ds_booted_as`;

export interface StatusColumns {
  ds_reach: Exclude<Reach, 'never'> | null;
  ds_last_attempt_at: string | null;
  ds_last_seen_at: string | null;
  ds_error_code: string | null;
  ds_error_message: string | null;
  ds_booted_image: string | null;
  ds_booted_digest: string | null;
  ds_booted_version: string | null;
  ds_staged_digest: string | null;
  ds_staged_version: string | null;
  ds_rollback_digest: string | null;
  ds_rollback_version: string | null;
  ds_update_digest: string | null;
  ds_update_version: string | null;
  ds_booted_as: string | null;
}

/**
 * SQL for "stale": the shown state is old because the last contact failed after an earlier
 * success, or the last success is older than `?` (an ISO time). Takes one parameter. Must agree
 * with `toSummary`.
 */
export const STALE_SQL = `(ds.last_seen_at IS NOT NULL AND ds.reach <> 'not-bootc' AND (ds.reach <> 'online' OR ds.last_seen_at < ?))`;

/** The fleet-table summary of a joined row; `staleBefore` is now minus the stale threshold. */
export function toSummary(r: StatusColumns, staleBefore: string): StatusSummary {
  if (!r.ds_reach) {
    return { reach: 'never', stale: false, lastAttemptAt: null, lastSeenAt: null, error: null, bootedImage: null, bootedAs: null, booted: null, staged: null, rollback: null, update: null };
  }
  const slot = (digest: string | null, version: string | null) => (digest ? { digest, version } : null);
  return {
    reach: r.ds_reach,
    // A host that answered "not bootc" has no image state to go stale.
    stale: r.ds_last_seen_at !== null && r.ds_reach !== 'not-bootc' && (r.ds_reach !== 'online' || r.ds_last_seen_at < staleBefore),
    lastAttemptAt: r.ds_last_attempt_at,
    lastSeenAt: r.ds_last_seen_at,
    error: r.ds_error_code ? { code: r.ds_error_code, message: r.ds_error_message ?? '' } : null,
    bootedImage: r.ds_booted_image,
    bootedAs: r.ds_booted_as,
    booted: slot(r.ds_booted_digest, r.ds_booted_version),
    staged: slot(r.ds_staged_digest, r.ds_staged_version),
    rollback: slot(r.ds_rollback_digest, r.ds_rollback_version),
    update: slot(r.ds_update_digest, r.ds_update_version),
  };
}

/** How a contact ended when it did not produce a status. */
export function reachOf(code: string): Exclude<Reach, 'never' | 'online'> {
  if (code === ErrorCode.SSH_UNREACHABLE || code === ErrorCode.SSH_DISCONNECTED || code === ErrorCode.SSH_TIMEOUT) return 'offline';
  if (code === ErrorCode.NOT_BOOTC_HOST) return 'not-bootc';
  return 'error';
}

/** `registry` images print bare; others as `transport:name`, as bootc's own status does. */
export function imageText(d: Deployment | null): string | null {
  const ref = d?.image?.ref;
  if (!ref) return null;
  return ref.transport === 'registry' ? ref.image : `${ref.transport}:${ref.image}`;
}

interface SnapshotRow {
  id: number;
  device_id: string;
  at: string;
  outcome: 'ok' | 'not-bootc' | 'error';
  error_code: string | null;
  error_message: string | null;
  booted_image: string | null;
  booted_digest: string | null;
  booted_version: string | null;
  staged_digest: string | null;
  rollback_digest: string | null;
  status: string | null;
  raw: Buffer | null;
  command: string | null;
  duration_ms: number | null;
}

function toSnapshot(r: SnapshotRow): SnapshotSummary {
  return {
    id: r.id,
    at: r.at,
    outcome: r.outcome,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    bootedImage: r.booted_image,
    bootedDigest: r.booted_digest,
    bootedVersion: r.booted_version,
    stagedDigest: r.staged_digest,
    rollbackDigest: r.rollback_digest,
    durationMs: r.duration_ms,
  };
}

export interface ContactOk {
  deviceId: string;
  at: string;
  status: BootcStatus;
  raw: string;
  command: string;
  durationMs: number;
  facts: DeviceFacts | null;
  /**
   * `ostree admin config-diff` at this contact: the diff, null when asked but it could not be
   * read (no ostree, sudo refused), absent when not asked (the last known one is kept).
   */
  etcDiff?: EtcDiff | null;
}

export interface ContactFailed {
  deviceId: string;
  at: string;
  code: string;
  message: string;
  /** What the device printed, where it answered with something unusable. */
  raw: string | null;
  command: string | null;
  durationMs: number;
}

/**
 * Status snapshots (one per contact, kept as history) and `device_status` (the latest per
 * device, kept in step in the same transaction). A failed contact keeps the last known
 * image fields, so an unreachable device still shows what it ran, marked stale.
 */
export class StatusRepo {
  private readonly sql: StatementCache;
  constructor(private readonly db: Db) {
    this.sql = new StatementCache(db);
  }

  /** Records many contacts in one transaction (a refresh batches them). */
  recordMany(contacts: (ContactOk | ContactFailed)[]): void {
    if (!contacts.length) return;
    this.db.transaction(() => {
      for (const c of contacts) {
        if ('status' in c) this.recordOk(c);
        else this.recordFailed(c);
      }
    })();
  }

  private recordOk(c: ContactOk): void {
    const s = c.status;
    const booted = s.booted?.image ?? null;
    const bootedImage = imageText(s.booted);
    // /etc changes not read at this contact: the snapshot carries the last known ones, so an as-of audit sees them.
    const asked = c.etcDiff !== undefined;
    const etc = asked
      ? etcDiffId(this.db, c.etcDiff ? JSON.stringify(c.etcDiff) : null)
      : ((this.sql.get('SELECT etc_diff_id FROM device_status WHERE device_id = ?').pluck().get(c.deviceId) as number | null | undefined) ?? null);
    const signature = booted?.ref.signature ?? null;
    const snapshotId = Number(
      this.sql
        .get(
          `INSERT INTO status_snapshots (device_id, at, outcome, booted_image, booted_digest, booted_version, staged_digest, rollback_digest, usr_overlay, etc_diff_id, booted_signature, status, raw, command, duration_ms)
           VALUES (?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.deviceId, c.at, bootedImage, booted?.digest ?? null, booted?.version ?? null, s.staged?.image?.digest ?? null, s.rollback?.image?.digest ?? null, s.usrOverlay?.accessMode ?? null, etc, signature, JSON.stringify(s), pack(c.raw), c.command, c.durationMs)
        .lastInsertRowid,
    );
    const update = s.updateAvailable ? s.booted?.cachedUpdate ?? null : null;
    this.sql
      .get(
        `INSERT INTO device_status (device_id, reach, last_attempt_at, last_seen_at, error_code, error_message, snapshot_id, booted_image, booted_digest, booted_version,
           staged_digest, staged_version, rollback_digest, rollback_version, update_digest, update_version, bootc_api, facts, facts_at, usr_overlay, etc_diff_id, etc_read_at, booted_signature)
         VALUES (@id, 'online', @at, @at, NULL, NULL, @snap, @bi, @bd, @bv, @sd, @sv, @rd, @rv, @ud, @uv, @api, @facts, @factsAt, @usr, @etc, @etcAt, @sig)
         ON CONFLICT (device_id) DO UPDATE SET reach = 'online', last_attempt_at = @at, last_seen_at = @at, error_code = NULL, error_message = NULL,
           snapshot_id = @snap, booted_image = @bi, booted_digest = @bd, booted_version = @bv, staged_digest = @sd, staged_version = @sv,
           rollback_digest = @rd, rollback_version = @rv, update_digest = @ud, update_version = @uv, bootc_api = @api, usr_overlay = @usr,
           etc_diff_id = @etc, etc_read_at = coalesce(@etcAt, etc_read_at), booted_signature = @sig, facts = coalesce(@facts, facts), facts_at = coalesce(@factsAt, facts_at)`,
      )
      .run({
        id: c.deviceId,
        at: c.at,
        snap: snapshotId,
        bi: bootedImage,
        bd: booted?.digest ?? null,
        bv: booted?.version ?? null,
        sd: s.staged?.image?.digest ?? null,
        sv: s.staged?.image?.version ?? null,
        rd: s.rollback?.image?.digest ?? null,
        rv: s.rollback?.image?.version ?? null,
        ud: update?.digest ?? null,
        uv: update?.version ?? null,
        api: s.apiVersion,
        usr: s.usrOverlay?.accessMode ?? null,
        etc,
        etcAt: asked ? c.at : null,
        sig: signature,
        facts: c.facts ? JSON.stringify(c.facts) : null,
        factsAt: c.facts ? c.at : null,
      });
  }

  private recordFailed(c: ContactFailed): void {
    const reach = reachOf(c.code);
    this.sql
      .get(
        `INSERT INTO status_snapshots (device_id, at, outcome, error_code, error_message, raw, command, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.deviceId, c.at, reach === 'not-bootc' ? 'not-bootc' : 'error', c.code, c.message, c.raw === null ? null : pack(c.raw), c.command, c.durationMs);
    // A host that is not (or no longer) bootc has no image state to keep; other failures keep the last known one.
    const clear = reach === 'not-bootc';
    this.sql
      .get(
        `INSERT INTO device_status (device_id, reach, last_attempt_at, last_seen_at, error_code, error_message) VALUES (@id, @reach, @at, @seen, @code, @msg)
         ON CONFLICT (device_id) DO UPDATE SET reach = @reach, last_attempt_at = @at, error_code = @code, error_message = @msg
         ${clear ? ', last_seen_at = @at, snapshot_id = NULL, booted_image = NULL, booted_digest = NULL, booted_version = NULL, staged_digest = NULL, staged_version = NULL, rollback_digest = NULL, rollback_version = NULL, update_digest = NULL, update_version = NULL, etc_diff_id = NULL, etc_read_at = NULL, booted_signature = NULL' : ''}`,
      )
      .run({ id: c.deviceId, reach, at: c.at, seen: clear ? c.at : null, code: c.code, msg: c.message });
  }

  /** The latest good status and the facts of one device. */
  latest(deviceId: string): { status: BootcStatus | null; statusAt: string | null; facts: DeviceFacts | null; factsAt: string | null } {
    const r = this.sql
      .get('SELECT s.status, s.at, ds.facts, ds.facts_at FROM device_status ds LEFT JOIN status_snapshots s ON s.id = ds.snapshot_id WHERE ds.device_id = ?')
      .get(deviceId) as { status: string | null; at: string | null; facts: string | null; facts_at: string | null } | undefined;
    return {
      status: r?.status ? (JSON.parse(r.status) as BootcStatus) : null,
      statusAt: r?.status ? r.at : null,
      facts: r?.facts ? (JSON.parse(r.facts) as DeviceFacts) : null,
      factsAt: r?.facts_at ?? null,
    };
  }

  /** The devices whose /etc was read (or tried) since @since: a refresh asks the others. */
  etcReadSince(ids: string[], since: string): Set<string> {
    const rows = this.sql
      .get('SELECT device_id FROM device_status WHERE etc_read_at >= ? AND device_id IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(since, JSON.stringify(ids)) as string[];
    return new Set(rows);
  }

  /** Whether facts were ever read for each device (first contact reads them). */
  withFacts(ids: string[]): Set<string> {
    const rows = this.sql
      .get('SELECT device_id FROM device_status WHERE facts IS NOT NULL AND device_id IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(JSON.stringify(ids)) as string[];
    return new Set(rows);
  }

  history(deviceId: string, limit: number): SnapshotSummary[] {
    return (
      this.sql
        .get(
          `SELECT id, device_id, at, outcome, error_code, error_message, booted_image, booted_digest, booted_version, staged_digest, rollback_digest, NULL AS status, NULL AS raw, command, duration_ms
           FROM status_snapshots WHERE device_id = ? ORDER BY id DESC LIMIT ?`,
        )
        .all(deviceId, limit) as SnapshotRow[]
    ).map(toSnapshot);
  }

  snapshot(id: number): (SnapshotSummary & { deviceId: string; command: string | null; status: BootcStatus | null; raw: string | null }) | undefined {
    const r = this.sql.get('SELECT * FROM status_snapshots WHERE id = ?').get(id) as SnapshotRow | undefined;
    if (!r) return undefined;
    return {
      ...toSnapshot(r),
      deviceId: r.device_id,
      command: r.command,
      status: r.status ? (JSON.parse(r.status) as BootcStatus) : null,
      raw: r.raw ? inflateRawSync(r.raw).toString('utf8') : null,
    };
  }
}

/** Raw output is kept deflated (level 1: status JSON still shrinks about 4x, at a third of level 6's cost). */
function pack(raw: string): Buffer {
  return deflateRawSync(Buffer.from(raw, 'utf8'), { level: 1 });
}
