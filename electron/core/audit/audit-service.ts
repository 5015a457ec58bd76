import { DRIFT_STATES, STALE_STATES, auditStateSchema, durationMs, shortDigest, type AuditDevice, type AuditReport, type AuditState, type DesiredState, type MethodArgs } from '../../../shared/contract';
import type { Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { toEffective } from '../desired/effective';
import { DESIRED_COLUMNS } from '../desired/sql';
import type { InventoryService } from '../inventory/inventory-service';
import { VERSION } from '../version';

/**
 * Each device's last known state, uniform for "now" (device_status) and "as of" a past time (the
 * newest good snapshot up to then). Named `ds` so the desired-state SQL reads it as it does the
 * live table. Takes @at (the audited moment; unused for now).
 */
const NOW_SOURCE = `SELECT ds.device_id, ds.booted_image, ds.booted_digest, ds.booted_version, ds.staged_digest, ds.staged_version,
    ds.rollback_digest, ds.rollback_version, ds.last_seen_at, ds.snapshot_id, ds.reach, ds.error_message, ds.last_attempt_at,
    json_extract(sn.status, '$.usrOverlay.accessMode') AS usr_overlay
  FROM device_status ds LEFT JOIN status_snapshots sn ON sn.id = ds.snapshot_id AND ds.booted_digest IS NOT NULL`;

const AS_OF_SOURCE = `SELECT sn.device_id, sn.booted_image, sn.booted_digest, sn.booted_version, sn.staged_digest,
    json_extract(sn.status, '$.staged.image.version') AS staged_version, sn.rollback_digest,
    json_extract(sn.status, '$.rollback.image.version') AS rollback_version, sn.at AS last_seen_at, sn.id AS snapshot_id,
    'online' AS reach, NULL AS error_message, sn.at AS last_attempt_at, json_extract(sn.status, '$.usrOverlay.accessMode') AS usr_overlay
  FROM status_snapshots sn JOIN (SELECT device_id, max(id) AS id FROM status_snapshots WHERE outcome = 'ok' AND at <= @at GROUP BY device_id) m ON m.id = sn.id`;

interface Row {
  id: string;
  name: string;
  site_name: string | null;
  desired_image: string | null;
  dd_effective: string | null;
  dd_state: DesiredState;
  dd_tags: string | null;
  tag_list: string | null;
  booted_image: string | null;
  booted_digest: string | null;
  booted_version: string | null;
  staged_digest: string | null;
  staged_version: string | null;
  rollback_digest: string | null;
  rollback_version: string | null;
  last_seen_at: string | null;
  snapshot_id: number | null;
  reach: string | null;
  error_message: string | null;
  last_attempt_at: string | null;
  usr_overlay: string | null;
}

const describe = (digest: string | null, version: string | null): string => (digest ? `${version ? `${version} ` : ''}(${shortDigest(digest)})` : 'nothing');

function age(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  if (h < 48) return `${Math.round(h)} h`;
  return `${Math.round(h / 24)} days`;
}

/**
 * The offline drift audit: reads the inventory (devices, desired state and its resolutions,
 * each device's last good status or the one as of a past time, the jobs that rebooted it) and
 * classifies every device in scope with the reason in words. Nothing is contacted.
 */
export class AuditService {
  constructor(private readonly d: { db: Db; clock: Clock; inventory: InventoryService }) {}

  run(actor: Actor, input: MethodArgs<'audit.run'>): AuditReport {
    const generatedAt = this.d.clock.now();
    const at = input.asOf ? new Date(Date.parse(input.asOf.length === 10 ? `${input.asOf}T23:59:59.999Z` : input.asOf)).toISOString() : generatedAt;
    const atMs = Date.parse(at);
    const staleMs = durationMs(input.staleAfter);
    const where: string[] = [];
    const params: Record<string, unknown> = { at };
    let siteName: string | null = null;
    if (input.site) {
      const site = this.d.inventory.requireSite(input.site);
      siteName = site.name;
      where.push('d.site_id = @site');
      params.site = site.id;
    }
    if (input.tag) {
      where.push('EXISTS (SELECT 1 FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = d.id AND t.name = @tag COLLATE NOCASE)');
      params.tag = input.tag;
    }
    let ids: Set<string> | null = null;
    if (input.devices) ids = new Set(input.devices.map((ref) => this.d.inventory.resolveDevice(ref).id));
    const rows = this.d.db
      .prepare(
        `WITH ds AS (${input.asOf ? AS_OF_SOURCE : NOW_SOURCE})
         SELECT d.id, d.name, d.desired_image, s.name AS site_name, ${DESIRED_COLUMNS},
           (SELECT group_concat(t.name, char(31)) FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = d.id) AS tag_list,
           ds.booted_image, ds.booted_digest, ds.booted_version, ds.staged_digest, ds.staged_version, ds.rollback_digest, ds.rollback_version,
           ds.last_seen_at, ds.snapshot_id, ds.reach, ds.error_message, ds.last_attempt_at, ds.usr_overlay
         FROM devices d LEFT JOIN sites s ON s.id = d.site_id LEFT JOIN ds ON ds.device_id = d.id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY s.name IS NULL, s.name, d.name`,
      )
      .all(params) as Row[];
    const resolutions = new Map(
      (this.d.db.prepare('SELECT ref, digest, resolved_at, match_digests FROM image_resolutions').all() as { ref: string; digest: string | null; resolved_at: string | null; match_digests: string | null }[]).map((r) => [r.ref, r]),
    );
    // The last image Bootfleet rebooted each device into (a reboot was sent), up to the audited moment.
    const applied = new Map<string, { digest: string; from: string | null; at: string; jobId: string }>();
    for (const r of this.d.db
      .prepare(
        `SELECT device_id, job_id, expected_digest, from_digest, coalesce(started_at, updated_at) AS at FROM job_devices
          WHERE boot_id_before IS NOT NULL AND expected_digest IS NOT NULL AND coalesce(started_at, updated_at) <= @at ORDER BY at`,
      )
      .all({ at }) as { device_id: string; job_id: string; expected_digest: string; from_digest: string | null; at: string }[]) {
      applied.set(r.device_id, { digest: r.expected_digest, from: r.from_digest, at: r.at, jobId: r.job_id });
    }

    const devices: AuditDevice[] = [];
    const used = new Map<string, AuditReport['desired'][number]>();
    for (const r of rows) {
      if (ids && !ids.has(r.id)) continue;
      const eff = toEffective(r, (ref) => {
        const x = resolutions.get(ref);
        return x ? { digest: x.digest, resolvedAt: x.resolved_at } : undefined;
      });
      const desired =
        eff.image && eff.source ? { image: eff.image, source: eff.source, sourceName: eff.sourceName, digest: eff.digest, resolvedAt: eff.resolvedAt, pinned: eff.pinned } : null;
      if (desired) {
        const key = `${desired.source}\u0000${desired.sourceName ?? ''}\u0000${desired.image}`;
        const u = used.get(key) ?? { scope: desired.source, target: desired.sourceName ?? '', image: desired.image, digest: desired.digest, resolvedAt: desired.resolvedAt, devices: 0 };
        u.devices++;
        used.set(key, u);
      }
      const match = new Set<string>();
      if (eff.image) {
        if (eff.pinned && eff.digest) match.add(eff.digest);
        for (const m of (resolutions.get(eff.image)?.match_digests ?? '').split(' ')) if (m) match.add(m);
      }
      const last = applied.get(r.id) ?? null;
      const c = classify(r, eff, match, last, atMs, staleMs, input.staleAfter);
      devices.push({
        id: r.id,
        name: r.name,
        site: r.site_name,
        tags: r.tag_list ? r.tag_list.split('\u001f') : [],
        state: c.state,
        reason: c.reason,
        notes: c.notes,
        desired,
        bootedImage: r.booted_image,
        booted: r.booted_digest ? { digest: r.booted_digest, version: r.booted_version } : null,
        staged: r.staged_digest ? { digest: r.staged_digest, version: r.staged_version } : null,
        rollback: r.rollback_digest ? { digest: r.rollback_digest, version: r.rollback_version } : null,
        usrOverlay: r.usr_overlay,
        lastSeenAt: r.last_seen_at,
        snapshotId: r.snapshot_id,
        dataAgeSeconds: r.last_seen_at ? Math.max(0, Math.round((atMs - Date.parse(r.last_seen_at)) / 1000)) : null,
        lastApplied: last ? { digest: last.digest, at: last.at, jobId: last.jobId } : null,
      });
    }
    const zero = (): Record<AuditState, number> => Object.fromEntries(auditStateSchema.options.map((s) => [s, 0])) as Record<AuditState, number>;
    const counts = zero();
    const bySite = new Map<string | null, { total: number; counts: Record<AuditState, number> }>();
    for (const dev of devices) {
      counts[dev.state]++;
      const s = bySite.get(dev.site) ?? { total: 0, counts: zero() };
      s.total++;
      s.counts[dev.state]++;
      bySite.set(dev.site, s);
    }
    return {
      schema: 'bootfleet.audit/v1',
      generatedAt,
      generatedBy: actor.user,
      bootfleetVersion: VERSION,
      auditedAt: at,
      asOf: input.asOf ? at : null,
      scope: { site: siteName, tag: input.tag ?? null, devices: input.devices ?? null },
      staleAfter: input.staleAfter,
      desired: [...used.values()],
      total: devices.length,
      counts,
      sites: [...bySite].map(([site, s]) => ({ site, ...s })),
      devices,
      passed: { drift: !devices.some((x) => DRIFT_STATES.includes(x.state)), stale: !devices.some((x) => STALE_STATES.includes(x.state)) },
    };
  }
}

function classify(
  r: Row,
  eff: ReturnType<typeof toEffective>,
  match: Set<string>,
  last: { digest: string; from: string | null; at: string } | null,
  atMs: number,
  staleMs: number,
  staleAfter: string,
): { state: AuditState; reason: string; notes: string[] } {
  const notes: string[] = [];
  const booted = describe(r.booted_digest, r.booted_version);
  const wanted = eff.digest ? `${eff.image} ${describe(eff.digest, null)}` : (eff.image ?? '');
  const resolved = eff.pinned ? 'pinned' : eff.resolvedAt ? `resolved ${eff.resolvedAt}` : 'never resolved';
  if (r.usr_overlay) notes.push(`/usr overlay active (${r.usr_overlay}).`);
  if (!r.booted_digest) {
    const tried = r.last_attempt_at ? ` (last attempt ${r.last_attempt_at}${r.error_message ? `: ${r.error_message}` : ''})` : '';
    return { state: 'never-contacted', reason: `No bootc status was ever read from it${tried}.`, notes };
  }
  if (eff.state === 'none') return { state: 'no-desired', reason: `No desired image for it, its tags or its site; it boots ${booted}.`, notes };
  if (eff.state === 'conflict') {
    return { state: 'conflict', reason: `Its tags ask for different images: ${eff.conflicts.map((c) => `${c.tag} → ${c.image}`).join(', ')}.`, notes };
  }
  if (!match.size) return { state: 'unresolved', reason: `The desired ${eff.image} (${eff.source} ${eff.sourceName ?? ''}) was never resolved to a digest: resolve it while the registry is reachable.`, notes };
  const inSync = match.has(r.booted_digest);
  const ageMs = atMs - Date.parse(r.last_seen_at!);
  if (ageMs > staleMs) {
    return {
      state: 'stale',
      reason: `Last seen ${age(ageMs)} before the audit (more than ${staleAfter}); then it booted ${booted}, ${inSync ? 'as desired' : `not the desired ${wanted}`}.`,
      notes,
    };
  }
  const since = `desired ${wanted} (${eff.source} ${eff.sourceName ?? ''}, ${resolved})`;
  if (!inSync && last && r.booted_digest !== last.digest && last.from === r.booted_digest && Date.parse(r.last_seen_at!) >= Date.parse(last.at)) {
    return { state: 'fallen-back', reason: `Boots ${booted}, the image it had before ${describe(last.digest, null)} was applied on ${last.at}: it fell back or was rolled back; ${since}.`, notes };
  }
  if (!inSync && r.staged_digest && match.has(r.staged_digest)) return { state: 'staged', reason: `The desired image ${describe(r.staged_digest, r.staged_version)} is staged but not booted; it boots ${booted}.`, notes };
  if (!inSync) return { state: 'drifted', reason: `Boots ${booted}; ${since}.`, notes };
  if (r.usr_overlay) return { state: 'usr-modified', reason: `Boots the desired ${booted}, but /usr is modified: a usr-overlay is active (${r.usr_overlay}).`, notes: notes.slice(1) };
  return { state: 'in-sync', reason: `Boots the desired ${booted} (${eff.source} ${eff.sourceName ?? ''}, ${resolved}).`, notes };
}
