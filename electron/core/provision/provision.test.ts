import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../../e2e/lab';
import { fingerprint } from '../../../e2e/lab/keys';
import type { ProvisionRun, ProvisionStart } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { deviceTarget } from '../ssh/host-keys';
import { shellLine } from '../ssh/quote';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore } from '../test-support';
import { parseInspect, provisionPin } from './inspect';

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
      // Direct bootc (no podman) and a batch of four, one with a disk too small for the install.
      { name: 'live-bootc', image: null, rootLogin: true, password: PW, disks: [{ sizeMiB: 256 }] },
      ...[1, 2, 3, 4].map((n) => ({ name: `bench-${n}`, image: null, rootLogin: true, password: PW, podman: true, disks: [{ sizeMiB: n === 3 ? 64 : 128 }] })),
      // Sites with no registry: installs from an archive uploaded to the box.
      { name: 'archive-bootc', image: null, rootLogin: true, password: PW, disks: [{ sizeMiB: 128 }] },
      { name: 'archive-podman', image: null, rootLogin: true, password: PW, podman: true, disks: [{ sizeMiB: 128 }] },
      { name: 'archive-cancel', image: null, rootLogin: true, password: PW, disks: [{ sizeMiB: 128 }] },
      { name: 'archive-library', image: null, rootLogin: true, password: PW, disks: [{ sizeMiB: 128 }] },
    ],
  });
  core = openTestCore({ actions: { pollMs: 100 } });
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
      const refused = await fails(core, 'provision.inspect', { target: { host: d.host, user: d.user, password: PW } });
      expect(refused.code).toBe(ErrorCode.SSH_HOST_KEY_CHANGED);
      // Live media make a new key at each boot: the technician checks it and accepts it for the address.
      const offered = (refused.details as { new: { fingerprint: string } }).new.fingerprint;
      expect((await fails(core, 'provision.acceptHostKey', { host: d.host, fingerprint: 'SHA256:not-it' })).message).toContain(`the offered key is ${offered}`);
      expect(await ok(core, 'provision.acceptHostKey', { host: d.host, fingerprint: offered })).toMatchObject({ address: `${d.host}:22`, fingerprint: offered });
      expect((await ok(core, 'provision.inspect', { target: { host: d.host, user: d.user, password: PW } })).hostKey?.fingerprint).toBe(offered);
      const logged = (await ok(core, 'activity.list', { limit: 1 })).items[0]!;
      expect(logged).toMatchObject({ action: 'hostkey.accepted', entityName: `box ${d.host}:22` });
    } finally {
      await lab.clearFaults(d.name);
    }
  });
});

/** Runs a command on a box with OpenSSH as root on the live system (as a technician at a terminal would). */
function onBox(d: LabDevice, cmd: string, input?: Buffer): string {
  return execFileSync('ssh', ['-i', d.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `root@${d.host}`, cmd], { stdio: 'pipe', ...(input ? { input } : {}) }).toString();
}

/** Starts a batch and collects every run update until the batch ends; `onUpdate` may act on them. */
async function provision(input: ProvisionStart, onUpdate?: (r: ProvisionRun) => void): Promise<{ runs: ProvisionRun[]; updates: ProvisionRun[] }> {
  const updates: ProvisionRun[] = [];
  const stop = core.bus.subscribe((event, payload) => {
    if (event !== 'provision.updated') return;
    const r = payload as ProvisionRun;
    updates.push(r);
    onUpdate?.(r);
  });
  try {
    const { batchId } = await ok(core, 'provision.start', input);
    return { runs: await core.provision.wait(batchId), updates };
  } finally {
    stop();
  }
}

const installedKey = (d: LabDevice) => fingerprint(join(d.dir, 'etc', 'host-key-installed.pub'));
const box = (d: LabDevice, name: string, extra: Partial<ProvisionStart['boxes'][number]> = {}) => ({
  target: { host: d.host, user: 'root', password: PW },
  disk: d.disks[0]!,
  name,
  ...extra,
});

suite('provision run', () => {
  const image = () => `${lab.registry!.host}/bootfleet/os:stable`;
  const digest = () => lab.images.find((i) => i.tag === '1.0')!.digests.amd64!;
  const login = (d: LabDevice) => ({ user: 'root', keyPath: d.key });
  const keys = (d: LabDevice) => readFileSync(`${d.key}.pub`, 'utf8');

  it('refuses, before writing anything, a mounted disk, partitions without wipe, and wipe without the typed name', async () => {
    const d = dev('live-bootc');
    onBox(d, `printf 'label: gpt\\n,,L\\n' | sfdisk --quiet ${d.disks[0]}`);
    const base = { image: image(), login: login(d), authorizedKeys: keys(d), acceptNewHostKey: true };
    const noWipe = (await provision({ ...base, boxes: [box(d, 'refused')] })).runs[0]!;
    expect(noWipe).toMatchObject({ state: 'failed', phase: 'finished', outcome: 'failed while checking', command: null, deviceId: null });
    expect(noWipe.error!.message).toBe(`${d.disks[0]} holds data (gpt, PMBR): choose wipe to erase it, and type its name "${d.disks[0]!.slice(5)}" to confirm.`);
    const unconfirmed = (await provision({ ...base, boxes: [box(d, 'refused', { wipe: true, confirm: 'sdz' })] })).runs[0]!;
    expect(unconfirmed.error!.message).toContain(`type its name "${d.disks[0]!.slice(5)}" to confirm`);
    onBox(d, `mkdir -p /var/mnt/data && mount ${d.disks[0]} /var/mnt/data 2>/dev/null || (mkfs.ext4 -q -F ${d.disks[0]} && mount ${d.disks[0]} /var/mnt/data)`);
    try {
      const mounted = (await provision({ ...base, boxes: [box(d, 'refused', { wipe: true, confirm: d.disks[0]!.slice(5) })] })).runs[0]!;
      expect(mounted.error!.message).toContain('has mounted filesystems (/var/mnt/data): the live system is using it');
    } finally {
      onBox(d, `umount /var/mnt/data; wipefs -q -a ${d.disks[0]}`);
    }
    // Nothing was installed, nothing entered in the inventory.
    expect((await ok(core, 'devices.list', { search: 'refused' })).total).toBe(0);
    const activity = await ok(core, 'activity.list', { limit: 5 });
    expect(activity.items[0]).toMatchObject({ action: 'device.provision', entityType: 'provision', entityName: 'refused' });
  });

  it('installs with podman, waits for the technician to confirm the new host key, verifies the digest, and enters the device', async () => {
    const d = dev('live-podman');
    // The disk holds a partition table: wiping it needs the typed name.
    onBox(d, `printf 'label: gpt\\n,,L\\n' | sfdisk --quiet ${d.disks[0]}`);
    await ok(core, 'sites.add', { name: 'bench' });
    const phases: string[] = [];
    let confirmed: Promise<unknown> | null = null;
    const { runs } = await provision(
      { image: image(), login: login(d), authorizedKeys: keys(d), kargs: ['console=ttyS0'], boxes: [box(d, 'edge-01', { wipe: true, confirm: d.disks[0]!.slice(5), site: 'bench', tags: ['new'] })] },
      (r) => {
        if (phases.at(-1) !== r.phase) phases.push(r.phase);
        if (r.phase === 'host-key' && !confirmed) confirmed = ok(core, 'provision.confirmHostKey', { id: r.id, fingerprint: r.hostKey!.fingerprint });
      },
    );
    await confirmed;
    const run = runs[0]!;
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'done', method: 'podman', digest: digest(), bootedDigest: digest(), site: 'bench' });
    expect(run.disk).toMatchObject({ path: d.disks[0], sizeBytes: 256 * 1024 * 1024 });
    expect(run.command).toContain(`podman run --rm --privileged --pid=host`);
    expect(run.command).toContain(shellLine(['--wipe', '--karg=console=ttyS0', '--root-ssh-authorized-keys', '/run/bootfleet-root-authorized_keys', '--target-imgref', image(), d.disks[0]!]));
    expect(phases).toEqual(['checking', 'keys', 'pulling', 'installing', 'rebooting', 'waiting', 'host-key', 'waiting', 'verifying', 'recording', 'finished']);
    expect(run.hostKey?.fingerprint).toBe(await installedKey(d));
    expect(run.hostKey?.fingerprint).not.toBe(d.hostKeyFingerprint);
    const log = (await ok(core, 'provision.get', { id: run.id })).log;
    expect(log).toContain('Installation complete!');
    expect(log).toContain(`confirmed by ${core.actor.user}`);

    // The inventory entry: the post-install login, the new key pinned to it, the first status.
    const device = await ok(core, 'devices.get', { device: 'bench/edge-01' });
    expect(device).toMatchObject({ id: run.deviceId, host: d.host, port: 22, user: 'root', auth: 'key', keyPath: d.key, sudo: false, tags: ['new'] });
    expect(device.status.booted?.digest).toBe(digest());
    expect(core.hostKeys.get(deviceTarget(device.id))?.fingerprint).toBe(await installedKey(d));
    expect(core.hostKeys.get(provisionPin(d.host, 22))).toBeUndefined();
    // Bootfleet reaches it like any device from now on.
    const refreshed = await core.fleet.refresh(core.actor, { devices: [device.id], facts: false });
    expect(refreshed).toMatchObject({ ok: 1, failed: 0 });
    const entry = (await ok(core, 'activity.list', { limit: 20 })).items.find((a) => a.action === 'device.provision' && a.entityId === device.id)!;
    expect(entry.summary).toBe(`Provisioned bench/edge-01 (${d.host}:22): ${image()} ${digest().slice(7, 19)} onto ${d.disks[0]}`);
    expect(entry.details).toMatchObject({ result: 'done', digest: digest(), disk: { path: d.disks[0] } });
  });

  it('installs directly with bootc where the live system has no podman, taking the new host key as the batch allows', async () => {
    const d = dev('live-bootc');
    const { runs } = await provision({ image: image(), login: login(d), authorizedKeys: keys(d), acceptNewHostKey: true, filesystem: 'ext4', boxes: [box(d, 'edge-02')] });
    const run = runs[0]!;
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'done', method: 'bootc', bootedDigest: digest(), hostKey: { fingerprint: await installedKey(d) } });
    expect(run.command).toBe(
      shellLine(['bootc', 'install', 'to-disk', '--source-imgref', `docker://${lab.registry!.host}/bootfleet/os@${digest()}`, '--filesystem', 'ext4', '--root-ssh-authorized-keys', '/run/bootfleet-root-authorized_keys', '--target-imgref', image(), d.disks[0]!]),
    );
    expect((await ok(core, 'provision.get', { id: run.id })).log).toContain('accepted as the batch allows');
  });

  it('a batch of four in parallel: one fails with the box\'s own error and a next step, the others are done', async () => {
    const bench = [1, 2, 3, 4].map((n) => dev(`bench-${n}`));
    const { runs } = await provision({
      image: image(),
      login: login(bench[0]!),
      authorizedKeys: keys(bench[0]!),
      acceptNewHostKey: true,
      parallel: 4,
      boxes: bench.map((d, i) => box(d, `bench-node-${i + 1}`, { tags: ['bench'] })),
    });
    expect(runs.map((r) => [r.name, r.state])).toEqual([
      ['bench-node-1', 'done'],
      ['bench-node-2', 'done'],
      ['bench-node-3', 'failed'],
      ['bench-node-4', 'done'],
    ]);
    const failed = runs[2]!;
    expect(failed.outcome).toBe('failed while installing');
    expect(failed.error!.message).toMatch(/Insufficient space/);
    expect(failed.error!.next).toMatch(/not enough space: choose a larger disk/);
    expect((await ok(core, 'devices.list', { tags: ['bench'] })).items.map((x) => x.name)).toEqual(['bench-node-1', 'bench-node-2', 'bench-node-4']);
  });

  it('cancels a batch: the box being checked stops, the queued ones never start', async () => {
    const bench = [1, 2].map((n) => dev(`bench-${n}`));
    const started = core.provision.start(core.actor, {
      image: image(), login: { user: 'root', keyPath: bench[0]!.key }, authorizedKeys: keys(bench[0]!), acceptNewHostKey: false, parallel: 1, waitSeconds: 60, kargs: [],
      boxes: bench.map((d, i) => ({ ...box(d, `again-${i}`), target: { host: d.host, port: 22, user: 'root', password: PW }, wipe: false, tags: [] })),
    });
    await ok(core, 'provision.cancel', { batchId: started.batchId });
    const runs = await core.provision.wait(started.batchId);
    expect(runs.map((r) => r.state)).toEqual(['canceled', 'canceled']);
    expect(runs[1]!.outcome).toBe('cancelled before it started');
    expect(runs[0]!.outcome).toMatch(/^cancelled while checking; the disk was not touched$/);
  });
});

suite('provision from an image archive (no registry)', () => {
  const release = () => lab.images.find((i) => i.tag === '1.0')!;
  // A registry nobody can reach: the install must not need it (the installed system follows it later).
  const follows = 'registry.example.invalid/fleet/os:1.0';
  const remote = () => `/var/tmp/bootfleet/${release().indexDigest.slice(7)}.oci.tar`;
  const start = (d: LabDevice, name: string, archive = release().archive) =>
    provision({ image: follows, archive, login: { user: 'root', keyPath: d.key }, authorizedKeys: readFileSync(`${d.key}.pub`, 'utf8'), acceptNewHostKey: true, boxes: [box(d, name)] });
  // A large archive (the release plus 128 MiB of padding the image does not use), so uploads take a while.
  let big = '';
  let bigDir = '';
  beforeAll(() => {
    if (!canRun) return;
    bigDir = mkdtempSync(join(tmpdir(), 'bf-archive-'));
    big = join(bigDir, 'os-1.0-padded.oci.tar');
    copyFileSync(release().archive, big);
    writeFileSync(join(bigDir, 'padding'), Buffer.alloc(128 * 1024 * 1024, 7));
    execFileSync('tar', ['--append', '--file', big, '-C', bigDir, 'padding']);
  });
  afterAll(() => bigDir && rmSync(bigDir, { recursive: true, force: true }));
  
  it('a damaged upload is refused and removed; an interrupted one resumes; the box installs from the archive and boots its digest', async () => {
    const d = dev('archive-bootc');
    const bytes = readFileSync(big);
    const half = Math.floor(bytes.length / 2);
    // A partial upload whose bytes were damaged on the way: the rest is sent, the SHA-256 check on the box fails.
    const damaged = Buffer.from(bytes.subarray(0, half));
    damaged[100] = damaged[100]! ^ 0xff;
    onBox(d, `mkdir -p /var/tmp/bootfleet && cat > ${remote()}.part`, damaged);
    const bad = (await start(d, 'edge-archive', big)).runs[0]!;
    expect(bad).toMatchObject({ state: 'failed', outcome: 'failed while uploading', deviceId: null });
    expect(bad.error!.message).toMatch(/^the archive arrived damaged: its SHA-256 on the box is [0-9a-f]{16}…, not [0-9a-f]{16}… \(removed\)\.$/);
    expect(bad.error!.next).toMatch(/^Provision again to upload it afresh/);
    expect(onBox(d, `ls /var/tmp/bootfleet`)).toBe('');

    // An upload interrupted at 40%: the next run sends only the rest.
    const part = Math.floor(bytes.length * 0.4);
    onBox(d, `cat > ${remote()}.part`, bytes.subarray(0, part));
    const { runs, updates } = await start(d, 'edge-archive', big);
    const run = runs[0]!;
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'done', method: 'bootc', archive: big, digest: release().digests.amd64, bootedDigest: release().digests.amd64 });
    expect(run.command).toContain(shellLine(['--source-imgref', `oci-archive:${remote()}`, '--skip-fetch-check']));
    expect(run.command).toContain(shellLine(['--target-imgref', follows]));
    expect(run.transfer).toMatchObject({ done: bytes.length, total: bytes.length });
    expect(updates.some((u) => u.phase === 'uploading' && /^Uploading the archive: .* of /.test(u.detail ?? ''))).toBe(true);
    const log = (await ok(core, 'provision.get', { id: run.id })).log;
    expect(log).toContain(`Resuming the upload at`);
    expect(log).toContain(`The archive is on the box (${remote()}), SHA-256 checked.`);
    const device = await ok(core, 'devices.get', { device: 'edge-archive' });
    expect(device.status.booted?.digest).toBe(release().digests.amd64);
    expect(device.status.bootedImage).toContain(follows);
  });

  it('says when the box has no room for the archive, then installs with podman from it', async () => {
    const d = dev('archive-podman');
    onBox(d, 'mkdir -p /var/tmp/bootfleet && mount -t tmpfs -o size=1m tmpfs /var/tmp/bootfleet');
    try {
      const full = (await start(d, 'edge-archive-2')).runs[0]!;
      expect(full.state).toBe('failed');
      expect(full.error!.message).toMatch(/^no space for the image archive: \/var\/tmp\/bootfleet on the box has 1\.0 MB free, the archive needs .* more\.$/);
      expect(full.error!.next).toMatch(/mount a disk at \/var\/tmp\/bootfleet/);
    } finally {
      onBox(d, 'umount /var/tmp/bootfleet');
    }
    const run = (await start(d, 'edge-archive-2')).runs[0]!;
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'done', method: 'podman', bootedDigest: release().digests.amd64 });
    expect(run.command).toContain(shellLine(['-v', '/var/tmp/bootfleet:/var/tmp/bootfleet', `oci-archive:${remote()}`, 'bootc', 'install', 'to-disk']));
    expect(statSync(release().archive).size).toBe(run.transfer!.total);
  });

  it('a cancel during the upload stops it with the disk untouched; the next run resumes where it stopped', async () => {
    const d = dev('archive-cancel');
    const input = { image: follows, archive: big, login: { user: 'root', keyPath: d.key }, authorizedKeys: readFileSync(`${d.key}.pub`, 'utf8'), acceptNewHostKey: true, boxes: [box(d, 'edge-resumed')] };
    let cancelled = false;
    const first = (
      await provision(input, (r) => {
        if (!cancelled && r.phase === 'uploading' && (r.transfer?.done ?? 0) > 8 * 1024 * 1024) {
          cancelled = true;
          void ok(core, 'provision.cancel', { id: r.id });
        }
      })
    ).runs[0]!;
    expect(first).toMatchObject({ state: 'canceled', outcome: 'cancelled while uploading the archive; the disk was not touched, and the next run resumes the upload' });
    const sent = Number(onBox(d, `stat -c %s ${remote()}.part`).trim());
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(statSync(big).size);
    expect(execFileSync('wipefs', ['--no-act', d.disks[0]!]).toString()).toBe('');

    const { runs } = await provision(input);
    expect(runs[0]!.error).toBeNull();
    expect(runs[0]).toMatchObject({ state: 'done', bootedDigest: release().digests.amd64 });
    const log = (await ok(core, 'provision.get', { id: runs[0]!.id })).log;
    expect(log).toMatch(/Resuming the upload at [\d.]+ [kMG]?B of [\d.]+ MB/);
  });

  it('installs a library image: its archive is written from the library once, sent like any archive, and the system follows the registry name', async () => {
    const d = dev('archive-library');
    const [img] = await ok(core, 'library.import', { path: release().archive, name: 'registry.example.invalid/fleet/os' });
    expect(img!.reference).toBe(follows);
    const input = { image: follows, library: img!.id, login: { user: 'root', keyPath: d.key }, authorizedKeys: readFileSync(`${d.key}.pub`, 'utf8'), acceptNewHostKey: true, boxes: [box(d, 'edge-library')] };
    const plan = await ok(core, 'provision.plan', { target: input.boxes[0]!.target, image: follows, library: img!.id, disk: input.boxes[0]!.disk });
    expect(plan.digest).toBe(release().digests.amd64);
    expect(plan.command).toContain(`oci-archive:${remote()}`);
    const { runs } = await provision(input);
    expect(runs[0]!.error).toBeNull();
    expect(runs[0]).toMatchObject({ state: 'done', bootedDigest: release().digests.amd64, archive: join(core.dataDir, 'library', 'archives', `${img!.digest.slice(7)}.oci.tar`) });
    const device = await ok(core, 'devices.get', { device: 'edge-library' });
    expect(device.name).toBe('edge-library');
    await expect(ok(core, 'provision.start', { ...input, archive: release().archive })).rejects.toThrow(/give an archive or a library image, not both/);
  });
});
