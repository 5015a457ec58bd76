import { hostname } from 'node:os';
import type { ProvisionPhase, ProvisionRun } from '../../../shared/contract';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import { alive } from '../updates/jobs-repo';

interface Row {
  id: string;
  batch_id: string;
  host: string;
  port: number;
  user: string;
  name: string;
  site: string | null;
  image: string;
  archive: string | null;
  params: string;
  digest: string | null;
  disk: string | null;
  method: 'podman' | 'bootc' | null;
  command: string | null;
  state: ProvisionRun['state'];
  phase: ProvisionPhase;
  stopped_phase: ProvisionPhase | null;
  detail: string | null;
  transfer: string | null;
  host_key_type: string | null;
  host_key_fingerprint: string | null;
  host_key_confirmed_by: string | null;
  boot_id_before: string | null;
  device_id: string | null;
  booted_digest: string | null;
  outcome: string | null;
  error_code: string | null;
  error_message: string | null;
  error_next: string | null;
  log: string;
  actor: string;
  via: string;
  pid: number;
  pid_host: string;
  created_at: string;
  started_at: string | null;
  updated_at: string;
  finished_at: string | null;
}

/** A step of one run, written as it happens. Only the given fields change. */
export interface RunStep {
  state?: ProvisionRun['state'];
  phase?: ProvisionPhase;
  detail?: string | null;
  transfer?: ProvisionRun['transfer'];
  digest?: string | null;
  disk?: ProvisionRun['disk'];
  method?: ProvisionRun['method'];
  command?: string | null;
  hostKey?: ProvisionRun['hostKey'];
  bootIdBefore?: string | null;
  deviceId?: string | null;
  bootedDigest?: string | null;
  outcome?: string | null;
  error?: ProvisionRun['error'];
}

export interface NewRun {
  id: string;
  host: string;
  port: number;
  user: string;
  name: string;
  site: string | null;
  /** What the run needs besides the columns (disk choice, tags), without secrets. */
  params: object;
}

const MAX_LOG = 512 * 1024;

/** Provisioning runs in SQLite: each box is recorded before it is touched and updated at every step. */
export class ProvisionRunsRepo {
  private readonly sql: StatementCache;
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.sql = new StatementCache(db);
  }

  create(batch: { id: string; image: string; archive: string | null; actor: string; via: string }, runs: NewRun[]): void {
    const now = this.clock.now();
    const ins = this.sql.get(
      `INSERT INTO provision_runs (id, batch_id, host, port, user, name, site, image, archive, params, state, phase, actor, via, pid, pid_host, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 'queued', ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of runs) ins.run(r.id, batch.id, r.host, r.port, r.user, r.name, r.site, batch.image, batch.archive, JSON.stringify(r.params), batch.actor, batch.via, process.pid, hostname(), now, now);
    }).immediate();
  }

  step(id: string, s: RunStep): ProvisionRun {
    const sets: string[] = ['updated_at = @now'];
    const p: Record<string, unknown> = { id, now: this.clock.now() };
    const put = (col: string, v: unknown): void => {
      sets.push(`${col} = @${col}`);
      p[col] = v;
    };
    if (s.state !== undefined) {
      put('state', s.state);
      if (s.state === 'running') sets.push('started_at = coalesce(started_at, @now)');
      if (['done', 'failed', 'canceled', 'interrupted'].includes(s.state)) sets.push('finished_at = @now');
      // Where a run that did not succeed stopped (the old phase: SQLite reads the row before the update).
      if (['failed', 'canceled', 'interrupted'].includes(s.state)) sets.push("stopped_phase = CASE WHEN phase = 'finished' THEN stopped_phase ELSE phase END");
    }
    if (s.phase !== undefined) put('phase', s.phase);
    if (s.detail !== undefined) put('detail', s.detail);
    if (s.transfer !== undefined) put('transfer', s.transfer ? JSON.stringify(s.transfer) : null);
    if (s.digest !== undefined) put('digest', s.digest);
    if (s.disk !== undefined) put('disk', s.disk ? JSON.stringify(s.disk) : null);
    if (s.method !== undefined) put('method', s.method);
    if (s.command !== undefined) put('command', s.command);
    if (s.hostKey !== undefined) {
      put('host_key_type', s.hostKey?.keyType ?? null);
      put('host_key_fingerprint', s.hostKey?.fingerprint ?? null);
      put('host_key_confirmed_by', null);
    }
    if (s.bootIdBefore !== undefined) put('boot_id_before', s.bootIdBefore);
    if (s.deviceId !== undefined) put('device_id', s.deviceId);
    if (s.bootedDigest !== undefined) put('booted_digest', s.bootedDigest);
    if (s.outcome !== undefined) put('outcome', s.outcome);
    if (s.error !== undefined) {
      put('error_code', s.error?.code ?? null);
      put('error_message', s.error?.message ?? null);
      put('error_next', s.error?.next ?? null);
    }
    this.db.prepare(`UPDATE provision_runs SET ${sets.join(', ')} WHERE id = @id`).run(p);
    return this.get(id)!;
  }

  /**
   * Records that a user confirmed the host key a run waits on (any process may: the one running
   * the run polls for it). Returns false when the run is not waiting on that key.
   */
  confirmHostKey(id: string, fingerprint: string, by: string): boolean {
    const r = this.sql
      .get(
        `UPDATE provision_runs SET host_key_confirmed_by = ?, updated_at = ?
         WHERE id = ? AND state = 'running' AND phase = 'host-key' AND host_key_fingerprint = ?`,
      )
      .run(by, this.clock.now(), id, fingerprint);
    return r.changes > 0;
  }

  hostKeyConfirmedBy(id: string): string | null {
    return (this.sql.get('SELECT host_key_confirmed_by FROM provision_runs WHERE id = ?').get(id) as { host_key_confirmed_by: string | null } | undefined)?.host_key_confirmed_by ?? null;
  }

  appendLog(id: string, text: string): void {
    this.sql
      .get(`UPDATE provision_runs SET log = CASE WHEN length(log) < ${MAX_LOG} THEN substr(log || ?, 1, ${MAX_LOG}) ELSE log END WHERE id = ?`)
      .run(text, id);
  }

  get(id: string): ProvisionRun | undefined {
    const r = this.sql.get('SELECT * FROM provision_runs WHERE id = ?').get(id) as Row | undefined;
    return r && toRun(r);
  }

  log(id: string): string {
    return (this.sql.get('SELECT log FROM provision_runs WHERE id = ?').get(id) as { log: string } | undefined)?.log ?? '';
  }

  params<T>(id: string): T {
    return JSON.parse((this.sql.get('SELECT params FROM provision_runs WHERE id = ?').get(id) as { params: string }).params) as T;
  }

  batch(batchId: string): ProvisionRun[] {
    return (this.sql.get('SELECT * FROM provision_runs WHERE batch_id = ? ORDER BY rowid').all(batchId) as Row[]).map(toRun);
  }

  list(limit: number): ProvisionRun[] {
    return (this.sql.get('SELECT * FROM provision_runs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as Row[]).map(toRun);
  }

  /** Runs of a live process acting on this address now. */
  busy(host: string, port: number): ProvisionRun | undefined {
    const rows = this.sql
      .get("SELECT * FROM provision_runs WHERE lower(host) = lower(?) AND port = ? AND state IN ('pending', 'running')")
      .all(host, port) as Row[];
    const live = rows.find((r) => alive(r.pid, r.pid_host));
    return live && toRun(live);
  }

  /**
   * Runs left by a process that is gone: marked interrupted with the phase they were in, so no
   * box claims to be mid-install. Returns those that had started.
   */
  markOrphans(): ProvisionRun[] {
    const rows = this.sql.get("SELECT id, pid, pid_host FROM provision_runs WHERE state IN ('pending', 'running')").all() as Row[];
    const gone = rows.filter((r) => !alive(r.pid, r.pid_host)).map((r) => r.id);
    if (!gone.length) return [];
    const now = this.clock.now();
    return this.db.transaction(() => {
      const hit: ProvisionRun[] = [];
      for (const id of gone) {
        const before = this.get(id)!;
        this.sql
          .get(
            `UPDATE provision_runs SET state = 'interrupted', stopped_phase = phase, finished_at = ?, updated_at = ?, error_code = 'JOB_INTERRUPTED',
               error_message = 'Bootfleet stopped while this box was ' || phase || '.',
               error_next = CASE WHEN phase = 'uploading' THEN 'Provision it again: the upload resumes where it stopped.'
                 WHEN phase IN ('installing', 'rebooting', 'waiting', 'host-key', 'verifying', 'recording')
                 THEN 'Inspect the box: if it runs the installed system, add it to the inventory and refresh it; otherwise provision it again.'
                 ELSE 'Provision it again.' END
             WHERE id = ?`,
          )
          .run(now, now, id);
        if (before.state === 'running') hit.push(this.get(id)!);
      }
      return hit;
    }).immediate();
  }
}

function toRun(r: Row): ProvisionRun {
  return {
    id: r.id,
    batchId: r.batch_id,
    address: `${r.host}:${r.port}`,
    user: r.user,
    name: r.name,
    site: r.site,
    image: r.image,
    digest: r.digest,
    disk: r.disk ? (JSON.parse(r.disk) as ProvisionRun['disk']) : null,
    method: r.method,
    command: r.command,
    state: r.state,
    phase: r.phase,
    stoppedPhase: r.stopped_phase,
    detail: r.detail,
    transfer: r.transfer ? (JSON.parse(r.transfer) as ProvisionRun['transfer']) : null,
    archive: r.archive,
    hostKey: r.host_key_fingerprint ? { keyType: r.host_key_type ?? 'unknown', fingerprint: r.host_key_fingerprint } : null,
    deviceId: r.device_id,
    bootedDigest: r.booted_digest,
    outcome: r.outcome,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '', next: r.error_next } : null,
    hostKeyConfirmation: (JSON.parse(r.params) as { acceptNewHostKey?: boolean }).acceptNewHostKey ? 'auto' : 'ask',
    keysAuthorized: (JSON.parse(r.params) as { authorizedKeys?: boolean }).authorizedKeys ?? false,
    actor: r.actor,
    updatedAt: r.updated_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
