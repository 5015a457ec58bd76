import type { Device, DeviceFilter, DeviceSort } from '../../../shared/contract';
import type { AuthMethod } from '../../../shared/contract';
import { escapeLike } from '../activity/activity-repo';
import type { Db } from '../db/open';

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
  created_at: string;
  updated_at: string;
}

type JoinedRow = DeviceRow & { site_name: string | null; tag_list: string | null };

const TAG_SEP = '\u001f';

const SELECT = `SELECT d.*, s.name AS site_name,
  (SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id
     WHERE dt.device_id = d.id ORDER BY t.name)) AS tag_list
  FROM devices d LEFT JOIN sites s ON s.id = d.site_id`;

const ORDER: Record<DeviceSort, (dir: string) => string> = {
  name: (dir) => `d.name ${dir}, s.name ${dir}, d.id`,
  site: (dir) => `s.name ${dir} NULLS LAST, d.name ${dir}, d.id`,
  host: (dir) => `d.host ${dir}, d.name ${dir}, d.id`,
  updatedAt: (dir) => `d.updated_at ${dir}, d.id`,
  createdAt: (dir) => `d.created_at ${dir}, d.id`,
};

/** SQL for devices and their tags. All queries are paged and indexed. */
export class DevicesRepo {
  constructor(private readonly db: Db) {}

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
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  page(
    filter: DeviceFilter & { siteId?: string | null },
    sort: DeviceSort,
    dir: 'asc' | 'desc',
    offset: number,
    limit: number,
  ): { total: number; items: Device[] } {
    const w = this.where(filter);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM devices d ${w.sql}`).get(...w.params) as { n: number }).n;
    const rows = this.db
      .prepare(`${SELECT} ${w.sql} ORDER BY ${ORDER[sort](dir === 'desc' ? 'DESC' : 'ASC')} LIMIT ? OFFSET ?`)
      .all(...w.params, limit, offset) as JoinedRow[];
    return { total, items: rows.map(toDevice) };
  }

  /** Every matching device, in name order, one at a time (export of any size). */
  *iterate(filter: DeviceFilter & { siteId?: string | null }): Generator<Device> {
    const w = this.where(filter);
    const stmt = this.db.prepare(`${SELECT} ${w.sql} ORDER BY ${ORDER.site('ASC')}`);
    for (const row of stmt.iterate(...w.params) as Iterable<JoinedRow>) yield toDevice(row);
  }

  get(id: string): Device | undefined {
    const row = this.db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as JoinedRow | undefined;
    return row && toDevice(row);
  }

  row(id: string): DeviceRow | undefined {
    return this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
  }

  /** Devices with this name (any case), with their site names, for resolving NAME and SITE/NAME. */
  byName(name: string): { id: string; site_id: string | null; site_name: string | null }[] {
    return this.db
      .prepare('SELECT d.id, d.site_id, s.name AS site_name FROM devices d LEFT JOIN sites s ON s.id = d.site_id WHERE d.name = ? ORDER BY s.name')
      .all(name) as { id: string; site_id: string | null; site_name: string | null }[];
  }

  /** The id of the device called `name` in the site (null: no site), if any. */
  idInSite(siteId: string | null, name: string): string | undefined {
    const r = this.db.prepare("SELECT id FROM devices WHERE ifnull(site_id, '') = ? AND name = ?").get(siteId ?? '', name) as { id: string } | undefined;
    return r?.id;
  }

  insert(row: DeviceRow): void {
    this.db
      .prepare(
        `INSERT INTO devices (id, name, site_id, host, port, ssh_user, auth, key_path, secret_id, sudo, notes, desired_image, created_at, updated_at)
         VALUES (@id, @name, @site_id, @host, @port, @ssh_user, @auth, @key_path, @secret_id, @sudo, @notes, @desired_image, @created_at, @updated_at)`,
      )
      .run(row);
  }

  update(row: DeviceRow): void {
    this.db
      .prepare(
        `UPDATE devices SET name = @name, site_id = @site_id, host = @host, port = @port, ssh_user = @ssh_user, auth = @auth,
           key_path = @key_path, secret_id = @secret_id, sudo = @sudo, notes = @notes, desired_image = @desired_image, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run(row);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
  }

  tagsOf(id: string): string[] {
    return (
      this.db.prepare('SELECT t.name FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = ? ORDER BY t.name').all(id) as {
        name: string;
      }[]
    ).map((r) => r.name);
  }

  /** Replaces a device's tags, creating tags that do not exist and dropping ones no device uses. */
  setTags(id: string, tags: string[]): void {
    this.db.prepare('DELETE FROM device_tags WHERE device_id = ?').run(id);
    this.addTags(id, tags);
    this.pruneTags();
  }

  addTags(id: string, tags: string[]): void {
    const upsert = this.db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    const link = this.db.prepare('INSERT OR IGNORE INTO device_tags (device_id, tag_id) SELECT ?, id FROM tags WHERE name = ?');
    for (const t of tags) {
      upsert.run(t);
      link.run(id, t);
    }
  }

  pruneTags(): void {
    this.db.prepare('DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM device_tags dt WHERE dt.tag_id = tags.id)').run();
  }

  tagCounts(): { name: string; count: number }[] {
    return this.db
      .prepare('SELECT t.name, count(dt.device_id) AS count FROM tags t JOIN device_tags dt ON dt.tag_id = t.id GROUP BY t.id ORDER BY t.name')
      .all() as { name: string; count: number }[];
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
  }

  tagCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tags').get() as { n: number }).n;
  }
}

function toDevice(r: JoinedRow): Device {
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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
