import type { Device, DeviceFilter, DeviceSort } from '../../../shared/contract';
import type { AuthMethod } from '../../../shared/contract';
import { escapeLike } from '../activity/activity-repo';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import { toEffective, type DesiredColumns } from '../desired/effective';
import { DESIRED_COLUMNS, DESIRED_STATE_SQL } from '../desired/sql';
import { STALE_SQL, STATUS_COLUMNS, toSummary, type StatusColumns } from '../fleet/status-repo';

/** A device row as stored. */
export interface DeviceRow {
  id: string;
  name: string;
  site_id: string | null;
  host: string;
  port: number;
  ssh_user: string | null;
  auth: AuthMethod;
  key_path: string | null;
  secret_id: string | null;
  sudo: number;
  notes: string;
  desired_image: string | null;
  proxy_jump: string | null;
  created_at: string;
  updated_at: string;
}

/** A device row with what connecting to it needs from its site. */
export type ContactRow = DeviceRow & { site_name: string | null; site_proxy_jump: string | null };

type JoinedRow = DeviceRow & StatusColumns & DesiredColumns & { site_name: string | null; tag_list: string | null };
type Resolved = (ref: string) => { digest: string | null; resolvedAt: string | null } | undefined;

const TAG_SEP = '\u001f';

const TAGS_OF = `(SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id
     WHERE dt.device_id = d.id ORDER BY t.name)) AS tag_list`;
const FROM = 'FROM devices d LEFT JOIN sites s ON s.id = d.site_id LEFT JOIN device_status ds ON ds.device_id = d.id';
const SELECT = `SELECT d.*, s.name AS site_name, ${STATUS_COLUMNS}, ${DESIRED_COLUMNS}, ${TAGS_OF} ${FROM}`;

/** Reach in the order a user scanning for trouble wants: problems first. */
const REACH_RANK = "CASE ifnull(ds.reach, 'never') WHEN 'error' THEN 0 WHEN 'offline' THEN 1 WHEN 'not-bootc' THEN 2 WHEN 'never' THEN 3 ELSE 4 END";

/** Sort keys, each backed by an index so a page is read in order rather than sorted. */
const ORDER: Record<DeviceSort, (dir: string) => string> = {
  name: (dir) => `d.name ${dir}, d.id ${dir}`,
  site: (dir) => `s.name ${dir} NULLS LAST, d.name ${dir}, d.id ${dir}`,
  host: (dir) => `d.host ${dir}, d.id ${dir}`,
  updatedAt: (dir) => `d.updated_at ${dir}, d.id ${dir}`,
  createdAt: (dir) => `d.created_at ${dir}, d.id ${dir}`,
  reach: (dir) => `${REACH_RANK} ${dir}, d.name ${dir}, d.id ${dir}`,
  lastSeen: (dir) => `ds.last_seen_at ${dir} NULLS LAST, d.name ${dir}, d.id ${dir}`,
  bootedVersion: (dir) => `ds.booted_version ${dir} NULLS LAST, d.name ${dir}, d.id ${dir}`,
  bootedImage: (dir) => `ds.booted_image ${dir} NULLS LAST, d.name ${dir}, d.id ${dir}`,
};

/** Sorts that read device_status (the others never need the join to pick a page). */
const STATUS_SORTS = new Set<DeviceSort>(['reach', 'lastSeen', 'bootedVersion', 'bootedImage']);

/** SQL for devices and their tags. All queries are paged and indexed. */
export class DevicesRepo {
  private readonly sql: StatementCache;
  /** `staleBefore()`: the ISO time before which a last good contact counts as stale. */
  constructor(
    private readonly db: Db,
    private readonly staleBefore: () => string,
  ) {
    this.sql = new StatementCache(db);
  }

  /** The WHERE clause for a filter; `site` is a resolved site id, or null for "no site". */
  private where(filter: DeviceFilter & { siteId?: string | null }): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.siteId !== undefined) {
      if (filter.siteId === null) clauses.push('d.site_id IS NULL');
      else {
        clauses.push('d.site_id = ?');
        params.push(filter.siteId);
      }
    }
    for (const tag of filter.tags ?? []) {
      clauses.push('d.id IN (SELECT dt.device_id FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE t.name = ?)');
      params.push(tag);
    }
    if (filter.search) {
      const like = `%${escapeLike(filter.search)}%`;
      clauses.push(
        "(d.name LIKE ? ESCAPE '\\' OR d.host LIKE ? ESCAPE '\\' OR ifnull(d.desired_image, '') LIKE ? ESCAPE '\\' OR d.notes LIKE ? ESCAPE '\\')",
      );
      params.push(like, like, like, like);
    }
    if (filter.reach?.length) {
      const ors: string[] = [];
      for (const r of filter.reach) {
        if (r === 'never') ors.push('ds.reach IS NULL');
        else if (r === 'stale') {
          ors.push(STALE_SQL);
          params.push(this.staleBefore());
        } else {
          ors.push('ds.reach = ?');
          params.push(r);
        }
      }
      clauses.push(`(${ors.join(' OR ')})`);
    }
    const has = (flag: boolean | undefined, col: string): void => {
      if (flag !== undefined) clauses.push(`ds.${col} IS ${flag ? 'NOT NULL' : 'NULL'}`);
    };
    has(filter.staged, 'staged_digest');
    has(filter.rollback, 'rollback_digest');
    has(filter.updateAvailable, 'update_digest');
    if (filter.desired?.length) {
      clauses.push(`${DESIRED_STATE_SQL} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(filter.desired));
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** Whether a filter reads device_status. */
  private needsStatus(filter: DeviceFilter): boolean {
    return !!filter.reach?.length || !!filter.desired?.length || filter.staged !== undefined || filter.rollback !== undefined || filter.updateAvailable !== undefined;
  }

  page(
    filter: DeviceFilter & { siteId?: string | null },
    sort: DeviceSort,
    dir: 'asc' | 'desc',
    offset: number,
    limit: number,
  ): { total: number; items: Device[] } {
    const w = this.where(filter);
    const join = this.needsStatus(filter) || STATUS_SORTS.has(sort) ? 'LEFT JOIN device_status ds ON ds.device_id = d.id' : '';
    const countJoin = this.needsStatus(filter) ? 'LEFT JOIN device_status ds ON ds.device_id = d.id' : '';
    const total = (this.sql.get(`SELECT count(*) AS n FROM devices d ${countJoin} ${w.sql}`).get(...w.params) as { n: number }).n;
    // Two steps: find the page's ids on the narrow, indexed columns, then read those rows
    // in full, so the tag lists are built for 100 rows rather than for every match.
    const ids = sort === 'site' ? this.pageIdsBySite(w, dir, offset, limit, countJoin) : (this.sql
      .get(`SELECT d.id FROM devices d ${join} ${w.sql} ORDER BY ${ORDER[sort](dir === 'desc' ? 'DESC' : 'ASC')} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...w.params, limit, offset) as string[]);
    return { total, items: this.getMany(ids) };
  }

  /**
   * Site order without sorting every match: walk the sites by name and each site's devices
   * through the (site_id, name) index (a CROSS JOIN keeps sites as the outer loop), then
   * the devices with no site.
   */
  private pageIdsBySite(w: { sql: string; params: unknown[] }, dir: 'asc' | 'desc', offset: number, limit: number, join: string): string[] {
    const d = dir === 'desc' ? 'DESC' : 'ASC';
    const and = (extra: string) => (w.sql ? `${w.sql} AND ${extra}` : `WHERE ${extra}`);
    const sited = (this.sql.get(`SELECT count(*) FROM devices d ${join} ${and('d.site_id IS NOT NULL')}`).pluck().get(...w.params) as number);
    const ids: string[] = [];
    if (offset < sited) {
      ids.push(
        ...(this.sql
          .get(`SELECT d.id FROM sites s CROSS JOIN devices d ON d.site_id = s.id ${join} ${w.sql} ORDER BY s.name ${d}, d.name ${d} LIMIT ? OFFSET ?`)
          .pluck()
          .all(...w.params, limit, offset) as string[]),
      );
    }
    if (ids.length < limit) {
      ids.push(
        ...(this.sql
          .get(`SELECT d.id FROM devices d ${join} ${and('d.site_id IS NULL')} ORDER BY d.name ${d}, d.id ${d} LIMIT ? OFFSET ?`)
          .pluck()
          .all(...w.params, limit - ids.length, Math.max(0, offset - sited)) as string[]),
      );
    }
    return ids;
  }

  /** Full devices for these ids, in the order given. */
  getMany(ids: string[]): Device[] {
    if (!ids.length) return [];
    const rows = this.sql.get(`${SELECT} WHERE d.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as JoinedRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const staleBefore = this.staleBefore();
    const resolved = this.resolver();
    return ids.flatMap((id) => {
      const r = byId.get(id);
      return r ? [toDevice(r, staleBefore, resolved)] : [];
    });
  }

  /** Every matching device, in name order, one at a time (export of any size). */
  *iterate(filter: DeviceFilter & { siteId?: string | null }): Generator<Device> {
    const w = this.where(filter);
    const tags = new Map<string, string[]>();
    const tagRows = this.db.prepare('SELECT dt.device_id AS id, t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id ORDER BY t.name');
    for (const r of tagRows.iterate() as Iterable<{ id: string; name: string }>) {
      const list = tags.get(r.id);
      if (list) list.push(r.name);
      else tags.set(r.id, [r.name]);
    }
    const stmt = this.db.prepare(`SELECT d.*, s.name AS site_name, ${STATUS_COLUMNS}, ${DESIRED_COLUMNS}, NULL AS tag_list ${FROM} ${w.sql} ORDER BY ${ORDER.site('ASC')}`);
    const staleBefore = this.staleBefore();
    const resolved = this.resolver();
    for (const row of stmt.iterate(...w.params) as Iterable<JoinedRow>) yield { ...toDevice(row, staleBefore, resolved), tags: tags.get(row.id) ?? [] };
  }

  /** What connecting needs, for the given ids or every device matching a filter, in site/name order. */
  contactRows(sel: { ids: string[] } | { filter: DeviceFilter & { siteId?: string | null } }): ContactRow[] {
    const cols = 'SELECT d.*, s.name AS site_name, s.proxy_jump AS site_proxy_jump';
    if ('ids' in sel) {
      return this.sql
        .get(`${cols} FROM devices d LEFT JOIN sites s ON s.id = d.site_id WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY s.name, d.name`)
        .all(JSON.stringify(sel.ids)) as ContactRow[];
    }
    const w = this.where(sel.filter);
    return this.db
      .prepare(`${cols} ${FROM} ${w.sql} ORDER BY s.name, d.name`)
      .all(...w.params) as ContactRow[];
  }

  get(id: string): Device | undefined {
    const row = this.sql.get(`${SELECT} WHERE d.id = ?`).get(id) as JoinedRow | undefined;
    return row && toDevice(row, this.staleBefore(), this.resolver());
  }

  /** Looks up what a desired reference last resolved to, once per reference. */
  private resolver(): Resolved {
    const seen = new Map<string, ReturnType<Resolved>>();
    const stmt = this.sql.get('SELECT digest, resolved_at AS resolvedAt FROM image_resolutions WHERE ref = ?');
    return (ref) => {
      if (!seen.has(ref)) seen.set(ref, stmt.get(ref) as ReturnType<Resolved>);
      return seen.get(ref);
    };
  }

  row(id: string): DeviceRow | undefined {
    return this.sql.get('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
  }

  /** Devices with this name (any case), with their site names, for resolving NAME and SITE/NAME. */
  byName(name: string): { id: string; site_id: string | null; site_name: string | null }[] {
    return this.sql
      .get('SELECT d.id, d.site_id, s.name AS site_name FROM devices d LEFT JOIN sites s ON s.id = d.site_id WHERE d.name = ? ORDER BY s.name')
      .all(name) as { id: string; site_id: string | null; site_name: string | null }[];
  }

  /** The id of the device called `name` in the site (null: no site), if any. */
  idInSite(siteId: string | null, name: string): string | undefined {
    const r = this.sql.get("SELECT id FROM devices WHERE ifnull(site_id, '') = ? AND name = ?").get(siteId ?? '', name) as { id: string } | undefined;
    return r?.id;
  }

  insert(row: DeviceRow): void {
    this.sql
      .get(
        `INSERT INTO devices (id, name, site_id, host, port, ssh_user, auth, key_path, secret_id, sudo, notes, desired_image, proxy_jump, created_at, updated_at)
         VALUES (@id, @name, @site_id, @host, @port, @ssh_user, @auth, @key_path, @secret_id, @sudo, @notes, @desired_image, @proxy_jump, @created_at, @updated_at)`,
      )
      .run(row);
  }

  update(row: DeviceRow): void {
    this.sql
      .get(
        `UPDATE devices SET name = @name, site_id = @site_id, host = @host, port = @port, ssh_user = @ssh_user, auth = @auth,
           key_path = @key_path, secret_id = @secret_id, sudo = @sudo, notes = @notes, desired_image = @desired_image, proxy_jump = @proxy_jump, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run(row);
  }

  delete(id: string): void {
    this.sql.get('DELETE FROM devices WHERE id = ?').run(id);
  }

  tagsOf(id: string): string[] {
    return (
      this.sql.get('SELECT t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = ? ORDER BY t.name').all(id) as {
        name: string;
      }[]
    ).map((r) => r.name);
  }

  /** Replaces a device's tags, creating tags that do not exist and dropping ones no device uses. */
  setTags(id: string, tags: string[]): void {
    this.sql.get('DELETE FROM device_tags WHERE device_id = ?').run(id);
    this.addTags(id, tags);
    this.pruneTags();
  }

  addTags(id: string, tags: string[]): void {
    const link = this.sql.get('INSERT OR IGNORE INTO device_tags (device_id, tag_id) VALUES (?, ?)');
    for (const t of tags) link.run(id, this.tagId(t));
  }

  /** The id of a tag, created if new. */
  private tagId(name: string): number {
    const found = this.sql.get('SELECT id FROM tags WHERE name = ?').pluck().get(name) as number | undefined;
    if (found !== undefined) return found;
    return Number(this.sql.get('INSERT INTO tags (name) VALUES (?)').run(name).lastInsertRowid);
  }

  pruneTags(): void {
    this.sql.get('DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM device_tags dt WHERE dt.tag_id = tags.id)').run();
  }

  tagCounts(): { name: string; count: number }[] {
    return this.sql
      .get('SELECT t.name, (SELECT count(*) FROM device_tags dt WHERE dt.tag_id = t.id) AS count FROM tags t ORDER BY t.name')
      .all() as { name: string; count: number }[];
  }

  count(): number {
    return (this.sql.get('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
  }

  tagCount(): number {
    return (this.sql.get('SELECT count(*) AS n FROM tags').get() as { n: number }).n;
  }
}

function toDevice(r: JoinedRow, staleBefore: string, resolved: Resolved): Device {
  return {
    id: r.id,
    name: r.name,
    siteId: r.site_id,
    siteName: r.site_name,
    host: r.host,
    port: r.port,
    user: r.ssh_user,
    auth: r.auth,
    keyPath: r.key_path,
    hasSecret: r.secret_id !== null,
    sudo: r.sudo === 1,
    tags: r.tag_list ? r.tag_list.split(TAG_SEP) : [],
    notes: r.notes,
    desiredImage: r.desired_image,
    proxyJump: r.proxy_jump,
    status: toSummary(r, staleBefore),
    desired: toEffective(r, resolved),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
