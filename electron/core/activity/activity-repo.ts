import type { ActivityEntry } from '../../../shared/contract';
import type { z } from 'zod';
import type { activityQuerySchema, Via } from '../../../shared/contract';
import type { Clock } from '../clock';
import type { Db } from '../db/open';

/** Who is acting, recorded with every change. */
export interface Actor {
  user: string;
  via: Via;
}

export interface ActivityRecord {
  action: string;
  entityType: string;
  entityId?: string | null;
  entityName?: string | null;
  summary: string;
  details?: unknown;
}

interface Row {
  id: number;
  at: string;
  actor: string;
  via: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  entity_name: string | null;
  summary: string;
  details: string | null;
}

/** The append-only activity log (UPDATE and DELETE are refused by triggers). */
export class ActivityRepo {
  private readonly insert;
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO activity (at, actor, via, action, entity_type, entity_id, entity_name, summary, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Appends one entry; call inside the transaction that makes the change, so both land or neither. */
  append(actor: Actor, rec: ActivityRecord): number {
    const r = this.insert.run(
      this.clock.now(),
      actor.user,
      actor.via,
      rec.action,
      rec.entityType,
      rec.entityId ?? null,
      rec.entityName ?? null,
      rec.summary,
      rec.details === undefined ? null : JSON.stringify(rec.details),
    );
    return Number(r.lastInsertRowid);
  }

  lastId(): number {
    return (this.db.prepare('SELECT ifnull(max(id), 0) AS id FROM activity').get() as { id: number }).id;
  }

  list(q: z.output<typeof activityQuerySchema>): { items: ActivityEntry[]; nextBefore: number | null } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.before !== undefined) {
      where.push('id < ?');
      params.push(q.before);
    }
    if (q.entityType) {
      where.push('entity_type = ?');
      params.push(q.entityType);
    }
    if (q.entityId) {
      where.push('entity_id = ?');
      params.push(q.entityId);
    }
    if (q.action) {
      where.push('action = ?');
      params.push(q.action);
    }
    if (q.search) {
      const like = `%${escapeLike(q.search)}%`;
      where.push("(summary LIKE ? ESCAPE '\\' OR entity_name LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR action LIKE ? ESCAPE '\\')");
      params.push(like, like, like, like);
    }
    const sql = `SELECT * FROM activity ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, q.limit + 1) as Row[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        via: r.via as Via,
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        entityName: r.entity_name,
        summary: r.summary,
        details: r.details === null ? null : (JSON.parse(r.details) as unknown),
      })),
      nextBefore: more ? page[page.length - 1]!.id : null,
    };
  }
}

/** Escapes %, _ and \ for a LIKE ... ESCAPE '\' pattern. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
