import { hostname } from 'node:os';
import type { ActionKind, ActionPhase, Job, JobDevice } from '../../../shared/contract';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';

interface JobRow {
  id: string;
  kind: string;
  action: ActionKind;
  state: Job['state'];
  params: string;
  actor: string;
  via: string;
  pid: number;
  host: string;
  created_at: string;
  finished_at: string | null;
  summary: string | null;
  rollout_id: string | null;
}

interface JobDeviceRow {
  job_id: string;
  device_id: string;
  device_name: string;
  state: JobDevice['state'];
  phase: ActionPhase;
  from_digest: string | null;
  expected_digest: string | null;
  result_digest: string | null;
  boot_id_before: string | null;
  started_at: string | null;
  updated_at: string;
  finished_at: string | null;
  outcome: string | null;
  error_code: string | null;
  error_message: string | null;
  log: string;
  transfer: string | null;
}

/** A step of one device, written as it happens. Only the given fields change. */
export interface DeviceStep {
  state?: JobDevice['state'];
  phase?: ActionPhase;
  fromDigest?: string | null;
  expectedDigest?: string | null;
  resultDigest?: string | null;
  bootIdBefore?: string | null;
  outcome?: string | null;
  error?: { code: string; message: string } | null;
  transfer?: JobDevice['transfer'];
}

const MAX_LOG = 256 * 1024;

/** Jobs and their per-device steps in SQLite: written before a device is touched, updated at every step. */
export class JobsRepo {
  private readonly sql: StatementCache;
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.sql = new StatementCache(db);
  }

  create(
    job: { id: string; kind: string; action: ActionKind; params: object; actor: string; via: string; rolloutId?: string | null },
    devices: { id: string; name: string }[],
  ): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.sql
        .get(`INSERT INTO jobs (id, kind, action, state, params, actor, via, pid, host, created_at, rollout_id) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`)
        .run(job.id, job.kind, job.action, JSON.stringify(job.params), job.actor, job.via, process.pid, hostname(), now, job.rolloutId ?? null);
      const ins = this.sql.get(`INSERT INTO job_devices (job_id, device_id, device_name, state, phase, updated_at) VALUES (?, ?, ?, 'pending', 'queued', ?)`);
      for (const d of devices) ins.run(job.id, d.id, d.name, now);
    }).immediate();
  }

  step(jobId: string, deviceId: string, s: DeviceStep): void {
    const sets: string[] = ['updated_at = @now'];
    const p: Record<string, unknown> = { job: jobId, dev: deviceId, now: this.clock.now() };
    const put = (col: string, key: string, v: unknown): void => {
      sets.push(`${col} = @${key}`);
      p[key] = v;
    };
    if (s.state !== undefined) {
      put('state', 'state', s.state);
      if (s.state === 'running') sets.push('started_at = coalesce(started_at, @now)');
      if (['done', 'failed', 'canceled', 'interrupted'].includes(s.state)) sets.push('finished_at = @now');
    }
    if (s.phase !== undefined) put('phase', 'phase', s.phase);
    if (s.fromDigest !== undefined) put('from_digest', 'from', s.fromDigest);
    if (s.expectedDigest !== undefined) put('expected_digest', 'expected', s.expectedDigest);
    if (s.resultDigest !== undefined) put('result_digest', 'result', s.resultDigest);
    if (s.bootIdBefore !== undefined) put('boot_id_before', 'bootId', s.bootIdBefore);
    if (s.outcome !== undefined) put('outcome', 'outcome', s.outcome);
    if (s.transfer !== undefined) put('transfer', 'transfer', s.transfer ? JSON.stringify(s.transfer) : null);
    if (s.error !== undefined) {
      put('error_code', 'ecode', s.error?.code ?? null);
      put('error_message', 'emsg', s.error?.message ?? null);
    }
    this.db.prepare(`UPDATE job_devices SET ${sets.join(', ')} WHERE job_id = @job AND device_id = @dev`).run(p);
  }

  appendLog(jobId: string, deviceId: string, text: string): void {
    this.sql
      .get(`UPDATE job_devices SET log = CASE WHEN length(log) < ${MAX_LOG} THEN substr(log || ?, 1, ${MAX_LOG}) ELSE log END WHERE job_id = ? AND device_id = ?`)
      .run(text, jobId, deviceId);
  }

  finish(jobId: string, state: Job['state'], summary: string): void {
    this.sql.get('UPDATE jobs SET state = ?, summary = ?, finished_at = ? WHERE id = ?').run(state, summary, this.clock.now(), jobId);
  }

  get(id: string): Job | undefined {
    const row = this.sql.get('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && this.toJob(row);
  }

  /** Where a device stood in a job: what a resumed rollout needs to avoid repeating a step. */
  deviceStep(jobId: string, deviceId: string): { phase: ActionPhase; state: JobDevice['state']; bootIdBefore: string | null; expectedDigest: string | null } | undefined {
    const r = this.sql.get('SELECT phase, state, boot_id_before, expected_digest FROM job_devices WHERE job_id = ? AND device_id = ?').get(jobId, deviceId) as
      | { phase: ActionPhase; state: JobDevice['state']; boot_id_before: string | null; expected_digest: string | null }
      | undefined;
    return r && { phase: r.phase, state: r.state, bootIdBefore: r.boot_id_before, expectedDigest: r.expected_digest };
  }

  logs(id: string): Record<string, string> {
    const rows = this.sql.get('SELECT device_id, log FROM job_devices WHERE job_id = ?').all(id) as { device_id: string; log: string }[];
    return Object.fromEntries(rows.map((r) => [r.device_id, r.log]));
  }

  list(limit: number, deviceId?: string): Job[] {
    const rows = (
      deviceId
        ? this.sql.get('SELECT j.* FROM jobs j WHERE j.id IN (SELECT job_id FROM job_devices WHERE device_id = ?) ORDER BY j.created_at DESC LIMIT ?').all(deviceId, limit)
        : this.sql.get('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit)
    ) as JobRow[];
    return rows.map((r) => this.toJob(r));
  }

  /** Devices among `ids` that a live job is acting on now. */
  busy(ids: string[]): { deviceId: string; name: string; jobId: string }[] {
    const rows = this.sql
      .get(
        `SELECT jd.device_id, jd.device_name, j.id, j.pid, j.host FROM job_devices jd JOIN jobs j ON j.id = jd.job_id
         WHERE jd.state IN ('pending', 'running') AND j.state = 'running' AND jd.device_id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as { device_id: string; device_name: string; id: string; pid: number; host: string }[];
    return rows.filter((r) => alive(r.pid, r.host)).map((r) => ({ deviceId: r.device_id, name: r.device_name, jobId: r.id }));
  }

  /**
   * Jobs left running by a process that is gone (killed, crashed, powered off): each device
   * mid-step is marked interrupted with the phase it was in, so nothing claims to be running.
   * Returns the devices that were acting (not those still waiting their turn).
   */
  markOrphans(): { jobId: string; action: string; deviceId: string; name: string; phase: string }[] {
    const rows = this.sql.get("SELECT id, pid, host FROM jobs WHERE state = 'running'").all() as { id: string; pid: number; host: string }[];
    const orphans = rows.filter((r) => !alive(r.pid, r.host)).map((r) => r.id);
    if (!orphans.length) return [];
    const now = this.clock.now();
    return this.db.transaction(() => {
      const hit: { jobId: string; action: string; deviceId: string; name: string; phase: string }[] = [];
      for (const id of orphans) {
        hit.push(
          ...(this.sql
            .get(
              `SELECT jd.job_id AS jobId, j.action, jd.device_id AS deviceId, jd.device_name AS name, jd.phase FROM job_devices jd JOIN jobs j ON j.id = jd.job_id
                WHERE jd.job_id = ? AND jd.state = 'running'`,
            )
            .all(id) as { jobId: string; action: string; deviceId: string; name: string; phase: string }[]),
        );
        this.sql
          .get(
            `UPDATE job_devices SET state = 'interrupted', finished_at = ?, updated_at = ?, error_code = 'JOB_INTERRUPTED',
               error_message = 'Bootfleet stopped while this device was ' || phase || '; refresh it to see what it runs now.'
             WHERE job_id = ? AND state IN ('pending', 'running')`,
          )
          .run(now, now, id);
        this.sql.get("UPDATE jobs SET state = 'interrupted', finished_at = ?, summary = coalesce(summary, 'The process running this job stopped.') WHERE id = ?").run(now, id);
      }
      return hit;
    }).immediate();
  }

  private toJob(r: JobRow): Job {
    const devices = (this.sql.get('SELECT * FROM job_devices WHERE job_id = ? ORDER BY device_name').all(r.id) as JobDeviceRow[]).map(
      (d): JobDevice => ({
        deviceId: d.device_id,
        name: d.device_name,
        state: d.state,
        phase: d.phase,
        fromDigest: d.from_digest,
        expectedDigest: d.expected_digest,
        resultDigest: d.result_digest,
        outcome: d.outcome,
        transfer: d.transfer ? (JSON.parse(d.transfer) as JobDevice['transfer']) : null,
        error: d.error_code ? { code: d.error_code, message: d.error_message ?? '' } : null,
        startedAt: d.started_at,
        finishedAt: d.finished_at,
      }),
    );
    return {
      id: r.id,
      kind: r.kind,
      action: r.action,
      state: r.state,
      params: JSON.parse(r.params) as Record<string, unknown>,
      actor: r.actor,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      summary: r.summary,
      rolloutId: r.rollout_id,
      devices,
    };
  }
}

/** Whether the process that owns a job still runs (on another host we cannot tell: assume so). */
export function alive(pid: number, host: string): boolean {
  if (host !== hostname()) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
