import { shortDigest, type ActionPhase, type ActionPlan, type BootcStatus, type Job, type MethodArgs } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import { checkArgv, fromDownloadedArgv, rebootArgv, rollbackArgv, supports, switchArgv, upgradeArgv } from '../bootc/commands';
import type { Clock } from '../clock';
import type { EventBus } from '../events';
import type { FleetService } from '../fleet/fleet-service';
import { readBootcStatus, type StatusReading } from '../fleet/status-collector';
import { newId } from '../ids';
import type { ContactRow } from '../inventory/devices-repo';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName, withoutName } from '../inventory/names';
import type { SshConnection } from '../ssh/connection';
import type { SshPool } from '../ssh/pool';
import { withSudo } from '../ssh/quote';
import { DEVICE_ARCHIVES, DEVICE_LAYOUT, libraryPathOf } from '../library/device-sources';
import { sendArchiveToDevice, sendToDevice } from '../library/device-transfer';
import type { LibraryService, LibraryTarget } from '../library/library-service';
import { RateLimit, type UploadProgress } from '../ssh/sftp';
import type { JobsRepo } from './jobs-repo';

type Input = MethodArgs<'actions.start'>;

export interface ActionOptions {
  /** Per bootc command; pulls can be long. Default 30 min. */
  commandTimeoutMs?: number;
  /** Between reconnect attempts while a device reboots. Default 1 s. */
  pollMs?: number;
}

/** Where an interrupted device stood: if a reboot was sent, it is checked, never sent again. */
export interface ResumeFrom {
  bootIdBefore: string | null;
  expectedDigest: string | null;
}

export interface StartOptions {
  rolloutId?: string;
  /** Devices a killed Bootfleet left mid-action, by device id. */
  resume?: Map<string, ResumeFrom>;
}

/** How long a device that answers with its old boot id may take to go down before it counts as not rebooted. */
const SAME_BOOT_GRACE_MS = 20_000;

/** What was sent from the library to one device. */
interface Sent {
  transport: 'oci' | 'oci-archive';
  ref: string;
  /** The platform manifest bootc should stage, and the library image's top digest. */
  digest: string;
  imageDigest: string;
  logical: string | null;
}

interface Before {
  reading: StatusReading;
  bootcVersion: string | null;
  bootId: string | null;
}

/** What the device's deployments use of what Bootfleet put there: layout tags (oci) or archive paths. */
function inUse(s: BootcStatus, transport: 'oci' | 'oci-archive'): string[] {
  const out: string[] = [];
  for (const d of [s.booted, s.staged, s.rollback, ...s.others]) {
    const p = libraryPathOf(d?.image?.ref);
    if (p?.transport === 'oci' && transport === 'oci') out.push(p.tag);
    if (p?.transport === 'oci-archive' && transport === 'oci-archive') out.push(p.path);
  }
  return out;
}

const short = (d: string | null | undefined): string => (d ? shortDigest(d) : '-');
const describe = (digest: string | null | undefined, version: string | null | undefined): string =>
  `${version ? `${version} ` : ''}(${short(digest)})`;

/**
 * Runs bootc actions on devices as recorded jobs: contact, act, and where the action
 * reboots, wait for the device to come back (bounded) and verify the digest it booted. A
 * device that came back on another digest, or not at all, is a failure, never "done".
 */
export class ActionService {
  private readonly controllers = new Map<string, AbortController>();
  /** A job's byte rate for what it sends from the library, shared by its devices. */
  private readonly limits = new Map<string, RateLimit>();
  private readonly running = new Map<string, Promise<Job>>();
  /** Jobs that start no further device (those acting finish). */
  private readonly draining = new Set<string>();
  private readonly commandTimeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly d: {
      inventory: InventoryService;
      fleet: FleetService;
      pool: SshPool;
      jobs: JobsRepo;
      activity: ActivityRepo;
      bus: EventBus;
      clock: Clock;
      library: LibraryService;
    },
    opts: ActionOptions = {},
  ) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 30 * 60_000;
    this.pollMs = opts.pollMs ?? 1000;
  }

  // ---- plan -----------------------------------------------------------------------------

  /** Reads each device and says what the action would do there. Changes nothing. */
  async plan(input: Input): Promise<ActionPlan[]> {
    const rows = this.rows(input.devices);
    return Promise.all(
      rows.map(async (row) => {
        const name = label(row);
        const before = await this.d.pool.with(`plan:${row.id}`, this.d.fleet.targetFor(row, name), (c) => this.readBefore(c, row, name));
        return this.planFor(row, before, input);
      }),
    );
  }

  private planFor(row: ContactRow, b: Before, input: Input): ActionPlan {
    const s = b.reading.status;
    const sudo = row.sudo === 1;
    const cmd = (argv: string[]) => withSudo(argv, sudo).join(' ');
    const warnings: string[] = [];
    const steps: string[] = [];
    const commands: string[] = [];
    let possible = true;
    const staged = s.staged?.image ? { digest: s.staged.image.digest, version: s.staged.image.version, downloadOnly: s.staged.downloadOnly } : null;
    const discards = (what: string) => staged && warnings.push(`${what} discards the staged update ${describe(staged.digest, staged.version)}.`);
    const reboot = () => {
      commands.push(cmd(rebootArgv()));
      steps.push(`Reboot, wait up to ${input.waitSeconds} s for the device to return, and verify the digest it booted.`);
    };
    switch (input.action) {
      case 'check':
        commands.push(cmd(checkArgv()));
        steps.push('Ask the registry whether a newer image exists (metadata only; nothing is staged).');
        break;
      case 'upgrade': {
        if (input.via === 'library') {
          if (!this.planLibrary(row, s, input, steps, commands, warnings, cmd)) possible = false;
          if (possible && input.apply) reboot();
          break;
        }
        const follows = libraryPathOf(s.specImage);
        if (follows) {
          const logical = this.d.library.sources.imageFor(row.id, follows.text);
          warnings.push(
            `It follows ${follows.text}${logical ? ` (${logical})` : ''}, an image Bootfleet sent from the library: bootc upgrade reads that on the device, not a registry. Upgrade it via the library${logical ? `, or switch it to ${logical} to follow the registry again` : ''}.`,
          );
        }
        const downloadOnly = input.downloadOnly;
        if (downloadOnly && !supports(b.bootcVersion, 'downloadOnly')) {
          possible = false;
          warnings.push(`bootc ${b.bootcVersion ?? '(unknown version)'} cannot download without staging (--download-only needs bootc 1.12 or newer).`);
          // Nothing will run: list no command (an older bootc would refuse the flag anyway).
          break;
        }
        commands.push(cmd(upgradeArgv({ downloadOnly })));
        steps.push(downloadOnly ? 'Download the update and stage it locked: it is not applied at the next reboot until applied explicitly.' : 'Pull the update and stage it for the next boot.');
        if (input.apply) reboot();
        break;
      }
      case 'switch':
        discards('Switching');
        if (input.via === 'library') {
          if (!this.planLibrary(row, s, input, steps, commands, warnings, cmd)) possible = false;
        } else {
          commands.push(cmd(switchArgv(input.image!, input.transport, { enforceSignatures: input.enforceSignatures })));
          steps.push(
            `Pull ${input.transport === 'registry' ? '' : `${input.transport}:`}${input.image} and stage it for the next boot${input.enforceSignatures ? ", only if the device's signature policy verifies it" : ''}.`,
          );
        }
        if (possible && input.apply) reboot();
        break;
      case 'rollback':
        if (!s.rollback?.image) {
          possible = false;
          warnings.push('There is no rollback deployment to go back to.');
          break;
        }
        discards('Rolling back');
        if (s.rollbackQueued && s.staged) {
          // The staged update was made after the rollback was queued and would boot first. A
          // `bootc rollback` drops it but also reverts the queued rollback; a second queues it again.
          commands.push(cmd(rollbackArgv()), cmd(rollbackArgv()));
          steps.push('A rollback is queued, but the update staged after it would boot first: run `bootc rollback` twice (the first drops the staged update and un-queues the rollback, the second queues it again).');
        } else if (s.rollbackQueued) steps.push('A rollback is already queued; it is not run again (a second `bootc rollback` would undo it).');
        else {
          commands.push(cmd(rollbackArgv()));
          steps.push(`Queue the rollback deployment ${describe(s.rollback.image.digest, s.rollback.image.version)} for the next boot.`);
        }
        if (input.apply) reboot();
        break;
      case 'apply':
        if (!staged) {
          possible = false;
          warnings.push('Nothing is staged; stage an update or switch first.');
          break;
        }
        if (staged.downloadOnly) {
          if (!supports(b.bootcVersion, 'downloadOnly')) {
            possible = false;
            warnings.push('The staged update is download-only and this bootc cannot unlock it.');
            break;
          }
          commands.push(cmd(fromDownloadedArgv()));
          steps.push('Unlock the download-only staged deployment so the next boot runs it.');
        }
        reboot();
        break;
    }
    return {
      deviceId: row.id,
      name: label(row),
      bootcVersion: b.bootcVersion,
      current: {
        staged,
        booted: s.booted?.image ? { digest: s.booted.image.digest, version: s.booted.image.version, image: s.booted.image.ref.image } : null,
        rollback: s.rollback?.image ? { digest: s.rollback.image.digest, version: s.rollback.image.version } : null,
        rollbackQueued: s.rollbackQueued,
      },
      commands,
      steps,
      warnings,
      possible,
    };
  }

  /** The steps and commands of a transfer from the library, or false (with the reason in `warnings`) when there is none. */
  private planLibrary(row: ContactRow, s: BootcStatus, input: Input, steps: string[], commands: string[], warnings: string[], cmd: (argv: string[]) => string): boolean {
    let t: LibraryTarget;
    try {
      t = this.d.library.targetFor(row.id, s.specImage, input);
    } catch (e) {
      if (!(e instanceof AppError) || (e.code !== ErrorCode.ACTION_NOT_POSSIBLE && e.code !== ErrorCode.NOT_FOUND && e.code !== ErrorCode.AMBIGUOUS)) throw e;
      warnings.push(e.message.charAt(0).toUpperCase() + e.message.slice(1));
      return false;
    }
    const what = input.action === 'upgrade' && t.logical && t.logical !== t.label ? `${t.label} (the library's image of ${t.logical})` : input.action === 'upgrade' ? `the library's ${t.label}` : t.label;
    if (t.transport === 'oci') {
      const ref = `${DEVICE_LAYOUT}:${t.tag}`;
      steps.push(`Send the blobs of ${what} the device lacks from the library to ${DEVICE_LAYOUT} on the device (resumable, each checked there).`);
      const same = t.follows?.text === `oci:${ref}`;
      commands.push(cmd(same ? upgradeArgv() : switchArgv(ref, 'oci', { enforceSignatures: input.enforceSignatures })));
      steps.push(same ? `Stage it with bootc upgrade: the device already follows ${ref} (its own OCI layout).` : `Stage ${ref} (the device's own OCI layout) for the next boot.`);
    } else {
      const file = `${DEVICE_ARCHIVES}/${t.tag}-DIGEST.oci.tar`;
      steps.push(`Send ${what} as one oci-archive file to ${file} on the device (resumable, its SHA-256 checked there; not sent again if it is there).`);
      commands.push(cmd(switchArgv(file, 'oci-archive', { enforceSignatures: input.enforceSignatures })));
      steps.push('Stage the archive for the next boot.');
    }
    return true;
  }

  // ---- jobs -----------------------------------------------------------------------------

  /** Records the job, then runs it in the background; returns the job as recorded. */
  start(actor: Actor, input: Input, opts: StartOptions = {}): Job {
    const rows = this.rows(input.devices);
    const busy = this.d.jobs.busy(rows.map((r) => r.id));
    if (busy.length) {
      throw new AppError(ErrorCode.DEVICE_BUSY, `${busy.map((b) => b.name).join(', ')} ${busy.length === 1 ? 'is' : 'are'} already being acted on (job ${busy[0]!.jobId}); wait for it or cancel it.`, { busy });
    }
    const id = newId();
    const params = { ...input, devices: rows.map((r) => label(r)) };
    this.d.jobs.create(
      { id, kind: opts.rolloutId ? 'rollout' : 'action', action: input.action, params, actor: actor.user, via: actor.via, rolloutId: opts.rolloutId ?? null },
      rows.map((r) => ({ id: r.id, name: label(r) })),
    );
    const controller = new AbortController();
    this.controllers.set(id, controller);
    if (input.maxBytesPerSecond) this.limits.set(id, new RateLimit(input.maxBytesPerSecond));
    const done = this.run(actor, id, rows, input, controller.signal, opts.resume).finally(() => {
      this.controllers.delete(id);
      this.limits.delete(id);
      this.running.delete(id);
      this.draining.delete(id);
    });
    this.running.set(id, done);
    return this.d.jobs.get(id)!;
  }

  /** Resolves when a job this process runs has ended (at once, with its record, if it already has). */
  async wait(jobId: string): Promise<Job> {
    const p = this.running.get(jobId);
    if (p) return p;
    const job = this.d.jobs.get(jobId);
    if (!job) throw new AppError(ErrorCode.NOT_FOUND, `No job ${jobId}.`);
    return job;
  }

  /** Runs a job to its end (the CLI waits on this). */
  async run(actor: Actor, jobId: string, rows: ContactRow[], input: Input, signal: AbortSignal, resume?: Map<string, ResumeFrom>): Promise<Job> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rows.length) {
        const row = rows[next++]!;
        if (signal.aborted || this.draining.has(jobId)) {
          this.step(jobId, row.id, { state: 'canceled', phase: 'finished', outcome: 'cancelled before it started' });
          continue;
        }
        await this.runDevice(actor, jobId, row, input, signal, resume?.get(row.id));
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.parallel, rows.length) }, worker));
    const job = this.d.jobs.get(jobId)!;
    const count = (s: string) => job.devices.filter((x) => x.state === s).length;
    const failed = count('failed');
    const state: Job['state'] = failed ? 'failed' : signal.aborted ? 'canceled' : 'done';
    const summary = `${input.action}${input.apply ? ' and apply' : ''}: ${count('done')} done, ${failed} failed${count('canceled') ? `, ${count('canceled')} cancelled` : ''} of ${rows.length}`;
    this.d.jobs.finish(jobId, state, summary);
    const done = this.d.jobs.get(jobId)!;
    this.d.bus.emit('job.updated', done);
    return done;
  }

  cancel(jobId: string): Job {
    const job = this.d.jobs.get(jobId);
    if (!job) throw new AppError(ErrorCode.NOT_FOUND, `No job ${jobId}.`);
    if (job.rolloutId) {
      // Its devices would only be picked up again by the rollout: stop the rollout instead.
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `This job is a batch of rollout ${job.rolloutId}; pause or cancel the rollout instead.`, { rolloutId: job.rolloutId });
    }
    this.controllers.get(jobId)?.abort();
    return job;
  }

  /** Starts no further device of the job; devices acting finish and are verified. */
  drain(jobId: string): void {
    if (this.running.has(jobId)) this.draining.add(jobId);
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  /** Jobs this process runs, for a quit to name and wait for. */
  pending(): { label: string; done: Promise<unknown> }[] {
    return [...this.running].map(([id, done]) => {
      const job = this.d.jobs.get(id)!;
      return { label: `${job.action} on ${job.devices.length === 1 ? job.devices[0]!.name : `${job.devices.length} devices`}`, done };
    });
  }

  private step(jobId: string, deviceId: string, s: Parameters<JobsRepo['step']>[2]): void {
    this.d.jobs.step(jobId, deviceId, s);
    this.d.bus.emit('job.updated', this.d.jobs.get(jobId)!);
  }

  private log(jobId: string, deviceId: string, text: string): void {
    if (!text) return;
    this.d.jobs.appendLog(jobId, deviceId, text);
    this.d.bus.emit('job.log', { jobId, deviceId, text });
  }

  private async runDevice(actor: Actor, jobId: string, row: ContactRow, input: Input, signal: AbortSignal, resume?: ResumeFrom): Promise<void> {
    const name = label(row);
    const target = this.d.fleet.targetFor(row, name);
    const sudo = row.sudo === 1;
    let phase: ActionPhase = 'contacting';
    let from: string | null = null;
    const set = (p: ActionPhase, extra: Parameters<JobsRepo['step']>[2] = {}) => {
      phase = p;
      this.step(jobId, row.id, { phase: p, ...extra });
    };
    const finish = (state: 'done' | 'failed', outcome: string, resultDigest: string | null, error: { code: string; message: string } | null = null) => {
      this.step(jobId, row.id, { state, phase: 'finished', outcome, resultDigest, error });
      this.d.activity.append(actor, {
        action: `device.${input.action}`,
        entityType: 'device',
        entityId: row.id,
        entityName: name,
        summary: `${input.action}${input.apply ? ' and apply' : ''} on ${name}: ${state === 'done' ? outcome : `failed: ${error?.message ?? outcome}`}`,
        details: { jobId, from, to: resultDigest, result: state, error },
      });
      this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    };
    this.step(jobId, row.id, { state: 'running', phase: 'contacting' });
    try {
      if (resume?.bootIdBefore && resume.expectedDigest) {
        // A reboot was (perhaps) sent before Bootfleet stopped: find out, never reboot again blindly.
        this.log(jobId, row.id, `note: Bootfleet stopped while this device was rebooting; checking whether it rebooted (it is not rebooted again).\n`);
        this.step(jobId, row.id, { bootIdBefore: resume.bootIdBefore, expectedDigest: resume.expectedDigest });
        const r = await this.awaitReboot(jobId, row, name, target, input, resume.bootIdBefore, resume.expectedDigest, set, finish, SAME_BOOT_GRACE_MS);
        if (r === 'verified') return;
        this.log(jobId, row.id, 'note: the device still runs the boot it had before; the reboot never happened, so the action continues from its current state.\n');
      }
      const run = async (conn: SshConnection, argv: string[], p: ActionPhase): Promise<string> => {
        set(p);
        this.log(jobId, row.id, `$ ${withSudo(argv, sudo).join(' ')}\n`);
        const r = await conn.exec(withSudo(argv, sudo), { timeoutMs: this.commandTimeoutMs, signal });
        const out = r.stdout.toString('utf8');
        this.log(jobId, row.id, out + (r.stderr ? r.stderr : ''));
        if (r.exitCode !== 0) {
          const first = r.stderr.split('\n').find((l) => l.trim()) ?? `exit status ${r.exitCode ?? r.exitSignal}`;
          throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `\`${argv.slice(0, 2).join(' ')}\` failed: ${first.replace(/^error: /, '')}`, { exitCode: r.exitCode, stderr: r.stderr });
        }
        return out;
      };
      // Contact, act, and (where the action reboots) send the reboot, on one connection.
      const result = await this.d.pool.with(
        `action:${row.id}`,
        target,
        async (conn) => {
          // The bootc version matters only where a flag depends on it (download-only stages).
          const before = await this.readBefore(conn, row, name, input.action === 'upgrade' ? input.downloadOnly : input.action === 'apply');
          this.d.fleet.record(row.id, before.reading);
          const plan = this.planFor(row, before, input);
          from = before.reading.status.booted?.image?.digest ?? null;
          this.step(jobId, row.id, { fromDigest: from });
          for (const w of plan.warnings) this.log(jobId, row.id, `note: ${w}\n`);
          if (!plan.possible) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, plan.warnings.join(' '));
          const s = before.reading.status;
          switch (input.action) {
            case 'check': {
              const out = await run(conn, checkArgv(), 'checking');
              const after = await this.reread(conn, row, name);
              const upd = after.status.booted?.cachedUpdate;
              const outcome = /Update available/.test(out) && upd ? `update available: ${describe(upd.digest, upd.version)}` : 'no update available';
              return { reboot: false, expected: null, outcome, after };
            }
            case 'upgrade':
            case 'switch': {
              let argv = input.action === 'upgrade' ? upgradeArgv({ downloadOnly: input.downloadOnly }) : switchArgv(input.image!, input.transport, { enforceSignatures: input.enforceSignatures });
              let sent: Sent | null = null;
              if (input.via === 'library') {
                const lib = this.d.library.targetFor(row.id, s.specImage, input);
                set('transferring');
                sent = await this.sendFromLibrary(conn, jobId, row, target.device.user, lib, inUse(s, lib.transport), signal);
                // A device that already follows that path takes the new image with upgrade (switch would see no change).
                argv = lib.follows?.text === `${sent.transport}:${sent.ref}` ? upgradeArgv() : switchArgv(sent.ref, sent.transport, { enforceSignatures: input.enforceSignatures });
              }
              await run(conn, argv, 'staging');
              const after = await this.reread(conn, row, name);
              const staged = after.status.staged?.image;
              if (sent) {
                const got = staged?.digest ?? after.status.booted?.image?.digest;
                if (got !== sent.digest) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `bootc staged ${short(got)} from ${sent.ref}, not the library image's ${short(sent.digest)}.`);
                if (sent.logical) {
                  this.d.library.sources.record(row.id, { ref: `${sent.transport}:${sent.ref}`, manifestDigest: sent.digest, image: sent.logical, imageDigest: sent.imageDigest, at: this.d.clock.now() });
                }
              }
              if (!staged) return { reboot: false, expected: null, outcome: 'already up to date: nothing was staged', after };
              const outcome = `staged ${describe(staged.digest, staged.version)}${after.status.staged?.downloadOnly ? ' (download-only)' : ''}`;
              return { reboot: input.apply, expected: staged.digest, outcome, after };
            }
            case 'rollback': {
              const expected = s.rollback!.image!.digest;
              // Already queued: not again (it would revert), unless an update staged since must be dropped (see planFor).
              const times = !s.rollbackQueued ? 1 : s.staged ? 2 : 0;
              for (let i = 0; i < times; i++) await run(conn, rollbackArgv(), 'rolling-back');
              const after = await this.reread(conn, row, name);
              if (!after.status.rollbackQueued) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, 'bootc rollback ran but no rollback is queued.');
              if (after.status.staged) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, 'bootc rollback ran but the staged update is still there; it would boot instead.');
              return { reboot: input.apply, expected, outcome: `rollback to ${describe(expected, s.rollback!.image!.version)} queued for the next boot`, after };
            }
            case 'apply': {
              if (s.staged!.downloadOnly) await run(conn, fromDownloadedArgv(), 'staging');
              return { reboot: true, expected: s.staged!.image!.digest, outcome: '', after: before.reading };
            }
          }
        },
        signal,
      );
      this.step(jobId, row.id, { expectedDigest: result.expected });
      if (!result.reboot) {
        finish('done', result.outcome, result.after.status.staged?.image?.digest ?? result.after.status.booted?.image?.digest ?? null);
        return;
      }
      await this.rebootAndVerify(jobId, row, name, target, input, result.expected!, set, finish);
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL, e instanceof Error ? e.message : String(e));
      if (err.code === ErrorCode.CANCELED) {
        this.step(jobId, row.id, { state: 'canceled', phase: 'finished', outcome: `cancelled while ${phase}` });
        return;
      }
      const message = withoutName(err.message, name);
      finish('failed', `failed while ${phase}`, null, { code: err.code, message });
    }
  }

  /**
   * Sends the reboot (recording it first), waits for a new boot id, then reads what booted.
   * Not cancellable: once a reboot is sent the only honest end is a verified state.
   */
  private async rebootAndVerify(
    jobId: string,
    row: ContactRow,
    name: string,
    target: ReturnType<FleetService['targetFor']>,
    input: Input,
    expected: string,
    set: (p: ActionPhase, extra?: Parameters<JobsRepo['step']>[2]) => void,
    finish: (state: 'done' | 'failed', outcome: string, digest: string | null, error?: { code: string; message: string } | null) => void,
  ): Promise<void> {
    const sudo = row.sudo === 1;
    const bootId = await this.d.pool.with(`action:${row.id}`, target, async (conn) => {
      const id = await readBootId(conn);
      set('rebooting', { bootIdBefore: id });
      this.log(jobId, row.id, `$ ${withSudo(rebootArgv(), sudo).join(' ')}\n`);
      // The session drops as the device goes down: any end of the command is expected.
      await conn.exec(withSudo(rebootArgv(), sudo), { timeoutMs: 30_000 }).catch(() => undefined);
      conn.close();
      return id;
    });
    await this.awaitReboot(jobId, row, name, target, input, bootId, expected, set, finish);
  }

  /**
   * Waits (bounded) for the device to answer with a boot id other than `bootIdBefore`, then
   * verifies the digest it booted. With `sameBootGraceMs`, a device that keeps answering with
   * the old boot id that long has not rebooted: 'not-rebooted', and nothing is finished.
   */
  private async awaitReboot(
    jobId: string,
    row: ContactRow,
    name: string,
    target: ReturnType<FleetService['targetFor']>,
    input: Input,
    bootIdBefore: string | null,
    expected: string,
    set: (p: ActionPhase, extra?: Parameters<JobsRepo['step']>[2]) => void,
    finish: (state: 'done' | 'failed', outcome: string, digest: string | null, error?: { code: string; message: string } | null) => void,
    sameBootGraceMs?: number,
  ): Promise<'verified' | 'not-rebooted'> {
    const sudo = row.sudo === 1;
    set('waiting');
    const deadline = Date.now() + input.waitSeconds * 1000;
    let sameSince: number | null = null;
    let reading: StatusReading | null = null;
    let lastError = '';
    while (Date.now() < deadline) {
      try {
        const now = await this.d.pool.with(`wait:${row.id}`, target, async (conn) => {
          const id = await readBootId(conn);
          if (id === bootIdBefore) return null;
          set('verifying');
          return readBootcStatus(conn, name, { sudo, timeoutMs: 60_000 });
        });
        if (now) {
          reading = now;
          break;
        }
        sameSince ??= Date.now();
        if (sameBootGraceMs !== undefined && Date.now() - sameSince >= sameBootGraceMs) return 'not-rebooted';
      } catch (e) {
        sameSince = null;
        lastError = e instanceof Error ? e.message : String(e);
        if (e instanceof AppError && e.code === ErrorCode.SSH_HOST_KEY_CHANGED) throw e;
      }
      await sleep(this.pollMs);
    }
    if (!reading) {
      finish('failed', 'did not come back', null, {
        code: ErrorCode.DEVICE_DID_NOT_RETURN,
        message: `did not come back within ${input.waitSeconds} s of the reboot${lastError ? ` (last attempt: ${lastError.replace(`${name}: `, '')})` : ''}.`,
      });
      return 'verified';
    }
    this.d.fleet.record(row.id, reading);
    const booted = reading.status.booted?.image;
    if (booted?.digest === expected) {
      finish('done', `booted ${describe(booted.digest, booted.version)}, as expected`, booted.digest);
    } else {
      finish('failed', 'booted another image', booted?.digest ?? null, {
        code: ErrorCode.BOOTED_WRONG_IMAGE,
        message: `came back on ${describe(booted?.digest, booted?.version)} instead of ${short(expected)}: the new deployment did not stay booted (an automatic fallback such as greenboot's).`,
      });
    }
    return 'verified';
  }

  /**
   * Sends a library image into the device's own OCI layout (only the blobs it lacks), with the
   * bytes in the job's progress. Returns the layout reference and the digest it names.
   */
  private async sendFromLibrary(conn: SshConnection, jobId: string, row: ContactRow, user: string, lib: LibraryTarget, keep: string[], signal: AbortSignal): Promise<Sent> {
    let last = 0;
    let digest = '';
    let imageDigest = '';
    const pick = (arch: string) => {
      const img = this.d.library.deviceImage(lib.id, arch, lib.tag);
      digest = img.manifest.digest;
      imageDigest = img.image.digest;
      this.log(jobId, row.id, `Sending ${lib.label} (${arch}, ${img.manifest.digest}) from the library${lib.transport === 'oci-archive' ? ' as an oci-archive' : ''}.\n`);
      return img;
    };
    const opts = {
      user,
      sudo: row.sudo === 1,
      timeoutMs: this.commandTimeoutMs,
      signal,
      limit: this.limits.get(jobId),
      keep,
      log: (line: string) => this.log(jobId, row.id, `${line}\n`),
      onProgress: (p: UploadProgress) => {
        const now = Date.now();
        if (now - last < 250 && p.done < p.total) return;
        last = now;
        this.step(jobId, row.id, { transfer: p });
      },
    };
    const t =
      lib.transport === 'oci'
        ? await sendToDevice(conn, this.d.library.store, pick, opts)
        : await sendArchiveToDevice(conn, pick, (img) => this.d.library.deviceArchive(img, signal), opts);
    return { transport: t.transport, ref: t.ref, digest, imageDigest, logical: lib.logical };
  }

  private async readBefore(conn: SshConnection, row: ContactRow, name: string, needVersion = true): Promise<Before> {
    const [reading, version, bootId] = await Promise.all([
      readBootcStatus(conn, name, { sudo: row.sudo === 1, timeoutMs: 60_000 }),
      needVersion ? conn.exec(['bootc', '--version'], { timeoutMs: 30_000 }).then((r) => r.stdout.toString().trim().replace(/^bootc\s+/, '') || null) : Promise.resolve(null),
      readBootId(conn),
    ]);
    return { reading, bootcVersion: version, bootId };
  }

  private async reread(conn: SshConnection, row: ContactRow, name: string): Promise<StatusReading> {
    const r = await readBootcStatus(conn, name, { sudo: row.sudo === 1, timeoutMs: 60_000 });
    this.d.fleet.record(row.id, r);
    return r;
  }

  private rows(refs: string[]): ContactRow[] {
    const ids = [...new Set(refs.map((ref) => this.d.inventory.resolveDevice(ref).id))];
    return this.d.inventory.devices.contactRows({ ids });
  }
}

/** The kernel's id of the running boot: a new one means the machine rebooted. */
export async function readBootId(conn: SshConnection): Promise<string | null> {
  const r = await conn.exec(['cat', '/proc/sys/kernel/random/boot_id'], { timeoutMs: 30_000 });
  return r.stdout.toString().trim() || null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const label = (row: ContactRow): string => qualifiedName(row.name, row.site_name);

