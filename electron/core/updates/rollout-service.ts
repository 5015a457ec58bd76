import type { Job, MethodArgs, Rollout, RolloutDevice, RolloutPlan } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { EventBus } from '../events';
import { newId } from '../ids';
import type { ContactRow } from '../inventory/devices-repo';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import type { ActionService, ResumeFrom } from './action-service';
import type { JobsRepo } from './jobs-repo';
import type { RolloutParams, RolloutsRepo } from './rollouts-repo';

type Input = MethodArgs<'rollouts.create'>;

/** How often a running batch looks for a pause or cancel recorded by another process. */
const REQUEST_POLL_MS = 1000;

const label = (row: ContactRow): string => qualifiedName(row.name, row.site_name);

/**
 * Runs one action over many devices in batches, each batch a job: the canary first, then
 * batches of a size or a percentage. A batch whose new failures exceed the policy halts the
 * rollout (devices acting finish and are verified; no other starts). Everything is recorded
 * first, so a rollout whose process died resumes where it stood: finished devices are never
 * acted on again, and a device caught mid-reboot is checked rather than rebooted.
 */
export class RolloutService {
  private readonly driving = new Map<string, Promise<Rollout>>();
  private readonly activeJob = new Map<string, string>();

  constructor(
    private readonly d: {
      inventory: InventoryService;
      actions: ActionService;
      jobs: JobsRepo;
      rollouts: RolloutsRepo;
      activity: ActivityRepo;
      bus: EventBus;
    },
  ) {}

  plan(input: Input): RolloutPlan {
    const rows = this.d.inventory.selectContactRows(input);
    if (!rows.length) throw new AppError(ErrorCode.VALIDATION_FAILED, 'The selection matches no device.');
    const policy = this.policy(input, rows.length);
    const batches = this.batches(rows, policy);
    const devices = this.d.inventory.devices.getMany(rows.map((r) => r.id));
    const byId = new Map(devices.map((x) => [x.id, x]));
    const warnings: string[] = [];
    const never = devices.filter((x) => x.status.reach === 'never').length;
    const down = devices.filter((x) => x.status.reach === 'offline' || x.status.reach === 'error').length;
    if (never) warnings.push(`${never} device${never === 1 ? ' has' : 's have'} never been contacted; their state is unknown until they are acted on.`);
    if (down) warnings.push(`${down} device${down === 1 ? ' was' : 's were'} unreachable or failing at the last contact.`);
    const busy = this.d.jobs.busy(rows.map((r) => r.id));
    if (busy.length) warnings.push(`${busy.map((b) => b.name).join(', ')} ${busy.length === 1 ? 'is' : 'are'} being acted on by another job now.`);
    if (input.action === 'rollback' && policy.apply === false) warnings.push('Rollback without apply only queues the rollback; devices keep running their image until they reboot.');
    return {
      name: this.name(input),
      action: input.action,
      image: input.image ?? null,
      policy,
      batches: batches.map((b, index) => ({
        index,
        canary: index === 0 && policy.canary > 0,
        devices: b.map((r) => {
          const dev = byId.get(r.id);
          return { deviceId: r.id, name: label(r), reach: dev?.status.reach ?? 'never', booted: dev?.status.booted?.digest ?? null, bootedVersion: dev?.status.booted?.version ?? null };
        }),
      })),
      total: rows.length,
      warnings,
    };
  }

  /** Records the rollout with every device and batch, then drives it in the background. */
  create(actor: Actor, input: Input): Rollout {
    const rows = this.d.inventory.selectContactRows(input);
    if (!rows.length) throw new AppError(ErrorCode.VALIDATION_FAILED, 'The selection matches no device.');
    const policy = this.policy(input, rows.length);
    const id = newId();
    const params: RolloutParams = { action: input.action, image: input.image ?? null, transport: input.transport, via: input.via, maxBytesPerSecond: input.maxBytesPerSecond ?? null, enforceSignatures: input.enforceSignatures, policy };
    const name = this.name(input);
    this.d.rollouts.create({ id, name, params, actor: actor.user, via: actor.via }, this.batches(rows, policy).map((b) => b.map((r) => ({ id: r.id, name: label(r) }))));
    this.d.activity.append(actor, {
      action: 'rollout.created',
      entityType: 'rollout',
      entityId: id,
      entityName: name,
      summary: `Started rollout ${name}: ${input.action}${input.image ? ` to ${input.image}` : ''} on ${rows.length} device${rows.length === 1 ? '' : 's'}`,
      details: { ...params, devices: rows.length },
    });
    this.start(actor, id);
    return this.get(id);
  }

  get(id: string): Rollout {
    const r = this.d.rollouts.get(id);
    if (!r) throw new AppError(ErrorCode.NOT_FOUND, `No rollout ${id}.`);
    return r;
  }

  detail(id: string): Rollout & { devices: RolloutDevice[] } {
    return { ...this.get(id), devices: this.d.rollouts.devices(id) };
  }

  list(limit: number): Rollout[] {
    return this.d.rollouts.list(limit);
  }

  /** Rollouts this process drives, for a quit to name and wait for (another process may resume them). */
  pending(): { label: string; done: Promise<unknown> }[] {
    return [...this.driving].map(([id, done]) => ({ label: `Rollout ${this.get(id).name}`, done }));
  }

  /** The app is quitting: every rollout driven here pauses (recorded, so it can be resumed). */
  pauseAllHere(actor: Actor): void {
    for (const id of this.driving.keys()) if (this.get(id).state === 'running') this.request(actor, id, 'pause');
  }

  /** Resolves when this process stops driving the rollout (ended, paused or halted). */
  async wait(id: string): Promise<Rollout> {
    return this.driving.get(id) ?? this.get(id);
  }

  /** Pauses a running rollout, here or in the Bootfleet process driving it: devices acting finish, no other starts. */
  pause(actor: Actor, id: string): Rollout {
    const r = this.get(id);
    if (r.state !== 'running') throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Rollout ${r.name} is ${r.state}; only a running rollout can be paused.`);
    this.request(actor, id, 'pause');
    return this.get(id);
  }

  cancel(actor: Actor, id: string): Rollout {
    const r = this.get(id);
    if (r.state === 'done' || r.state === 'canceled') throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Rollout ${r.name} has already ended (${r.state}).`);
    if (r.state === 'running' && (this.driving.has(id) || this.d.rollouts.driverAlive(id))) {
      this.request(actor, id, 'cancel');
      return this.get(id);
    }
    this.d.rollouts.skipRemaining(id);
    this.end(actor, id, 'canceled', 'Cancelled; devices not yet acted on were skipped.');
    return this.get(id);
  }

  resume(actor: Actor, id: string): Rollout {
    const r = this.get(id);
    // A rollout still marked running whose process died after this one opened the inventory is taken over.
    const orphaned = r.state === 'running' && !this.driving.has(id) && !this.d.rollouts.driverAlive(id);
    if (!orphaned && !['paused', 'halted', 'interrupted'].includes(r.state)) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Rollout ${r.name} is ${r.state}; only a paused, halted or interrupted rollout can be resumed.`);
    }
    if (orphaned) {
      this.d.jobs.markOrphans();
      this.d.rollouts.markOrphans();
    }
    this.d.activity.append(actor, { action: 'rollout.resumed', entityType: 'rollout', entityId: id, entityName: r.name, summary: `Resumed rollout ${r.name} (was ${r.state})` });
    this.start(actor, id);
    return this.get(id);
  }

  private start(actor: Actor, id: string): void {
    this.d.rollouts.setState(id, 'running');
    this.emit(id);
    const p = this.drive(actor, id)
      .catch((e: unknown) => {
        this.end(actor, id, 'halted', `Stopped by an unexpected error: ${e instanceof Error ? e.message : String(e)}`);
        return this.get(id);
      })
      .finally(() => {
        this.driving.delete(id);
      });
    this.driving.set(id, p);
  }

  private request(actor: Actor, id: string, what: 'pause' | 'cancel'): void {
    this.d.rollouts.request(id, what);
    this.honour(id);
    const r = this.get(id);
    this.d.activity.append(actor, {
      action: what === 'pause' ? 'rollout.pause-requested' : 'rollout.cancel-requested',
      entityType: 'rollout',
      entityId: id,
      entityName: r.name,
      summary: `${what === 'pause' ? 'Pausing' : 'Cancelling'} rollout ${r.name}: devices acting now finish, no other starts`,
    });
    this.emit(id);
  }

  /** Acts on a recorded pause or cancel (from any process) by draining the batch's job. */
  private honour(id: string): void {
    const job = this.activeJob.get(id);
    if (job && this.d.rollouts.requested(id)) this.d.actions.drain(job);
  }

  private async drive(actor: Actor, id: string): Promise<Rollout> {
    const params = this.d.rollouts.params(id);
    const { policy } = params;
    for (;;) {
      const asked = this.d.rollouts.requested(id);
      if (asked === 'cancel') {
        this.d.rollouts.skipRemaining(id);
        return this.end(actor, id, 'canceled', 'Cancelled; devices not yet acted on were skipped.');
      }
      if (asked === 'pause') return this.end(actor, id, 'paused', 'Paused; resume to go on.');
      const next = this.d.rollouts.nextBatch(id);
      if (!next) {
        const r = this.get(id);
        return this.end(actor, id, 'done', r.counts.failed ? `${r.counts.done} done, ${r.counts.failed} failed (each within its batch's allowance).` : null);
      }
      const { batch, devices } = next;
      // Failures this batch had before (a halted rollout the user resumed) are accepted.
      const baseline = this.d.rollouts.failures(id, batch);
      const resume = new Map<string, ResumeFrom>();
      for (const dev of devices) {
        if (dev.state !== 'interrupted' || !dev.jobId) continue;
        const step = this.d.jobs.deviceStep(dev.jobId, dev.id);
        if (step?.bootIdBefore && step.expectedDigest) resume.set(dev.id, { bootIdBefore: step.bootIdBefore, expectedDigest: step.expectedDigest });
      }
      let job: Job;
      try {
        job = this.d.actions.start(
          actor,
          {
            action: params.action,
            devices: devices.map((x) => x.id),
            apply: policy.apply,
            downloadOnly: false,
            ...(params.image ? { image: params.image } : {}),
            transport: params.transport as Input['transport'],
            via: params.via ?? 'device',
            ...(params.maxBytesPerSecond ? { maxBytesPerSecond: params.maxBytesPerSecond } : {}),
            enforceSignatures: params.enforceSignatures ?? false,
            waitSeconds: policy.waitSeconds,
            parallel: policy.maxParallel,
          },
          { rolloutId: id, resume },
        );
      } catch (e) {
        if (e instanceof AppError && e.code === ErrorCode.DEVICE_BUSY) return this.end(actor, id, 'halted', `${e.message} The rollout waits; resume it when that job has ended.`);
        throw e;
      }
      this.d.rollouts.setDevices(id, devices.map((x) => x.id), 'running', job.id);
      this.activeJob.set(id, job.id);
      this.emit(id);
      const off = this.d.bus.subscribe((event, payload) => {
        if (event !== 'job.updated' || (payload as Job).id !== job.id) return;
        this.sync(id, payload as Job);
        if (this.d.rollouts.failures(id, batch) - baseline > policy.maxFailures) this.d.actions.drain(job.id);
      });
      // A pause or cancel may be recorded by another process: look for it while the batch runs.
      const poll = setInterval(() => this.honour(id), REQUEST_POLL_MS);
      try {
        this.sync(id, await this.d.actions.wait(job.id));
      } finally {
        off();
        clearInterval(poll);
        this.activeJob.delete(id);
      }
      const failed = this.d.rollouts.failures(id, batch) - baseline;
      if (failed > policy.maxFailures && this.d.rollouts.requested(id) !== 'cancel') {
        const which = batch === 0 && policy.canary > 0 ? 'The canary batch' : `Batch ${batch + (policy.canary > 0 ? 0 : 1)}`;
        return this.end(actor, id, 'halted', `${which} had ${failed} failure${failed === 1 ? '' : 's'}, more than the ${policy.maxFailures} allowed. Look at the failed devices, then resume (or cancel).`);
      }
      if (batch === 0 && policy.canary > 0 && policy.pauseAfterCanary && !this.d.rollouts.requested(id)) {
        const after = this.d.rollouts.nextBatch(id);
        if (after && after.batch > 0) return this.end(actor, id, 'paused', 'The canary batch is done: check it, then resume to roll out to the rest.');
      }
    }
  }

  /** Copies each device's state from its job: canceled before or while acting means not done, so pending again. */
  private sync(id: string, job: Job): void {
    const by = new Map<RolloutDevice['state'], string[]>();
    for (const dev of job.devices) {
      const state: RolloutDevice['state'] =
        dev.state === 'done' ? 'done' : dev.state === 'failed' ? 'failed' : dev.state === 'canceled' ? 'pending' : dev.state === 'interrupted' ? 'interrupted' : 'running';
      by.set(state, [...(by.get(state) ?? []), dev.deviceId]);
    }
    for (const [state, ids] of by) this.d.rollouts.setDevices(id, ids, state);
    this.emit(id);
  }

  private end(actor: Actor, id: string, state: Rollout['state'], reason: string | null): Rollout {
    this.d.rollouts.setState(id, state, reason);
    const r = this.get(id);
    this.d.activity.append(actor, {
      action: `rollout.${state}`,
      entityType: 'rollout',
      entityId: id,
      entityName: r.name,
      summary: `Rollout ${r.name} ${state}: ${r.counts.done} done, ${r.counts.failed} failed, ${r.counts.pending} to go${r.counts.skipped ? `, ${r.counts.skipped} skipped` : ''}${reason ? `. ${reason}` : ''}`,
      details: { counts: r.counts, reason },
    });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    this.emit(id);
    return r;
  }

  private emit(id: string): void {
    this.d.bus.emit('rollout.updated', this.get(id));
  }

  private name(input: Input): string {
    return input.name || `${input.action}${input.image ? ` to ${input.image}` : ''}`;
  }

  /** The policy with the batch size worked out from the percentage (default 25% of the devices after the canary). */
  private policy(input: Input, total: number): Rollout['policy'] {
    const p = input.policy;
    const canary = Math.min(p.canary, total);
    const rest = Math.max(0, total - canary);
    const batchSize = p.batchSize ?? Math.max(1, Math.ceil((rest * (p.batchPercent ?? 25)) / 100));
    return { canary, batchSize, maxParallel: p.maxParallel, maxFailures: p.maxFailures, pauseAfterCanary: p.pauseAfterCanary, apply: p.apply, waitSeconds: p.waitSeconds };
  }

  /** The canary (devices online at their last contact first), then batches in site/name order. */
  private batches(rows: ContactRow[], policy: Rollout['policy']): ContactRow[][] {
    const online = new Set(
      this.d.inventory.devices
        .getMany(rows.map((r) => r.id))
        .filter((x) => x.status.reach === 'online')
        .map((x) => x.id),
    );
    const ordered = [...rows.filter((r) => online.has(r.id)).slice(0, policy.canary)];
    const canary = policy.canary ? [...ordered, ...rows.filter((r) => !online.has(r.id)).slice(0, policy.canary - ordered.length)] : [];
    const inCanary = new Set(canary.map((r) => r.id));
    const rest = rows.filter((r) => !inCanary.has(r.id));
    const out: ContactRow[][] = canary.length ? [canary] : [];
    for (let i = 0; i < rest.length; i += policy.batchSize) out.push(rest.slice(i, i + policy.batchSize));
    return out;
  }
}
