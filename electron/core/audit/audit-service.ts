import { DRIFT_STATES, STALE_STATES, auditStateSchema, durationMs, shortDigest, unexpectedEtcChanges, type AuditDevice, type EtcDiff, type AuditReport, type AuditState, type MethodArgs } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { pinnedDigest } from '../registry/reference';
import type { InventoryService } from '../inventory/inventory-service';
import { VERSION } from '../version';

/**
 * A device's state "as of" a past time: the newest good snapshot up to @at, with the columns of
 * device_status that the audit reads (which serves "now").
 */
const AS_OF_SOURCE = `SELECT sn.device_id, sn.booted_image, sn.booted_digest, sn.booted_version, sn.staged_digest,
    json_extract(sn.status, '$.staged.image.version') AS staged_version, sn.rollback_digest,
    json_extract(sn.status, '$.rollback.image.version') AS rollback_version, sn.at AS last_seen_at, sn.id AS snapshot_id,
    'online' AS reach, NULL AS error_message, sn.at AS last_attempt_at, sn.usr_overlay, sn.etc_diff, sn.booted_signature
  FROM status_snapshots sn JOIN (SELECT device_id, max(id) AS id FROM status_snapshots WHERE outcome = 'ok' AND at <= @at GROUP BY device_id) m ON m.id = sn.id`;

interface Row {
  id: string;
  name: string;
  site_id: string | null;
  desired_image: string | null;
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
  etc_diff: string | null;
  booted_signature: string | null;
  desired_require_signed: number;
  src_key: string | null;
  src_name: string | null;
  src_made: string | null;
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
    const report = this.once(actor, input);
    if (!input.timeline) return report;
    const end = Date.parse(report.auditedAt);
    const timeline: NonNullable<AuditReport['timeline']> = [];
    for (let i = input.timeline - 1; i >= 1; i--) {
      const at = new Date(end - i * 7 * 86_400_000).toISOString();
      const r = this.once(actor, { ...input, timeline: undefined, asOf: at });
      timeline.push({ at, total: r.total, counts: r.counts });
    }
    timeline.push({ at: report.auditedAt, total: report.total, counts: report.counts });
    return { ...report, timeline };
  }

  private once(actor: Actor, input: MethodArgs<'audit.run'>): AuditReport {
    const generatedAt = this.d.clock.now();
    // A plain date means the end of that day (UTC), but never later than now: "as of today" is now.
    const asked = input.asOf ? Date.parse(input.asOf.length === 10 ? `${input.asOf}T23:59:59.999Z` : input.asOf) : NaN;
    if (asked > Date.parse(generatedAt) + 60_000 && input.asOf!.length !== 10) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `"As of" ${input.asOf!} is in the future: give a past moment, or none for now.`);
    }
    const at = input.asOf ? new Date(Math.min(asked, Date.parse(generatedAt))).toISOString() : generatedAt;
    const atMs = Date.parse(at);
    const defaultStale = input.staleAfter ?? '7d';
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
        `SELECT d.id, d.name, d.site_id, d.desired_image, d.desired_require_signed,
           ds.booted_image, ds.booted_digest, ds.booted_version, ds.staged_digest, ds.staged_version, ds.rollback_digest, ds.rollback_version,
           ds.last_seen_at, ds.snapshot_id, ds.reach, ds.error_message, ds.last_attempt_at, ds.usr_overlay, ds.etc_diff, ds.booted_signature,
           p.key_fingerprint AS src_key, p.key_name AS src_name, p.bundle_made_at AS src_made
         FROM devices d LEFT JOIN device_provenance p ON p.device_id = d.id LEFT JOIN ${input.asOf ? `(${AS_OF_SOURCE})` : 'device_status'} ds ON ds.device_id = d.id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      )
      .all(params) as Row[];
    // The desired state in memory (a few rows), and every device's tags in one pass: the effective
    // desired image is worked out here as the devices query does it in SQL (device, tags, site).
    const siteRows = this.d.db.prepare('SELECT id, name, stale_after_days FROM sites').all() as { id: string; name: string; stale_after_days: number | null }[];
    const siteNames = new Map(siteRows.map((x) => [x.id, x.name]));
    // Each site's own stale threshold, unless one was given for every device.
    const siteStale = new Map(input.staleAfter ? [] : siteRows.filter((x) => x.stale_after_days !== null).map((x) => [x.id, `${x.stale_after_days}d`]));
    const siteImages = new Map<string, DesiredImage>();
    const tagImages = new Map<string, DesiredImage>();
    for (const x of this.d.db.prepare('SELECT scope, target, image, require_signed FROM desired_images').all() as { scope: string; target: string; image: string; require_signed: number }[]) {
      const entry = { image: x.image, requireSigned: x.require_signed === 1 };
      if (x.scope === 'site') siteImages.set(x.target, entry);
      else tagImages.set(x.target.toLowerCase(), entry);
    }
    const tagsOf = new Map<string, string[]>();
    const tagRows = this.d.db
      .prepare(`SELECT dt.device_id AS id, t.name FROM devices d JOIN device_tags dt ON dt.device_id = d.id JOIN tags t ON t.id = dt.tag_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.name`)
      .all(params) as { id: string; name: string }[];
    for (const t of tagRows) {
      const list = tagsOf.get(t.id);
      if (list) list.push(t.name);
      else tagsOf.set(t.id, [t.name]);
    }
    rows.sort((a, b) => {
      const sa = a.site_id ? siteNames.get(a.site_id)! : null;
      const sb = b.site_id ? siteNames.get(b.site_id)! : null;
      if (sa !== sb) return sa === null ? 1 : sb === null ? -1 : sa < sb ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    const resolutions = new Map(
      (this.d.db.prepare('SELECT ref, digest, resolved_at, match_digests FROM image_resolutions').all() as { ref: string; digest: string | null; resolved_at: string | null; match_digests: string | null }[]).map((r) => [r.ref, r]),
    );
    // The last image Bootfleet rebooted each device into (a reboot was sent), up to the audited moment.
    const applied = new Map<string, { digest: string; from: string | null; at: string; jobId: string }>();
    // Also what a site bundle said of devices rebooted by another installation (device_applied).
    for (const r of this.d.db
      .prepare(
        `SELECT device_id, job_id, expected_digest, from_digest, at FROM (
           SELECT device_id, job_id, expected_digest, from_digest, coalesce(started_at, updated_at) AS at FROM job_devices
            WHERE boot_id_before IS NOT NULL AND expected_digest IS NOT NULL
           UNION ALL SELECT device_id, job_id, digest, from_digest, at FROM device_applied)
          WHERE at <= @at ORDER BY at`,
      )
      .all({ at }) as { device_id: string; job_id: string; expected_digest: string; from_digest: string | null; at: string }[]) {
      applied.set(r.device_id, { digest: r.expected_digest, from: r.from_digest, at: r.at, jobId: r.job_id });
    }

    const devices: AuditDevice[] = [];
    const used = new Map<string, AuditReport['desired'][number]>();
    for (const r of rows) {
      if (ids && !ids.has(r.id)) continue;
      const tags = tagsOf.get(r.id) ?? [];
      const eff = effectiveOf(r, r.site_id ? (siteNames.get(r.site_id) ?? null) : null, tags, siteImages, tagImages, resolutions);
      const desired =
        eff.image && eff.source
          ? { image: eff.image, source: eff.source, sourceName: eff.sourceName, digest: eff.digest, resolvedAt: eff.resolvedAt, pinned: eff.pinned, requireSigned: eff.requireSigned }
          : null;
      if (desired) {
        const key = `${desired.source}\u0000${desired.sourceName ?? ''}\u0000${desired.image}`;
        const u = used.get(key) ?? {
          scope: desired.source,
          target: desired.sourceName ?? '',
          image: desired.image,
          digest: desired.digest,
          resolvedAt: desired.resolvedAt,
          requireSigned: desired.requireSigned,
          devices: 0,
        };
        u.devices++;
        used.set(key, u);
      }
      const match = new Set<string>();
      if (eff.image) {
        if (eff.pinned && eff.digest) match.add(eff.digest);
        for (const m of (resolutions.get(eff.image)?.match_digests ?? '').split(' ')) if (m) match.add(m);
      }
      const last = applied.get(r.id) ?? null;
      const stale = (r.site_id && siteStale.get(r.site_id)) || defaultStale;
      const etc = etcOf(r.etc_diff);
      const c = classify(r, eff, match, last, atMs, durationMs(stale), stale, etc);
      devices.push({
        id: r.id,
        name: r.name,
        site: r.site_id ? (siteNames.get(r.site_id) ?? null) : null,
        tags,
        state: c.state,
        reason: c.reason,
        notes: r.src_key ? [...c.notes, `Data from a bundle signed by ${r.src_name} (${r.src_key}), made ${r.src_made}.`] : c.notes,
        desired,
        bootedImage: r.booted_image,
        booted: r.booted_digest ? { digest: r.booted_digest, version: r.booted_version } : null,
        staged: r.staged_digest ? { digest: r.staged_digest, version: r.staged_version } : null,
        rollback: r.rollback_digest ? { digest: r.rollback_digest, version: r.rollback_version } : null,
        usrOverlay: r.usr_overlay,
        signature: r.booted_signature,
        etc,
        lastSeenAt: r.last_seen_at,
        snapshotId: r.snapshot_id,
        dataAgeSeconds: r.last_seen_at ? Math.max(0, Math.round((atMs - Date.parse(r.last_seen_at)) / 1000)) : null,
        source: r.src_key ? { keyFingerprint: r.src_key, keyName: r.src_name!, bundleMadeAt: r.src_made! } : null,
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
      staleAfter: input.staleAfter ?? null,
      siteStaleAfter: Object.fromEntries([...siteStale].map(([id, d]) => [siteNames.get(id)!, d])),
      desired: [...used.values()],
      total: devices.length,
      counts,
      sites: [...bySite].map(([site, s]) => ({ site, ...s })),
      devices,
      timeline: null,
      passed: { drift: !devices.some((x) => DRIFT_STATES.includes(x.state)), stale: !devices.some((x) => STALE_STATES.includes(x.state)) },
    };
  }
}

interface DesiredImage {
  image: string;
  requireSigned: boolean;
}

/** The stored config-diff, with what every machine changes counted but not listed. */
function etcOf(text: string | null): AuditDevice['etc'] {
  if (!text) return null;
  const diff = JSON.parse(text) as EtcDiff;
  const changed = unexpectedEtcChanges(diff);
  return { changed, expected: diff.modified.length + diff.added.length + diff.removed.length - changed.length, truncated: diff.truncated };
}

/** A signature policy is enforced when bootc reports one that verifies: containers' policy or an ostree remote. */
const enforced = (signature: string | null): boolean => signature === 'containerPolicy' || (signature ?? '').startsWith('ostreeRemote:');

interface Effective {
  state: 'none' | 'conflict' | 'set';
  image: string | null;
  source: 'device' | 'tag' | 'site' | null;
  sourceName: string | null;
  digest: string | null;
  pinned: boolean;
  resolvedAt: string | null;
  requireSigned: boolean;
  conflicts: { tag: string; image: string }[];
}

/** A device's effective desired image: its own, else its tags' (one image, or a conflict), else its site's. */
function effectiveOf(
  r: Row,
  siteName: string | null,
  tags: string[],
  siteImages: Map<string, DesiredImage>,
  tagImages: Map<string, DesiredImage>,
  resolutions: Map<string, { digest: string | null; resolved_at: string | null }>,
): Effective {
  const none: Effective = { state: 'none', image: null, source: null, sourceName: null, digest: null, pinned: false, resolvedAt: null, requireSigned: false, conflicts: [] };
  let image: string | null = null;
  let requireSigned = false;
  let source: Effective['source'] = null;
  let sourceName: string | null = null;
  if (r.desired_image) [image, requireSigned, source, sourceName] = [r.desired_image, r.desired_require_signed === 1, 'device', r.name];
  else {
    const asked = tags.flatMap((t) => {
      const d = tagImages.get(t.toLowerCase());
      return d ? [{ tag: t, image: d.image, requireSigned: d.requireSigned }] : [];
    });
    if (new Set(asked.map((a) => a.image)).size > 1) return { ...none, state: 'conflict', conflicts: asked.map((a) => ({ tag: a.tag, image: a.image })) };
    if (asked.length) [image, requireSigned, source, sourceName] = [asked[0]!.image, asked.some((a) => a.requireSigned), 'tag', asked.map((a) => a.tag).join(', ')];
    else if (r.site_id && siteImages.has(r.site_id)) {
      const d = siteImages.get(r.site_id)!;
      [image, requireSigned, source, sourceName] = [d.image, d.requireSigned, 'site', siteName];
    }
  }
  if (!image) return none;
  const pin = pinnedDigest(image);
  const res = resolutions.get(image);
  return { state: 'set', image, source, sourceName, digest: pin ?? res?.digest ?? null, pinned: pin !== null, resolvedAt: res?.resolved_at ?? null, requireSigned, conflicts: [] };
}

function classify(
  r: Row,
  eff: Effective,
  match: Set<string>,
  last: { digest: string; from: string | null; at: string } | null,
  atMs: number,
  staleMs: number,
  staleAfter: string,
  etc: AuditDevice['etc'],
): { state: AuditState; reason: string; notes: string[] } {
  const notes: string[] = [];
  const booted = describe(r.booted_digest, r.booted_version);
  const shown = (eff.image ?? '').replace(/@sha256:[0-9a-f]{64}$/, '');
  const wanted = eff.digest ? `${shown} ${describe(eff.digest, null)}` : shown;
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
  const entry = `${eff.source} ${eff.sourceName ?? ''}`;
  if (eff.requireSigned && !enforced(r.booted_signature)) {
    return {
      state: 'unsigned',
      reason: `Boots the desired ${booted}, but with ${r.booted_signature ? `signature policy "${r.booted_signature}"` : 'no signature policy'}: the desired entry (${entry}) requires signed images (switch with --enforce-container-sigpolicy).`,
      notes,
    };
  }
  if (r.usr_overlay) return { state: 'usr-modified', reason: `Boots the desired ${booted}, but /usr is modified: a usr-overlay is active (${r.usr_overlay}).`, notes: notes.slice(1) };
  if (etc?.changed.length) {
    const shown = etc.changed.slice(0, 20).join(', ');
    const more = etc.changed.length - 20 + etc.truncated;
    return { state: 'etc-modified', reason: `Boots the desired ${booted}, but /etc differs from the image: ${shown}${more > 0 ? ` (and ${more} more)` : ''}.`, notes };
  }
  if (!etc) notes.push('/etc was not checked (ostree admin config-diff could not be read).');
  return { state: 'in-sync', reason: `Boots the desired ${booted} (${entry}, ${resolved}).`, notes };
}
