import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../e2e/lab';
import { DATABASE_FILE } from '../core/paths';
import { cleanupTempDirs, tempDir } from '../core/test-support';
import { runCli } from './program';

/**
 * `bootfleet rollout` against the lab, including the hard case: the process driving a rollout
 * is killed with SIGKILL while devices are mid-reboot; `rollout resume` then finishes it with no
 * device rebooted twice and the database intact. Needs root (the lab).
 */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the rollout CLI tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let dataDir: string;
const NAMES = ['k1', 'k2', 'k3', 'k4'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), readStdin: async () => '' });
  return { code, stdout, stderr };
}
const digest = (tag: string) => lab.images.find((i) => i.tag === tag)!.digests.amd64!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!canRun) return;
  dataDir = tempDir();
  // Long reboots leave a wide window in which devices are down after their reboot was sent.
  lab = await startLab({ rebootMs: 4000, devices: NAMES.map((name) => ({ name, bootcVersion: '1.16.9' })) });
  for (const d of lab.devices) expect((await cli(['devices', 'add', d.name, '--host', d.host, '--user', d.user, '--key', d.key, '--sudo', '--tag', 'fleet'])).stderr).toBe('');
  await lab.retag('stable', '1.1');
}, 180_000);

afterAll(async () => {
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('bootfleet rollout', () => {
  it('shows the plan and does nothing without --yes', async () => {
    const r = await cli(['rollout', 'create', 'upgrade', '--tag', 'fleet', '--batch-size', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Rollout "upgrade": upgrade on 4 devices, applied and verified after reboot.');
    expect(r.stdout).toMatch(/Canary \(1\): k1 \[never\]\nBatch 1 \(3\): k2 \[never\], k3 \[never\], k4 \[never\]/);
    expect(r.stdout).toContain('Nothing was done. Run again with --yes to start it.');
    expect((await cli(['rollout', 'status'])).stdout).toContain('No rollouts yet');
  });

  it('resumes a rollout whose process was killed mid-reboot without rebooting any device twice', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'index.ts'), '--data-dir', dataDir, 'rollout', 'create', 'upgrade', ...NAMES, '--canary', '1', '--batch-size', '3', '--parallel', '3', '--wait', '120', '--yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let childErr = '';
    child.stderr.on('data', (b: Buffer) => (childErr += b.toString()));
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    // Kill it once the canary is done and a device of the next batch has been sent its reboot.
    const deadline = Date.now() + 90_000;
    let killedAt: { phase: string; device_name: string; state: string }[] = [];
    while (Date.now() < deadline) {
      const rows = db.prepare("SELECT jd.device_name, jd.phase, jd.state FROM job_devices jd JOIN jobs j ON j.id = jd.job_id WHERE j.rollout_id IS NOT NULL").all() as { device_name: string; phase: string; state: string }[];
      const canaryDone = rows.some((r) => r.device_name === 'k1' && r.state === 'done');
      const waiting = rows.filter((r) => r.phase === 'waiting');
      if (canaryDone && waiting.length) {
        child.kill('SIGKILL');
        killedAt = rows;
        break;
      }
      await sleep(25);
    }
    db.close();
    expect(killedAt.length, `the rollout never reached a reboot: ${childErr}`).toBeGreaterThan(0);
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    // A fresh process sees the truth: interrupted, nothing claims to be running.
    const st = await cli(['rollout', 'status', '--json']);
    const [listed] = JSON.parse(st.stdout) as { id: string; state: string; reason: string }[];
    expect(listed).toMatchObject({ state: 'interrupted' });
    expect(listed!.reason).toMatch(/process driving it stopped/);
    const shown = JSON.parse((await cli(['rollout', 'status', listed!.id, '--json'])).stdout) as { devices: { name: string; state: string }[] };
    expect(shown.devices.find((d) => d.name === 'k1')!.state).toBe('done');
    expect(shown.devices.filter((d) => d.state === 'running')).toEqual([]);
    expect(shown.devices.filter((d) => d.state === 'interrupted').length).toBeGreaterThan(0);

    // Every device caught acting has a line in the activity log saying so.
    const acting = killedAt.filter((r) => r.state === 'running').map((r) => r.device_name);
    const interrupted = await cli(['log', '--search', 'interrupted while']);
    for (const name of acting) expect(interrupted.stdout).toContain(`upgrade on ${name}: interrupted while`);

    const resumed = await cli(['rollout', 'resume', listed!.id]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toMatch(/: done — 4 done, 0 failed, 0 running, 0 to go of 4\./);

    const check = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      // What the devices really did: the lab logs every reboot a device asks for.
      const labLog = readFileSync(join(lab.dir, 'lab.log'), 'utf8');
      for (const name of NAMES) {
        const reboots = labLog.split('\n').filter((l) => l.includes(` ${name}: reboot requested`)).length;
        const logs = (check.prepare('SELECT log FROM job_devices WHERE device_name = ?').pluck().all(name) as string[]).join('');
        expect([name, reboots], `${logs}\n${JSON.stringify(killedAt)}`).toEqual([name, 1]);
        const booted = check.prepare('SELECT booted_digest FROM device_status ds JOIN devices d ON d.id = ds.device_id WHERE d.name = ?').pluck().get(name);
        expect([name, booted]).toEqual([name, digest('1.1')]);
      }
      // The devices caught after their reboot was sent were checked, and found rebooted: no second reboot command.
      const caught = killedAt.filter((r) => r.phase === 'waiting').map((r) => r.device_name);
      for (const name of caught) {
        const last = check.prepare('SELECT log FROM job_devices WHERE device_name = ? ORDER BY updated_at DESC LIMIT 1').pluck().get(name) as string;
        expect(last).toContain('checking whether it rebooted (it is not rebooted again)');
        expect(last).not.toContain('systemctl reboot');
      }
    } finally {
      check.close();
    }
    const log = await cli(['log', '--device', 'k2']);
    expect(log.stdout).toMatch(/device\.upgrade {2}upgrade and apply on k2: booted 42\.20261001\.0 \(\w{12}\), as expected/);
  }, 240_000);

  it('pauses a rollout another process drives, from this one', async () => {
    await lab.retag('stable', '2.0');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'index.ts'), '--data-dir', dataDir, 'rollout', 'create', 'upgrade', ...NAMES, '--name', 'to 2.0', '--canary', '0', '--batch-size', '1', '--wait', '120', '--yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Wait until the other process has the rollout running, then pause it from here.
    let id = '';
    for (let i = 0; i < 400 && !id; i++) {
      await sleep(50);
      const list = await cli(['rollout', 'status', '--json']);
      const found = (JSON.parse(list.stdout || '[]') as { id: string; name: string; state: string }[]).find((r) => r.name === 'to 2.0' && r.state === 'running');
      if (found) id = found.id;
    }
    expect(id, out).not.toBe('');
    const paused = await cli(['rollout', 'pause', id]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('(pause requested)');
    expect(await exited).toBe(1);
    expect(out).toMatch(/: paused — \d done, 0 failed, 0 running, \d to go of 4\./);
    expect(out).toContain(`Resume with: bootfleet rollout resume ${id}`);
    // It stopped between devices: nothing is left half-done, and most devices were never touched.
    const shown = JSON.parse((await cli(['rollout', 'status', id, '--json'])).stdout) as { state: string; devices: { state: string }[] };
    expect(shown.state).toBe('paused');
    expect(shown.devices.every((d) => d.state === 'done' || d.state === 'pending')).toBe(true);
    expect(shown.devices.filter((d) => d.state === 'pending').length).toBeGreaterThan(0);
  }, 120_000);
});
