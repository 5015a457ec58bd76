import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { expandHome } from '../paths';
import type { DeviceDetail, DeviceFacts, EtcDiff, MethodArgs, RefreshGroup, RefreshProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { EventBus } from '../events';
import { newId } from '../ids';
import type { ContactRow } from '../inventory/devices-repo';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName, withoutName } from '../inventory/names';
import { osUserName } from '../os-user';
import type { SecretsRepo } from '../secrets/secrets-repo';
import type { SshAuth, SshHop, SshTarget } from '../ssh/connection';
import { deviceTarget, jumpTarget, type HostKeysRepo } from '../ssh/host-keys';
import { parseProxyJump } from '../ssh/openssh-files';
import type { SshPool } from '../ssh/pool';
import { readBootcStatus, readEtcDiff, readFacts } from './status-collector';
import type { ContactFailed, ContactOk, StatusRepo } from './status-repo';

export interface FleetOptions {
  /** Per command (status, facts); the connect timeout is the pool's. Default 30 s. */
  commandTimeoutMs?: number;
  /** ssh-agent socket (default: $SSH_AUTH_SOCK). */
  agentSocket?: string | undefined;
  /** Login name for devices with no user set (default: the OS user, as ssh does). */
  defaultUser?: string;
}

/** Words for each error group of a refresh, in the order they are listed. */
/** How often a refresh asks a device for its /etc changes (`ostree admin config-diff`): hourly, or whenever facts are asked for. */
export const ETC_EVERY_MS = 60 * 60_000;

const GROUP_LABELS: [string, string][] = [
  [ErrorCode.SSH_HOST_KEY_CHANGED, 'Host key changed'],
  [ErrorCode.SSH_AUTH_FAILED, 'Authentication failed'],
  [ErrorCode.SSH_KEY_UNUSABLE, 'Key or passphrase unusable'],
  [ErrorCode.SECRET_UNAVAILABLE, 'Stored password unavailable here'],
  [ErrorCode.SSH_UNREACHABLE, 'Unreachable'],
  [ErrorCode.SSH_TIMEOUT, 'Timed out'],
  [ErrorCode.SSH_DISCONNECTED, 'Connection dropped'],
  [ErrorCode.SUDO_PASSWORD_REQUIRED, 'sudo wants a password'],
  [ErrorCode.NOT_BOOTC_HOST, 'Not a bootc host'],
  [ErrorCode.BOOTC_OUTPUT_INVALID, 'Unreadable bootc output'],
  [ErrorCode.OUTPUT_TOO_LARGE, 'Unreadable bootc output'],
  [ErrorCode.REMOTE_COMMAND_FAILED, 'bootc failed'],
];

interface Job {
  progress: RefreshProgress;
  controller: AbortController;
  done: Promise<RefreshProgress>;
}

/**
 * Fleet status: contacts devices over SSH (through the shared pool and its concurrency
 * limit), reads `bootc status` and facts, and stores a snapshot per contact. Refreshes run
 * as jobs with progress events and cancellation.
 */
export class FleetService {
  readonly status: StatusRepo;
  private readonly jobs = new Map<string, Job>();
  private readonly commandTimeoutMs: number;
  private readonly agentSocket: string | undefined;
  private readonly defaultUser: string;

  constructor(
    private readonly deps: {
      inventory: InventoryService;
      secrets: SecretsRepo;
      hostKeys: HostKeysRepo;
      pool: SshPool;
      activity: ActivityRepo;
      bus: EventBus;
      clock: Clock;
      status: StatusRepo;
    },
    opts: FleetOptions = {},
  ) {
    this.status = deps.status;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
    this.agentSocket = 'agentSocket' in opts ? opts.agentSocket : process.env.SSH_AUTH_SOCK;
    this.defaultUser = opts.defaultUser ?? osUserName();
  }

  // ---- reading --------------------------------------------------------------------------

  device(ref: string, historyLimit: number): DeviceDetail {
    const device = this.deps.inventory.resolveDevice(ref);
    const latest = this.status.latest(device.id);
    const row = this.deps.inventory.devices.contactRows({ ids: [device.id] })[0]!;
    const hk = this.deps.hostKeys.get(deviceTarget(device.id));
    let jumps: string[];
    try {
      jumps = this.jumpHops(row).map((h) => `${h.user}@${h.host}:${h.port}`);
    } catch {
      jumps = [];
    }
    return {
      device,
      summary: device.status,
      status: latest.status,
      statusAt: latest.statusAt,
      facts: latest.facts,
      factsAt: latest.factsAt,
      hostKey: hk ? { ...hk, label: qualifiedName(device.name, device.siteName) } : null,
      jumps,
      history: this.status.history(device.id, historyLimit),
    };
  }

  /** Stores a status read by another part of the core (an action), as a snapshot. */
  record(deviceId: string, reading: { status: ContactOk['status']; raw: string; command: string }, durationMs = 0): void {
    this.status.recordMany([{ deviceId, at: this.deps.clock.now(), status: reading.status, raw: reading.raw, command: reading.command, durationMs, facts: null }]);
    this.deps.bus.emit('fleet.statusChanged', { ids: [deviceId] });
  }

  // ---- refresh --------------------------------------------------------------------------

  /** Starts a refresh job and returns its first progress at once. */
  startRefresh(actor: Actor, input: MethodArgs<'fleet.refresh'>): RefreshProgress {
    const rows = this.select(input);
    const controller = new AbortController();
    // Every device in flight listens for the cancel: as many listeners as the concurrency.
    setMaxListeners(0, controller.signal);
    const progress: RefreshProgress = {
      jobId: newId(),
      state: 'running',
      total: rows.length,
      done: 0,
      ok: 0,
      failed: 0,
      startedAt: this.deps.clock.now(),
      finishedAt: null,
      rate: null,
      etaSeconds: null,
      groups: [],
      message: null,
    };
    const job: Job = { progress, controller, done: Promise.resolve(progress) };
    job.done = this.run(actor, job, rows, input);
    this.jobs.set(progress.jobId, job);
    return { ...progress };
  }

  /** Runs a refresh to the end (the CLI waits on this). */
  async refresh(actor: Actor, input: MethodArgs<'fleet.refresh'>, signal?: AbortSignal): Promise<RefreshProgress> {
    const started = this.startRefresh(actor, input);
    const job = this.jobs.get(started.jobId)!;
    signal?.addEventListener('abort', () => job.controller.abort(), { once: true });
    return job.done;
  }

  job(jobId: string): RefreshProgress {
    const job = this.jobs.get(jobId);
    if (!job) throw new AppError(ErrorCode.NOT_FOUND, `No refresh job ${jobId} (jobs are forgotten 10 minutes after they end).`);
    return snapshot(job.progress);
  }

  jobList(): RefreshProgress[] {
    return [...this.jobs.values()].map((j) => snapshot(j.progress)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  cancel(jobId: string): RefreshProgress {
    const job = this.jobs.get(jobId);
    if (!job) throw new AppError(ErrorCode.NOT_FOUND, `No refresh job ${jobId}.`);
    job.controller.abort();
    return snapshot(job.progress);
  }

  /** Cancels every running job (at shutdown). */
  cancelAll(): void {
    for (const j of this.jobs.values()) j.controller.abort();
  }

  private select(input: MethodArgs<'fleet.refresh'>): ContactRow[] {
    return this.deps.inventory.selectContactRows(input);
  }

  private async run(actor: Actor, job: Job, rows: ContactRow[], input: MethodArgs<'fleet.refresh'>): Promise<RefreshProgress> {
    const p = job.progress;
    const signal = job.controller.signal;
    const started = Date.now();
    const withFacts = input.facts ? null : this.status.withFacts(rows.map((r) => r.id));
    // /etc changes slowly and diffing it costs the device a few finds: asked again after ETC_EVERY_MS (or with facts).
    const etcFresh = input.facts ? null : this.status.etcReadSince(rows.map((r) => r.id), new Date(Date.parse(this.deps.clock.now()) - ETC_EVERY_MS).toISOString());
    const keyCache = new Map<string, Buffer | AppError>();
    const pending: (ContactOk | ContactFailed)[] = [];
    const changedIds: string[] = [];
    const groups = new Map<string, RefreshGroup>();
    let lastEmit = 0;

    const flush = (): void => {
      if (pending.length) {
        this.status.recordMany(pending.splice(0));
        this.deps.bus.emit('fleet.statusChanged', { ids: changedIds.splice(0) });
      }
    };
    const emit = (force = false): void => {
      const now = Date.now();
      if (!force && now - lastEmit < 250) return;
      lastEmit = now;
      flush();
      const secs = (now - started) / 1000;
      p.rate = p.done > 0 && secs > 0 ? p.done / secs : null;
      p.etaSeconds = p.rate ? Math.round((p.total - p.done) / p.rate) : null;
      p.groups = orderGroups(groups);
      this.deps.bus.emit('fleet.progress', snapshot(p));
    };

    const contactOne = async (row: ContactRow): Promise<void> => {
      const t0 = Date.now();
      const name = qualifiedName(row.name, row.site_name);
      let facts: DeviceFacts | null = null;
      let etcDiff: EtcDiff | null | undefined;
      try {
        const target = this.targetFor(row, name, keyCache);
        const needFacts = withFacts === null || !withFacts.has(row.id);
        const needEtc = etcFresh === null || !etcFresh.has(row.id);
        const reading = await this.deps.pool.with(
          poolKey(row, target),
          target,
          async (conn) => {
            // Status, /etc changes and facts run side by side on one connection, one channel each.
            const [r, etc, f] = await Promise.all([
              readBootcStatus(conn, name, { sudo: row.sudo === 1, timeoutMs: this.commandTimeoutMs, signal }),
              needEtc ? readEtcDiff(conn, { sudo: row.sudo === 1, timeoutMs: this.commandTimeoutMs, signal }) : Promise.resolve(undefined),
              needFacts ? readFacts(conn, { timeoutMs: this.commandTimeoutMs, signal }).catch(() => null) : Promise.resolve(null),
            ]);
            facts = f;
            etcDiff = etc;
            return r;
          },
          signal,
        );
        pending.push({ deviceId: row.id, at: this.deps.clock.now(), status: reading.status, raw: reading.raw, command: reading.command, durationMs: Date.now() - t0, facts, ...(etcDiff !== undefined ? { etcDiff } : {}) });
        p.ok++;
      } catch (e) {
        const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL, e instanceof Error ? e.message : String(e));
        if (err.code === ErrorCode.CANCELED && signal.aborted) return;
        const details = (err.details ?? {}) as { raw?: unknown; command?: unknown };
        const message = withoutName(err.message, name);
        pending.push({
          deviceId: row.id,
          at: this.deps.clock.now(),
          code: err.code,
          message,
          raw: typeof details.raw === 'string' ? details.raw : null,
          command: typeof details.command === 'string' ? details.command : null,
          durationMs: Date.now() - t0,
        });
        p.failed++;
        const label = GROUP_LABELS.find(([c]) => c === err.code)?.[1] ?? 'Other errors';
        const g = groups.get(label) ?? { code: err.code, label, count: 0, devices: [] };
        g.count++;
        g.devices.push({ id: row.id, name: row.name, siteName: row.site_name, message });
        groups.set(label, g);
      }
      changedIds.push(row.id);
      p.done++;
      if (pending.length >= 500) flush();
      emit();
    };

    try {
      const width = Math.min(input.concurrency ?? this.deps.pool.concurrency, this.deps.pool.concurrency, Math.max(1, rows.length));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < rows.length && !signal.aborted) await contactOne(rows[next++]!);
      };
      await Promise.all(Array.from({ length: width }, worker));
      p.state = signal.aborted ? 'canceled' : 'done';
      if (signal.aborted) p.message = `Cancelled after ${p.done} of ${p.total} devices.`;
    } catch (e) {
      p.state = 'failed';
      p.message = e instanceof Error ? e.message : String(e);
    } finally {
      flush();
    }
    p.finishedAt = this.deps.clock.now();
    emit(true);
    this.deps.activity.append(actor, {
      action: 'fleet.refreshed',
      entityType: 'fleet',
      entityId: p.jobId,
      entityName: null,
      summary: `Refreshed the status of ${p.done} of ${p.total} device${p.total === 1 ? '' : 's'}: ${p.ok} answered, ${p.failed} failed${p.state === 'canceled' ? ' (cancelled)' : ''}`,
      details: { total: p.total, ok: p.ok, failed: p.failed, state: p.state, groups: p.groups.map((g) => ({ code: g.code, label: g.label, count: g.devices.length })) },
    });
    this.deps.bus.emit('activity.appended', { lastId: this.deps.activity.lastId() });
    const t = setTimeout(() => this.jobs.delete(p.jobId), 10 * 60_000);
    t.unref();
    return snapshot(p);
  }

  // ---- connection targets ---------------------------------------------------------------

  /** The SSH target of a device: its login, its credentials (decrypted here), its jump hosts. */
  targetFor(row: ContactRow, label: string, keyCache = new Map<string, Buffer | AppError>()): SshTarget {
    const auth = this.authFor(row, label, keyCache);
    const user = row.ssh_user ?? this.defaultUser;
    const device: SshHop = { pinId: deviceTarget(row.id), label, host: row.host, port: row.port, user, auth };
    return { device, jumps: this.jumpHops(row, auth, user) };
  }

  private jumpHops(row: ContactRow, auth?: SshAuth, deviceUser?: string): SshHop[] {
    const spec = row.proxy_jump ?? row.site_proxy_jump;
    if (!spec) return [];
    const user = deviceUser ?? row.ssh_user ?? this.defaultUser;
    // Jump hosts take the device's key or agent; a password is the device's, not theirs.
    const hopAuth: SshAuth = auth && auth.kind !== 'password' ? auth : { kind: 'agent', agentSocket: this.agentSocket };
    return parseProxyJump(spec).map((h) => ({
      pinId: jumpTarget(h.host, h.port ?? 22),
      label: `jump host ${h.user ?? user}@${h.host}:${h.port ?? 22}`,
      host: h.host,
      port: h.port ?? 22,
      user: h.user ?? user,
      auth: hopAuth,
    }));
  }

  private authFor(row: ContactRow, label: string, keyCache: Map<string, Buffer | AppError>): SshAuth {
    const secret = (): string | undefined => (row.secret_id ? this.deps.secrets.get(row.secret_id) : undefined);
    if (row.auth === 'password') {
      const password = secret();
      if (!password) throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `${label}: no password is stored; edit the device and enter it.`);
      return { kind: 'password', password };
    }
    if (row.auth === 'agent') return { kind: 'agent', agentSocket: this.agentSocket };
    const keyPath = expandHome(row.key_path ?? '');
    let key = keyCache.get(keyPath);
    if (!key) {
      try {
        key = readFileSync(keyPath);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        key = new AppError(
          ErrorCode.SSH_KEY_UNUSABLE,
          code === 'ENOENT' ? `${label}: the key file ${keyPath} does not exist.` : `${label}: the key file ${keyPath} cannot be read (${code ?? (e as Error).message}).`,
          { keyPath },
        );
      }
      keyCache.set(keyPath, key);
    }
    if (key instanceof AppError) throw new AppError(key.code, key.message.replace(/^[^:]*:/, `${label}:`), key.details);
    return { kind: 'key', keyPath, privateKey: key, passphrase: secret() };
  }
}

/** Connections are reused only while nothing about how to reach the device changed. */
function poolKey(row: ContactRow, target: SshTarget): string {
  return JSON.stringify([row.id, row.host, row.port, target.device.user, row.auth, row.key_path, row.secret_id, target.jumps.map((j) => j.pinId)]);
}

function orderGroups(groups: Map<string, RefreshGroup>): RefreshGroup[] {
  const order = [...new Set(GROUP_LABELS.map(([, l]) => l)), 'Other errors'];
  return [...groups.values()].sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
}

function snapshot(p: RefreshProgress): RefreshProgress {
  return { ...p, groups: p.groups.map((g) => ({ ...g, devices: g.devices.slice(0, 200) })) };
}
