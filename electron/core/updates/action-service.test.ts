import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../../e2e/lab';
import type { ActionInput, Job } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import { openCore, type BootfleetCore } from '../app';
import { cleanupTempDirs, fails, ok, tempDir } from '../test-support';

/** Device actions against the lab: stage, apply, rollback, fallbacks and devices that never return. Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the device action tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
const digest = (tag: string) => image(tag).digests.amd64!;

async function act(input: ActionInput): Promise<Job> {
  const job = await ok(core, 'actions.start', input);
  return core.actions.wait(job.id);
}
const one = (job: Job) => job.devices[0]!;

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'updater', bootcVersion: '1.16.9', rollbackImage: '1.0' },
      { name: 'old', bootcVersion: '1.1.6' },
      { name: 'flaky', bootcVersion: '1.16.9' },
      { name: 'gone', bootcVersion: '1.16.9' },
    ],
  });
  core = openCore({ dataDir: tempDir(), via: 'cli', log: () => {}, actions: { pollMs: 200 } });
  for (const d of lab.devices) await ok(core, 'devices.add', { name: d.name, host: d.host, user: d.user, keyPath: d.key, auth: 'key', sudo: d.sudo });
}, 180_000);

afterAll(async () => {
  core?.close();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('device actions against the lab', () => {
  it('checks for an update without staging it, with and without one available', async () => {
    let job = await act({ action: 'check', devices: ['updater'] });
    expect(one(job)).toMatchObject({ state: 'done', outcome: 'no update available' });
    await lab.retag('stable', '1.1');
    job = await act({ action: 'check', devices: ['updater'] });
    expect(one(job).outcome).toContain(`update available: ${image('1.1').version}`);
    const d = await ok(core, 'fleet.device', { device: 'updater' });
    expect(d.summary.update?.digest).toBe(digest('1.1'));
    expect(d.summary.staged).toBeNull();
  });

  it('stages an update, applies it, and verifies the digest booted after the reboot', async () => {
    const plan = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['updater'], apply: true });
    expect(plan[0]).toMatchObject({ possible: true, commands: ['sudo -n -- bootc upgrade', 'sudo -n -- systemctl reboot'] });
    const job = await act({ action: 'upgrade', devices: ['updater'] });
    expect(one(job)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('1.1') });
    expect(one(job).outcome).toContain(`staged ${image('1.1').version}`);
    const applied = await act({ action: 'apply', devices: ['updater'] });
    expect(one(applied)).toMatchObject({ state: 'done', phase: 'finished', resultDigest: digest('1.1') });
    expect(one(applied).outcome).toMatch(/^booted .* as expected$/);
    const d = await ok(core, 'fleet.device', { device: 'updater' });
    expect(d.summary.booted?.digest).toBe(digest('1.1'));
    expect(d.summary.rollback?.digest).toBe(digest('1.0'));
    const log = await ok(core, 'jobs.get', { id: applied.id });
    expect(log.logs[one(applied).deviceId]).toContain('$ sudo -n -- systemctl reboot');
    const entries = await ok(core, 'activity.list', { action: 'device.apply' });
    expect(entries.items[0]?.details).toMatchObject({ from: digest('1.0'), to: digest('1.1'), result: 'done' });
  });

  it('rolls back with one action, warns that a staged update is discarded, and is safe to run twice', async () => {
    await lab.retag('stable', '2.0');
    await act({ action: 'upgrade', devices: ['updater'] });
    const plan = await ok(core, 'actions.plan', { action: 'rollback', devices: ['updater'], apply: true });
    expect(plan[0]?.warnings.join(' ')).toMatch(/discards the staged update/);
    // Queue it without applying, then again: the second must not undo the first.
    expect(one(await act({ action: 'rollback', devices: ['updater'] })).state).toBe('done');
    const again = await ok(core, 'actions.plan', { action: 'rollback', devices: ['updater'], apply: true });
    expect(again[0]?.steps[0]).toMatch(/already queued; it is not run again/);
    const job = await act({ action: 'rollback', devices: ['updater'], apply: true });
    expect(one(job)).toMatchObject({ state: 'done', expectedDigest: digest('1.0'), resultDigest: digest('1.0') });
    await lab.retag('stable', '1.0');
  });

  it('reports a boot that falls back to the old image as a failed update, with what it booted', async () => {
    await lab.retag('stable', '1.1');
    await lab.setFaults('flaky', { bootFails: true });
    const job = await act({ action: 'upgrade', devices: ['flaky'], apply: true });
    expect(one(job)).toMatchObject({ state: 'failed', expectedDigest: digest('1.1'), resultDigest: digest('1.0'), error: { code: ErrorCode.BOOTED_WRONG_IMAGE } });
    expect(one(job).error?.message).toMatch(/came back on .* instead of/);
    expect(job.state).toBe('failed');
    await lab.clearFaults('flaky');
  });

  it('reports a device that does not come back within the wait, never as done', async () => {
    await lab.setFaults('gone', { rebootHangs: true });
    const job = await act({ action: 'upgrade', devices: ['gone'], apply: true, waitSeconds: 5 });
    expect(one(job)).toMatchObject({ state: 'failed', phase: 'finished', error: { code: ErrorCode.DEVICE_DID_NOT_RETURN } });
    await lab.clearFaults('gone');
  });

  it('does not send flags an old bootc lacks, and refuses what it cannot do', async () => {
    const plan = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['old'], downloadOnly: true });
    expect(plan[0]).toMatchObject({ possible: false, bootcVersion: '1.1.6' });
    const job = await act({ action: 'upgrade', devices: ['old'], downloadOnly: true });
    expect(one(job)).toMatchObject({ state: 'failed', error: { code: ErrorCode.ACTION_NOT_POSSIBLE } });
    const noRollback = await act({ action: 'rollback', devices: ['old'] });
    expect(one(noRollback).error?.message).toContain('no rollback deployment');
    expect(await fails(core, 'actions.start', { action: 'switch', devices: ['old'] })).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
  });

  it('refuses a second job on a device that is busy', async () => {
    await lab.setFaults('gone', { slowMs: 3000 });
    const first = await ok(core, 'actions.start', { action: 'check', devices: ['gone'] });
    expect(await fails(core, 'actions.start', { action: 'check', devices: ['gone'] })).toMatchObject({ code: ErrorCode.DEVICE_BUSY });
    await core.actions.wait(first.id);
    await lab.clearFaults('gone');
  });
});

