import type { Site } from '../../../shared/contract';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';

export interface SiteRow {
  id: string;
  name: string;
  notes: string;
  proxy_jump: string | null;
  stale_after_days: number | null;
  record_terminals: number;
  keep_recordings_days: number | null;
  created_at: string;
  updated_at: string;
}

/** SQL for sites. */
export class SitesRepo {
  private readonly db: StatementCache;
  constructor(db: Db) {
    this.db = new StatementCache(db);
  }

  list(): Site[] {
    const rows = this.db
      .get(
        `SELECT s.*, (SELECT count(*) FROM devices d WHERE d.site_id = s.id) AS device_count
         FROM sites s ORDER BY s.name`,
      )
      .all() as (SiteRow & { device_count: number })[];
    return rows.map(toSite);
  }

  /** By id, or by name without regard to case. */
  find(ref: string): SiteRow | undefined {
    return this.db.get('SELECT * FROM sites WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(ref, ref, ref) as SiteRow | undefined;
  }

  byName(name: string): SiteRow | undefined {
    return this.db.get('SELECT * FROM sites WHERE name = ?').get(name) as SiteRow | undefined;
  }

  get(id: string): Site {
    const row = this.db
      .get('SELECT s.*, (SELECT count(*) FROM devices d WHERE d.site_id = s.id) AS device_count FROM sites s WHERE s.id = ?')
      .get(id) as SiteRow & { device_count: number };
    return toSite(row);
  }

  insert(row: SiteRow): void {
    this.db
      .get('INSERT INTO sites (id, name, notes, proxy_jump, stale_after_days, record_terminals, keep_recordings_days, created_at, updated_at) VALUES (@id, @name, @notes, @proxy_jump, @stale_after_days, @record_terminals, @keep_recordings_days, @created_at, @updated_at)')
      .run(row);
  }

  update(id: string, notes: string, proxyJump: string | null, staleAfterDays: number | null, recordTerminals: boolean, keepRecordingsDays: number | null, at: string): void {
    this.db
      .get('UPDATE sites SET notes = ?, proxy_jump = ?, stale_after_days = ?, record_terminals = ?, keep_recordings_days = ?, updated_at = ? WHERE id = ?')
      .run(notes, proxyJump, staleAfterDays, recordTerminals ? 1 : 0, keepRecordingsDays, at, id);
  }

  rename(id: string, name: string, at: string): void {
    this.db.get('UPDATE sites SET name = ?, updated_at = ? WHERE id = ?').run(name, at, id);
  }

  deviceCount(id: string): number {
    return (this.db.get('SELECT count(*) AS n FROM devices WHERE site_id = ?').get(id) as { n: number }).n;
  }

  delete(id: string): void {
    this.db.get('DELETE FROM sites WHERE id = ?').run(id);
  }

  count(): number {
    return (this.db.get('SELECT count(*) AS n FROM sites').get() as { n: number }).n;
  }
}

function toSite(r: SiteRow & { device_count: number }): Site {
  return { id: r.id, name: r.name, notes: r.notes, proxyJump: r.proxy_jump, staleAfterDays: r.stale_after_days, recordTerminals: r.record_terminals === 1, keepRecordingsDays: r.keep_recordings_days, deviceCount: r.device_count, createdAt: r.created_at, updatedAt: r.updated_at };
}
