import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { newId } from '../ids';
import { etcDiffId } from '../fleet/etc-diffs';
import { qualifiedName } from '../inventory/names';
import { RECORDING_FILE } from '../terminals/terminal-service';

/**
 * A site's data in a bundle (`site-data.json`), for sites with no network between them: the site,
 * its devices (connection details, no secrets), the desired images that decide them and what those
 * resolved to, their status snapshots and their activity, since a moment if asked. Importing merges
 * it: new things are added, the same bundle twice changes nothing, the newest snapshot wins a
 * device's current state, activity is a union by origin and id, and an edit that disagrees with
 * this installation's is reported, never silently overwritten.
 */
export const SITE_DATA = 'site-data.json';

interface SiteData {
  format: 'bootfleet-site-data';
  formatVersion: 1;
  /** The fingerprint of the installation the data comes from (activity ids are its own). */
  origin: string;
  since: string | null;
  site: { name: string; notes: string; staleAfterDays: number | null };
  devices: { name: string; host: string; port: number; user: string | null; tags: string[]; notes: string; desiredImage: string | null; proxyJump: string | null; desiredRequireSigned?: boolean }[];
  /** `requireSigned` is absent in bundles made before signature policies (read as false). */
  desired: { scope: 'site' | 'tag'; target: string; image: string; updatedAt: string; updatedBy: string; requireSigned?: boolean }[];
  resolutions: { ref: string; digest: string | null; mediaType: string | null; platforms: string; matchDigests: string | null; resolvedAt: string | null }[];
  snapshots: {
    device: string;
    at: string;
    outcome: string;
    errorCode: string | null;
    errorMessage: string | null;
    bootedImage: string | null;
    bootedDigest: string | null;
    bootedVersion: string | null;
    stagedDigest: string | null;
    rollbackDigest: string | null;
    usrOverlay: string | null;
    /** Added in Bootfleet 0.1 after migration 16 (absent in older bundles): config-diff JSON and the booted image's signature policy. */
    etcDiff?: string | null;
    bootedSignature?: string | null;
    status: string | null;
    command: string | null;
    durationMs: number | null;
  }[];
  activity: { origin: string; id: number; at: string; actor: string; via: string; action: string; entityType: string; entityName: string | null; summary: string; details: string | null }[];
  /** Per device, the last image it was rebooted into and the one it booted before (what "fell back" is judged by). */
  applied?: { device: string; digest: string; from: string | null; at: string; jobId: string }[];
  /**
   * Terminal sessions recorded on the site's devices (ended ones), each with its asciicast file at
   * `file` in the bundle (listed in SHA256SUMS like every file). Absent in bundles made before.
   */
  recordings?: SiteRecording[];
}

interface SiteRecording {
  id: string;
  device: string;
  actor: string;
  via: string;
  command: string | null;
  cols: number;
  rows: number;
  startedAt: string;
  endedAt: string;
  bytes: number;
  exitCode: number | null;
  reason: string | null;
  file: string;
}

/** The site's data as the bundle carries it, and the files it names (recordings) with where they are here. */
export interface SiteExport {
  json: Buffer;
  files: { name: string; path: string }[];
}

export interface SiteImport {
  site: string;
  devicesAdded: number;
  snapshotsAdded: number;
  activityAdded: number;
  recordingsAdded: number;
  /** Disagreements with this installation's data, in words; this installation's data was kept. */
  conflicts: string[];
}

/** The site's data as the bundle carries it. */
export function exportSiteData(db: Db, dataDir: string, origin: string, siteRef: string, since: string | null): SiteExport {
  const site = db.prepare('SELECT * FROM sites WHERE id = ? OR name = ?').get(siteRef, siteRef) as { id: string; name: string; notes: string; stale_after_days: number | null } | undefined;
  if (!site) throw new AppError(ErrorCode.NOT_FOUND, `No site "${siteRef}".`);
  const devices = db.prepare('SELECT * FROM devices WHERE site_id = ? ORDER BY name').all(site.id) as { id: string; name: string; host: string; port: number; ssh_user: string | null; notes: string; desired_image: string | null; desired_require_signed: number; proxy_jump: string | null }[];
  const tagsOf = (id: string) => db.prepare('SELECT t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = ? ORDER BY t.name').pluck().all(id) as string[];
  const tags = [...new Set(devices.flatMap((d) => tagsOf(d.id)))];
  const desired = [
    ...(db.prepare("SELECT 'site' AS scope, ? AS target, image, updated_at, updated_by, require_signed FROM desired_images WHERE scope = 'site' AND target = ?").all(site.name, site.id) as { scope: 'site'; target: string; image: string; updated_at: string; updated_by: string; require_signed: number }[]),
    ...(tags.length
      ? (db.prepare(`SELECT 'tag' AS scope, target, image, updated_at, updated_by, require_signed FROM desired_images WHERE scope = 'tag' AND target IN (${tags.map(() => '?').join(',')}) COLLATE NOCASE`).all(...tags) as { scope: 'tag'; target: string; image: string; updated_at: string; updated_by: string; require_signed: number }[])
      : []),
  ];
  const refs = [...new Set([...desired.map((x) => x.image), ...devices.map((d) => d.desired_image).filter((x): x is string => !!x)])];
  const resolutions = refs.length
    ? (db.prepare(`SELECT * FROM image_resolutions WHERE ref IN (${refs.map(() => '?').join(',')})`).all(...refs) as { ref: string; digest: string | null; media_type: string | null; platforms: string; match_digests: string | null; resolved_at: string | null }[])
    : [];
  const ids = devices.map((d) => d.id);
  const names = new Map(devices.map((d) => [d.id, d.name]));
  const inList = ids.map(() => '?').join(',');
  const snapshots = ids.length
    ? (db
        .prepare(`SELECT s.*, e.diff AS etc_diff FROM status_snapshots s LEFT JOIN etc_diffs e ON e.id = s.etc_diff_id WHERE s.device_id IN (${inList}) ${since ? 'AND s.at >= ?' : ''} ORDER BY s.id`)
        .all(...ids, ...(since ? [since] : [])) as { device_id: string; at: string; outcome: string; error_code: string | null; error_message: string | null; booted_image: string | null; booted_digest: string | null; booted_version: string | null; staged_digest: string | null; rollback_digest: string | null; usr_overlay: string | null; etc_diff: string | null; booted_signature: string | null; status: string | null; command: string | null; duration_ms: number | null }[])
    : [];
  const activity = db
    .prepare(
      `SELECT * FROM activity WHERE ((entity_type = 'device' AND entity_id IN (${inList || "''"})) OR (entity_type = 'site' AND entity_id = ?)) ${since ? 'AND at >= ?' : ''} ORDER BY id`,
    )
    .all(...ids, site.id, ...(since ? [since] : [])) as { id: number; at: string; actor: string; via: string; action: string; entity_type: string; entity_name: string | null; summary: string; details: string | null; origin: string | null; origin_id: number | null }[];
  // The last reboot into an image per device, from this installation's jobs or from an earlier bundle.
  const applied = new Map<string, { device: string; digest: string; from: string | null; at: string; jobId: string }>();
  if (ids.length) {
    for (const a of db.prepare(`SELECT device_id, digest, from_digest, at, job_id FROM device_applied WHERE device_id IN (${inList})`).all(...ids) as { device_id: string; digest: string; from_digest: string | null; at: string; job_id: string }[]) {
      applied.set(a.device_id, { device: names.get(a.device_id)!, digest: a.digest, from: a.from_digest, at: a.at, jobId: a.job_id });
    }
    for (const j of db
      .prepare(
        `SELECT device_id, expected_digest, from_digest, coalesce(started_at, updated_at) AS at, job_id FROM job_devices
          WHERE device_id IN (${inList}) AND boot_id_before IS NOT NULL AND expected_digest IS NOT NULL ORDER BY at`,
      )
      .all(...ids) as { device_id: string; expected_digest: string; from_digest: string | null; at: string; job_id: string }[]) {
      const prev = applied.get(j.device_id);
      if (!prev || prev.at <= j.at) applied.set(j.device_id, { device: names.get(j.device_id)!, digest: j.expected_digest, from: j.from_digest, at: j.at, jobId: j.job_id });
    }
  }
  // Ended sessions on the site's devices (also those of devices removed since, by the site's name).
  const recordings = db
    .prepare(
      `SELECT * FROM terminal_recordings WHERE ended_at IS NOT NULL AND (device_id IN (${inList || "''"}) OR (device_id IS NULL AND site_name = ?)) ${since ? 'AND started_at >= ?' : ''} ORDER BY started_at`,
    )
    .all(...ids, site.name, ...(since ? [since] : [])) as { id: string; device_name: string; actor: string; via: string; command: string | null; cols: number; rows: number; started_at: string; ended_at: string; bytes: number; exit_code: number | null; reason: string | null; file: string }[];
  const kept = recordings.filter((r) => RECORDING_FILE.test(r.file) && existsSync(join(dataDir, r.file)));
  const data: SiteData = {
    format: 'bootfleet-site-data',
    formatVersion: 1,
    origin,
    since,
    site: { name: site.name, notes: site.notes, staleAfterDays: site.stale_after_days },
    devices: devices.map((d) => ({ name: d.name, host: d.host, port: d.port, user: d.ssh_user, tags: tagsOf(d.id), notes: d.notes, desiredImage: d.desired_image, proxyJump: d.proxy_jump, desiredRequireSigned: d.desired_require_signed === 1 })),
    desired: desired.map((x) => ({ scope: x.scope, target: x.target, image: x.image, updatedAt: x.updated_at, updatedBy: x.updated_by, requireSigned: x.require_signed === 1 })),
    resolutions: resolutions.map((r) => ({ ref: r.ref, digest: r.digest, mediaType: r.media_type, platforms: r.platforms, matchDigests: r.match_digests, resolvedAt: r.resolved_at })),
    snapshots: snapshots.map((s) => ({
      device: names.get(s.device_id)!,
      at: s.at,
      outcome: s.outcome,
      errorCode: s.error_code,
      errorMessage: s.error_message,
      bootedImage: s.booted_image,
      bootedDigest: s.booted_digest,
      bootedVersion: s.booted_version,
      stagedDigest: s.staged_digest,
      rollbackDigest: s.rollback_digest,
      usrOverlay: s.usr_overlay,
      etcDiff: s.etc_diff,
      bootedSignature: s.booted_signature,
      status: s.status,
      command: s.command,
      durationMs: s.duration_ms,
    })),
    // Entries this installation imported keep their first origin, so a union stays a union.
    applied: [...applied.values()],
    activity: activity.map((a) => ({ origin: a.origin ?? origin, id: a.origin_id ?? a.id, at: a.at, actor: a.actor, via: a.via, action: a.action, entityType: a.entity_type, entityName: a.entity_name, summary: a.summary, details: a.details })),
    recordings: kept.map((r) => ({ id: r.id, device: r.device_name, actor: r.actor, via: r.via, command: r.command, cols: r.cols, rows: r.rows, startedAt: r.started_at, endedAt: r.ended_at, bytes: r.bytes, exitCode: r.exit_code, reason: r.reason, file: r.file })),
  };
  return { json: Buffer.from(JSON.stringify(data)), files: kept.map((r) => ({ name: r.file, path: join(dataDir, r.file) })) };
}

/** Merges a bundle's site data, in one transaction (nothing is written if any of it fails). */
export function importSiteData(
  d: { db: Db; activity: ActivityRepo; clock: Clock; dataDir: string },
  actor: Actor,
  raw: Buffer,
  provenance: { keyFingerprint: string; keyName: string; bundleMadeAt: string },
  /** The bundle's recording files by name (already checked against SHA256SUMS). */
  recordingFiles: ReadonlyMap<string, Buffer> = new Map(),
): SiteImport {
  let data: SiteData;
  try {
    data = JSON.parse(raw.toString('utf8')) as SiteData;
  } catch {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${SITE_DATA} is not valid JSON.`);
  }
  if (data.format !== 'bootfleet-site-data' || data.formatVersion !== 1) throw new AppError(ErrorCode.VALIDATION_FAILED, `${SITE_DATA} is not site data this Bootfleet reads (format ${String(data.format)} ${String(data.formatVersion)}).`);
  const { db } = d;
  const now = d.clock.now();
  const conflicts: string[] = [];
  let devicesAdded = 0;
  let snapshotsAdded = 0;
  let activityAdded = 0;
  let recordingsAdded = 0;
  // Recording files are written next to the database before its transaction, and removed again if it fails.
  const written: string[] = [];
  try {
    db.transaction(() => {
      let site = db.prepare('SELECT id, name FROM sites WHERE name = ?').get(data.site.name) as { id: string; name: string } | undefined;
      if (!site) {
        site = { id: newId(), name: data.site.name };
        db.prepare('INSERT INTO sites (id, name, notes, proxy_jump, stale_after_days, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)').run(site.id, site.name, data.site.notes, data.site.staleAfterDays, now, now);
      }
      const ids = new Map<string, string>();
      for (const dev of data.devices) {
        const here = db.prepare('SELECT * FROM devices WHERE site_id = ? AND name = ?').get(site.id, dev.name) as { id: string; host: string; port: number; ssh_user: string | null; desired_image: string | null } | undefined;
        const label = qualifiedName(dev.name, site.name);
        if (here) {
          ids.set(dev.name, here.id);
          const differs = [
            here.host !== dev.host && `host is ${here.host} here, ${dev.host} in the bundle`,
            here.port !== dev.port && `port is ${here.port} here, ${dev.port} in the bundle`,
            (here.ssh_user ?? null) !== (dev.user ?? null) && `user is ${here.ssh_user ?? '(default)'} here, ${dev.user ?? '(default)'} in the bundle`,
            (here.desired_image ?? null) !== (dev.desiredImage ?? null) && `its own desired image is ${here.desired_image ?? 'none'} here, ${dev.desiredImage ?? 'none'} in the bundle`,
          ].filter((x): x is string => !!x);
          if (differs.length) conflicts.push(`${label}: ${differs.join('; ')}; this installation's kept.`);
          continue;
        }
        const id = newId();
        ids.set(dev.name, id);
        db.prepare(
          `INSERT INTO devices (id, name, site_id, host, port, ssh_user, auth, key_path, secret_id, sudo, notes, desired_image, desired_require_signed, proxy_jump, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'agent', NULL, NULL, 0, ?, ?, ?, ?, ?, ?)`,
        ).run(id, dev.name, site.id, dev.host, dev.port, dev.user, dev.notes, dev.desiredImage, dev.desiredRequireSigned ? 1 : 0, dev.proxyJump, now, now);
        for (const t of dev.tags) {
          db.prepare('INSERT OR IGNORE INTO tags (name) VALUES (?)').run(t);
          db.prepare('INSERT OR IGNORE INTO device_tags (device_id, tag_id) SELECT ?, id FROM tags WHERE name = ?').run(id, t);
        }
        devicesAdded++;
      }
      for (const x of data.desired) {
        const target = x.scope === 'site' ? site.id : x.target;
        const here = db.prepare('SELECT image FROM desired_images WHERE scope = ? AND target = ?').pluck().get(x.scope, target) as string | undefined;
        if (here === undefined) {
          db.prepare('INSERT INTO desired_images (scope, target, image, updated_at, updated_by, require_signed) VALUES (?, ?, ?, ?, ?, ?)').run(x.scope, target, x.image, x.updatedAt, x.updatedBy, x.requireSigned ? 1 : 0);
        }
        else if (here !== x.image) conflicts.push(`The desired image of ${x.scope} ${x.scope === 'site' ? site.name : x.target} is ${here} here, ${x.image} in the bundle; this installation's kept.`);
      }
      for (const r of data.resolutions) {
        const here = db.prepare('SELECT resolved_at FROM image_resolutions WHERE ref = ?').pluck().get(r.ref) as string | null | undefined;
        if (here === undefined || (r.resolvedAt && (!here || r.resolvedAt > here))) {
          db.prepare(
            `INSERT INTO image_resolutions (ref, digest, media_type, platforms, match_digests, resolved_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (ref) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type, platforms = excluded.platforms, match_digests = excluded.match_digests, resolved_at = excluded.resolved_at`,
          ).run(r.ref, r.digest, r.mediaType, r.platforms, r.matchDigests, r.resolvedAt);
        }
      }
      const touched = new Set<string>();
      for (const s of data.snapshots) {
        const id = ids.get(s.device);
        if (!id) continue;
        const seen = db.prepare('SELECT 1 FROM status_snapshots WHERE device_id = ? AND at = ? AND outcome = ? AND booted_digest IS ?').get(id, s.at, s.outcome, s.bootedDigest);
        if (seen) continue;
        db.prepare(
          `INSERT INTO status_snapshots (device_id, at, outcome, error_code, error_message, booted_image, booted_digest, booted_version, staged_digest, rollback_digest, usr_overlay, etc_diff_id, booted_signature, status, command, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, s.at, s.outcome, s.errorCode, s.errorMessage, s.bootedImage, s.bootedDigest, s.bootedVersion, s.stagedDigest, s.rollbackDigest, s.usrOverlay, etcDiffId(db, s.etcDiff ?? null), s.bootedSignature ?? null, s.status, s.command, s.durationMs);
        snapshotsAdded++;
        touched.add(id);
      }
      // The newest good snapshot wins a device's current state.
      for (const id of touched) {
        const newest = db.prepare("SELECT * FROM status_snapshots WHERE device_id = ? AND outcome = 'ok' ORDER BY at DESC, id DESC LIMIT 1").get(id) as
          | { id: number; at: string; booted_image: string | null; booted_digest: string | null; booted_version: string | null; staged_digest: string | null; rollback_digest: string | null; usr_overlay: string | null; etc_diff_id: number | null; booted_signature: string | null; status: string | null }
          | undefined;
        if (!newest) continue;
        const cur = db.prepare('SELECT last_seen_at FROM device_status WHERE device_id = ?').pluck().get(id) as string | null | undefined;
        if (cur && cur >= newest.at) continue;
        const st = newest.status ? (JSON.parse(newest.status) as { staged?: { image?: { version?: string } }; rollback?: { image?: { version?: string } }; apiVersion?: string }) : {};
        db.prepare(
          `INSERT INTO device_status (device_id, reach, last_attempt_at, last_seen_at, snapshot_id, booted_image, booted_digest, booted_version, staged_digest, staged_version, rollback_digest, rollback_version, bootc_api, usr_overlay, etc_diff_id, booted_signature)
           VALUES (@id, 'online', @at, @at, @snap, @bi, @bd, @bv, @sd, @sv, @rd, @rv, @api, @usr, @etc, @sig)
           ON CONFLICT (device_id) DO UPDATE SET reach = 'online', last_attempt_at = max(last_attempt_at, @at), last_seen_at = @at, error_code = NULL, error_message = NULL, snapshot_id = @snap,
             booted_image = @bi, booted_digest = @bd, booted_version = @bv, staged_digest = @sd, staged_version = @sv, rollback_digest = @rd, rollback_version = @rv, bootc_api = @api, usr_overlay = @usr, etc_diff_id = @etc, booted_signature = @sig`,
        ).run({
          id,
          at: newest.at,
          snap: newest.id,
          bi: newest.booted_image,
          bd: newest.booted_digest,
          bv: newest.booted_version,
          sd: newest.staged_digest,
          sv: st.staged?.image?.version ?? null,
          rd: newest.rollback_digest,
          rv: st.rollback?.image?.version ?? null,
          api: st.apiVersion ?? null,
          usr: newest.usr_overlay,
          etc: newest.etc_diff_id,
          sig: newest.booted_signature,
        });
      }
      for (const a of data.applied ?? []) {
        const id = ids.get(a.device);
        if (!id) continue;
        const prev = db.prepare('SELECT at FROM device_applied WHERE device_id = ?').pluck().get(id) as string | undefined;
        if (prev !== undefined && prev >= a.at) continue;
        db.prepare(
          `INSERT INTO device_applied (device_id, digest, from_digest, at, job_id) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET digest = excluded.digest, from_digest = excluded.from_digest, at = excluded.at, job_id = excluded.job_id`,
        ).run(id, a.digest, a.from, a.at, a.jobId);
      }
      for (const a of data.activity) {
        if (db.prepare('SELECT 1 FROM activity WHERE origin = ? AND origin_id = ?').get(a.origin, a.id)) continue;
        const entityId = a.entityType === 'site' ? site.id : a.entityType === 'device' && a.entityName ? (ids.get(a.entityName.replace(/^.*\//, '')) ?? null) : null;
        db.prepare('INSERT INTO activity (at, actor, via, action, entity_type, entity_id, entity_name, summary, details, origin, origin_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
          a.at,
          a.actor,
          a.via,
          a.action,
          a.entityType,
          entityId,
          a.entityName,
          a.summary,
          a.details,
          a.origin,
          a.id,
        );
        activityAdded++;
      }
      for (const r of data.recordings ?? []) {
        if (!RECORDING_FILE.test(r.file) || db.prepare('SELECT 1 FROM terminal_recordings WHERE id = ?').get(r.id)) continue;
        const body = recordingFiles.get(r.file);
        if (!body) throw new AppError(ErrorCode.VALIDATION_FAILED, `${SITE_DATA} names the recording ${r.file}, which the bundle does not carry; nothing was imported.`);
        const path = join(d.dataDir, r.file);
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileSync(path, body, { mode: 0o600 });
        written.push(path);
        db.prepare(
          `INSERT INTO terminal_recordings (id, device_id, device_name, site_name, actor, via, command, cols, rows, started_at, ended_at, bytes, exit_code, reason, file)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(r.id, ids.get(r.device) ?? null, r.device, site.name, r.actor, r.via, r.command, r.cols, r.rows, r.startedAt, r.endedAt, r.bytes, r.exitCode, r.reason, r.file);
        recordingsAdded++;
      }
      for (const id of ids.values()) {
        const prev = db.prepare('SELECT key_fingerprint, bundle_made_at FROM device_provenance WHERE device_id = ?').get(id) as { key_fingerprint: string; bundle_made_at: string } | undefined;
        if (prev && prev.key_fingerprint === provenance.keyFingerprint && prev.bundle_made_at >= provenance.bundleMadeAt) continue;
        db.prepare(
          `INSERT INTO device_provenance (device_id, key_fingerprint, key_name, bundle_made_at, imported_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET key_fingerprint = excluded.key_fingerprint, key_name = excluded.key_name, bundle_made_at = excluded.bundle_made_at, imported_at = excluded.imported_at`,
        ).run(id, provenance.keyFingerprint, provenance.keyName, provenance.bundleMadeAt, now);
      }
      if (devicesAdded || snapshotsAdded || activityAdded || recordingsAdded) {
        d.activity.append(actor, {
          action: 'bundle.siteImported',
          entityType: 'site',
          entityId: site.id,
          entityName: site.name,
          summary: `Merged site ${site.name} from a bundle signed by ${provenance.keyName}: ${devicesAdded} devices, ${snapshotsAdded} snapshots, ${activityAdded} activity entries${recordingsAdded ? `, ${recordingsAdded} terminal recordings` : ''} added${conflicts.length ? `, ${conflicts.length} conflicts kept as they were here` : ''}`,
          details: { keyFingerprint: provenance.keyFingerprint, bundleMadeAt: provenance.bundleMadeAt, devicesAdded, snapshotsAdded, activityAdded, recordingsAdded, conflicts },
        });
      }
    })();
  } catch (e) {
    for (const p of written) rmSync(p, { force: true });
    throw e;
  }
  return { site: data.site.name, devicesAdded, snapshotsAdded, activityAdded, recordingsAdded, conflicts };
}
