import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CLI } from './fixtures';
import { polkitAvailable, startPolkit, type Polkit } from './lab/polkit';

/**
 * Flashing as a user: the app starts its privileged helper through pkexec (polkit), for real.
 * Root is authorized by polkit without an agent; an ordinary user with no authentication agent
 * (an SSH session, CI) gets a message that says what to do instead, and nothing is written.
 */
test.skip(!polkitAvailable() && !process.env.CI, 'needs root, pkexec, dbus-daemon and polkitd (installed by .ci/install)');

let dir: string;
let polkit: Polkit;
const loops: string[] = [];

function run(args: string[], opts: { user?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = opts.user !== undefined ? ['setpriv', `--reuid=${opts.user}`, `--regid=${opts.user}`, '--clear-groups', process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  return new Promise((done) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
function loop(sizeMiB: number): string {
  const backing = join(dir, `stick-${loops.length}.img`);
  execFileSync('truncate', ['-s', `${sizeMiB}M`, backing]);
  const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
  loops.push(dev);
  return dev;
}
function head(dev: string, n: number): Buffer {
  const fd = openSync(dev, 'r');
  const b = Buffer.alloc(n);
  readSync(fd, b, 0, n, 0);
  closeSync(fd);
  return b;
}

test.beforeAll(async () => {
  polkit = await startPolkit();
  dir = mkdtempSync(join(tmpdir(), 'bootfleet-pkexec-'));
  chmodSync(dir, 0o755); // the unprivileged user reads the image and keeps its data here
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'payload.bin'), Buffer.alloc(3 * 1024 * 1024, 0x5a));
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', join(dir, 'live.iso'), tree], { stdio: 'ignore' });
  chmodSync(join(dir, 'live.iso'), 0o644);
});

test.afterAll(async () => {
  for (const l of loops) execFileSync('losetup', ['-d', l]);
  await polkit?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('as a user with no polkit agent: a clear refusal with the sudo alternative, nothing written, the attempt recorded', async () => {
  const stick = loop(16);
  const data = join(dir, 'user-data');
  mkdirSync(data);
  chmodSync(data, 0o777);
  const r = await run(['flash', join(dir, 'live.iso'), '--drive', stick, '--yes', '--data-dir', data], { user: 65534, env: { HOME: data } });
  expect(r.code).toBe(1);
  const out = r.stdout + r.stderr;
  expect(out).toContain('no polkit authentication agent is running');
  expect(out).toContain(`sudo bootfleet flash ${join(dir, 'live.iso')} --drive ${stick} --yes`);
  expect(out).toMatch(/not written/);
  expect(head(stick, 65536).equals(Buffer.alloc(65536))).toBe(true);
  const history = JSON.parse((await run(['flashes', '--json', '--data-dir', data], { user: 65534, env: { HOME: data } })).stdout) as { state: string; targets: { path: string; condition: string }[] }[];
  expect(history[0]).toMatchObject({ state: 'failed', targets: [{ path: stick, condition: 'not written' }] });
});

test('through pkexec (authorized): the helper writes and verifies, and the drive holds the image', async () => {
  const stick = loop(16);
  const data = mkdtempSync(join(tmpdir(), 'bootfleet-pkexec-data-'));
  try {
    const r = await run(['flash', join(dir, 'live.iso'), '--drive', stick, '--yes', '--json', '--data-dir', data], { env: { BOOTFLEET_FLASH_HELPER: 'always' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout) as { state: string; targets: { condition: string }[] };
    expect(f).toMatchObject({ state: 'done', targets: [{ condition: 'written and verified' }] });
    const iso = readFileSync(join(dir, 'live.iso'));
    expect(head(stick, iso.length).equals(iso)).toBe(true);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
