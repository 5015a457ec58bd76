import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../e2e/lab';
import { cleanupTempDirs, tempDir } from '../core/test-support';
import { runCli } from './program';

/** `bootfleet status` and `bootfleet hostkeys` against the device lab (needs root, as CI has). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the status CLI tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let dataDir: string;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), readStdin: async () => '' });
  return { code, stdout, stderr };
}

const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;
const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;

beforeAll(async () => {
  if (!canRun) return;
  dataDir = tempDir();
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'good', bootcVersion: '1.16.9', rollbackImage: '1.0' },
      { name: 'plain', image: null },
      { name: 'locked', faults: { authRefused: true } },
    ],
  });
  for (const d of lab.devices) {
    const r = await cli(['devices', 'add', d.name, '--host', d.host, '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
    expect(r.stderr).toBe('');
  }
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('bootfleet status and hostkeys', () => {
  it('shows the stored state without contacting anything, and asks before refreshing everything', async () => {
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+SITE\s+STATE\s+BOOTED IMAGE/);
    expect(r.stdout.match(/never seen/g)).toHaveLength(3);
    const bare = await cli(['status', '--refresh']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('Name the devices to refresh, or use --all');
  });

  it('refreshes every device, prints digests and the failures grouped by cause, and exits 1 when some failed', async () => {
    const r = await cli(['status', '--refresh', '--all']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Refreshed 3 of 3 devices: 1 answered, 2 failed.\n');
    const good = r.stdout.split('\n').find((l) => l.startsWith('good'))!;
    expect(good).toContain('online');
    expect(good).toContain(image('1.0').digests.amd64!.slice(7, 19));
    expect(good).toContain(image('1.0').version);
    expect(r.stdout).toMatch(/Authentication failed \(1\):\n\s+locked: .*refused the key/);
    expect(r.stdout).toMatch(/Not a bootc host \(1\):\n\s+plain: .*not booted via bootc/);
  });

  it('prints one JSON object per device with deployments, reachable, error and lastSeen', async () => {
    const r = await cli(['status', 'good', 'locked', '--json']);
    expect(r.code).toBe(0);
    const [good, locked] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(good).toMatchObject({
      name: 'good',
      state: 'online',
      reachable: true,
      error: null,
      booted: { digest: image('1.0').digests.amd64, version: image('1.0').version, transport: 'registry', architecture: 'amd64' },
      rollback: { digest: image('1.0').digests.amd64 },
      staged: null,
      hostKey: { fingerprint: dev('good').hostKeyFingerprint, changedTo: null },
    });
    expect(Date.parse(good!.lastSeen as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(locked).toMatchObject({ name: 'locked', state: 'error', reachable: false, error: { code: 'SSH_AUTH_FAILED' }, lastSeen: null, booted: null });
  });

  it('refuses a changed host key until `hostkeys accept`, which is logged', async () => {
    await lab.setFaults('good', { hostKeyChanged: true });
    const refused = await cli(['status', '--refresh', 'good']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/Host key changed \(1\):\n\s+good: .*changed \(pinned SHA256:/);
    // The last known state stays, marked stale.
    expect(refused.stdout.split('\n').find((l) => l.startsWith('good'))).toContain('error (stale)');
    const list = await cli(['hostkeys', 'list']);
    expect(list.stdout).toMatch(new RegExp(`good\\s+ssh-ed25519\\s+${dev('good').hostKeyFingerprint.replace(/[+/]/g, '.')}\\s+first-use\\s+.*CHANGED to SHA256:`));
    const accepted = await cli(['hostkeys', 'accept', 'good']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^Pinned ssh-ed25519 SHA256:\S+ for good\.\n$/);
    expect((await cli(['status', '--refresh', 'good'])).code).toBe(0);
    const log = await cli(['activity', '--json']);
    expect(log.stdout).toContain('hostkey.accepted');
    expect((await cli(['hostkeys', 'accept', 'good'])).stderr).toContain('no changed host key to accept');
    await lab.setFaults('good', { hostKeyChanged: null });
    expect((await cli(['hostkeys', 'forget', 'good'])).stdout).toContain('Forgot the host key of good');
  });

  it('rollback shows the plan and does nothing without --yes; with --yes --apply it reboots and verifies', async () => {
    const plan = await cli(['rollback', 'good', '--apply']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/^good \(bootc 1\.16\.9\)\n/);
    expect(plan.stdout).toContain('$ sudo -n -- bootc rollback');
    expect(plan.stdout).toContain('Nothing was done. Run again with --yes');
    const r = await cli(['rollback', 'good', '--apply', '--yes']);
    expect(r.stderr).toMatch(/good: rolling-back\n(.|\n)*good: rebooting\n(.|\n)*good: verifying/);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/good\s+done\s+\S+\s+\S+\s+\S+\s+booted .* as expected/);
    const jobs = await cli(['jobs', 'list']);
    expect(jobs.stdout).toMatch(/rollback\s+done/);
  });

  it('exits 1 when a device does not reach the verified target (a fallback boot)', async () => {
    await lab.setFaults('good', { bootFails: true });
    const r = await cli(['switch', 'good', image('1.1').ref, '--apply', '--yes', '--json']);
    expect(r.code).toBe(1);
    const job = JSON.parse(r.stdout) as { devices: { state: string; error: { code: string } }[] };
    expect(job.devices[0]).toMatchObject({ state: 'failed', error: { code: 'BOOTED_WRONG_IMAGE' } });
    await lab.clearFaults('good');
  });
});
