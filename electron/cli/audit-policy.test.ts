import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../e2e/lab';
import type { AuditDevice, AuditReport } from '../../shared/contract';
import type { BootfleetCore } from '../core/app';
import { cleanupTempDirs, closeTestCores, ok, openTestCore } from '../core/test-support';
import { verifyAuditJson } from '../core/audit/render';
import { runCli } from './program';

/**
 * The audit's checks beyond the image digest, made for real in the device lab (needs root):
 * /etc changed from the image (ostree admin config-diff on the device), and a desired entry that
 * requires signed images against what bootc reports of the booted image's signature policy.
 */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the audit tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;
const byName = (r: AuditReport): Record<string, AuditDevice> => Object.fromEntries(r.devices.map((d) => [d.name, d]));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', core.dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'clean', image: '1.1' },
      { name: 'edited', image: '1.1' },
      { name: 'signed', image: '1.0' },
      { name: 'unsigned', image: '1.1' },
    ],
  });
  core = openTestCore({ actions: { pollMs: 100 } });
  await ok(core, 'sites.add', { name: 'plant' });
  for (const d of lab.devices) {
    const tags = d.name === 'signed' || d.name === 'unsigned' ? ['secure'] : [];
    await ok(core, 'devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo, site: 'plant', tags });
  }
  const image = `${lab.registry!.host}/bootfleet/os:1.1`;
  await ok(core, 'desired.set', { scope: 'site', target: 'plant', image, resolve: true });
  // The "secure" devices must boot 1.1 with a signature policy enforced (set through the CLI).
  const set = await cli('desired', 'set', '--tag', 'secure', '--require-signed', image);
  expect(set.code, set.stderr).toBe(0);
  expect(set.stdout).toContain('signed images required');
  // An operator edits /etc on one device: a changed file, a removed one, a new sudoers drop-in.
  await lab.editEtc('edited', { 'chrony.conf': 'server 10.9.9.9 iburst\n', motd: null, 'sudoers.d/ops': 'ops ALL=(ALL) NOPASSWD: ALL\n' });
  // "signed" switches to 1.1 with --enforce-container-sigpolicy and boots it.
  const sw = await cli('switch', 'signed', image, '--enforce-signatures', '--apply', '--wait', '60', '--yes');
  expect(sw.code, sw.stdout + sw.stderr).toBe(0);
  await core.fleet.refresh(core.actor, { facts: false });
}, 240_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('the audit: /etc and signature policy', () => {
  it('reads /etc changes with ostree admin config-diff on each device, and leaves out what every machine changes', async () => {
    // What the device itself says (root only, as ostree requires).
    const d = dev('edited');
    const out = execFileSync('ssh', ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, 'sudo -n ostree admin config-diff']).toString();
    expect(out.split('\n').filter(Boolean)).toEqual(['M    chrony.conf', 'M    passwd', 'D    motd', 'A    hostname', 'A    machine-id', 'A    sudoers.d/ops']);
    const r = byName(await ok(core, 'audit.run', {}));
    expect(r.clean).toMatchObject({ state: 'in-sync', etc: { changed: [], expected: 3, truncated: 0 } });
    expect(r.clean!.notes).toEqual([]);
    expect(r.edited).toMatchObject({ state: 'etc-modified', etc: { changed: ['M chrony.conf', 'D motd', 'A sudoers.d/ops'], expected: 3 } });
    expect(r.edited!.reason).toMatch(/^Boots the desired 42\.\S+ \([0-9a-f]{12}\), but \/etc differs from the image: M chrony\.conf, D motd, A sudoers\.d\/ops\.$/);
  });

  it('a desired entry that requires signed images: a device booted without a signature policy is reported, one switched with --enforce-signatures passes', async () => {
    const report = await ok(core, 'audit.run', {});
    const r = byName(report);
    expect(r.signed).toMatchObject({ state: 'in-sync', signature: 'containerPolicy', desired: { source: 'tag', sourceName: 'secure', requireSigned: true } });
    expect(r.unsigned).toMatchObject({ state: 'unsigned', signature: null, desired: { requireSigned: true } });
    expect(r.unsigned!.reason).toContain('with no signature policy: the desired entry (tag secure) requires signed images');
    expect(report.desired).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'tag', target: 'secure', requireSigned: true, devices: 2 }),
        expect.objectContaining({ scope: 'site', target: 'plant', requireSigned: false, devices: 2 }),
      ]),
    );
    expect(report.passed.drift).toBe(false);
    // The job ran bootc switch with the flag.
    const jobs = await ok(core, 'jobs.list', { device: 'signed', limit: 1 });
    const job = await ok(core, 'jobs.get', { id: jobs[0]!.id });
    expect(JSON.stringify(job)).toContain('--enforce-container-sigpolicy');
  });

  it('the CLI and the report files say it: the table, the CSV columns, --fail-on drift, and the HTML from audit.export', async () => {
    const table = await cli('audit', '--fail-on', 'drift');
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('4 devices: 2 in sync, 1 signature policy not enforced, 1 /etc changed');
    expect(table.stdout).toMatch(/plant\/edited +etc-modified /);
    expect(table.stderr).toMatch(/did not pass \(drift\): 2 devices (signature policy not enforced, \/etc changed|\/etc changed, signature policy not enforced)/);
    const csv = await cli('audit', '--format', 'csv');
    const lines = csv.stdout.split('\r\n');
    const head = lines.findIndex((l) => l.startsWith('name,'));
    expect(lines[head]).toContain(',usr_overlay,booted_signature,etc_changes,last_seen_at,');
    expect(lines.find((l) => l.startsWith('edited,'))).toContain(',M chrony.conf;D motd;A sudoers.d/ops,');
    expect(lines.find((l) => l.startsWith('signed,'))).toContain(',containerPolicy,');

    const html = await ok(core, 'audit.export', { format: 'html', weeks: 3 });
    expect(html).toMatchObject({ fileName: expect.stringMatching(/^bootfleet-audit-\d{4}-\d\d-\d\d\.html$/), encoding: 'utf8', signedBy: null });
    const embedded = /<script type="application\/json" id="bootfleet-audit">([\s\S]*?)<\/script>/.exec(html.content)![1]!.replace(/\\u003c/g, '<');
    expect(verifyAuditJson(embedded)).toBe(true);
    expect((JSON.parse(embedded) as { sha256: string; timeline: unknown[] }).sha256).toBe(html.reportSha256);
    expect((JSON.parse(embedded) as { timeline: unknown[] }).timeline).toHaveLength(3);
    expect(html.content).toContain('M chrony.conf, D motd, A sudoers.d/ops');

    const signed = await ok(core, 'audit.export', { format: 'json', sign: true, site: 'plant' });
    const me = await ok(core, 'keys.show', {});
    expect(signed.signedBy).toBe(me.fingerprint);
    const file = join(core.dataDir, 'signed.json');
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', file], { input: signed.content });
    const verified = await cli('keys', 'verify', file);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).scope.site).toBe('plant');

    const pdf = await ok(core, 'audit.export', { format: 'pdf' });
    expect(pdf.encoding).toBe('base64');
    const bytes = Buffer.from(pdf.content, 'base64');
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBe(pdf.bytes);
    const words = execFileSync('pdftotext', ['-layout', '-', '-'], { input: bytes }).toString();
    expect(words).toContain('/etc changed');
  }, 120_000);
});
