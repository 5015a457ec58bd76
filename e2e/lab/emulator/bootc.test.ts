import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HUGE_STATUS_BYTES, humanBytes, humanDuration } from './bootc';
import { fakeImage, makeDevice, type FakeDevice } from './fake-env';
import { bootNext, type CreateStateOptions } from './state';
import { REBOOT_REQUIRED_FILE, type ImageReference } from './types';

const OS: ImageReference = { image: 'quay.io/example/os:latest', transport: 'registry' };
const OS_NAME = 'quay.io/example/os:latest';
const A = fakeImage('a', { version: '42.20250815.0', timestamp: '2025-08-15T03:55:10Z' });
const B = fakeImage('b', {
  version: '42.20250915.0',
  layers: [
    { name: 'base', size: 50_000_000 },
    { name: 'b-app', size: 61_000_000 },
  ],
});
const NBSP = '\u00a0';

const devices: FakeDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.cleanup()));
});

async function device(version: string, state: CreateStateOptions | null = { booted: { image: OS, resolved: A } }, opts: Parameters<typeof makeDevice>[2] = {}): Promise<FakeDevice> {
  const d = await makeDevice(version, state, opts);
  d.images.set(OS_NAME, B);
  devices.push(d);
  return d;
}

async function statusJson(d: FakeDevice): Promise<{ spec: { image: ImageReference | null; bootOrder: string }; status: Record<string, { image: { imageDigest: string; image: ImageReference } | null; downloadOnly?: boolean; cachedUpdate?: { imageDigest: string } | null } | null | boolean> }> {
  const r = await d.run(['status', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as never;
}

async function reboot(d: FakeDevice, healthCheckFails = false): Promise<void> {
  const s = await d.state();
  if (!s) throw new Error('no state');
  await d.setState(bootNext(s, { healthCheckFails }));
}

describe('upgrade', () => {
  it('stages a new image with the layer, Queued and diff lines, and writes reboot-required (1.9+)', async () => {
    const d = await device('1.16.9');
    const r = await d.run(['upgrade']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `layers already present: 1; layers needed: 1 (61.0${NBSP}MB)`,
        `Queued for next boot: ${OS_NAME}`,
        '  Version: 42.20250915.0',
        `  Digest: ${B.digest}`,
        `Total new layers: 2     Size: 111.0${NBSP}MB`,
        `Removed layers:   1     Size: 11.0${NBSP}MB`,
        `Added layers:     1     Size: 61.0${NBSP}MB`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(d.images.fetched).toHaveLength(1);
    const s = await statusJson(d);
    expect((s.status.staged as { image: { imageDigest: string } }).image.imageDigest).toBe(B.digest);
    expect(await readFile(join(d.dir, REBOOT_REQUIRED_FILE), 'utf8')).toBe(`bootc: Reboot required for image: ${B.digest}`);

    const again = await d.run(['upgrade']);
    expect(again.stdout).toBe(`No changes in ${OS_NAME} => ${B.digest}\nStaged update present, not changed\n`);
    expect(d.images.fetched).toHaveLength(1);
  });

  it('keeps the period in "not changed." up to 1.11, and writes no reboot-required before 1.9', async () => {
    const d = await device('1.7.0');
    await d.run(['upgrade']);
    await expect(readFile(join(d.dir, REBOOT_REQUIRED_FILE), 'utf8')).rejects.toThrow();
    expect((await d.run(['upgrade'])).stdout).toContain('Staged update present, not changed.\n');
  });

  it('says "No update available." when the booted image is current, and --apply then exits 0', async () => {
    const d = await device('1.16.9');
    d.images.set(OS_NAME, A);
    const r = await d.run(['upgrade', '--apply']);
    expect(r).toMatchObject({ code: 0, reboot: null });
    expect(r.stdout).toBe(`No changes in ${OS_NAME} => ${A.digest}\nNo update available.\n`);
  });

  it('--apply stages and then requests a reboot (never returning)', async () => {
    const d = await device('1.16.9');
    const r = await d.run(['upgrade', '--apply']);
    expect(r.code).toBeNull();
    expect(r.reboot).toEqual({ soft: false });
    expect(r.stdout).toContain('Queued for next boot:');
    expect(((await d.state())?.staged?.resolved?.digest)).toBe(B.digest);
  });

  it('--check prints the update block, records cachedUpdate, and changes nothing else', async () => {
    const d = await device('1.16.9');
    const r = await d.run(['upgrade', '--check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [`Update available for: docker://${OS_NAME}`, '  Version: 42.20250915.0', `  Digest: ${B.digest}`, `Total new layers: 2     Size: 111.0${NBSP}MB`, `Removed layers:   1     Size: 11.0${NBSP}MB`, `Added layers:     1     Size: 61.0${NBSP}MB`, ''].join('\n'),
    );
    const s = await statusJson(d);
    expect(s.status.staged).toBeNull();
    expect((s.status.booted as { cachedUpdate: { imageDigest: string } }).cachedUpdate.imageDigest).toBe(B.digest);
    expect(d.images.fetched).toHaveLength(0);
    const human = await d.run(['status'], { stdoutIsTTY: true });
    expect(human.stdout).toContain(` UpdateVersion: 42.20250915.0 (2025-09-15T04:01:02Z)\n  UpdateDigest: ${B.digest}\n`);

    d.images.set(OS_NAME, A);
    expect((await d.run(['upgrade', '--check'])).stdout).toBe(`No changes in: docker://${OS_NAME}\n`);
  });

  it('prints "Fetched layers" on stdout before 1.1.2, and only on a terminal (stderr) after', async () => {
    const old = await device('1.1.0');
    let t = 0;
    const now = (): Date => new Date(1_700_000_000_000 + (t += 12_000));
    const r = await old.run(['upgrade'], { now });
    expect(r.stdout).toContain(`layers needed: 1 (61.0${NBSP}MB)\nFetched layers: 58.17 MiB in 12 seconds (4.85 MiB/s)\nQueued for next boot:`);
    const quiet = await device('1.1.0');
    expect((await quiet.run(['upgrade', '--quiet'], { now })).stdout).not.toContain('Fetched layers');
    const cur = await device('1.16.9');
    const plain = await cur.run(['upgrade'], { now });
    expect(plain.stdout + plain.stderr).not.toContain('Fetched layers');
    const cur2 = await device('1.16.9');
    const tty = await cur2.run(['upgrade'], { now, stderrIsTTY: true });
    expect(tty.stderr).toContain('Fetched layers: 58.17 MiB in 12 seconds');
  });

  it('--download-only stages a locked deployment that a reboot discards; --from-downloaded unlocks it', async () => {
    const d = await device('1.16.9');
    expect((await d.run(['upgrade', '--download-only'])).code).toBe(0);
    let s = await statusJson(d);
    expect((s.status.staged as { downloadOnly: boolean }).downloadOnly).toBe(true);
    await reboot(d);
    s = await statusJson(d);
    expect(s.status.staged).toBeNull();
    expect((s.status.booted as { image: { imageDigest: string } }).image.imageDigest).toBe(A.digest);

    await d.run(['upgrade', '--download-only']);
    const unlock = await d.run(['upgrade', '--from-downloaded']);
    expect(unlock.stdout).toBe('Staged deployment will now be applied on reboot\n');
    expect((await d.run(['upgrade', '--from-downloaded'])).stdout).toBe('Staged deployment is already set to apply on reboot\n');
    expect((await d.run(['upgrade', '--download-only'])).stdout).toBe(`No changes in ${OS_NAME} => ${B.digest}\nImage downloaded, but will not be applied on reboot\n`);
    expect((await d.run(['upgrade'])).stdout).toBe(`No changes in ${OS_NAME} => ${B.digest}\nStaged deployment will now be applied on reboot\n`);
    await reboot(d);
    s = await statusJson(d);
    expect((s.status.booted as { image: { imageDigest: string } }).image.imageDigest).toBe(B.digest);
  });

  it('--from-downloaded with nothing staged fails', async () => {
    const d = await device('1.16.9');
    expect(await d.run(['upgrade', '--from-downloaded'])).toMatchObject({ code: 1, stderr: 'error: Upgrading: No staged deployment found\n', stdout: '' });
  });

  it('--tag switches the tracked tag', async () => {
    const d = await device('1.16.9');
    d.images.set('quay.io/example/os:v2', B);
    const r = await d.run(['upgrade', '--tag', 'v2']);
    expect(r.stdout).toContain('Queued for next boot: quay.io/example/os:v2\n');
    expect((await statusJson(d)).spec.image?.image).toBe('quay.io/example/os:v2');
  });

  it('--soft-reboot=required refuses an incapable deployment after staging; a capable one soft-reboots', async () => {
    const d = await device('1.16.9');
    const r = await d.run(['upgrade', '--soft-reboot=required', '--apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: Upgrading: Handling staged soft reboot: Handling soft reboot: Soft reboot was required but staged deployment is not soft-reboot capable\n');
    expect((await d.state())?.staged?.resolved?.digest).toBe(B.digest);
    const cap = await device('1.16.9', { booted: { image: OS, resolved: A }, softRebootSupported: true });
    const ok = await cap.run(['upgrade', '--soft-reboot=auto', '--apply']);
    expect(ok.reboot).toEqual({ soft: true });
    expect(ok.stdout).toContain('Staged deployment is soft-reboot capable, preparing for soft-reboot...\n');
  });

  it('reports image source errors and the failUpgrade fault under "Upgrading"', async () => {
    const d = await device('1.16.9');
    d.images.images.clear();
    const r = await d.run(['upgrade']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Upgrading: Creating importer: .*manifest unknown\n$/);
    d.images.set(OS_NAME, B);
    await d.setFaults({ failUpgrade: { message: 'Pulling: Importing: unexpected EOF' } });
    expect(await d.run(['upgrade'])).toMatchObject({ code: 1, stderr: 'error: Upgrading: Pulling: Importing: unexpected EOF\n' });
    expect((await d.state())?.staged).toBeNull();
  });

  it('refuses a deployment without an image source, with the release\'s text', async () => {
    const plain: CreateStateOptions = { booted: { checksum: 'f'.repeat(64) } };
    expect((await (await device('1.16.9', plain)).run(['upgrade'])).stderr).toBe('error: Upgrading: No image source specified\n');
    expect((await (await device('1.12.0', plain)).run(['upgrade'])).stderr).toBe('error: Upgrading: Missing image in specification\n');
  });
});

describe('after a reboot', () => {
  it('the staged image is booted and the old one is rollback; greenboot fallback reverses that', async () => {
    const d = await device('1.16.9');
    await d.run(['upgrade']);
    await reboot(d);
    let s = await statusJson(d);
    expect((s.status.booted as { image: { imageDigest: string } }).image.imageDigest).toBe(B.digest);
    expect((s.status.rollback as { image: { imageDigest: string } }).image.imageDigest).toBe(A.digest);

    const f = await device('1.16.9');
    await f.run(['upgrade']);
    await reboot(f, true);
    s = await statusJson(f);
    expect((s.status.booted as { image: { imageDigest: string } }).image.imageDigest).toBe(A.digest);
    expect((s.status.rollback as { image: { imageDigest: string } }).image.imageDigest).toBe(B.digest);
    expect(s.status.rollbackQueued).toBe(false);
    expect(s.status.staged).toBeNull();
  });
});

describe('rollback', () => {
  const withRollback: CreateStateOptions = { booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A } };

  it('queues the rollback, and a second call reverts it', async () => {
    const d = await device('1.16.9', withRollback);
    expect(await d.run(['rollback'])).toMatchObject({ code: 0, stdout: 'Next boot: rollback deployment\n' });
    let s = await statusJson(d);
    expect(s.status.rollbackQueued).toBe(true);
    expect(s.spec.bootOrder).toBe('rollback');
    expect(await readFile(join(d.dir, REBOOT_REQUIRED_FILE), 'utf8')).toBe(`bootc: Reboot required for image: ${A.digest}`);
    expect(await d.run(['rollback'])).toMatchObject({ code: 0, stdout: 'notice: Reverting queued rollback state\nNext boot: current deployment\n' });
    s = await statusJson(d);
    expect(s.status.rollbackQueued).toBe(false);
    expect(s.spec.bootOrder).toBe('default');
  });

  it('discards a staged upgrade, and after reboot the old image is booted', async () => {
    const d = await device('1.16.9', withRollback);
    d.images.set(OS_NAME, fakeImage('c'));
    await d.run(['upgrade']);
    expect((await d.state())?.staged).not.toBeNull();
    await d.run(['rollback']);
    expect((await d.state())?.staged).toBeNull();
    await reboot(d);
    const s = await statusJson(d);
    expect((s.status.booted as { image: { imageDigest: string } }).image.imageDigest).toBe(A.digest);
    expect((s.status.rollback as { image: { imageDigest: string } }).image.imageDigest).toBe(B.digest);
    expect(s.status.rollbackQueued).toBe(false);
  });

  it('fails without a rollback, with each release\'s context', async () => {
    expect((await (await device('1.16.9')).run(['rollback'])).stderr).toBe('error: Rollback: Rollback (ostree): No rollback available\n');
    expect((await (await device('1.1.6')).run(['rollback'])).stderr).toBe('error: Rollback: No rollback available\n');
  });

  it('--apply requests a reboot from 1.1.7', async () => {
    const d = await device('1.1.7', withRollback);
    expect((await d.run(['rollback', '--apply'])).reboot).toEqual({ soft: false });
  });
});

describe('switch', () => {
  it('stages another image, printing the Queued block without a diff', async () => {
    const d = await device('1.16.9');
    const other = fakeImage('other', { version: null });
    d.images.set('quay.io/example/other:1', other);
    const r = await d.run(['switch', 'quay.io/example/other:1']);
    expect(r.stdout).toBe(`layers already present: 1; layers needed: 1 (11.0${NBSP}MB)\nQueued for next boot: quay.io/example/other:1\n  Digest: ${other.digest}\n`);
    const s = await statusJson(d);
    expect(s.spec.image).toEqual({ image: 'quay.io/example/other:1', transport: 'registry' });
    expect((s.status.booted as { image: { image: ImageReference } }).image.image.image).toBe(OS_NAME);
    expect((await d.run(['switch', 'quay.io/example/other:1'])).stdout).toBe('Image specification is unchanged.\n');
    // Back to the original reference (now at image B): docker is an alias of registry.
    expect((await d.run(['switch', '--transport', 'docker', OS_NAME, '--retain'])).stdout).toBe(
      `layers already present: 1; layers needed: 1 (61.0${NBSP}MB)\nQueued for next boot: ${OS_NAME}\n  Version: 42.20250915.0\n  Digest: ${B.digest}\n`,
    );
    expect((await statusJson(d)).spec.image).toEqual(OS);
    // Switching to an image already pulled for that reference pulls nothing.
    expect((await d.run(['switch', 'quay.io/example/other:1'])).stdout).toBe(`No changes in quay.io/example/other:1 => ${other.digest}\nQueued for next boot: quay.io/example/other:1\n  Digest: ${other.digest}\n`);
  });

  it('handles oci and containers-storage transports and signature policy in the spec', async () => {
    const d = await device('1.16.9');
    const img = fakeImage('local');
    d.images.set({ image: '/var/mnt/osupdate', transport: 'oci' }, img);
    const r = await d.run(['switch', '--transport', 'oci', '/var/mnt/osupdate', '--enforce-container-sigpolicy']);
    expect(r.stdout).toContain('Queued for next boot: ostree-image-signed:oci:/var/mnt/osupdate\n');
    expect((await statusJson(d)).spec.image).toEqual({ image: '/var/mnt/osupdate', transport: 'oci', signature: 'containerPolicy' });
    d.images.set({ image: 'localhost/os', transport: 'containers-storage' }, img);
    expect((await d.run(['switch', '--transport=containers-storage', 'localhost/os'])).stdout).toContain('Queued for next boot: ostree-unverified-image:containers-storage:localhost/os\n');
  });

  it('rejects an unknown transport with the release\'s context', async () => {
    expect((await (await device('1.16.9')).run(['switch', '--transport', 'ftp', 'x'])).stderr).toBe("error: Switching: Switching (ostree): Unknown transport 'ftp'\n");
    expect((await (await device('1.1.6')).run(['switch', '--transport', 'ftp', 'x'])).stderr).toBe("error: Switching: Unknown transport 'ftp'\n");
  });

  it('--apply reboots after staging', async () => {
    const d = await device('1.3.0');
    d.images.set('quay.io/example/other:1', fakeImage('other'));
    expect((await d.run(['switch', '--apply', 'quay.io/example/other:1'])).reboot).toEqual({ soft: false });
  });
});

describe('privileges and non-bootc hosts', () => {
  it('requires root with each release\'s error chain', async () => {
    const cases: [string, string, string][] = [
      ['0.1.14', 'status', 'error: Status: Initializing storage: Acquiring sysroot: Preparing for write: Querying root privilege: This command requires root privileges\n'],
      ['0.1.14', 'upgrade', 'error: Upgrading: Initializing storage: Acquiring sysroot: Preparing for write: Querying root privilege: This command requires root privileges\n'],
      ['1.1.6', 'status', 'error: Status: Initializing storage: Acquiring sysroot: Preparing for write: Querying root privilege: This command must be executed as the root user\n'],
      ['1.1.6', 'upgrade', 'error: Upgrading: Initializing storage: Acquiring sysroot: Preparing for write: Querying root privilege: This command must be executed as the root user\n'],
      ['1.16.9', 'status', 'error: Status: Preparing for write: Querying root privilege: This command must be executed as the root user\n'],
      ['1.16.9', 'upgrade', 'error: Initializing storage: Preparing for write: Querying root privilege: This command must be executed as the root user\n'],
      ['1.16.9', 'rollback', 'error: Rollback: Initializing storage: Preparing for write: Querying root privilege: This command must be executed as the root user\n'],
      ['1.16.9', 'usr-overlay', 'error: You must be root to perform this command\n'],
    ];
    for (const [version, verb, expected] of cases) {
      const d = await device(version);
      expect(await d.run([verb], { uid: 1000 }), `${version} ${verb}`).toMatchObject({ code: 1, stdout: '', stderr: expected });
    }
    const sw = await device('1.16.9');
    expect((await sw.run(['switch', 'quay.io/x'], { uid: 1000 })).stderr).toBe('error: Switching: Initializing storage: Preparing for write: Querying root privilege: This command must be executed as the root user\n');
  });

  it('lets anyone read status on a non-bootc host, and refuses mutations there', async () => {
    const fixture = await readFile(join(__dirname, 'fixtures', 'bootc', 'spec-v1-null.json'), 'utf8');
    const d = await device('1.1.6', { bootcDeployed: false });
    expect(await d.run(['status', '--json'], { uid: 1000 })).toMatchObject({ code: 0, stdout: fixture });
    expect((await d.run(['status'], { uid: 1000, stdoutIsTTY: true })).stdout).toBe('System is not deployed via bootc.\n');
    expect((await d.run(['upgrade'])).stderr).toBe('error: Upgrading: Initializing storage: Acquiring sysroot: Preparing for write: This command requires an ostree-booted host system\n');
    const n = await device('1.16.9', { bootcDeployed: false });
    expect((await n.run(['upgrade'])).stderr).toBe('error: Initializing storage: System not booted via bootc\n');
    expect((await n.run(['rollback'])).stderr).toBe('error: Rollback: Initializing storage: System not booted via bootc\n');
    expect((await n.run(['usr-overlay'])).stderr).toBe('error: usroverlay only applies on booted hosts\n');
  });

  it('rejects unsupported --format-version values before anything else', async () => {
    const d = await device('1.16.9');
    expect(await d.run(['status', '--format-version=2'], { uid: 1000 })).toMatchObject({ code: 1, stderr: 'error: Status: Unsupported format version: 2\n' });
    const old = await device('0.1.14');
    expect((await old.run(['status', '--format-version=1'])).stderr).toBe('error: Status: Unsupported format version: 1\n');
    expect((await old.run(['status', '--format-version=0', '--json'])).code).toBe(0);
  });
});

describe('status output selection', () => {
  it('prints YAML without a TTY, human text on a TTY (1.1.0+), YAML even on a TTY before', async () => {
    const d = await device('1.16.9');
    const yaml = await d.run(['status']);
    expect(yaml.stdout.startsWith('apiVersion: org.containers.bootc/v1\n')).toBe(true);
    expect(parseYaml(yaml.stdout)).toEqual(JSON.parse((await d.run(['status', '--json'])).stdout));
    expect((await d.run(['status'], { stdoutIsTTY: true })).stdout.startsWith('● Booted image: quay.io/example/os:latest\n')).toBe(true);
    expect((await d.run(['status', '--json'], { stdoutIsTTY: true })).stdout.startsWith('{')).toBe(true);
    const old = await device('0.1.14');
    expect((await old.run(['status'], { stdoutIsTTY: true })).stdout.startsWith('apiVersion: org.containers.bootc/v1alpha1\n')).toBe(true);
  });
});

describe('usr-overlay', () => {
  it('unlocks /usr with ostree\'s messages, shows it in status, and refuses twice', async () => {
    const d = await device('1.16.9');
    expect(await d.run(['usr-overlay'])).toMatchObject({ code: 0, stdout: 'Development mode enabled.  A writable overlayfs is now mounted on /usr.\nAll changes there will be discarded on reboot.\n' });
    expect(((await statusJson(d)).status.usrOverlay as unknown)).toEqual({ accessMode: 'readWrite', persistence: 'transient' });
    expect((await d.run(['status'], { stdoutIsTTY: true })).stdout).toContain('  /usr overlay: transient, read/write\n');
    expect(await d.run(['usroverlay'])).toMatchObject({ code: 1, stderr: 'error: Deployment is already in unlocked state: development\n' });
    await reboot(d);
    expect((await statusJson(d)).status.usrOverlay).toBeNull();
    expect((await d.run(['usr-overlay', '--read-only'])).stdout).toBe('A writable overlayfs is prepared for /usr, but is mounted read-only by default.\nAll changes there will be discarded on reboot.\n');
    expect((await (await device('1.14.0')).run(['usr-overlay', '--read-only'])).code).toBe(2);
  });
});

describe('faults', () => {
  it('slowMs waits before running', async () => {
    const d = await device('1.16.9');
    await d.setFaults({ slowMs: 1234 });
    const waits: number[] = [];
    await d.run(['status', '--json'], { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([1234]);
  });

  it('statusOutput malformed / truncated / huge', async () => {
    const d = await device('1.16.9');
    const real = (await d.run(['status', '--json'])).stdout;
    await d.setFaults({ statusOutput: 'malformed' });
    const bad = await d.run(['status', '--json']);
    expect(bad.code).toBe(0);
    expect(() => JSON.parse(bad.stdout)).toThrow();
    const badYaml = (await d.run(['status'])).stdout;
    expect(() => parseYaml(badYaml)).toThrow();
    await d.setFaults({ statusOutput: 'truncated' });
    const cut = (await d.run(['status', '--json'])).stdout;
    expect(real.startsWith(cut)).toBe(true);
    expect(cut.length).toBe(Math.floor(real.length / 2));
    await d.setFaults({ statusOutput: 'huge' });
    const huge = (await d.run(['status', '--json'])).stdout;
    expect(huge.length).toBeGreaterThanOrEqual(HUGE_STATUS_BYTES);
    const doc = JSON.parse(huge) as { status: { otherDeployments: unknown[]; booted: unknown } };
    expect(doc.status.otherDeployments.length).toBeGreaterThan(1000);
    expect(doc.status.otherDeployments[0]).toEqual(doc.status.booted);
  });

  it('dropMidCommand prints the first line, then drops the connection', async () => {
    const d = await device('1.16.9');
    await d.setFaults({ dropMidCommand: true });
    const r = await d.run(['upgrade']);
    expect(r.dropped).toBe(true);
    expect(r.code).toBeNull();
    expect(r.stdout).toBe(`layers already present: 1; layers needed: 1 (61.0${NBSP}MB)\n`);
    const j = await d.run(['status', '--json']);
    expect(j.dropped).toBe(true);
    expect(j.stdout.length).toBeGreaterThan(10);
    expect(() => JSON.parse(j.stdout)).toThrow();
  });
});

describe('install to-disk', () => {
  const disk = { path: '/dev/vdb', size: 21_474_836_480, hasPartitions: false, mounted: false };

  it('installs the source image and ends with "Installation complete!"', async () => {
    const d = await device('1.16.9', { booted: { image: OS, resolved: A } });
    d.disks.disks = [disk];
    d.images.set('quay.io/example/os:v2', B);
    const r = await d.run(['install', 'to-disk', '--filesystem', 'xfs', '--source-imgref', 'docker://quay.io/example/os:v2', '--karg', 'console=ttyS0', '--root-ssh-authorized-keys', '/root/keys', '/dev/vdb']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[0]).toBe('Installing image: docker://quay.io/example/os:v2');
    expect(out[1]).toBe(`Digest: ${B.digest}`);
    expect(out).toContain('Block setup: direct');
    expect(out).toContain(' Partitions: UUID');
    expect(out).toContain('Injected: etc/tmpfiles.d/bootc-root-ssh.conf');
    expect(out).toContain('Bootloader: grub');
    expect(out.at(-2)).toBe('Installation complete!');
    const plan = d.disks.installs[0]?.plan;
    expect(plan?.image.ref).toEqual({ image: 'quay.io/example/os:v2', transport: 'registry' });
    expect(plan?.filesystem).toBe('xfs');
    expect(plan?.kargs).toEqual([`root=UUID=${plan?.rootUuid}`, 'rw', 'console=ttyS0']);
    expect(plan?.authorizedKeys).toBe('ssh-ed25519 AAAA test\n');
    expect(plan?.partitions).toEqual({ esp: '/dev/vdb2', root: '/dev/vdb3' });
  });

  it('refuses existing partitions without --wipe, mounted devices and non-block devices', async () => {
    const d = await device('1.16.9');
    d.disks.disks = [
      { ...disk, hasPartitions: true, partitions: ['/dev/vdb1'] },
      { ...disk, path: '/dev/vdc', mounted: true },
      { ...disk, path: '/var/tmp/disk.img', kind: 'file' },
    ];
    const partitioned = await d.run(['install', 'to-disk', '--filesystem=xfs', '/dev/vdb']);
    expect(partitioned.code).toBe(1);
    expect(partitioned.stderr).toBe('error: Installing to disk: Creating rootfs: Detected existing partitions on /dev/vdb; use e.g. `wipefs` or --wipe if you intend to overwrite\n');
    const wiped = await d.run(['install', 'to-disk', '--filesystem=xfs', '--wipe', '/dev/vdb']);
    expect(wiped.code).toBe(0);
    expect(wiped.stdout).toContain('Wiping /dev/vdb1\nWiping device /dev/vdb1\nWiping /dev/vdb\nWiping device /dev/vdb\n');
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '/dev/vdc'])).stderr).toBe('error: Installing to disk: Creating rootfs: Device /dev/vdc is mounted\n');
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '/var/tmp/disk.img'])).stderr).toBe('error: Installing to disk: Not a block device: /var/tmp/disk.img\n');
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '--via-loopback', '/var/tmp/disk.img'])).code).toBe(0);
  });

  it('needs a filesystem when the image configures none (checked earlier from 1.14)', async () => {
    const d = await device('1.16.9');
    d.disks.disks = [disk];
    const r = await d.run(['install', 'to-disk', '/dev/vdb']);
    expect(r.stderr).toBe('error: Installing to disk: No root filesystem specified\n');
    expect(r.stdout).toBe(`Installing image: docker://${OS_NAME}\nDigest: ${B.digest}\n`);
    const old = await device('1.12.0');
    old.disks.disks = [disk];
    expect((await old.run(['install', 'to-disk', '/dev/vdb'])).stderr).toBe('error: Installing to disk: Creating rootfs: No root filesystem specified\n');
    const configured = await device('1.16.9', undefined, { installConfig: { rootFsType: 'ext4' } });
    configured.disks.disks = [disk];
    const ok = await configured.run(['install', 'to-disk', '/dev/vdb']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\n> mkfs\.ext4 -U [0-9a-f-]+ -L root -O verity \/dev\/vdb3\n/);
  });

  it('applies the podman checks only when told it runs in a container', async () => {
    const d = await device('1.16.9');
    d.disks.disks = [disk];
    const container = { image: OS, pidHost: false, privileged: true, rootless: false };
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '/dev/vdb'], { container })).stderr).toBe('error: Installing to disk: This command must be run with the podman --pid=host flag\n');
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '/dev/vdb'], { requirePodman: true })).stderr).toBe(
      'error: Installing to disk: Either --source-imgref must be defined or this command must be executed inside a podman container.\n',
    );
    expect((await d.run(['install', 'to-disk', '--filesystem=xfs', '/dev/vdb'], { container: { ...container, pidHost: true } })).code).toBe(0);
  });
});

describe('formatters', () => {
  it('HumanBytes and HumanDuration follow indicatif', () => {
    expect(humanBytes(15)).toBe('15 B');
    expect(humanBytes(1_500_000)).toBe('1.43 MiB');
    expect(humanBytes(Number.MAX_VALUE)).toBe('16.00 EiB');
    expect(humanDuration(12_000)).toBe('12 seconds');
    expect(humanDuration(1_000)).toBe('1 second');
    expect(humanDuration(89_000)).toBe('89 seconds');
    expect(humanDuration(91_000)).toBe('2 minutes');
    expect(humanDuration(0)).toBe('0 seconds');
  });
});

describe('runBootc and clap errors', () => {
  it('exits 2 with clap\'s text for a flag the device\'s release does not have, changing nothing', async () => {
    const d = await device('1.1.6');
    const before = await d.state();
    const r = await d.run(['upgrade', '--soft-reboot', 'auto']);
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "error: unexpected argument '--soft-reboot' found\n\nUsage: bootc upgrade [OPTIONS]\n\nFor more information, try '--help'.\n",
    });
    expect(await d.state()).toEqual(before);
    expect((await d.run(['--version'])).stdout).toBe('bootc 1.1.6\n');
    expect(await d.run(['edit'])).toMatchObject({ code: 1, stderr: "error: bootc emulator: 'edit' is not emulated\n" });
  });
});
