import { hostname } from 'node:os';
import type { Rollout, RolloutDevice, RolloutState } from '../../../shared/contract';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import { alive } from './jobs-repo';

/** What a rollout was asked to do, stored as its params. */
export interface RolloutParams {
  action: Rollout['action'];
  image: string | null;
  transport: string;
  /** Absent in rollouts recorded before the library existed: the devices pulled. */
  via?: 'device' | 'library';
  maxBytesPerSecond?: number | null;
  /** Absent in rollouts recorded before signature policies: false. */
  enforceSignatures?: boolean;
  policy: Rollout['policy'];
}

interface RolloutRow {
  id: string;
  name: string;
  action: Rollout['action'];
  params: string;
  state: RolloutState;
  reason: string | null;
  request: 'pause' | 'cancel' | null;
  actor: string;
  via: string;
  pid: number;
  host: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

type DeviceState = RolloutDevice['state'];

const COUNT_KEYS = ['done', 'failed', 'running', 'pending', 'skipped'] as const;

/** Rollouts and their devices in SQLite, written before any device is touched. */
export class RolloutsRepo {
  private readonly sql: StatementCache;
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.sql = new StatementCache(db);
  }

  create(r: { id: string; name: string; params: RolloutParams; actor: string; via: string }, batches: { id: string; name: string }[][]): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.sql
        .get(
          `INSERT INTO rollouts (id, name, action, params, state, actor, via, pid, host, created_at, updated_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.id, r.name, r.params.action, JSON.stringify(r.params), r.actor, r.via, process.pid, hostname(), now, now);
      const ins = this.sql.get(`INSERT INTO rollout_devices (rollout_id, device_id, device_name, batch, position, state) VALUES (?, ?, ?, ?, ?, 'pending')`);
      let pos = 0;
      batches.forEach((devices, batch) => {
        for (const d of devices) ins.run(r.id, d.id, d.name, batch, pos++);
      });
    }).immediate();
  }

  params(id: string): RolloutParams {
    return JSON.parse(this.sql.get('SELECT params FROM rollouts WHERE id = ?').pluck().get(id) as string) as RolloutParams;
  }

  /** Sets the state (and the reason, which a running state clears); this process now drives it. */
  setState(id: string, state: RolloutState, reason: string | null = null): void {
    const now = this.clock.now();
    const ended = state === 'done' || state === 'canceled';
    this.sql
      .get('UPDATE rollouts SET state = ?, reason = ?, request = NULL, updated_at = ?, finished_at = CASE WHEN ? THEN ? ELSE NULL END, pid = ?, host = ? WHERE id = ?')
      .run(state, reason, now, ended ? 1 : 0, now, process.pid, hostname(), id);
  }

  /** Records a pause or cancel for the driving process (a cancel is not downgraded to a pause). */
  request(id: string, what: 'pause' | 'cancel'): void {
    this.sql.get("UPDATE rollouts SET request = CASE WHEN request = 'cancel' THEN request ELSE ? END, updated_at = ? WHERE id = ?").run(what, this.clock.now(), id);
  }

  requested(id: string): 'pause' | 'cancel' | null {
    return this.sql.get('SELECT request FROM rollouts WHERE id = ?').pluck().get(id) as 'pause' | 'cancel' | null;
  }

  /** Whether the process driving a running rollout is alive (this one included). */
  driverAlive(id: string): boolean {
    const r = this.sql.get('SELECT pid, host FROM rollouts WHERE id = ?').get(id) as { pid: number; host: string } | undefined;
    return !!r && alive(r.pid, r.host);
  }

  /** The first batch with devices still to act on, and those devices (pending, or interrupted mid-action). */
  nextBatch(id: string): { batch: number; devices: { id: string; jobId: string | null; state: DeviceState }[] } | null {
    const batch = this.sql.get("SELECT min(batch) FROM rollout_devices WHERE rollout_id = ? AND state IN ('pending', 'interrupted')").pluck().get(id) as number | null;
    if (batch === null) return null;
    const devices = this.sql
      .get("SELECT device_id AS id, job_id AS jobId, state FROM rollout_devices WHERE rollout_id = ? AND batch = ? AND state IN ('pending', 'interrupted') ORDER BY position")
      .all(id, batch) as { id: string; jobId: string | null; state: DeviceState }[];
    return { batch, devices };
  }

  setDevices(id: string, deviceIds: string[], state: DeviceState, jobId?: string): void {
    const stmt = jobId
      ? this.sql.get('UPDATE rollout_devices SET state = ?, job_id = ? WHERE rollout_id = ? AND device_id = ?')
      : this.sql.get('UPDATE rollout_devices SET state = ? WHERE rollout_id = ? AND device_id = ?');
    this.db.transaction(() => {
      for (const d of deviceIds) {
        if (jobId) stmt.run(state, jobId, id, d);
        else stmt.run(state, id, d);
      }
      this.sql.get('UPDATE rollouts SET updated_at = ? WHERE id = ?').run(this.clock.now(), id);
    }).immediate();
  }

  /** Failed devices of a batch, over every attempt. */
  failures(id: string, batch: number): number {
    return this.sql.get("SELECT count(*) FROM rollout_devices WHERE rollout_id = ? AND batch = ? AND state = 'failed'").pluck().get(id, batch) as number;
  }

  /** Every device not finished becomes skipped (a cancelled rollout). */
  skipRemaining(id: string): void {
    this.sql.get("UPDATE rollout_devices SET state = 'skipped' WHERE rollout_id = ? AND state IN ('pending', 'interrupted')").run(id);
  }

  get(id: string): Rollout | undefined {
    const row = this.sql.get('SELECT * FROM rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
    return row && this.toRollout(row);
  }

  list(limit: number): Rollout[] {
    return (this.sql.get('SELECT * FROM rollouts ORDER BY created_at DESC LIMIT ?').all(limit) as RolloutRow[]).map((r) => this.toRollout(r));
  }

  devices(id: string): RolloutDevice[] {
    const rows = this.sql
      .get(
        `SELECT rd.device_id, rd.device_name, rd.batch, rd.state, rd.job_id, jd.phase, jd.from_digest, jd.result_digest, jd.outcome, jd.transfer, jd.error_code, jd.error_message
           FROM rollout_devices rd LEFT JOIN job_devices jd ON jd.job_id = rd.job_id AND jd.device_id = rd.device_id
          WHERE rd.rollout_id = ? ORDER BY rd.position`,
      )
      .all(id) as {
      device_id: string;
      device_name: string;
      batch: number;
      state: DeviceState;
      job_id: string | null;
      phase: string | null;
      from_digest: string | null;
      result_digest: string | null;
      outcome: string | null;
      transfer: string | null;
      error_code: string | null;
      error_message: string | null;
    }[];
    return rows.map((r) => ({
      deviceId: r.device_id,
      name: r.device_name,
      batch: r.batch,
      state: r.state,
      jobId: r.job_id,
      phase: r.phase,
      fromDigest: r.from_digest,
      resultDigest: r.result_digest,
      outcome: r.outcome,
      transfer: r.transfer ? (JSON.parse(r.transfer) as RolloutDevice['transfer']) : null,
      error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    }));
  }

  /** Rollouts driven by a process that is gone: interrupted, with their acting devices. */
  markOrphans(): string[] {
    const rows = this.sql.get("SELECT id, pid, host FROM rollouts WHERE state = 'running'").all() as { id: string; pid: number; host: string }[];
    const orphans = rows.filter((r) => !alive(r.pid, r.host)).map((r) => r.id);
    if (!orphans.length) return [];
    this.db.transaction(() => {
      for (const id of orphans) {
        this.sql.get("UPDATE rollout_devices SET state = 'interrupted' WHERE rollout_id = ? AND state = 'running'").run(id);
        this.sql
          .get("UPDATE rollouts SET state = 'interrupted', reason = 'The Bootfleet process driving it stopped; resume it to go on.', updated_at = ? WHERE id = ?")
          .run(this.clock.now(), id);
      }
    }).immediate();
    return orphans;
  }

  private toRollout(r: RolloutRow): Rollout {
    const params = JSON.parse(r.params) as RolloutParams;
    const rows = this.sql.get('SELECT batch, state, count(*) AS n FROM rollout_devices WHERE rollout_id = ? GROUP BY batch, state ORDER BY batch').all(r.id) as {
      batch: number;
      state: DeviceState;
      n: number;
    }[];
    const zero = () => ({ total: 0, done: 0, failed: 0, running: 0, pending: 0, skipped: 0 });
    const total = zero();
    const perBatch = new Map<number, ReturnType<typeof zero>>();
    for (const x of rows) {
      const b = perBatch.get(x.batch) ?? zero();
      perBatch.set(x.batch, b);
      // An interrupted device still has to be acted on (or checked): it counts as pending.
      const key = x.state === 'interrupted' ? 'pending' : x.state;
      for (const c of [b, total]) {
        c.total += x.n;
        if ((COUNT_KEYS as readonly string[]).includes(key)) c[key as (typeof COUNT_KEYS)[number]] += x.n;
      }
    }
    const batches = [...perBatch.entries()].map(([index, counts]) => ({
      index,
      canary: index === 0 && params.policy.canary > 0,
      counts,
      state: (counts.running ? 'running' : counts.pending === counts.total ? 'pending' : counts.failed > params.policy.maxFailures ? 'failed' : counts.pending || counts.skipped ? 'partial' : 'done') as Rollout['batches'][number]['state'],
    }));
    return {
      id: r.id,
      name: r.name,
      action: params.action,
      image: params.image,
      transport: params.transport,
      via: params.via ?? 'device',
      maxBytesPerSecond: params.maxBytesPerSecond ?? null,
      enforceSignatures: params.enforceSignatures ?? false,
      policy: params.policy,
      state: r.state,
      reason: r.reason,
      requested: r.request,
      actor: r.actor,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      finishedAt: r.finished_at,
      counts: total,
      batches,
    };
  }
}
