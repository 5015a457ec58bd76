import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../../e2e/lab';
import { ErrorCode } from '../../../shared/errors';
import type { AppError } from '../../../shared/errors';
import { openCore, type BootfleetCore } from '../app';
import { cleanupTempDirs, ok, tempDir } from '../test-support';
import type { HostKeyPolicy, SshConnection, SshTarget } from './connection';
import { SshPool } from './pool';

/** The SSH layer against lab devices: credentials, reuse, the concurrency limit. Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the SSH pool tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let dir: string;
let agent: ChildProcess | null = null;
let agentSock: string;
const acceptAll: HostKeyPolicy = { verify: () => null };

function target(d: LabDevice): SshTarget {
  return {
    jumps: [],
    device: { pinId: `device:${d.name}`, label: d.name, host: d.host, port: d.port, user: d.user, auth: { kind: 'key', keyPath: d.key, privateKey: readKey(d.key), passphrase: undefined } },
  };
}
const readKey = (p: string): Buffer => readFileSync(p);

beforeAll(async () => {
  if (!canRun) return;
  dir = tempDir();
  lab = await startLab({ rebootMs: 300, devices: [{ name: 'a', bootcVersion: '1.16.9' }] });
  // A real ssh-agent holding the lab key, on a socket of our own; stopped by PID.
  agentSock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ssh-add', [lab.devices[0]!.key], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
}, 120_000);

afterAll(async () => {
  agent?.kill('SIGTERM');
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('the SSH pool against a lab device', () => {
  it('reuses an idle connection for the next commands to the same device', async () => {
    const pool = new SshPool(acceptAll, { idleMs: 5000 });
    const d = lab.devices[0]!;
    const seen: SshConnection[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await pool.with('a', target(d), async (c) => {
        seen.push(c);
        return (await c.exec(['echo', 'hi'], { timeoutMs: 5000 })).stdout.toString();
      });
      expect(out).toBe('hi\n');
    }
    expect(new Set(seen).size).toBe(1);
    expect(pool.openCount).toBe(1);
    pool.close();
    expect(pool.openCount).toBe(0);
  });

  it('never has more connections open than its concurrency limit', async () => {
    const pool = new SshPool(acceptAll, { concurrency: 2, idleMs: 5000 });
    const d = lab.devices[0]!;
    let running = 0;
    let peak = 0;
    let peakOpen = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pool.with(`k${i}`, target(d), async (c) => {
          running++;
          peak = Math.max(peak, running);
          peakOpen = Math.max(peakOpen, pool.openCount);
          await c.exec(['sleep', '0.2'], { timeoutMs: 5000 });
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(peakOpen).toBeLessThanOrEqual(2);
    pool.close();
  });

  it('logs in with ssh-agent, and with a passphrase-protected key; a wrong or missing passphrase is named', async () => {
    const d = lab.devices[0]!;
    const locked = join(dir, 'locked_key');
    copyFileSync(d.key, locked);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'open sesame', '-f', locked]);
    const core: BootfleetCore = openCore({ dataDir: tempDir(), via: 'cli', log: () => {}, ssh: { agentSocket: agentSock } });
    try {
      const base = { host: d.host, user: d.user, sudo: d.sudo };
      await ok(core, 'devices.add', { name: 'by-agent', ...base, auth: 'agent' });
      await ok(core, 'devices.add', { name: 'by-passphrase', ...base, auth: 'key', keyPath: locked, secret: 'open sesame' });
      await ok(core, 'devices.add', { name: 'wrong-passphrase', ...base, auth: 'key', keyPath: locked, secret: 'nope' });
      await ok(core, 'devices.add', { name: 'no-passphrase', ...base, auth: 'key', keyPath: locked });
      await ok(core, 'devices.add', { name: 'no-key', ...base, auth: 'key', keyPath: join(dir, 'missing') });
      const p = await core.fleet.refresh(core.actor, { devices: ['by-agent', 'by-passphrase', 'wrong-passphrase', 'no-passphrase', 'no-key'], facts: false });
      expect(p).toMatchObject({ ok: 2, failed: 3 });
      const msgs = Object.fromEntries(p.groups.flatMap((g) => g.devices.map((x) => [x.name, `${g.code} ${x.message}`])));
      expect(msgs['wrong-passphrase']).toMatch(/^SSH_KEY_UNUSABLE the passphrase stored for .*locked_key is wrong/);
      expect(msgs['no-passphrase']).toMatch(/^SSH_KEY_UNUSABLE .*locked_key is protected by a passphrase/);
      expect(msgs['no-key']).toMatch(/^SSH_KEY_UNUSABLE the key file .*missing does not exist/);
    } finally {
      core.close();
    }
  });

  it('says so when the agent is missing, instead of trying nothing', async () => {
    const pool = new SshPool(acceptAll);
    const d = lab.devices[0]!;
    const t = target(d);
    t.device.auth = { kind: 'agent', agentSocket: undefined };
    const err = (await pool.with('x', t, async () => 'no').catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe(ErrorCode.SSH_AUTH_FAILED);
    expect(err.message).toContain('SSH_AUTH_SOCK is not set');
    expect(pool.openCount).toBe(0);
  });
});
