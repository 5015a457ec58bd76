import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../../e2e/lab';
import type { Rollout, RolloutInput } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import { openCore, type BootfleetCore } from '../app';
import { cleanupTempDirs, fails, ok, tempDir } from '../test-support';

/** Rollouts against the lab: batches, the canary, the failure threshold, pause, resume and cancel. Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the rollout tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const digest = (tag: string) => lab.images.find((i) => i.tag === tag)!.digests.amd64!;
const NAMES = Array.from({ length: 9 }, (_, i) => `r${i + 1}`);

async function roll(input: RolloutInput): Promise<Rollout> {
  const r = await ok(core, 'rollouts.create', input);
  return core.rollouts.wait(r.id);
}
const detail = (id: string) => ok(core, 'rollouts.get', { id });
/** Jobs that touched a device (every attempt leaves a job_devices row). */
const touches = (name: string) => core.db.prepare('SELECT count(*) FROM job_devices WHERE device_name = ?').pluck().get(name) as number;

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ rebootMs: 300, devices: NAMES.map((name) => ({ name, bootcVersion: '1.16.9' })) });
  core = openCore({ dataDir: tempDir(), via: 'cli', log: () => {}, actions: { pollMs: 200 } });
  await ok(core, 'sites.add', { name: 'east' });
  for (const d of lab.devices) {
    await ok(core, 'devices.add', { name: d.name, host: d.host, user: d.user, keyPath: d.key, auth: 'key', sudo: d.sudo, site: 'east', tags: Number(d.name.slice(1)) <= 4 ? ['wave1'] : [] });
  }
  await lab.retag('stable', '1.1');
}, 180_000);

afterAll(async () => {
  core?.close();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('rollouts against the lab', () => {
  it('plans batches from the inventory alone, and refuses an empty selection', async () => {
    const plan = await ok(core, 'rollouts.plan', { filter: { tags: ['wave1'] }, action: 'upgrade', policy: { canary: 1, batchSize: 2 } });
    expect(plan.batches.map((b) => [b.canary, b.devices.map((d) => d.name)])).toEqual([
      [true, ['east/r1']],
      [false, ['east/r2', 'east/r3']],
      [false, ['east/r4']],
    ]);
    expect(plan.warnings[0]).toMatch(/4 devices have never been contacted/);
    expect(touches('east/r1')).toBe(0);
    expect((await fails(core, 'rollouts.plan', { filter: { tags: ['nobody'] }, action: 'upgrade' })).message).toBe('The selection matches no device.');
    expect((await fails(core, 'rollouts.plan', { action: 'upgrade' })).message).toMatch(/select devices by name or by a filter/);
  });

  it('upgrades a tag in batches after a canary, verifying every device booted the update', async () => {
    const r = await roll({ name: 'wave 1', filter: { tags: ['wave1'] }, action: 'upgrade', policy: { canary: 1, batchSize: 2, maxParallel: 2 } });
    expect(r).toMatchObject({ state: 'done', reason: null, counts: { total: 4, done: 4, failed: 0, pending: 0 } });
    expect(r.batches.map((b) => [b.index, b.canary, b.state, b.counts.total])).toEqual([
      [0, true, 'done', 1],
      [1, false, 'done', 2],
      [2, false, 'done', 1],
    ]);
    const d = await detail(r.id);
    for (const dev of d.devices) expect([dev.name, dev.state, dev.resultDigest]).toEqual([dev.name, 'done', digest('1.1')]);
    // One job per batch, each tied to the rollout.
    expect(core.db.prepare('SELECT count(DISTINCT id) FROM jobs WHERE rollout_id = ?').pluck().get(r.id)).toBe(3);
    const batchJob = (await ok(core, 'jobs.list', {})).find((j) => j.rolloutId === r.id)!;
    expect((await fails(core, 'jobs.cancel', { id: batchJob.id })).message).toBe(`This job is a batch of rollout ${r.id}; pause or cancel the rollout instead.`);
    const log = await ok(core, 'activity.list', { limit: 50 });
    expect(log.items.filter((e) => e.action === 'device.upgrade' && e.summary.includes('booted'))).toHaveLength(4);
    expect(log.items.find((e) => e.action === 'rollout.done')?.summary).toMatch(/Rollout wave 1 done: 4 done, 0 failed/);
  });

  it('halts when a batch fails more than allowed, leaves later batches untouched, and resumes past it', async () => {
    await lab.setFaults('r6', { bootFails: true });
    const r = await roll({ devices: ['r5', 'r6', 'r7', 'r8'], action: 'upgrade', policy: { canary: 1, batchSize: 2, maxParallel: 1, maxFailures: 0 } });
    expect(r.state).toBe('halted');
    expect(r.reason).toMatch(/^Batch 1 had 1 failure, more than the 0 allowed/);
    const d = await detail(r.id);
    const by = Object.fromEntries(d.devices.map((x) => [x.name, x]));
    expect(by['east/r6']).toMatchObject({ state: 'failed', error: { code: ErrorCode.BOOTED_WRONG_IMAGE } });
    expect(by['east/r8']!.state).toBe('pending');
    expect(touches('east/r8')).toBe(0);

    await lab.clearFaults('r6');
    await ok(core, 'rollouts.resume', { id: r.id });
    const after = await core.rollouts.wait(r.id);
    expect(after).toMatchObject({ state: 'done', counts: { done: 3, failed: 1 } });
    expect(after.reason).toMatch(/3 done, 1 failed/);
    // The failed device was not acted on again.
    expect(touches('east/r6')).toBe(1);
  });

  it('pauses after the canary when asked, and cancels what has not started', async () => {
    await lab.retag('stable', '2.0');
    const r = await roll({ devices: ['r1', 'r2', 'r9'], action: 'upgrade', policy: { canary: 1, batchSize: 1, pauseAfterCanary: true } });
    expect(r).toMatchObject({ state: 'paused', counts: { done: 1, pending: 2 } });
    expect(r.reason).toMatch(/canary batch is done/);
    expect((await fails(core, 'rollouts.pause', { id: r.id })).code).toBe(ErrorCode.ACTION_NOT_POSSIBLE);
    const c = await ok(core, 'rollouts.cancel', { id: r.id });
    expect(c).toMatchObject({ state: 'canceled', counts: { done: 1, skipped: 2, pending: 0 } });
    expect(touches('east/r9')).toBe(0);
    expect((await fails(core, 'rollouts.resume', { id: r.id })).message).toMatch(/is canceled; only a paused, halted or interrupted rollout can be resumed/);
  });

  it('rolls back a list of devices and verifies each booted its previous image', async () => {
    const r = await roll({ devices: ['r2', 'r3'], action: 'rollback', policy: { canary: 0, batchPercent: 100 } });
    expect(r).toMatchObject({ state: 'done', counts: { done: 2 } });
    expect(r.batches).toHaveLength(1);
    for (const dev of (await detail(r.id)).devices) expect(dev.resultDigest).toBe(digest('1.0'));
  });
});
