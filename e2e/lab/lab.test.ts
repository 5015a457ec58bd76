import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from './index';

/**
 * The lab driven the way an operator would: OpenSSH's own `ssh` and `scp`, not Bootfleet. Needs
 * root, sshd, sudo, docker-registry, umoci, skopeo and the disk tools (`.ci/install` has them).
 */

const schemaPath = join(__dirname, 'emulator', 'fixtures', 'bootc', 'schema', 'host-v1.schema.json');

interface Ran { code: number | null; signal: string | null; out: string; err: string; ms: number }

function sh(cmd: string, args: string[], input = '', env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out: Buffer.concat(out).toString(), err, ms: Date.now() - t0 }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The lab needs root (namespaces, mounts, loop devices). Outside CI a non-root run skips it, saying so. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the device lab tests need root (namespaces, mounts, loop devices)');
if (!canRun) console.warn('Skipping the device lab tests: they need root (run them as root or in CI).');
const suite = canRun ? describe : describe.skip;

let knownHosts = '';
function sshArgs(d: LabDevice, extra: string[] = []): string[] {
  return [
    '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=3',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'KexAlgorithms=curve25519-sha256',
    '-i', d.key, '-p', String(d.port), ...extra, `${d.user}@${d.host}`,
  ];
}
const ssh = (d: LabDevice, command: string, extra: string[] = []) => sh('ssh', [...sshArgs(d, extra), command]);
const bootc = (d: LabDevice, args: string) => ssh(d, `${d.sudo ? 'sudo -n ' : ''}bootc ${args}`);

async function status(d: LabDevice): Promise<{ status: Record<string, { image?: { imageDigest: string; image: { image: string; transport: string } } } | null> & { rollbackQueued: boolean }; spec: { bootOrder: string } }> {
  const r = await bootc(d, 'status --format=json --format-version=1');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

async function waitPower(lab: Lab, name: string, power: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await lab.power())[name] === power) return;
    if (Date.now() > deadline) throw new Error(`${name} did not become ${power}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The device as its installed system: root with the key the install authorized, its new host key learned afresh. */
const installedRoot = (d: LabDevice): LabDevice => ({ ...d, user: 'root', sudo: false });
// ssh takes the first value given for an option: these come before sshArgs' own.
const sshInstalled = (d: LabDevice, command: string) =>
  sh('ssh', ['-o', `UserKnownHostsFile=${knownHosts}.installed-${d.name}`, '-o', 'StrictHostKeyChecking=accept-new', ...sshArgs(installedRoot(d)), command]);

/** Authorizes this machine's lab key for root on the system the install writes (as `--root-ssh-authorized-keys`). */
async function authorizeForInstall(d: LabDevice): Promise<string> {
  const path = '/run/root-keys';
  const pub = await readFile(`${d.key}.pub`, 'utf8');
  const r = await sh('ssh', [...sshArgs(d), `${d.sudo ? 'sudo -n ' : ''}tee ${path} >/dev/null`], pub);
  expect(r.code).toBe(0);
  return path;
}

/**
 * After an install and its reboot: the installed system presents a host key of its own (the live
 * system's pinned key is refused), and lets root in with the authorized key only.
 */
async function expectInstalledSystem(d: LabDevice): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await sshInstalled(d, 'true');
    if (r.code === 0) break;
    if (Date.now() > deadline) throw new Error(`${d.name} did not come back on its installed system: ${r.err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pinned = await ssh(d, 'true');
  expect(pinned.code).toBe(255);
  expect(pinned.err).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
}

/** Waits until a fresh SSH login works again (after a reboot). */
async function waitSsh(d: LabDevice, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await ssh(d, 'true')).code !== 0) {
    if (Date.now() > deadline) throw new Error(`${d.name} did not come back`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let lab: Lab;
let work: string;
const dev = (name: string): LabDevice => {
  const d = lab.devices.find((x) => x.name === name);
  if (!d) throw new Error(`no ${name}`);
  return d;
};
const digest = (tag: string, arch = 'amd64') => lab.images.find((i) => i.tag === tag)?.digests[arch];

beforeAll(async () => {
  if (!canRun) return;
  work = await mkdtemp(join(tmpdir(), 'lab-test-'));
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'current', bootcVersion: '1.16.9', disks: [{ sizeMiB: 512 }] },
      { name: 'old-arm', bootcVersion: '1.1.6', architecture: 'arm64' },
      { name: 'ancient-root', bootcVersion: '0.1.14', rootLogin: true },
      { name: 'plain-host', image: null },
      { name: 'faulty', bootcVersion: '1.12.0' },
      { name: 'updater', bootcVersion: '1.16.9', rollbackImage: '1.0' },
      { name: 'live', password: 'field tech 1', podman: true, disks: [{ sizeMiB: 256 }] },
    ],
  });
  // Pin every host key the lab reports, as an operator would after checking fingerprints.
  const lines: string[] = [];
  for (const d of lab.devices) {
    const pub = await readFile(join(d.dir, 'etc', 'host-key-original.pub'), 'utf8');
    lines.push(`${d.host} ${pub.split(' ').slice(0, 2).join(' ')}`);
  }
  knownHosts = join(work, 'known_hosts');
  await writeFile(knownHosts, `${lines.join('\n')}\n`);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

suite('devices over real SSH', () => {
  it('gives each device its own host key, with the fingerprint the lab reports', async () => {
    const prints = new Set<string>();
    for (const d of lab.devices) {
      const r = await sh('ssh-keygen', ['-l', '-f', join(d.dir, 'etc', 'ssh_host_ed25519_key.pub')]);
      expect(r.out).toContain(d.hostKeyFingerprint);
      prints.add(d.hostKeyFingerprint);
    }
    expect(prints.size).toBe(lab.devices.length);
  });

  it('logs in as a user who needs sudo -n for bootc, or directly as root where asked', async () => {
    const user = await ssh(dev('current'), 'id -un; command -v bootc; bootc status --json; echo "exit=$?"');
    expect(user.out).toContain('core\n/usr/local/sbin/bootc\n');
    expect(user.err).toBe('error: Status: Preparing for write: Querying root privilege: This command must be executed as the root user\n');
    expect(user.out).toContain('exit=1');
    const root = await ssh(dev('ancient-root'), 'id -un');
    expect(root.out).toBe('root\n');
    expect(dev('ancient-root').sudo).toBe(false);
  });

  it('accepts a password where the device has one (live media)', async () => {
    const d = dev('live');
    const askpass = join(work, 'askpass.sh');
    await writeFile(askpass, "#!/bin/sh\necho 'field tech 1'\n", { mode: 0o700 });
    const login = await sh('ssh', ['-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password',
      '-o', 'LogLevel=ERROR', '-o', `UserKnownHostsFile=${knownHosts}`, `${d.user}@${d.host}`, 'id -un'],
    '', { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' });
    expect(login.err).toBe('');
    expect(login.out).toBe('core\n');
    // The other devices take keys only.
    const none = await sh('ssh', ['-o', 'BatchMode=yes', '-o', 'PubkeyAuthentication=no', '-o', `UserKnownHostsFile=${knownHosts}`, `core@${dev('current').host}`, 'true']);
    expect(none.err).toContain('Permission denied (publickey)');
  });

  it('answers bootc status as each release would, valid against bootc\'s schema', async () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(JSON.parse(await readFile(schemaPath, 'utf8')));
    const current = await bootc(dev('current'), 'status --format=json --format-version=1');
    expect(current.out.endsWith('}')).toBe(true);
    const doc = JSON.parse(current.out);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.apiVersion).toBe('org.containers.bootc/v1');
    expect(doc.status.booted.image.imageDigest).toBe(digest('1.0'));
    expect(Object.keys(doc.status)).toEqual([...Object.keys(doc.status)].sort());

    const arm = JSON.parse((await bootc(dev('old-arm'), 'status --json')).out);
    expect(arm.status.booted.image.imageDigest).toBe(digest('1.0', 'arm64'));
    expect(arm.status.booted.image.architecture).toBeUndefined(); // added in 1.1.7
    expect(Object.keys(arm.status)).toEqual(['staged', 'booted', 'rollback', 'rollbackQueued', 'type']);

    const ancient = JSON.parse((await bootc(dev('ancient-root'), 'status --json')).out);
    expect(ancient.apiVersion).toBe('org.containers.bootc/v1alpha1');

    const yaml = await bootc(dev('current'), 'status');
    expect(yaml.out.startsWith('apiVersion: org.containers.bootc/v1\nkind: BootcHost\n')).toBe(true);

    const plain = await bootc(dev('plain-host'), 'status --format=humanreadable');
    expect(plain.out).toBe('System is not deployed via bootc.\n');
  });

  it('rejects a flag the device\'s release did not have, as clap does', async () => {
    const r = await bootc(dev('ancient-root'), 'upgrade --soft-reboot auto');
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unexpected argument '--soft-reboot' found\n\nUsage: bootc upgrade [OPTIONS]\n\nFor more information, try '--help'.\n");
  });
});

suite('updates, reboots and rollbacks with real digests', () => {
  it('sees an update once the registry tag moves, stages it, and boots it after --apply', async () => {
    const d = dev('updater');
    const before = await bootc(d, 'upgrade --check');
    expect(before.out).toBe('No changes in: docker://' + lab.registry?.host + '/bootfleet/os:stable\n');
    await lab.retag('stable', '1.1');
    const check = await bootc(d, 'upgrade --check');
    expect(check.out).toContain(`Update available for: docker://${lab.registry?.host}/bootfleet/os:stable`);
    expect(check.out).toContain(`Digest: ${digest('1.1')}`);

    const apply = await bootc(d, 'upgrade --apply');
    expect(apply.out).toContain(`Queued for next boot: ${lab.registry?.host}/bootfleet/os:stable`);
    expect(apply.code).toBe(255); // the session drops: bootc never returns from --apply
    await waitSsh(d);
    const after = await status(d);
    expect(after.status.booted?.image?.imageDigest).toBe(digest('1.1'));
    expect(after.status.rollback?.image?.imageDigest).toBe(digest('1.0'));
    expect(after.status.staged).toBeNull();
    await lab.retag('stable', '1.0');
  });

  it('queues a rollback, reverts it when run twice, and boots it after a reboot', async () => {
    const d = dev('updater');
    const first = await bootc(d, 'rollback');
    expect(first.out).toBe('Next boot: rollback deployment\n');
    expect((await status(d)).status.rollbackQueued).toBe(true);
    const second = await bootc(d, 'rollback');
    expect(second.out).toContain('Next boot: current deployment');
    expect((await status(d)).spec.bootOrder).toBe('default');

    await bootc(d, 'rollback');
    const reboot = await ssh(d, 'sudo -n systemctl reboot; sleep 5; echo still-here');
    expect(reboot.out).not.toContain('still-here');
    await waitSsh(d);
    const after = await status(d);
    expect(after.status.booted?.image?.imageDigest).toBe(digest('1.0'));
    expect(after.status.rollback?.image?.imageDigest).toBe(digest('1.1'));
    expect(after.status.rollbackQueued).toBe(false);
  });

  it('gives every boot its own boot id, as the kernel does', async () => {
    const d = dev('old-arm');
    const bootId = async () => (await ssh(d, 'cat /proc/sys/kernel/random/boot_id')).out.trim();
    const before = await bootId();
    expect(before).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await bootId()).toBe(before);
    expect(before).not.toBe((await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    await lab.reboot('old-arm');
    await waitSsh(d);
    const after = await bootId();
    expect(after).toMatch(/^[0-9a-f-]{36}$/);
    expect(after).not.toBe(before);
  });

  it('refuses reboot to a user without sudo', async () => {
    const r = await ssh(dev('current'), 'reboot');
    expect(r.code).toBe(1);
    expect(r.err).toContain('Interactive authentication required');
    expect((await lab.power()).current).toBe('running');
  });

  it('switches to an oci-archive copied onto the device with scp, keeping the registry digest', async () => {
    const d = dev('current');
    const image = lab.images.find((i) => i.tag === '2.0');
    if (!image) throw new Error('no 2.0 image');
    const target = '/var/tmp/os-2.0.oci.tar';
    const copy = await sh('scp', ['-q', ...sshArgs(d).slice(0, -1).map((a) => (a === '-p' ? '-P' : a)), image.archive, `${d.user}@${d.host}:${target}`]);
    expect(copy.err).toBe('');
    const sw = await bootc(d, `switch --transport oci-archive ${target}:2.0`);
    // Non-registry references print in ostree-ext's form (bootc-cli.md §2).
    expect(sw.out).toContain(`Queued for next boot: ostree-unverified-image:oci-archive:${target}:2.0`);
    expect((await status(d)).status.staged?.image?.imageDigest).toBe(digest('2.0'));
    await lab.reboot(d.name);
    await waitSsh(d);
    const after = await status(d);
    expect(after.status.booted?.image?.image).toEqual({ image: `${target}:2.0`, transport: 'oci-archive' });
    expect(after.status.booted?.image?.imageDigest).toBe(digest('2.0'));
  });
});

suite('install to-disk on a loop device', () => {
  it('shows only the device\'s own disk in lsblk, writes GPT and filesystems, and boots the installed image', async () => {
    const d = dev('current');
    const [disk] = d.disks;
    if (!disk) throw new Error('no disk');
    const lsblk = JSON.parse((await ssh(d, 'lsblk -J -b -o NAME,PATH,SIZE,TYPE')).out) as { blockdevices: { path: string; size: number }[] };
    expect(lsblk.blockdevices).toEqual([expect.objectContaining({ path: disk, size: 512 * 1024 * 1024 })]);

    const ref = `docker://${lab.registry?.host}/bootfleet/os:1.1`;
    const first = await bootc(d, `install to-disk --source-imgref ${ref} --karg console=ttyS0 ${disk}`);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out.split('\n')[0]).toBe(`Installing image: ${ref}`);
    expect(first.out.trimEnd().endsWith('Installation complete!')).toBe(true);
    const table = JSON.parse((await sh('sfdisk', ['--json', disk])).out) as { partitiontable: { label: string; partitions: { name: string }[] } };
    expect(table.partitiontable.label).toBe('gpt');
    expect(table.partitiontable.partitions.map((p) => p.name)).toEqual(['BIOS-BOOT', 'EFI-SYSTEM', 'boot', 'root']);

    const again = await bootc(d, `install to-disk --source-imgref ${ref} ${disk}`);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`Detected existing partitions on ${disk}`);
    const keys = await authorizeForInstall(d);
    const wiped = await bootc(d, `install to-disk --wipe --filesystem xfs --root-ssh-authorized-keys ${keys} --source-imgref ${ref} ${disk}`);
    expect(wiped.err).toBe('');
    expect(wiped.code).toBe(0);

    // reboot returns at once, as systemd's does; the session drops when the device goes down.
    expect((await ssh(d, 'sudo -n reboot; sleep 5; echo still-here')).out).not.toContain('still-here');
    await expectInstalledSystem(d);
    const after = JSON.parse((await sshInstalled(d, 'bootc status --format=json --format-version=1')).out) as Awaited<ReturnType<typeof status>>;
    expect(after.status.booted?.image?.imageDigest).toBe(digest('1.1'));
    expect(after.status.rollback).toBeNull();
  });
});

suite('install the documented way, with podman run', () => {
  it('checks the podman flags as bootc does, installs the container image, and boots it', async () => {
    const d = dev('live');
    const [disk] = d.disks;
    if (!disk) throw new Error('no disk');
    const image = `${lab.registry?.host}/bootfleet/os:2.0`;
    expect((await ssh(d, 'podman --version')).out).toMatch(/^podman version \d/);
    const unprivileged = await ssh(d, `sudo -n podman run --rm --pid=host -v /dev:/dev ${image} bootc install to-disk ${disk}`);
    expect(unprivileged.code).toBe(1);
    expect(unprivileged.err).toContain('The container must be executed with full privileges (e.g. --privileged flag)');
    const keys = await authorizeForInstall(d);
    const run = await ssh(d, `sudo -n podman run --rm --privileged --pid=host --ipc=host -v /dev:/dev -v /var/lib/containers:/var/lib/containers --security-opt label=type:unconfined_t ${image} bootc install to-disk --wipe --root-ssh-authorized-keys ${keys} ${disk}`);
    expect(run.err).toBe('');
    expect(run.out.split('\n')[0]).toBe(`Installing image: docker://${image}`);
    expect(run.out).toContain('Installation complete!');
    // reboot returns at once, as systemd's does; the session drops when the device goes down.
    expect((await ssh(d, 'sudo -n reboot; sleep 5; echo still-here')).out).not.toContain('still-here');
    await expectInstalledSystem(d);
    const after = JSON.parse((await sshInstalled(d, 'bootc status --format=json --format-version=1')).out) as Awaited<ReturnType<typeof status>>;
    expect(after.status.booted?.image?.imageDigest).toBe(digest('2.0'));
    // The live system's password does not open the installed one.
    const askpass = join(work, 'askpass-installed.sh');
    await writeFile(askpass, "#!/bin/sh\necho 'field tech 1'\n", { mode: 0o700 });
    const password = await sh('ssh', ['-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', 'NumberOfPasswordPrompts=1',
      '-o', 'LogLevel=ERROR', '-o', `UserKnownHostsFile=${knownHosts}.installed-${d.name}`, '-p', String(d.port), `root@${d.host}`, 'true'],
    '', { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' });
    expect(password.code).toBe(255);
    expect(password.err).toContain('Permission denied (publickey)');
  });
});

suite('faults, seen through plain ssh', () => {
  const d = () => dev('faulty');
  const clear = () => lab.clearFaults('faulty');

  it('refuses a fault it does not know, naming the ones it does', async () => {
    await expect(lab.setFaults('faulty', { unreachble: 'refused' } as never)).rejects.toThrow(/unknown fault unreachble; known: unreachable/);
  });

  it('unreachable: refused, or silent until the client times out', async () => {
    await lab.setFaults('faulty', { unreachable: 'refused' });
    const refused = await ssh(d(), 'true');
    expect(refused.code).toBe(255);
    expect(refused.err).toContain('Connection refused');
    await lab.setFaults('faulty', { unreachable: 'silent' });
    const silent = await ssh(d(), 'true', ['-o', 'ConnectTimeout=1']);
    expect(silent.code).toBe(255);
    expect(silent.err).toMatch(/timed out/i);
    await clear();
    expect((await ssh(d(), 'echo back')).out).toBe('back\n');
  });

  it('authentication refused, and a changed host key that a pinned client rejects', async () => {
    await lab.setFaults('faulty', { authRefused: true });
    const denied = await ssh(d(), 'true');
    expect(denied.err).toContain('Permission denied (publickey');
    await lab.setFaults('faulty', { authRefused: null, hostKeyChanged: true });
    const changed = await sh('ssh', [...sshArgs(d()).slice(0, -1), '-o', 'LogLevel=ERROR', `${d().user}@${d().host}`, 'true']);
    expect(changed.code).toBe(255);
    expect(changed.err).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    await clear();
    expect((await ssh(d(), 'echo ok')).out).toBe('ok\n');
  });

  it('bootc missing, and a sudo that wants a password', async () => {
    await lab.setFaults('faulty', { bootcMissing: true });
    const viaSudo = await bootc(d(), 'status --json');
    expect(viaSudo.code).toBe(1);
    expect(viaSudo.err).toBe('sudo: bootc: command not found\n');
    const bare = await ssh(d(), 'bootc status');
    expect(bare.code).toBe(127);
    await lab.setFaults('faulty', { bootcMissing: null, sudoPassword: true });
    const sudo = await bootc(d(), 'status --json');
    expect(sudo.code).toBe(1);
    expect(sudo.err).toContain('sudo: a password is required');
    await clear();
  });

  it('a failing upgrade, malformed, truncated and huge status, a slow answer', async () => {
    await lab.setFaults('faulty', { failUpgrade: { message: 'pulling image: disk quota exceeded' } });
    const failed = await bootc(d(), 'upgrade');
    expect(failed.code).toBe(1);
    expect(failed.err).toBe('error: Upgrading: pulling image: disk quota exceeded\n');
    for (const kind of ['malformed', 'truncated'] as const) {
      await lab.setFaults('faulty', { failUpgrade: null, statusOutput: kind });
      const r = await bootc(d(), 'status --format=json');
      expect(r.code).toBe(0);
      expect(() => JSON.parse(r.out)).toThrow();
    }
    await lab.setFaults('faulty', { statusOutput: 'huge' });
    const huge = await bootc(d(), 'status --format=json');
    expect(huge.out.length).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(JSON.parse(huge.out).kind).toBe('BootcHost');
    await lab.setFaults('faulty', { statusOutput: null, slowMs: 1500 });
    const slow = await bootc(d(), 'status --format=json');
    expect(slow.ms).toBeGreaterThanOrEqual(1500);
    await clear();
  });

  it('a connection dropped mid-command', async () => {
    await lab.setFaults('faulty', { dropMidCommand: true });
    const r = await bootc(d(), 'status --format=json');
    expect(r.code).toBe(255);
    expect(r.out.length).toBeGreaterThan(0);
    expect(() => JSON.parse(r.out)).toThrow();
    await clear();
  });

  it('a reboot that never comes back until the fault clears', async () => {
    await lab.setFaults('faulty', { rebootHangs: true });
    await ssh(d(), 'sudo -n reboot');
    await waitPower(lab, 'faulty', 'offline');
    await new Promise((r) => setTimeout(r, 800));
    expect((await ssh(d(), 'true')).err).toContain('Connection refused');
    await clear();
    await waitSsh(d());
  });

  it('a boot that fails its health checks falls back to the old image (greenboot)', async () => {
    await lab.retag('stable', '1.1');
    await lab.setFaults('faulty', { bootFails: true });
    const apply = await bootc(d(), 'upgrade --apply');
    expect(apply.code).toBe(255);
    await waitSsh(d());
    const after = await status(d());
    expect(after.status.booted?.image?.imageDigest).toBe(digest('1.0'));
    expect(after.status.rollback?.image?.imageDigest).toBe(digest('1.1'));
    expect(after.status.staged).toBeNull();
    expect(after.status.rollbackQueued).toBe(false);
    await clear();
    await lab.retag('stable', '1.0');
  });
});

suite('teardown', () => {
  it('stop() leaves no process, loop device or directory behind', async () => {
    const probe = await startLab({ devices: [{ disks: [{ sizeMiB: 64 }] }], noImages: true });
    const [device] = probe.devices;
    const up = await sh('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR', '-i', device?.key ?? '', `${device?.user}@${device?.host}`, 'echo up']);
    expect(up.out).toBe('up\n');
    await probe.stop();
    expect(existsSync(probe.dir)).toBe(false);
    const ps = await sh('ps', ['-eo', 'args']);
    expect(ps.out).not.toContain(probe.dir);
    const loops = await sh('losetup', ['--list', '--noheadings', '--output', 'NAME']);
    expect(loops.out.split('\n')).not.toContain(device?.disks[0]);
  }, 60_000);

  it('cleans up by itself when the process that started it exits without stopping it', async () => {
    const script = join(work, 'orphan.ts');
    await writeFile(script, `import { startLab } from ${JSON.stringify(join(__dirname, 'index'))};\n`
      + 'startLab({ devices: 1, noImages: true }).then((lab) => { console.log(lab.dir); process.exit(0); });\n');
    const child = await sh(process.execPath, ['--import', 'tsx', script]);
    expect(child.err).toBe('');
    const dir = child.out.trim();
    expect(dir).toMatch(/bootfleet-lab-/);
    const deadline = Date.now() + 15_000;
    while (existsSync(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(dir)).toBe(false);
    expect((await sh('ps', ['-eo', 'args'])).out).not.toContain(dir);
  }, 60_000);
});
