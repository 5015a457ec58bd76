import { join } from 'node:path';
import { AppError, ErrorCode } from '../../shared/errors';
import type { Result, Via } from '../../shared/contract';
import { ActivityRepo, type Actor } from './activity/activity-repo';
import { systemClock, type Clock } from './clock';
import { openDatabase, type Db } from './db/open';
import { DesiredService } from './desired/desired-service';
import { EventBus } from './events';
import { DriveWatcher } from './flash/drive-watcher';
import { FlashService, flashOptionsFromEnv, type FlashOptions } from './flash/flash-service';
import { LibraryService } from './library/library-service';
import { ProvisionService } from './provision/provision-service';
import { ProvisionRunsRepo } from './provision/runs-repo';
import { FleetService } from './fleet/fleet-service';
import { StatusRepo } from './fleet/status-repo';
import { AuditService } from './audit/audit-service';
import { chromiumPdfPrinter, type PdfPrinter } from './audit/export';
import { AuditRowsReader } from './audit/rows-reader';
import { TerminalService } from './terminals/terminal-service';
import { buildHandlers } from './handlers';
import { KeysService } from './keys/keys-service';
import { InventoryService } from './inventory/inventory-service';
import { osUserName } from './os-user';
import { DATABASE_FILE, SECRET_KEY_FILE } from './paths';
import { createRouter, type CallContext } from './rpc/router';
import { keyFileCipher, type SecretCipher } from './secrets/cipher';
import { RegistryClient } from './registry/client';
import { RegistriesRepo } from './registry/registries-repo';
import { SecretsRepo } from './secrets/secrets-repo';
import { HostKeysRepo } from './ssh/host-keys';
import { OpenSshImport } from './ssh/openssh-import';
import { ActionService } from './updates/action-service';
import { JobsRepo } from './updates/jobs-repo';
import { RolloutService } from './updates/rollout-service';
import { RolloutsRepo } from './updates/rollouts-repo';
import { SshPool } from './ssh/pool';
import { VERSION } from './version';

export interface AppOptions {
  dataDir: string;
  via: Via;
  /** Secret encryption; defaults to a 0600 key file in the data directory. */
  cipher?: SecretCipher;
  clock?: Clock;
  /** Where unexpected errors are written (default: stderr). */
  log?: (msg: string) => void;
  /** SSH: connections open at once (default 32), connect and command timeouts. */
  ssh?: { concurrency?: number; connectTimeoutMs?: number; commandTimeoutMs?: number; agentSocket?: string | undefined; defaultUser?: string };
  /** Device actions: command timeout and the reboot poll interval. */
  actions?: { commandTimeoutMs?: number; pollMs?: number };
  /** Flashing: when to use the privileged helper and how to start it (default: as needed, through pkexec). */
  flash?: FlashOptions;
  /** Terminals may run a shell on this machine (the desktop app; `bootfleet serve --allow-local-shell`). Default off. */
  localShell?: boolean;
  /** Prints the HTML audit report to PDF (default: headless Chromium; the desktop app uses its own window). */
  printPdf?: PdfPrinter;
  /** After this long without a good contact a device's state is shown as stale (default 24 h). */
  staleAfterMs?: number;
}

/** Everything a host needs: the services, the contract dispatcher, the event bus. */
export interface BootfleetCore {
  dataDir: string;
  databasePath: string;
  db: Db;
  bus: EventBus;
  inventory: InventoryService;
  activity: ActivityRepo;
  secrets: SecretsRepo;
  fleet: FleetService;
  actions: ActionService;
  jobs: JobsRepo;
  rollouts: RolloutService;
  flash: FlashService;
  provision: ProvisionService;
  library: LibraryService;
  audit: AuditService;
  terminals: TerminalService;
  keys: KeysService;
  desired: DesiredService;
  registries: RegistriesRepo;
  hostKeys: HostKeysRepo;
  pool: SshPool;
  /** Serve one contract call as the given actor. */
  call(method: string, input: unknown, ctx?: CallContext): Promise<Result<unknown>>;
  /** The default actor for this process: the OS user, through this host. */
  actor: Actor;
  /** Emit inventory events when another process (a CLI run, say) changes the database. */
  watchExternalChanges(intervalMs?: number): () => void;
  /** Long work this process runs now (flashes, jobs, rollouts, provisioning), in words: what a quit would stop. */
  work(): string[];
  /**
   * Quits cleanly: stops all work, waits (up to `timeoutMs`) until each piece has recorded how it
   * ended (a flash the condition of every drive, a job each device's state), then closes. Returns
   * what did not record its end in time (the next start marks it interrupted).
   */
  shutdown(timeoutMs?: number): Promise<{ unfinished: string[] }>;
  close(): void;
}

/** The composition root: opens the inventory in `dataDir` and wires the services. */
export function openCore(opts: AppOptions): BootfleetCore {
  let quitting = false;
  const pendingWork = (): { label: string; done: Promise<unknown> }[] => [...flash.pending(), ...rollouts.pending(), ...actions.pending(), ...provision.pending()];
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const databasePath = join(opts.dataDir, DATABASE_FILE);
  const { db, schemaVersion } = openDatabase(databasePath);
  const cipher = opts.cipher ?? keyFileCipher(join(opts.dataDir, SECRET_KEY_FILE));
  const bus = new EventBus();
  const activity = new ActivityRepo(db, clock);
  const secrets = new SecretsRepo(db, cipher, clock);
  const inventory = new InventoryService(db, activity, secrets, bus, clock, opts.staleAfterMs);
  const hostKeys = new HostKeysRepo(db, activity, clock);
  const pool = new SshPool(hostKeys, {
    ...(opts.ssh?.concurrency ? { concurrency: opts.ssh.concurrency } : {}),
    ...(opts.ssh?.connectTimeoutMs ? { connectTimeoutMs: opts.ssh.connectTimeoutMs } : {}),
  });
  const fleet = new FleetService(
    { inventory, secrets, hostKeys, pool, activity, bus, clock, status: new StatusRepo(db) },
    {
      ...(opts.ssh?.commandTimeoutMs ? { commandTimeoutMs: opts.ssh.commandTimeoutMs } : {}),
      ...(opts.ssh && 'agentSocket' in opts.ssh ? { agentSocket: opts.ssh.agentSocket } : {}),
      ...(opts.ssh?.defaultUser ? { defaultUser: opts.ssh.defaultUser } : {}),
    },
  );
  const jobs = new JobsRepo(db, clock);
  // Devices a killed Bootfleet left mid-action get a line in the activity log, with the phase.
  for (const o of jobs.markOrphans()) {
    activity.append({ user: osUserName(), via: opts.via }, {
      action: `device.${o.action}`,
      entityType: 'device',
      entityId: o.deviceId,
      entityName: o.name,
      summary: `${o.action} on ${o.name}: interrupted while ${o.phase} (the Bootfleet process running it stopped); its state is re-read when it is next contacted`,
      details: { jobId: o.jobId, result: 'interrupted', phase: o.phase },
    });
  }
  const rolloutsRepo = new RolloutsRepo(db, clock);
  rolloutsRepo.markOrphans();
  const registries = new RegistriesRepo(db, secrets, clock);
  const registry = new RegistryClient(registries);
  const library = new LibraryService({ db, activity, bus, clock, dir: join(opts.dataDir, 'library'), registry });
  const actions = new ActionService({ inventory, fleet, pool, jobs, activity, bus, clock, library }, opts.actions ?? {});
  const rollouts = new RolloutService({ inventory, actions, jobs, rollouts: rolloutsRepo, activity, bus });
  const desired = new DesiredService({ db, inventory, activity, bus, clock, registry });
  const provisionRuns = new ProvisionRunsRepo(db, clock);
  // Boxes a killed Bootfleet left mid-install get a line in the activity log, with the phase.
  for (const r of provisionRuns.markOrphans()) {
    activity.append({ user: osUserName(), via: opts.via }, {
      action: 'device.provision',
      entityType: 'provision',
      entityId: r.id,
      entityName: r.name,
      summary: `Provisioning ${r.name} (${r.address}): interrupted while ${r.phase} (the Bootfleet process running it stopped)`,
      details: { runId: r.id, batchId: r.batchId, result: 'interrupted', phase: r.phase, digest: r.digest, disk: r.disk },
    });
  }
  const provision = new ProvisionService({
    pool,
    hostKeys,
    registry,
    runs: provisionRuns,
    inventory,
    fleet,
    activity,
    bus,
    clock,
    agentSocket: opts.ssh && 'agentSocket' in opts.ssh ? opts.ssh.agentSocket : process.env.SSH_AUTH_SOCK,
    commandTimeoutMs: opts.ssh?.commandTimeoutMs ?? 60_000,
    ...(opts.actions?.pollMs ? { pollMs: opts.actions.pollMs } : {}),
    library,
  });
  const flash = new FlashService({ db, activity, bus, clock }, opts.flash ?? flashOptionsFromEnv(process.env));
  const driveWatcher = new DriveWatcher(bus);
  const terminals = new TerminalService({ db, dataDir: opts.dataDir, inventory, fleet, pool, activity, bus, clock, localShell: opts.localShell === true });
  const rowsReader = new AuditRowsReader(databasePath);
  const audit = new AuditService({ db, clock, inventory, rowsReader });
  const keys = new KeysService({ db, secrets, activity, clock });
  const handlers = buildHandlers({
    dataDir: opts.dataDir,
    terminals,
    audit,
    printPdf: opts.printPdf ?? chromiumPdfPrinter,
    keys,
    clock,
    db,
    actions,
    flash,
    driveWatcher,
    provision,
    library,
    rollouts,
    desired,
    registries,
    jobs,
    inventory,
    activity,
    fleet,
    hostKeys,
    sshImport: new OpenSshImport(db, inventory, hostKeys, activity, bus),
    bus,
    info: () => ({
      product: 'Bootfleet',
      version: VERSION,
      dataDir: opts.dataDir,
      databasePath,
      schemaVersion,
      secretStore: cipher.store ?? cipher.scheme,
      secretStoreWhy: cipher.why?.() ?? (cipher.scheme === 'safeStorage' ? "Electron's safeStorage (the OS keychain)" : 'a key file in the data directory'),
      localShell: opts.localShell === true,
    }),
  });
  const dispatch = createRouter(handlers, {
    dbPath: databasePath,
    onUnexpected: (err, method) => log(`bootfleet: unexpected error in ${method}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  const actor: Actor = { user: osUserName(), via: opts.via };
  const timers = new Set<NodeJS.Timeout>();
  // Recordings past their site's retention go at open and every six hours after.
  const prune = (): void => {
    try {
      terminals.pruneRecordings(actor);
    } catch (err) {
      log(`bootfleet: removing old terminal recordings failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  prune();
  const pruning = setInterval(prune, 6 * 3_600_000);
  pruning.unref();
  timers.add(pruning);
  return {
    dataDir: opts.dataDir,
    databasePath,
    db,
    bus,
    inventory,
    activity,
    secrets,
    fleet,
    actions,
    jobs,
    rollouts,
    flash,
    provision,
    library,
    audit,
    terminals,
    keys,
    desired,
    registries,
    hostKeys,
    pool,
    actor,
    // Once a quit has begun, nothing new starts: work begun then would not be waited for.
    call: (method, input, ctx = { actor }) =>
      quitting ? Promise.resolve({ ok: false, error: new AppError(ErrorCode.ACTION_NOT_POSSIBLE, 'Bootfleet is quitting; nothing new is started.').toJSON() }) : dispatch(method, input, ctx),
    watchExternalChanges(intervalMs = 1000) {
      // data_version changes only when another connection commits, so our own writes
      // (already announced) do not trigger a second refresh.
      let last = db.pragma('data_version', { simple: true });
      const t = setInterval(() => {
        try {
          const v = db.pragma('data_version', { simple: true });
          if (v !== last) {
            last = v;
            bus.emit('inventory.changed', { entity: 'all' });
            bus.emit('activity.appended', { lastId: activity.lastId() });
          }
        } catch {
          /* a locked moment; try again next tick */
        }
      }, intervalMs);
      t.unref();
      timers.add(t);
      return () => {
        clearInterval(t);
        timers.delete(t);
      };
    },
    work() {
      return pendingWork().map((w) => w.label);
    },
    async shutdown(timeoutMs = 20_000) {
      quitting = true;
      const pending = pendingWork();
      const settled = new Set<string>();
      for (const w of pending) void w.done.then(() => settled.add(w.label), () => settled.add(w.label));
      terminals.closeAll();
      fleet.cancelAll();
      rollouts.pauseAllHere(actor);
      actions.cancelAll();
      flash.cancelAll();
      provision.cancelAll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(pending.map((w) => w.done)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      const unfinished = pending.filter((w) => !settled.has(w.label)).map((w) => w.label);
      this.close();
      return { unfinished };
    },
    close() {
      if (!db.open) return;
      terminals.closeAll();
      fleet.cancelAll();
      actions.cancelAll();
      flash.cancelAll();
      provision.cancelAll();
      driveWatcher.stop();
      rowsReader.close();
      pool.close();
      for (const t of timers) clearInterval(t);
      timers.clear();
      if (db.open) db.close();
    },
  };
}
