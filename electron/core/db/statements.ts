import type { Statement } from 'better-sqlite3';
import type { Db } from './open';

/**
 * Prepares each SQL text once per connection. Preparing costs far more than running a
 * small statement, so repositories ask here instead of calling db.prepare in loops.
 */
export class StatementCache {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Db) {}
  get(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}
