import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { authorizedKeysProblem, shortDigest, type MethodArgs, type ProvisionHost, type ProvisionPlan, type ProvisionRun, type ProvisionTarget } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import { rebootArgv } from '../bootc/commands';
import type { Clock } from '../clock';
import type { EventBus } from '../events';
import type { FleetService } from '../fleet/fleet-service';
import { readBootcStatus, type StatusReading } from '../fleet/status-collector';
import { newId } from '../ids';
import { expandHome } from '../paths';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import type { RegistryClient, ResolvedImage } from '../registry/client';
import type { SshConnection, SshTarget } from '../ssh/connection';
import { deviceTarget, type HostKeysRepo } from '../ssh/host-keys';
import type { SshPool } from '../ssh/pool';
import { shellLine, withSudo } from '../ssh/quote';
import { readBootId } from '../updates/action-service';
import { INSPECT_SCRIPT, parseInspect, provisionPin, provisionTarget } from './inspect';
import { AUTHORIZED_KEYS_PATH, planInstall, type InstallPlan } from './plan';
import { formatTransfer } from '../flash/drives';
import { sha256File } from '../flash/image';
import type { LibraryService } from '../library/library-service';
import { readOciArchive, type ArchiveImage } from './archive';
import { installProgress, nextStep } from './install-output';
import { UploadFailure, uploadVerified } from './upload';
import type { ProvisionRunsRepo, RunStep } from './runs-repo';

type StartInput = MethodArgs<'provision.start'>;
type Box = StartInput['boxes'][number];

export interface ProvisionDeps {
  pool: SshPool;
  hostKeys: HostKeysRepo;
  registry: RegistryClient;
  runs: ProvisionRunsRepo;
  inventory: InventoryService;
  fleet: FleetService;
  activity: ActivityRepo;
  bus: EventBus;
  clock: Clock;
  agentSocket: string | undefined;
  /** Inspecting and short commands. */
  commandTimeoutMs: number;
  /** The install itself (pulling a multi-gigabyte image included). Default 2 h. */
  installTimeoutMs?: number;
  /** Between reconnect attempts while a box reboots. Default 1 s. */
  pollMs?: number;
  /** For installing a library image (`library`). */
  library?: LibraryService;
}

/** Per run, what the running process knows beyond the database. */
interface Live {
  controller: AbortController;
  /** bootc is writing the disk: a cancel waits for the install to end, then skips the reboot. */
  writing: boolean;
  /** The remote install's PID (to stop a pull on cancel). */
  pid: number | null;
  /** Resolves the wait for a host key confirmation with the fingerprint confirmed. */
  confirm: ((fingerprint: string) => void) | null;
}

/** The pool key of a live system's login: an idle connection is reused only with the same credentials. */
function livePoolKey(t: ProvisionTarget): string {
  const secret = t.password === undefined ? null : createHash('sha256').update(t.password).digest('hex');
  return `provision:${JSON.stringify([t.host.toLowerCase(), t.port, t.user, t.keyPath ?? null, secret])}`;
}

const short = (d: string | null | undefined): string => (d ? shortDigest(d) : '-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class RunFailure extends AppError {
  constructor(
    code: string,
    message: string,
    readonly next: string | null,
  ) {
    super(code as ErrorCode, message);
  }
}

/**
 * Provisioning boxes over SSH (issue 7). Inspecting connects as the technician typed (a password
 * is common on live media), pins the live system's host key on first use, and reads in one round
 * trip what an install needs to know. A run installs on one box: it checks the choices against
 * the box again, writes root's authorized keys, runs the install with its output streamed, reboots,
 * waits for the installed system (whose new host key the technician confirms), verifies the digest
 * it booted, and enters it in the inventory with its first status. Every step is in the database
 * before it happens.
 */
export class ProvisionService {
  private readonly live = new Map<string, Live>();
  private readonly batches = new Map<string, Promise<ProvisionRun[]>>();
  private readonly installTimeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly d: ProvisionDeps) {
    this.installTimeoutMs = d.installTimeoutMs ?? 2 * 60 * 60_000;
    this.pollMs = d.pollMs ?? 1000;
  }

  /** Inspects the box, resolves the image, and returns the exact command an install would run. */
  async plan(raw: MethodArgs<'provision.plan'>): Promise<ProvisionPlan> {
    if (raw.archive && raw.library) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Give an archive or a library image, not both.');
    const lib = raw.library ? this.libraryArchive(raw.library) : null;
    if (lib) await lib.ready;
    const input = { ...raw, ...(raw.archive ? { archive: expandHome(raw.archive) } : {}), ...(lib ? { archive: lib.path } : {}) };
    // What start would refuse is refused here too, so a clean review means a clean start.
    if (input.authorizedKeys !== undefined) checkAuthorizedKeys(input.authorizedKeys);
    const [host, resolved] = await Promise.all([this.inspect({ target: input.target }), this.source(input)]);
    const p = planInstall(host, input, resolved);
    return { host, digest: p.digest, command: p.command, argv: p.argv, warnings: p.warnings };
  }

  async inspect(input: MethodArgs<'provision.inspect'>, signal?: AbortSignal): Promise<ProvisionHost> {
    const target = provisionTarget(input.target, this.d.agentSocket);
    const out = await this.d.pool.with(
      livePoolKey(input.target),
      target,
      (conn) => conn.exec(['sh', '-c', INSPECT_SCRIPT], { timeoutMs: this.d.commandTimeoutMs, maxStdout: 4 * 1024 * 1024, signal }),
      signal,
    );
    const pinned = this.d.hostKeys.get(target.device.pinId);
    return parseInspect(out.stdout.toString('utf8'), `${input.target.host}:${input.target.port}`, pinned ? { keyType: pinned.keyType, fingerprint: pinned.fingerprint } : null);
  }

  /** A library image's oci-archive (written from the library once, then reused). */
  private libraryArchive(ref: string): { path: string; ready: Promise<void> } {
    if (!this.d.library) throw new AppError(ErrorCode.INTERNAL, 'No image library here.');
    return this.d.library.imageArchive(ref);
  }

  /** What would be installed: the registry image resolved, or what the archive holds. */
  private source(input: { image: string; archive?: string | undefined }): Promise<ResolvedImage> {
    return input.archive ? readOciArchive(input.archive) : this.d.registry.resolve(input.image);
  }

  /** Accepts the changed key a box at this address offered (refused at the last contact). */
  acceptHostKey(actor: Actor, input: MethodArgs<'provision.acceptHostKey'>): { address: string; keyType: string; fingerprint: string } {
    const address = `${input.host}:${input.port}`;
    const rec = this.d.hostKeys.accept(actor, provisionPin(input.host, input.port), `box ${address}`, input.fingerprint);
    return { address, keyType: rec.keyType, fingerprint: rec.fingerprint };
  }

  // ---- runs ------------------------------------------------------------------------------

  /** Checks what can be checked without the boxes, records one run per box, and starts them. */
  start(actor: Actor, raw: StartInput): { batchId: string; runs: ProvisionRun[] } {
    // Paths as the user typed them (`~/.ssh/id_ed25519`) are stored and used expanded.
    // A library image goes as its archive, written from the library while the boxes are checked.
    const lib = raw.library ? this.libraryArchive(raw.library) : null;
    lib?.ready.catch(() => undefined);
    const input: StartInput = {
      ...raw,
      ...(raw.archive ? { archive: expandHome(raw.archive) } : {}),
      ...(lib ? { archive: lib.path } : {}),
      login: { ...raw.login, ...(raw.login.keyPath ? { keyPath: expandHome(raw.login.keyPath) } : {}) },
    };
    for (const b of input.boxes) if (b.site) this.d.inventory.requireSite(b.site);
    if (input.login.keyPath) readKey(input.login.keyPath);
    if (input.authorizedKeys !== undefined) checkAuthorizedKeys(input.authorizedKeys);
    for (const b of input.boxes) {
      const busy = this.d.runs.busy(b.target.host, b.target.port);
      if (busy) throw new AppError(ErrorCode.DEVICE_BUSY, `${busy.address} is already being provisioned (as ${busy.name}, run ${busy.id}); wait for it or cancel it.`, { runId: busy.id });
    }
    const batchId = newId();
    const runs = input.boxes.map((b) => ({
      id: newId(),
      host: b.target.host,
      port: b.target.port,
      user: b.target.user,
      name: b.name,
      site: b.site ? this.d.inventory.requireSite(b.site).name : null,
      params: { disk: b.disk, wipe: b.wipe, tags: b.tags, login: input.login, acceptNewHostKey: input.acceptNewHostKey, authorizedKeys: input.authorizedKeys !== undefined },
    }));
    this.d.runs.create({ id: batchId, image: input.image, archive: input.archive ?? null, actor: actor.user, via: actor.via }, runs);
    for (const r of runs) {
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      this.live.set(r.id, { controller, writing: false, pid: null, confirm: null });
    }
    // One resolution for the batch: every box gets the same digest (per architecture). An
    // archive is hashed once too, while the boxes are checked.
    const ready = lib?.ready ?? Promise.resolve();
    const resolved = ready.then(() => this.source(input));
    resolved.catch(() => undefined);
    const archive = input.archive
      ? { path: input.archive, sha256: ready.then(() => sha256File(input.archive!)), size: resolved.then((r) => (r as ArchiveImage).size) }
      : null;
    archive?.sha256.catch(() => undefined);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < runs.length) {
        const i = next++;
        await this.runBox(actor, runs[i]!.id, input.boxes[i]!, input, resolved, archive);
      }
    };
    const all = Promise.all(Array.from({ length: Math.min(input.parallel, runs.length) }, worker)).then(() => {
      for (const r of runs) this.live.delete(r.id);
      return this.d.runs.batch(batchId);
    });
    this.batches.set(batchId, all);
    void all.finally(() => this.batches.delete(batchId));
    return { batchId, runs: this.d.runs.batch(batchId) };
  }

  /** Resolves when a batch this process runs has ended (at once, with its runs, if it has). */
  async wait(batchId: string): Promise<ProvisionRun[]> {
    return this.batches.get(batchId) ?? this.d.runs.batch(batchId);
  }

  list(input: MethodArgs<'provision.list'>): ProvisionRun[] {
    return input.batchId ? this.d.runs.batch(input.batchId) : this.d.runs.list(input.limit);
  }

  get(id: string): ProvisionRun & { log: string } {
    const run = this.d.runs.get(id);
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, `No provisioning run ${id}.`);
    return { ...run, log: this.d.runs.log(id) };
  }

  cancel(input: MethodArgs<'provision.cancel'>): ProvisionRun[] {
    const runs = input.id ? [this.get(input.id)] : this.d.runs.batch(input.batchId!);
    if (!runs.length) throw new AppError(ErrorCode.NOT_FOUND, `No provisioning batch ${input.batchId}.`);
    const elsewhere = runs.filter((r) => (r.state === 'running' || r.state === 'pending') && !this.live.has(r.id));
    if (elsewhere.length === runs.length) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${elsewhere.map((r) => r.name).join(', ')} ${elsewhere.length === 1 ? 'is' : 'are'} provisioned by another Bootfleet process; cancel there (Ctrl-C in its terminal).`);
    }
    for (const r of runs) {
      const l = this.live.get(r.id);
      if (!l || l.controller.signal.aborted) continue;
      if (l.writing) this.log(r.id, 'note: cancel requested while the disk is being written; stopping now would leave it half-written, so the install finishes and the box is not rebooted.\n');
      l.controller.abort();
    }
    return runs.map((r) => this.d.runs.get(r.id)!);
  }

  /**
   * The technician checked the installed system's new host key: the run goes on. Any process
   * may confirm (the run's own process sees it in the database within a poll).
   */
  confirmHostKey(actor: Actor, input: MethodArgs<'provision.confirmHostKey'>): ProvisionRun {
    const run = this.get(input.id);
    if (run.state !== 'running' || run.phase !== 'host-key') {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${run.name} is not waiting for a host key confirmation (it is ${run.state === 'running' ? run.phase : run.state}).`);
    }
    if (run.hostKey?.fingerprint !== input.fingerprint) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `${run.name} presents ${run.hostKey?.fingerprint ?? 'no key'}, not ${input.fingerprint}; nothing was confirmed.`);
    }
    if (!this.d.runs.confirmHostKey(run.id, input.fingerprint, actor.user)) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${run.name} stopped waiting for a host key confirmation; nothing was confirmed.`);
    }
    this.live.get(run.id)?.confirm?.(input.fingerprint);
    return this.d.runs.get(run.id)!;
  }

  cancelAll(): void {
    for (const l of this.live.values()) l.controller.abort();
  }

  /** Provisioning batches this process runs, for a quit to name and wait for. */
  pending(): { label: string; done: Promise<unknown> }[] {
    return [...this.batches].map(([id, done]) => {
      const runs = this.d.runs.batch(id);
      return { label: `Provisioning ${runs.length === 1 ? runs[0]!.name : `${runs.length} boxes`}`, done };
    });
  }

  private step(id: string, s: RunStep): ProvisionRun {
    const run = this.d.runs.step(id, s);
    this.d.bus.emit('provision.updated', run);
    return run;
  }

  private log(id: string, text: string): void {
    if (!text) return;
    this.d.runs.appendLog(id, text);
    this.d.bus.emit('provision.log', { id, text });
  }

  private async runBox(actor: Actor, id: string, box: Box, input: StartInput, resolvedP: Promise<ResolvedImage>, archive: LocalArchive | null): Promise<void> {
    const l = this.live.get(id)!;
    const signal = l.controller.signal;
    const name = qualifiedName(box.name, box.site ? this.d.inventory.requireSite(box.site).name : null);
    const address = `${box.target.host}:${box.target.port}`;
    let phase = 'checking' as ProvisionRun['phase'];
    const set = (s: RunStep) => {
      if (s.phase) phase = s.phase;
      return this.step(id, s);
    };
    if (signal.aborted) {
      set({ state: 'canceled', phase: 'finished', outcome: 'cancelled before it started' });
      return;
    }
    set({ state: 'running', phase: 'checking' });
    try {
      const liveTarget = provisionTarget(box.target, this.d.agentSocket);
      const [host, resolved] = await Promise.all([this.inspect({ target: box.target }, signal), resolvedP]);
      const p = planInstall(host, { ...input, disk: box.disk, wipe: box.wipe, confirm: box.confirm }, resolved);
      set({
        digest: p.digest,
        disk: { path: p.disk.path, serial: p.disk.serial, model: p.disk.model, sizeBytes: p.disk.size },
        method: host.method === 'none' ? null : host.method,
        command: p.command,
      });
      for (const w of p.warnings) this.log(id, `note: ${w}\n`);
      const installed = await this.d.pool.with(livePoolKey(box.target), liveTarget, (conn) => this.install(conn, id, p, input, l, set, archive), signal);
      if (!installed) {
        set({ state: 'canceled', phase: 'finished', detail: null, outcome: `installed on ${p.disk.path} but not rebooted (cancelled): the box still runs its live system` });
        this.audit(actor, id, name, 'canceled', `Provisioning ${name} (${address}) cancelled after the install: not rebooted`, null);
        return;
      }
      const reading = await this.awaitInstalledSystem(actor, id, name, box, input, installed.bootId, set, signal, l);
      set({ phase: 'verifying' });
      const booted = reading.status.booted?.image;
      if (booted?.digest !== p.digest) {
        const what = booted ? `${booted.version ? `${booted.version} ` : ''}(${short(booted.digest)})` : 'a system without a booted bootc image';
        throw new RunFailure(ErrorCode.BOOTED_WRONG_IMAGE, `came back on ${what} instead of the installed ${short(p.digest)}.`, 'Check the firmware boot order: the box may have booted the live media again instead of the disk.');
      }
      set({ phase: 'recording', bootedDigest: booted.digest });
      const deviceId = this.record(actor, id, box, input, reading);
      set({ state: 'done', phase: 'finished', detail: null, deviceId, outcome: `installed on ${p.disk.path} and booted ${booted.version ? `${booted.version} ` : ''}(${short(booted.digest)}), as expected` });
      this.audit(actor, id, name, 'done', `Provisioned ${name} (${address}): ${input.image} ${short(p.digest)} onto ${p.disk.path}${p.disk.serial ? ` (serial ${p.disk.serial})` : ''}`, deviceId);
    } catch (e) {
      if (e instanceof AppError && e.code === ErrorCode.CANCELED) {
        const outcome =
          phase === 'waiting' || phase === 'host-key' || phase === 'verifying'
            ? 'stopped waiting (cancelled): the box was rebooted into the installed system but is not verified or in the inventory'
            : phase === 'uploading'
              ? 'cancelled while uploading the archive; the disk was not touched, and the next run resumes the upload'
              : `cancelled while ${phase}; the disk was not touched`;
        set({ state: 'canceled', phase: 'finished', detail: null, outcome });
        this.audit(actor, id, name, 'canceled', `Provisioning ${name} (${address}) cancelled while ${phase}`, null);
        return;
      }
      const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL, e instanceof Error ? e.message : String(e));
      const message = err.message.replace(`${liveLabel(box.target)}: `, '');
      const next = e instanceof RunFailure || e instanceof UploadFailure ? e.next : nextStep(`${err.message}`);
      set({ state: 'failed', phase: 'finished', detail: null, outcome: `failed while ${phase}`, error: { code: err.code, message, next } });
      this.audit(actor, id, name, 'failed', `Provisioning ${name} (${address}) failed while ${phase}: ${message}`, null);
    }
  }

  /**
   * Writes root's keys, runs the install (its output streamed and read for progress), and
   * reboots. Returns null when a cancel came while the disk was written (no reboot then).
   */
  private async install(
    conn: SshConnection,
    id: string,
    p: InstallPlan,
    input: StartInput,
    l: Live,
    set: (s: RunStep) => ProvisionRun,
    archive: LocalArchive | null,
  ): Promise<{ bootId: string | null } | null> {
    const signal = l.controller.signal;
    const quick = { timeoutMs: this.d.commandTimeoutMs, signal };
    if (input.authorizedKeys) {
      set({ phase: 'keys' });
      // Public keys only: passing them as an argument shows nothing secret.
      const write = withSudo(['sh', '-c', 'umask 077 && printf "%s\\n" "$1" > "$2"', 'sh', input.authorizedKeys.trim(), AUTHORIZED_KEYS_PATH], p.sudo);
      const r = await conn.exec(write, quick);
      if (r.exitCode !== 0) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `writing ${AUTHORIZED_KEYS_PATH} failed: ${firstLine(r.stderr) ?? `exit status ${r.exitCode}`}`);
    }
    if (archive && p.remoteArchive) {
      set({ phase: 'uploading', detail: 'Checking the archive here (SHA-256)' });
      const local = { path: archive.path, size: await archive.size, sha256: await archive.sha256 };
      this.log(id, `The archive ${local.path} has SHA-256 ${local.sha256}.\n`);
      await uploadVerified(conn, local, p.remoteArchive, {
        timeoutMs: this.installTimeoutMs,
        signal,
        log: (line) => this.log(id, `${line}\n`),
        onProgress: (t) => set({ transfer: t, detail: `Uploading the archive: ${formatTransfer(t)}` }),
      });
    }
    const bootId = await readBootId(conn);
    set({ phase: 'pulling', detail: p.remoteArchive ? 'Reading the image from the archive' : p.argv.includes('podman') ? 'Pulling the image' : 'Fetching the image', bootIdBefore: bootId });
    this.log(id, `$ ${p.command}\n`);
    // `echo $$; exec` so the install's PID is known (a cancel stops a pull with a signal).
    const wrapped = withSudo(['sh', '-c', 'echo "@@pid $$"; exec "$@"', 'sh', ...p.installArgv], p.sudo);
    let killed = false;
    const kill = () => {
      if (l.writing || l.pid === null || killed) return;
      killed = true;
      void conn.exec(withSudo(['kill', '-TERM', String(l.pid)], p.sudo), { timeoutMs: 30_000 }).catch(() => undefined);
    };
    signal.addEventListener('abort', kill);
    const progress = installProgress((detail, writing) => {
      if (writing && !l.writing) {
        l.writing = true;
        set({ phase: 'installing', detail });
      } else set({ detail });
    });
    let pending = '';
    let r;
    try {
      r = await conn.exec(wrapped, {
        timeoutMs: this.installTimeoutMs,
        onStdout: (chunk) => {
          pending += chunk.toString('utf8');
          let nl;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            const pid = /^@@pid (\d+)$/.exec(line);
            if (pid && l.pid === null) {
              l.pid = Number(pid[1]);
              if (signal.aborted) kill();
              continue;
            }
            this.log(id, `${line}\n`);
            progress(line);
          }
        },
        onStderr: (chunk) => {
          const text = chunk.toString('utf8');
          this.log(id, text);
          for (const line of text.split('\n')) progress(line);
        },
      });
    } finally {
      signal.removeEventListener('abort', kill);
    }
    if (pending) this.log(id, `${pending}\n`);
    if (killed && !l.writing) throw new AppError(ErrorCode.CANCELED, 'cancelled');
    if (r.exitCode !== 0) {
      const text = `${r.stderr}\n${r.stdout.toString('utf8')}`;
      const message = boxError(r.stderr) ?? `the install exited with status ${r.exitCode ?? r.exitSignal}`;
      throw new RunFailure(ErrorCode.REMOTE_COMMAND_FAILED, message, nextStep(text));
    }
    if (signal.aborted) return null;
    set({ phase: 'rebooting', detail: null });
    const reboot = withSudo(rebootArgv(), p.sudo);
    this.log(id, `$ ${shellLine(reboot)}\n`);
    // The session drops as the box goes down: any end of the command is expected.
    await conn.exec(reboot, { timeoutMs: 30_000 }).catch(() => undefined);
    conn.close();
    return { bootId };
  }

  /**
   * Waits (bounded) for the box to answer on its installed system with the post-install login.
   * Its new host key is refused by the live system's pin: it is shown, and accepted once the
   * technician confirms it (or at once where the batch said so, logged either way).
   */
  private async awaitInstalledSystem(
    actor: Actor,
    id: string,
    name: string,
    box: Box,
    input: StartInput,
    bootIdBefore: string | null,
    set: (s: RunStep) => ProvisionRun,
    signal: AbortSignal,
    l: Live,
  ): Promise<StatusReading> {
    set({ phase: 'waiting' });
    const pin = provisionPin(box.target.host, box.target.port);
    const target = this.installedTarget(box, input, pin);
    const sudo = input.login.user !== 'root';
    let deadline = Date.now() + input.waitSeconds * 1000;
    let lastError = '';
    while (Date.now() < deadline) {
      if (signal.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
      try {
        const reading = await this.d.pool.with(
          `provisioned:${id}`,
          target,
          async (conn) => {
            const now = await readBootId(conn);
            if (now === bootIdBefore) return null; // still the live system, going down
            set({ phase: 'verifying' });
            return readBootcStatus(conn, name, { sudo, timeoutMs: 60_000 });
          },
          signal,
        );
        if (reading) return reading;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        if (e.code === ErrorCode.CANCELED) throw e;
        if (e.code === ErrorCode.SSH_HOST_KEY_CHANGED) {
          const offered = (e.details as { new?: { keyType: string; fingerprint: string } } | undefined)?.new;
          if (!offered) throw e;
          if (input.acceptNewHostKey) {
            set({ phase: 'host-key', hostKey: offered });
            this.log(id, `note: the installed system presents host key ${offered.fingerprint} (${offered.keyType}); accepted as the batch allows.\n`);
          } else {
            // Listen before the phase is announced: a confirmation may follow the event at once.
            const confirmed = this.awaitConfirmation(id, l, signal);
            set({ phase: 'host-key', hostKey: offered });
            this.log(id, `note: the installed system presents host key ${offered.fingerprint} (${offered.keyType}); waiting for it to be confirmed.\n`);
            await confirmed;
            this.log(id, `note: host key ${offered.fingerprint} confirmed by ${this.d.runs.hostKeyConfirmedBy(id) ?? actor.user}.\n`);
          }
          this.d.hostKeys.accept(actor, pin, name, offered.fingerprint);
          set({ phase: 'waiting' });
          deadline = Math.max(deadline, Date.now() + 60_000);
          continue;
        }
        if (e.code === ErrorCode.SSH_KEY_UNUSABLE) throw e;
        lastError = e.message.replace(`${target.device.label}: `, '');
      }
      await sleep(this.pollMs);
    }
    const refused = /refused the key|refused the keys/.test(lastError);
    throw new RunFailure(
      ErrorCode.DEVICE_DID_NOT_RETURN,
      `did not come back on its installed system within ${input.waitSeconds} s of the reboot${lastError ? ` (last attempt: ${lastError})` : ''}.`,
      refused
        ? `The box answers but refuses ${input.login.user}'s key: authorize that key for root (--authorized-keys), or it booted the live media again (check the boot order).`
        : 'Look at the box\'s console: it may still be booting, be waiting in the firmware, or have booted the live media again.',
    );
  }

  /** Resolves once the run's host key is confirmed (here, or by another process through the database). */
  private awaitConfirmation(id: string, l: Live, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (e?: AppError) => {
        l.confirm = null;
        clearInterval(poll);
        signal.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve();
      };
      const onAbort = () => done(new AppError(ErrorCode.CANCELED, 'cancelled'));
      const poll = setInterval(() => {
        if (this.d.runs.hostKeyConfirmedBy(id)) done();
      }, this.pollMs);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      l.confirm = () => done();
    });
  }

  /** How Bootfleet logs in to the installed system: the login chosen for it, checked against the pin. */
  private installedTarget(box: Box, input: StartInput, pin: string): SshTarget {
    const login = input.login;
    const label = `${login.user}@${box.target.host}${box.target.port === 22 ? '' : `:${box.target.port}`}`;
    const auth: SshTarget['device']['auth'] = login.keyPath
      ? { kind: 'key', keyPath: login.keyPath, privateKey: readKey(login.keyPath), passphrase: undefined, agentSocket: this.d.agentSocket }
      : { kind: 'agent', agentSocket: this.d.agentSocket };
    return { jumps: [], device: { pinId: pin, label, host: box.target.host, port: box.target.port, user: login.user, auth } };
  }

  /**
   * Enters the box in the inventory (or updates the device of that name), moves the pinned host
   * key to it, and stores the status just read as its first snapshot.
   */
  private record(actor: Actor, id: string, box: Box, input: StartInput, reading: StatusReading): string {
    const login = input.login;
    const fields = {
      host: box.target.host,
      port: box.target.port,
      user: login.user,
      auth: login.keyPath ? ('key' as const) : ('agent' as const),
      keyPath: login.keyPath ?? null,
      sudo: login.user !== 'root',
    };
    let deviceId: string;
    let existing: string | null = null;
    try {
      existing = this.d.inventory.resolveDevice(box.site ? `${box.site}/${box.name}` : `/${box.name}`).id;
    } catch (e) {
      if (!(e instanceof AppError && e.code === ErrorCode.NOT_FOUND)) throw e;
    }
    if (existing) {
      deviceId = this.d.inventory.updateDevice(actor, existing, { ...fields, tags: box.tags.length ? box.tags : undefined, clearSecret: true }).id;
      this.log(id, `note: ${box.name} was already in the inventory; its connection details were updated.\n`);
    } else {
      deviceId = this.d.inventory.addDevice(actor, { ...fields, keyPath: login.keyPath, name: box.name, site: box.site ?? null, tags: box.tags, notes: '', proxyJump: null, desiredImage: null }).id;
    }
    this.d.hostKeys.move(provisionPin(box.target.host, box.target.port), deviceTarget(deviceId), deviceId);
    this.d.fleet.record(deviceId, reading);
    return deviceId;
  }

  private audit(actor: Actor, id: string, name: string, result: 'done' | 'failed' | 'canceled', summary: string, deviceId: string | null): void {
    const run = this.d.runs.get(id)!;
    this.d.activity.append(actor, {
      action: 'device.provision',
      entityType: deviceId ? 'device' : 'provision',
      entityId: deviceId ?? id,
      entityName: name,
      summary,
      details: { runId: id, batchId: run.batchId, address: run.address, image: run.image, digest: run.digest, disk: run.disk, method: run.method, hostKey: run.hostKey, result, error: run.error },
    });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
  }
}

/** An archive a batch installs from, hashed once for all its boxes. */
interface LocalArchive {
  path: string;
  sha256: Promise<string>;
  size: Promise<number>;
}


const liveLabel = (t: ProvisionTarget): string => `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;

function firstLine(text: string): string | null {
  return text.split('\n').find((l) => l.trim())?.trim() ?? null;
}

/** The box's own error: bootc's `error:` line (with its causes), else podman's `Error:` line. */
function boxError(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim());
  const i = lines.findIndex((l) => /^error:/i.test(l));
  if (i >= 0) return lines.slice(i).filter(Boolean).join(' ').replace(/^error:\s*/i, '');
  return firstLine(stderr);
}

function readKey(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AppError(ErrorCode.SSH_KEY_UNUSABLE, `The key file ${path} for logging in after the install cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { keyPath: path });
  }
}

/** authorized_keys text: each line a public key (options allowed), comments and blanks ignored. */
export function checkAuthorizedKeys(text: string): void {
  const problem = authorizedKeysProblem(text);
  if (problem) throw new AppError(ErrorCode.VALIDATION_FAILED, problem);
}
