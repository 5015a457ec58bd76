import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
const short = (d: string) => d.slice('sha256:'.length, 'sha256:'.length + 12);
/** The output a device printed during a job. */
const logOf = async (job: Job, device = one(job)) => (await ok(core, 'jobs.get', { id: job.id })).logs[device.deviceId] ?? '';
const labDevice = (name: string) => lab.devices.find((d) => d.name === name)!;

/** Runs a command on a lab device with OpenSSH, as an operator at a terminal would (not through Bootfleet). */
function sshRun(name: string, command: string): Promise<{ code: number; out: string; err: string }> {
  const d = labDevice(name);
  const args = [
    '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5',
    '-o', `UserKnownHostsFile=${join(sshDir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new',
    '-i', d.key, '-p', String(d.port), `${d.user}@${d.host}`, command,
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 30_000 }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 255) : 0, out: String(out), err: String(errOut) });
    });
  });
}
let sshDir = '';

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'updater', bootcVersion: '1.16.9', rollbackImage: '1.0' },
      { name: 'old', bootcVersion: '1.1.6' },
      { name: 'flaky', bootcVersion: '1.16.9' },
      { name: 'gone', bootcVersion: '1.16.9' },
      // One device per scenario below, so that none depends on what another test left behind.
      { name: 'dl', bootcVersion: '1.12.0' },
      { name: 'pre-dl', bootcVersion: '1.11.0' },
      { name: 'switcher', bootcVersion: '1.16.9', image: '1.0' },
      { name: 'roller', bootcVersion: '1.16.9', image: '1.1', rollbackImage: '1.0' },
      { name: 'staged-roller', bootcVersion: '1.16.9', rollbackImage: '1.1' },
      { name: 'queued-ssh', bootcVersion: '1.16.9', image: '1.1', rollbackImage: '1.0' },
      { name: 'queued-job', bootcVersion: '1.16.9', image: '1.1', rollbackImage: '1.0' },
      { name: 'queued-staged', bootcVersion: '1.16.9', rollbackImage: '1.1' },
    ],
  });
  sshDir = tempDir();
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
    // The second start is refused from the job record alone; the delay only keeps the first one running.
    await lab.setFaults('gone', { slowMs: 1000 });
    const first = await ok(core, 'actions.start', { action: 'check', devices: ['gone'] });
    expect(await fails(core, 'actions.start', { action: 'check', devices: ['gone'] })).toMatchObject({ code: ErrorCode.DEVICE_BUSY });
    await core.actions.wait(first.id);
    await lab.clearFaults('gone');
  });

  it('downloads an update without arming it: a plain reboot does not boot it, apply unlocks it and verifies the boot (bootc 1.12)', async () => {
    await lab.retag('stable', '1.1');
    const staged = await act({ action: 'upgrade', devices: ['dl'], downloadOnly: true });
    expect(one(staged)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(one(staged).outcome).toBe(`staged ${image('1.1').version} (${short(digest('1.1'))}) (download-only)`);
    expect(await logOf(staged)).toContain('$ sudo -n -- bootc upgrade --download-only\n');
    let d = await ok(core, 'fleet.device', { device: 'dl' });
    expect(d.summary.booted?.digest).toBe(digest('1.0'));
    expect(d.summary.staged?.digest).toBe(digest('1.1'));
    expect(d.status?.staged?.downloadOnly).toBe(true);
    expect(d.status?.pendingReboot).toBe(false);

    // Someone reboots the device: a download-only deployment is never finalized, so the old
    // image boots again and the download is dropped (bootc-cli.md §4: "discarded on reboot").
    await lab.reboot('dl');
    const afterReboot = await ok(core, 'actions.plan', { action: 'apply', devices: ['dl'] });
    expect(afterReboot[0]?.current).toMatchObject({ booted: { digest: digest('1.0') }, staged: null });
    expect(afterReboot[0]).toMatchObject({ possible: false, commands: [] });
    expect(afterReboot[0]?.warnings.join(' ')).toMatch(/Nothing is staged/);

    // Downloaded again, then applied: unlocked with --from-downloaded (no new pull), rebooted, verified.
    expect(one(await act({ action: 'upgrade', devices: ['dl'], downloadOnly: true })).resultDigest).toBe(digest('1.1'));
    const plan = await ok(core, 'actions.plan', { action: 'apply', devices: ['dl'] });
    expect(plan[0]).toMatchObject({
      possible: true,
      current: { staged: { digest: digest('1.1'), downloadOnly: true } },
      commands: ['sudo -n -- bootc upgrade --from-downloaded', 'sudo -n -- systemctl reboot'],
    });
    const applied = await act({ action: 'apply', devices: ['dl'] });
    expect(one(applied)).toMatchObject({ state: 'done', phase: 'finished', fromDigest: digest('1.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(one(applied).outcome).toBe(`booted ${image('1.1').version} (${short(digest('1.1'))}), as expected`);
    const log = await logOf(applied);
    expect(log).toContain('$ sudo -n -- bootc upgrade --from-downloaded\nStaged deployment will now be applied on reboot\n');
    expect(log.indexOf('--from-downloaded')).toBeLessThan(log.indexOf('$ sudo -n -- systemctl reboot'));
    d = await ok(core, 'fleet.device', { device: 'dl' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.1') }, rollback: { digest: digest('1.0') }, staged: null });
  });

  it('refuses a download-only upgrade on bootc older than 1.12, saying why, without touching the device', async () => {
    const plan = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['pre-dl'], downloadOnly: true });
    expect(plan[0]).toMatchObject({ possible: false, bootcVersion: '1.11.0', commands: [] });
    expect(plan[0]?.warnings).toEqual(['bootc 1.11.0 cannot download without staging (--download-only needs bootc 1.12 or newer).']);
    await lab.retag('stable', '1.1');
    const job = await act({ action: 'upgrade', devices: ['pre-dl'], downloadOnly: true });
    expect(one(job)).toMatchObject({ state: 'failed', error: { code: ErrorCode.ACTION_NOT_POSSIBLE } });
    expect(one(job).error?.message).toContain('--download-only needs bootc 1.12 or newer');
    expect(await logOf(job)).not.toContain('bootc upgrade');
    const d = await ok(core, 'fleet.device', { device: 'pre-dl' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.0') }, staged: null });
  });

  it('switches to an oci-archive on the device, verifies the digest it booted, and switches back to the registry', async () => {
    // The archive is copied into the device's own /var, where its bootc (in its mount namespace) reads it.
    const archive = `/var/tmp/${basename(image('2.0').archive)}`;
    await copyFile(image('2.0').archive, join(labDevice('switcher').dir, archive));
    const target = `${archive}:2.0`;
    const plan = await ok(core, 'actions.plan', { action: 'switch', devices: ['switcher'], image: target, transport: 'oci-archive', apply: true });
    expect(plan[0]?.commands).toEqual([`sudo -n -- bootc switch --transport oci-archive ${target}`, 'sudo -n -- systemctl reboot']);
    const job = await act({ action: 'switch', devices: ['switcher'], image: target, transport: 'oci-archive', apply: true });
    expect(one(job)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('2.0'), resultDigest: digest('2.0') });
    let d = await ok(core, 'fleet.device', { device: 'switcher' });
    expect(d.summary).toMatchObject({ bootedImage: `oci-archive:${target}`, booted: { digest: digest('2.0') }, rollback: { digest: digest('1.0') }, staged: null });
    expect(d.status?.specImage).toMatchObject({ image: target, transport: 'oci-archive' });

    const back = await act({ action: 'switch', devices: ['switcher'], image: image('1.1').ref, apply: true });
    expect(one(back)).toMatchObject({ state: 'done', fromDigest: digest('2.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(await logOf(back)).toContain(`$ sudo -n -- bootc switch ${image('1.1').ref}\n`);
    d = await ok(core, 'fleet.device', { device: 'switcher' });
    expect(d.summary).toMatchObject({ bootedImage: image('1.1').ref, booted: { digest: digest('1.1') }, rollback: { digest: digest('2.0') } });
    expect(d.status?.specImage).toMatchObject({ image: image('1.1').ref, transport: 'registry' });
  });

  it('rolls back twice in a row, each time verified: the second rollback returns to the original image', async () => {
    const first = await act({ action: 'rollback', devices: ['roller'], apply: true });
    expect(one(first)).toMatchObject({ state: 'done', fromDigest: digest('1.1'), expectedDigest: digest('1.0'), resultDigest: digest('1.0') });
    let d = await ok(core, 'fleet.device', { device: 'roller' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.0') }, rollback: { digest: digest('1.1') } });
    expect(d.status?.rollbackQueued).toBe(false);

    const second = await act({ action: 'rollback', devices: ['roller'], apply: true });
    expect(one(second)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(one(second).outcome).toBe(`booted ${image('1.1').version} (${short(digest('1.1'))}), as expected`);
    expect((await logOf(second)).match(/\$ sudo -n -- bootc rollback\n/g)).toHaveLength(1);
    d = await ok(core, 'fleet.device', { device: 'roller' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.1') }, rollback: { digest: digest('1.0') } });
  });

  it('rolls back over a staged update: warns that it is discarded, boots the rollback entry, and the staged one is gone', async () => {
    await lab.retag('stable', '2.0');
    expect(one(await act({ action: 'upgrade', devices: ['staged-roller'] })).resultDigest).toBe(digest('2.0'));
    const plan = await ok(core, 'actions.plan', { action: 'rollback', devices: ['staged-roller'], apply: true });
    expect(plan[0]).toMatchObject({
      possible: true,
      current: { staged: { digest: digest('2.0'), downloadOnly: false }, booted: { digest: digest('1.0') }, rollback: { digest: digest('1.1') } },
      commands: ['sudo -n -- bootc rollback', 'sudo -n -- systemctl reboot'],
    });
    expect(plan[0]?.warnings).toEqual([`Rolling back discards the staged update ${image('2.0').version} (${short(digest('2.0'))}).`]);
    const job = await act({ action: 'rollback', devices: ['staged-roller'], apply: true });
    expect(one(job)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(await logOf(job)).toContain('note: Rolling back discards the staged update');
    const d = await ok(core, 'fleet.device', { device: 'staged-roller' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.1') }, rollback: { digest: digest('1.0') }, staged: null });
    expect(d.status?.pendingReboot).toBe(false);
  });

  it('does not run bootc rollback again when one is already queued (by hand or by an earlier job), and boots the queued entry', async () => {
    // One queued by hand over ssh, one by a rollback job without apply.
    const byHand = await sshRun('queued-ssh', 'sudo -n bootc rollback');
    expect(byHand).toMatchObject({ code: 0, out: 'Next boot: rollback deployment\n' });
    expect(one(await act({ action: 'rollback', devices: ['queued-job'] }))).toMatchObject({ state: 'done', expectedDigest: digest('1.0') });
    const devices = ['queued-ssh', 'queued-job'];
    const plan = await ok(core, 'actions.plan', { action: 'rollback', devices, apply: true });
    for (const p of plan) {
      expect(p).toMatchObject({ possible: true, current: { rollbackQueued: true }, commands: ['sudo -n -- systemctl reboot'] });
      expect(p.steps[0]).toMatch(/already queued; it is not run again/);
    }
    const job = await act({ action: 'rollback', devices, apply: true });
    expect(job.state).toBe('done');
    for (const dev of job.devices) {
      expect(dev).toMatchObject({ state: 'done', fromDigest: digest('1.1'), expectedDigest: digest('1.0'), resultDigest: digest('1.0') });
      const log = await logOf(job, dev);
      expect(log).not.toContain('bootc rollback');
      expect(log).toContain('$ sudo -n -- systemctl reboot');
      const d = await ok(core, 'fleet.device', { device: dev.name });
      expect(d.summary).toMatchObject({ booted: { digest: digest('1.0') }, rollback: { digest: digest('1.1') } });
      expect(d.status?.rollbackQueued).toBe(false);
    }
  });

  it('rolls back when an update was staged after a queued rollback: the staged update is dropped, not booted', async () => {
    // bootc keeps rollbackQueued with a staged deployment on top (status.rs compares the indexes
    // of rollback and booted only), and the staged one is what the next boot finalizes.
    expect(await sshRun('queued-staged', 'sudo -n bootc rollback')).toMatchObject({ code: 0 });
    await lab.retag('stable', '2.0');
    expect(one(await act({ action: 'upgrade', devices: ['queued-staged'] })).resultDigest).toBe(digest('2.0'));
    const plan = await ok(core, 'actions.plan', { action: 'rollback', devices: ['queued-staged'], apply: true });
    expect(plan[0]?.current).toMatchObject({ rollbackQueued: true, staged: { digest: digest('2.0') }, rollback: { digest: digest('1.1') } });
    expect(plan[0]?.warnings).toEqual([`Rolling back discards the staged update ${image('2.0').version} (${short(digest('2.0'))}).`]);
    // One `bootc rollback` drops the staged update but reverts the queued rollback; the second queues it again.
    expect(plan[0]?.commands).toEqual(['sudo -n -- bootc rollback', 'sudo -n -- bootc rollback', 'sudo -n -- systemctl reboot']);
    const job = await act({ action: 'rollback', devices: ['queued-staged'], apply: true });
    expect(one(job)).toMatchObject({ state: 'done', fromDigest: digest('1.0'), expectedDigest: digest('1.1'), resultDigest: digest('1.1') });
    expect(await logOf(job)).toContain(
      '$ sudo -n -- bootc rollback\nnotice: Reverting queued rollback state\nNext boot: current deployment\n$ sudo -n -- bootc rollback\nNext boot: rollback deployment\n',
    );
    const d = await ok(core, 'fleet.device', { device: 'queued-staged' });
    expect(d.summary).toMatchObject({ booted: { digest: digest('1.1') }, rollback: { digest: digest('1.0') }, staged: null });
  });
});
