import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../../e2e/lab';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore } from '../test-support';
import { parseInspect } from './inspect';

/** Provisioning against lab boxes booted from "live media" (no bootc deployment, a password, podman). Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the provisioning tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;
const PW = 'field tech 1';

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'live-podman', image: null, rootLogin: true, password: PW, podman: true, disks: [{ sizeMiB: 256 }, { sizeMiB: 128 }] },
      { name: 'plain', image: null, password: PW, disks: [{ sizeMiB: 128 }] },
    ],
  });
  core = openTestCore();
}, 180_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('provision inspect', () => {
  it('logs in with a password, pins the host key, and reports the box and which disks can take the install', async () => {
    const d = dev('live-podman');
    const h = await ok(core, 'provision.inspect', { target: { host: d.host, user: 'root', password: PW } });
    expect(h).toMatchObject({ address: `${d.host}:22`, privileged: 'root', method: 'podman', problems: [] });
    expect(h.hostKey?.fingerprint).toBe(d.hostKeyFingerprint);
    expect(h.architecture).toBe('x86_64');
    expect(h.podmanVersion).toMatch(/^\d+\.\d+/);
    expect(h.memoryBytes).toBeGreaterThan(0);
    expect(h.disks.map((x) => [x.path, x.size, x.problems, x.signatures, x.needsTypedConfirmation])).toEqual([
      [d.disks[0], 256 * 1024 * 1024, [], [], false],
      [d.disks[1], 128 * 1024 * 1024, [], [], false],
    ]);
  });

  it('marks a disk the live system has mounted, and one with partitions as needing its name typed', async () => {
    const d = dev('live-podman');
    const target = { host: d.host, user: 'root', password: PW };
    // Format and mount the second disk inside the box, as a live system using it would.
    const run = (cmd: string): void => {
      execFileSync('ssh', ['-i', d.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, cmd], { stdio: 'pipe' });
    };
    expect(d.user).toBe('root');
    run(`mkfs.ext4 -q -F ${d.disks[1]} && mkdir -p /var/mnt/data && mount ${d.disks[1]} /var/mnt/data`);
    run(`printf 'label: gpt\\n,,L\\n' | sfdisk --quiet ${d.disks[0]}`);
    try {
      const h = await ok(core, 'provision.inspect', { target });
      const [first, second] = h.disks;
      expect(first).toMatchObject({ path: d.disks[0], problems: [], needsTypedConfirmation: true });
      expect(first!.signatures).toEqual(['gpt', 'PMBR']);
      expect(second!.problems).toEqual([{ code: 'mounted', message: 'has mounted filesystems (/var/mnt/data): the live system is using it' }]);
    } finally {
      run(`umount /var/mnt/data; wipefs -q -a ${d.disks[0]} ${d.disks[1]}`);
    }
  });

  it('says why a box cannot be provisioned: no privileges, no podman or bootc', async () => {
    const d = dev('plain');
    const h = await ok(core, 'provision.inspect', { target: { host: d.host, user: d.user, password: PW } });
    expect(h.privileged).toBe('sudo');
    const noSudo = parseInspect('@@uid\n1000\n@@sudo\nno\n@@lsblk\n{"blockdevices":[]}\n', 'x:22', null);
    expect(noSudo.method).toBe('none');
    expect(noSudo.problems).toEqual([
      'The login is not root and cannot use sudo without a password: log in as root (live media usually allows it with a password).',
      'This system has neither podman nor bootc: boot live media that has podman (a Fedora or CentOS Stream live image, Fedora CoreOS) or bootc.',
      'No disk was found.',
    ]);
  });

  it('plans an install: the lab image resolved to the box\'s platform, the exact podman command, wiping refused unless confirmed', async () => {
    const d = dev('live-podman');
    const target = { host: d.host, user: 'root', password: PW };
    const image = `${lab.registry!.host}/bootfleet/os:stable`;
    const amd64 = lab.images.find((i) => i.tag === '1.0')!;
    const p = await ok(core, 'provision.plan', { target, image, disk: d.disks[0]!, authorizedKeys: 'ssh-ed25519 AAAA tech@bench\n' });
    expect(p.digest).toBe(amd64.digests.amd64);
    expect(p.argv.slice(0, 2)).toEqual(['podman', 'run']);
    expect(p.argv).toContain(`${lab.registry!.host}/bootfleet/os@${p.digest}`);
    expect(p.argv.slice(-3)).toEqual(['--target-imgref', image, d.disks[0]]);
    expect(p.warnings).toEqual([]);
    expect((await fails(core, 'provision.plan', { target, image: `${lab.registry!.host}/bootfleet/os:no-such-tag`, disk: d.disks[0]! })).code).toBe(ErrorCode.IMAGE_NOT_FOUND);
  });

  it('refuses a wrong password and, later, a different host key at the same address', async () => {
    const d = dev('plain');
    expect((await fails(core, 'provision.inspect', { target: { host: d.host, user: d.user, password: 'wrong' } })).code).toBe(ErrorCode.SSH_AUTH_FAILED);
    await lab.setFaults(d.name, { hostKeyChanged: true });
    try {
      expect((await fails(core, 'provision.inspect', { target: { host: d.host, user: d.user, password: PW } })).code).toBe(ErrorCode.SSH_HOST_KEY_CHANGED);
    } finally {
      await lab.clearFaults(d.name);
    }
  });
});
