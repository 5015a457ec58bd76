import { DRIFT_STATES, STALE_STATES, auditStateSchema, durationMs, shortDigest, unexpectedEtcChanges, type AuditDevice, type EtcDiff, type AuditReport, type AuditState, type AuditView, type MethodArgs } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { pinnedDigest } from '../registry/reference';
import type { InventoryService } from '../inventory/inventory-service';
import { VERSION } from '../version';
import type { AuditRowsReader } from './rows-reader';

/**
 * A device's state "as of" a past time: its newest good snapshot up to @at (found through the
 * (device_id, id) index, newest first), joined as `ds`; these columns stand in for device_status's.
 */
const AS_OF_JOIN = `status_snapshots ds ON ds.id = (SELECT s2.id FROM status_snapshots s2 WHERE s2.device_id = d.id AND s2.outcome = 'ok' AND s2.at <= @at ORDER BY s2.id DESC LIMIT 1)`;
const AS_OF_COLUMNS: Record<string, string> = {
  'ds.staged_version': "json_extract(ds.status, '$.staged.image.version')",
  'ds.rollback_version': "json_extract(ds.status, '$.rollback.image.version')",
  'ds.last_seen_at': 'ds.at',
  'ds.snapshot_id': 'ds.id',
  'CASE WHEN ds.booted_digest IS NULL THEN ds.error_message END': 'NULL',
  'CASE WHEN ds.booted_digest IS NULL THEN ds.last_attempt_at END': 'NULL',
};

/** From this many devices on, rows are read on a worker thread (see AuditRowsReader). */
const WORKER_FROM = 20_000;
/** How long `view` may answer from the audit it made, even with the inventory unchanged (stale thresholds move with time). */
const VIEW_REUSE_MS = 30_000;

/** The columns read per device, in this order (see toRow). */
const ROW_COLUMNS = [
  'd.id',
  'd.name',
  'd.site_id',
  'd.desired_image',
  'd.desired_require_signed',
  'ds.booted_image',
  'ds.booted_digest',
  'ds.booted_version',
  'ds.staged_digest',
  'ds.staged_version',
  'ds.rollback_digest',
  'ds.rollback_version',
  'ds.last_seen_at',
  'ds.snapshot_id',
  // Only read for devices never seen (the reason quotes the last attempt).
  'NULL',
  'CASE WHEN ds.booted_digest IS NULL THEN ds.error_message END',
  'CASE WHEN ds.booted_digest IS NULL THEN ds.last_attempt_at END',
  'ds.usr_overlay',
  'ds.etc_diff_id',
  'ds.booted_signature',
  'p.key_fingerprint',
  'p.key_name',
  'p.bundle_made_at',
  '(SELECT group_concat(dt.tag_id) FROM device_tags dt WHERE dt.device_id = d.id)',
];

const NO_TAGS: string[] = [];

function toRow(a: unknown[]): Row {
  return {
    id: a[0] as string,
    name: a[1] as string,
    site_id: a[2] as string | null,
    desired_image: a[3] as string | null,
    desired_require_signed: a[4] as number,
    booted_image: a[5] as string | null,
    booted_digest: a[6] as string | null,
    booted_version: a[7] as string | null,
    staged_digest: a[8] as string | null,
    staged_version: a[9] as string | null,
    rollback_digest: a[10] as string | null,
    rollback_version: a[11] as string | null,
    last_seen_at: a[12] as string | null,
    snapshot_id: a[13] as number | null,
    error_message: a[15] as string | null,
    last_attempt_at: a[16] as string | null,
    usr_overlay: a[17] as string | null,
    etc_diff_id: a[18] as number | null,
    booted_signature: a[19] as string | null,
    src_key: a[20] as string | null,
    src_name: a[21] as string | null,
    src_made: a[22] as string | null,
    tag_ids: a[23] as string | null,
  };
}

interface Row {
  tag_ids: string | null;
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
  error_message: string | null;
  last_attempt_at: string | null;
  usr_overlay: string | null;
  etc_diff_id: number | null;
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
  /** The last report `view` made, reused while the inventory and the question are the same (and briefly). */
  private last: { key: string; version: string; at: number; report: Promise<AuditReport> } | null = null;

  constructor(private readonly d: { db: Db; clock: Clock; inventory: InventoryService; rowsReader?: AuditRowsReader; workerFrom?: number; chunkRows?: number }) {}

  async run(actor: Actor, input: MethodArgs<'audit.run'>): Promise<AuditReport> {
    const report = await this.once(actor, input);
    if (!input.timeline) return report;
    const end = Date.parse(report.auditedAt);
    const timeline: NonNullable<AuditReport['timeline']> = [];
    for (let i = input.timeline - 1; i >= 1; i--) {
      const at = new Date(end - i * 7 * 86_400_000).toISOString();
      const r = await this.once(actor, { ...input, timeline: undefined, asOf: at });
      timeline.push({ at, total: r.total, counts: r.counts });
    }
    timeline.push({ at: report.auditedAt, total: report.total, counts: report.counts });
    return { ...report, timeline };
  }

  /**
   * The Audit page's view: the report's summary (counts per state and site, desired state, the
   * timeline when asked) with only the first `limit` devices of those listed. The page asks again
   * for another filter or more rows; while nothing in the inventory changed (SQLite's data_version
   * for other connections, total_changes() for this one) and for at most VIEW_REUSE_MS, the same
   * audit answers, so paging through 100,000 devices does not audit them again each time.
   */
  async view(actor: Actor, input: MethodArgs<'audit.view'>): Promise<AuditView> {
    const { show, state, limit, ...scope } = input;
    const key = JSON.stringify(scope);
    const version = `${this.d.db.pragma('data_version', { simple: true })}:${this.d.db.prepare('SELECT total_changes()').pluck().get()}`;
    const now = Date.now();
    if (!this.last || this.last.key !== key || this.last.version !== version || now - this.last.at > VIEW_REUSE_MS) {
      const report = this.run(actor, scope);
      this.last = { key, version, at: now, report };
      report.catch(() => {
        if (this.last?.report === report) this.last = null;
      });
    }
    const report = await this.last.report;
    const listed = state ? (dev: AuditDevice) => dev.state === state : show === 'all' ? () => true : (dev: AuditDevice) => dev.state !== 'in-sync';
    const devices: AuditDevice[] = [];
    let shown = 0;
    for (const dev of report.devices) {
      if (!listed(dev)) continue;
      if (shown++ < limit) devices.push(dev);
    }
    return { ...report, devices, shown };
  }

  private async once(actor: Actor, input: MethodArgs<'audit.run'>): Promise<AuditReport> {
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
    // One row per device, read as JSON text from SQLite: for 100,000 devices several times cheaper
    // than better-sqlite3 making a value per cell. Tags come as ids ("3,7"). Big fleets are read in
    // chunks of rowids on a worker thread, while this thread classifies the chunks already read.
    const source = input.asOf ? AS_OF_JOIN : 'device_status ds ON ds.device_id = d.id';
    // Devices merged from site bundles say where their data came from (skipped while there are none).
    const merged = this.d.db.prepare('SELECT EXISTS (SELECT 1 FROM device_provenance)').pluck().get() === 1;
    const columns = ROW_COLUMNS.map((c) => (!merged && c.startsWith('p.') ? 'NULL' : input.asOf ? (AS_OF_COLUMNS[c] ?? c) : c));
    const rowsSql = `SELECT json_group_array(json_array(${columns.join(', ')}))
           FROM devices d ${merged ? 'LEFT JOIN device_provenance p ON p.device_id = d.id' : ''} LEFT JOIN ${source}
          WHERE d.rowid >= @lo AND d.rowid < @hi ${where.length ? `AND ${where.join(' AND ')}` : ''}`;
    const span = this.d.db
      .prepare(`SELECT min(d.rowid) AS lo, max(d.rowid) AS hi, count(*) AS n FROM devices d ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`)
      .get(params) as { lo: number | null; hi: number | null; n: number };
    const chunks: string[] = [];
    let reading: Promise<void> | null = null;
    const reader = this.d.rowsReader;
    if (reader && span.n >= (this.d.workerFrom ?? WORKER_FROM) && span.lo !== null) {
      const parts = Math.min(16, Math.ceil(span.n / (this.d.chunkRows ?? 5000)));
      const step = Math.ceil((span.hi! - span.lo + 1) / parts);
      const ranges: [number, number][] = Array.from({ length: parts }, (_, i) => [span.lo! + i * step, span.lo! + (i + 1) * step]);
      reading = reader.read(rowsSql, params, ranges, (text) => chunks.push(text));
    } else {
      chunks.push(this.d.db.prepare(rowsSql).pluck().get({ ...params, lo: -Infinity, hi: Infinity }) as string);
    }
    // The desired state in memory (a few rows), and every device's tags: the effective desired
    // image is worked out here as the devices query does it in SQL (device, tags, site).
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
    // Each distinct set of tag ids becomes one array of names (sorted), shared by the devices that carry it.
    const tagNames = new Map((this.d.db.prepare('SELECT id, name FROM tags').all() as { id: number; name: string }[]).map((t) => [String(t.id), t.name]));
    const tagLists = new Map<string, string[]>();
    const tagsFor = (ids: string | null): string[] => {
      if (!ids) return NO_TAGS;
      let list = tagLists.get(ids);
      if (!list) {
        list = ids
          .split(',')
          .map((id) => tagNames.get(id)!)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        tagLists.set(ids, list);
      }
      return list;
    };
    const siteOrder = new Map([...siteRows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((x, i) => [x.id, i]));
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
    // What many devices share is made once: the effective desired entry (per own image, site and
    // tag set), the digests that match it, slot objects, the stale threshold per site.
    type EffEntry = { eff: Effective; texts: EntryTexts; desired: AuditDevice['desired']; match: Set<string>; used: AuditReport['desired'][number] | null };
    const effective = new Map<string | null, Map<string | null, EffEntry>>();
    const described = new Map<string, string>();
    const etcs = new Map<number, NonNullable<AuditDevice['etc']>>();
    const describeSlot = (digest: string | null, version: string | null): string => {
      if (!digest) return 'nothing';
      const key = version === null ? digest : `${digest} ${version}`;
      let v = described.get(key);
      if (v === undefined) described.set(key, (v = describe(digest, version)));
      return v;
    };
    const slots = new Map<string, { digest: string; version: string | null }>();
    const slot = (digest: string | null, version: string | null): { digest: string; version: string | null } | null => {
      if (!digest) return null;
      const key = version === null ? digest : `${digest} ${version}`;
      let v = slots.get(key);
      if (!v) slots.set(key, (v = { digest, version }));
      return v;
    };
    const staleOf = new Map<string | null, { text: string; ms: number }>();
    const order: number[] = [];
    const classifyRow = (r: Row): void => {
      if (ids && !ids.has(r.id)) return;
      const tags = tagsFor(r.tag_ids);
      // Devices without an image of their own share the entry of their site and tag set; the others have their own.
      let bySite: Map<string | null, EffEntry> | undefined;
      let e: EffEntry | undefined;
      if (r.desired_image === null) {
        bySite = effective.get(r.site_id);
        if (!bySite) effective.set(r.site_id, (bySite = new Map()));
        e = bySite.get(r.tag_ids);
      }
      if (!e) {
        const eff = effectiveOf(r, r.site_id ? (siteNames.get(r.site_id) ?? null) : null, tags, siteImages, tagImages, resolutions);
        const desired =
          eff.image && eff.source
            ? { image: eff.image, source: eff.source, sourceName: eff.sourceName, digest: eff.digest, resolvedAt: eff.resolvedAt, pinned: eff.pinned, requireSigned: eff.requireSigned }
            : null;
        let u: AuditReport['desired'][number] | null = null;
        if (desired) {
          const usedKey = `${desired.source}\u0000${desired.sourceName ?? ''}\u0000${desired.image}`;
          u = used.get(usedKey) ?? {
            scope: desired.source,
            target: desired.sourceName ?? '',
            image: desired.image,
            digest: desired.digest,
            resolvedAt: desired.resolvedAt,
            requireSigned: desired.requireSigned,
            devices: 0,
          };
          used.set(usedKey, u);
        }
        const match = new Set<string>();
        if (eff.image) {
          if (eff.pinned && eff.digest) match.add(eff.digest);
          for (const m of (resolutions.get(eff.image)?.match_digests ?? '').split(' ')) if (m) match.add(m);
        }
        e = { eff, texts: entryTexts(eff), desired, match, used: u };
        bySite?.set(r.tag_ids, e);
      }
      if (e.used) e.used.devices++;
      const last = applied.get(r.id) ?? null;
      let stale = staleOf.get(r.site_id);
      if (!stale) {
        const text = (r.site_id && siteStale.get(r.site_id)) || defaultStale;
        staleOf.set(r.site_id, (stale = { text, ms: durationMs(text) }));
      }
      let etc: AuditDevice['etc'] = null;
      if (r.etc_diff_id !== null) {
        // Most devices of a fleet change the same files: one parse and one check per distinct diff.
        etc = etcs.get(r.etc_diff_id) ?? null;
        if (!etc) {
          etc = etcOf(this.d.db.prepare('SELECT diff FROM etc_diffs WHERE id = ?').pluck().get(r.etc_diff_id) as string);
          etcs.set(r.etc_diff_id, etc);
        }
      }
      const seenMs = r.last_seen_at ? Date.parse(r.last_seen_at) : NaN;
      const c = classify(r, e.eff, e.texts, e.match, last, atMs, seenMs, stale.ms, stale.text, etc, describeSlot(r.booted_digest, r.booted_version));
      devices.push({
        id: r.id,
        name: r.name,
        site: r.site_id ? (siteNames.get(r.site_id) ?? null) : null,
        tags,
        state: c.state,
        reason: c.reason,
        notes: r.src_key ? [...c.notes, `Data from a bundle signed by ${r.src_name} (${r.src_key}), made ${r.src_made}.`] : c.notes,
        desired: e.desired,
        bootedImage: r.booted_image,
        booted: slot(r.booted_digest, r.booted_version),
        staged: slot(r.staged_digest, r.staged_version),
        rollback: slot(r.rollback_digest, r.rollback_version),
        usrOverlay: r.usr_overlay,
        signature: r.booted_signature,
        etc,
        lastSeenAt: r.last_seen_at,
        snapshotId: r.snapshot_id,
        dataAgeSeconds: r.last_seen_at ? Math.max(0, Math.round((atMs - seenMs) / 1000)) : null,
        source: r.src_key ? { keyFingerprint: r.src_key, keyName: r.src_name!, bundleMadeAt: r.src_made! } : null,
        lastApplied: last ? { digest: last.digest, at: last.at, jobId: last.jobId } : null,
      });
      order.push(r.site_id === null ? Infinity : siteOrder.get(r.site_id)!);
    };
    const take = (): void => {
      for (const text of chunks.splice(0)) for (const a of JSON.parse(text) as unknown[][]) classifyRow(toRow(a));
    };
    if (reading) {
      // Classify each chunk as it arrives (the worker builds the next one meanwhile).
      let done = false;
      const finished = reading.finally(() => (done = true));
      while (!done) {
        take();
        await Promise.race([finished, new Promise<void>((resolve) => setImmediate(resolve))]);
      }
      await finished;
    }
    take();
    // By site name (no site last), then device name.
    const index = devices.map((_, k) => k);
    index.sort((a, b) => order[a]! - order[b]! || (devices[a]!.name < devices[b]!.name ? -1 : devices[a]!.name > devices[b]!.name ? 1 : 0));
    const sorted = index.map((k) => devices[k]!);
    devices.length = 0;
    devices.push(...sorted);
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
function etcOf(text: string): NonNullable<AuditDevice['etc']> {
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

/** The words of a desired entry that many devices' reasons share, made once per entry. */
interface EntryTexts {
  /** "registry/os:1.1 (c97b57d7524e)": the image (without a pinned digest) and the digest it resolves to. */
  wanted: string;
  /** "site plant" */
  entry: string;
  /** "pinned", "resolved <time>" or "never resolved" */
  resolved: string;
  /** "desired <wanted> (<entry>, <resolved>)" */
  since: string;
}

function entryTexts(eff: Effective): EntryTexts {
  const shown = (eff.image ?? '').replace(/@sha256:[0-9a-f]{64}$/, '');
  const wanted = eff.digest ? `${shown} ${describe(eff.digest, null)}` : shown;
  const resolved = eff.pinned ? 'pinned' : eff.resolvedAt ? `resolved ${eff.resolvedAt}` : 'never resolved';
  const entry = `${eff.source} ${eff.sourceName ?? ''}`;
  return { wanted, entry, resolved, since: `desired ${wanted} (${entry}, ${resolved})` };
}

const NO_NOTES: string[] = [];

function classify(
  r: Row,
  eff: Effective,
  t: EntryTexts,
  match: Set<string>,
  last: { digest: string; from: string | null; at: string } | null,
  atMs: number,
  seenMs: number,
  staleMs: number,
  staleAfter: string,
  etc: AuditDevice['etc'],
  booted: string,
): { state: AuditState; reason: string; notes: string[] } {
  let notes = NO_NOTES;
  const { wanted, resolved } = t;
  if (r.usr_overlay) notes = [`/usr overlay active (${r.usr_overlay}).`];
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
  const ageMs = atMs - seenMs;
  if (ageMs > staleMs) {
    return {
      state: 'stale',
      reason: `Last seen ${age(ageMs)} before the audit (more than ${staleAfter}); then it booted ${booted}, ${inSync ? 'as desired' : `not the desired ${wanted}`}.`,
      notes,
    };
  }
  const since = t.since;
  if (!inSync && last && r.booted_digest !== last.digest && last.from === r.booted_digest && seenMs >= Date.parse(last.at)) {
    return { state: 'fallen-back', reason: `Boots ${booted}, the image it had before ${describe(last.digest, null)} was applied on ${last.at}: it fell back or was rolled back; ${since}.`, notes };
  }
  if (!inSync && r.staged_digest && match.has(r.staged_digest)) return { state: 'staged', reason: `The desired image ${describe(r.staged_digest, r.staged_version)} is staged but not booted; it boots ${booted}.`, notes };
  if (!inSync) return { state: 'drifted', reason: `Boots ${booted}; ${since}.`, notes };
  const entry = t.entry;
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
  if (!etc) notes = [...notes, '/etc was not checked (ostree admin config-diff could not be read).'];
  return { state: 'in-sync', reason: `Boots the desired ${booted} (${entry}, ${resolved}).`, notes };
}
