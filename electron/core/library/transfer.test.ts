import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../../e2e/lab';
import type { ActionInput, Job } from '../../../shared/contract';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, ok, openTestCore } from '../test-support';
import { DEVICE_LAYOUT } from './device-transfer';

/** Updates with no registry: a library image sent over SSH into the device's own layout. Needs root for the lab. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the library transfer tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
let work: string;
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;
const release = (tag: string) => lab.images.find((i) => i.tag === tag)!;

/** A command on a device as root through its sudo, with OpenSSH (not through Bootfleet). */
function onDevice(d: LabDevice, cmd: string, input?: Buffer): string {
  return execFileSync('ssh', ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, cmd], {
    stdio: 'pipe',
    ...(input ? { input } : {}),
  }).toString();
}

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ rebootMs: 300, devices: [{ name: 'edge-1', bootcVersion: '1.16.9', image: '1.0' }, { name: 'edge-2', bootcVersion: '1.12.0', image: '1.0' }, { name: 'edge-3', bootcVersion: '1.16.9', image: '1.0' }] });
  core = openTestCore({ actions: { pollMs: 100 } });
  work = mkdtempSync(join(tmpdir(), 'bf-transfer-'));
  for (const d of lab.devices) {
    await ok(core, 'devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo });
  }
  for (const tag of ['1.1', '2.0']) await ok(core, 'library.import', { path: release(tag).archive, name: 'registry.local/fleet/os' });
}, 180_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  cleanupTempDirs();
}, 60_000);

async function switchVia(device: string, image: string, transport: 'oci' | 'oci-archive' = 'oci'): Promise<{ job: Job; log: string }> {
  return act({ action: 'switch', devices: [device], image, via: 'library', transport, apply: true, waitSeconds: 60 });
}

async function act(input: ActionInput): Promise<{ job: Job; log: string }> {
  const started = await ok(core, 'actions.start', input);
  const job = await core.actions.wait(started.id);
  const full = await ok(core, 'jobs.get', { id: job.id });
  return { job, log: Object.values(full.logs).join('') };
}

const sentBytes = (log: string): number => Number(/\((\d+) bytes\), .* already there\./.exec(log)?.[1] ?? NaN);
/** The amd64 blobs of a library image: manifest, config, layers. */
async function blobsOf(ref: string): Promise<{ digest: string; size: number }[]> {
  const img = await ok(core, 'library.get', { ref });
  const m = img.manifests.find((x) => x.architecture === 'amd64')!;
  const manifestSize = readFileSync(join(core.dataDir, 'library', 'blobs', 'sha256', m.digest.slice(7))).length;
  const configSize = readFileSync(join(core.dataDir, 'library', 'blobs', 'sha256', m.configDigest.slice(7))).length;
  return [{ digest: m.digest, size: manifestSize }, { digest: m.configDigest, size: configSize }, ...m.layers];
}

suite('updates from the library over SSH', () => {
  it('switches a device to a library image through its own layout, verified after the reboot; the next update sends only the changed blobs', async () => {
    const first = await switchVia('edge-1', 'registry.local/fleet/os:1.1');
    const d = first.job.devices[0]!;
    expect(d.error).toBeNull();
    expect(d).toMatchObject({ state: 'done', resultDigest: release('1.1').digests.amd64 });
    expect(d.transfer).toMatchObject({ done: d.transfer!.total });
    const all11 = await blobsOf('registry.local/fleet/os:1.1');
    expect(sentBytes(first.log)).toBe(all11.reduce((n, b) => n + b.size, 0));
    const status = await ok(core, 'fleet.device', { device: 'edge-1' });
    expect(status.summary.bootedImage).toBe(`oci:${DEVICE_LAYOUT}:1.1`);
    expect(status.summary.booted?.digest).toBe(release('1.1').digests.amd64);

    // 2.0 shares its base layer with 1.1: only its manifest, config and release layer travel.
    const second = await switchVia('edge-1', 'registry.local/fleet/os:2.0');
    expect(second.job.devices[0]).toMatchObject({ state: 'done', resultDigest: release('2.0').digests.amd64 });
    const have = new Set(all11.map((b) => b.digest));
    const changed = (await blobsOf('registry.local/fleet/os:2.0')).filter((b) => !have.has(b.digest));
    expect(changed.length).toBe(3);
    expect(sentBytes(second.log)).toBe(changed.reduce((n, b) => n + b.size, 0));
    expect(second.log).toContain('The device has 1 of the image\'s 4 blobs; sending 3');
    const index = JSON.parse(onDevice(dev('edge-1'), `cat ${DEVICE_LAYOUT}/index.json`)) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.digest])).toEqual([
      ['1.1', release('1.1').digests.amd64],
      ['2.0', release('2.0').digests.amd64],
    ]);
    // The library says where its images run, from the devices' last known status.
    const listed = (await ok(core, 'library.list', {})).images;
    expect(listed.find((i) => i.tag === '2.0')!.deployed).toEqual({ booted: 1, staged: 0, rollback: 0 });
    expect(listed.find((i) => i.tag === '1.1')!.deployed).toEqual({ booted: 0, staged: 0, rollback: 1 });
    expect((await ok(core, 'library.get', { ref: '2.0' })).devices).toEqual([{ id: status.device.id, name: 'edge-1', site: null, slot: 'booted' }]);
  });

  it('refuses a device with too little space before sending anything', async () => {
    const d = dev('edge-2');
    onDevice(d, `sudo -n mkdir -p ${DEVICE_LAYOUT} && sudo -n mount -t tmpfs -o size=1m tmpfs ${DEVICE_LAYOUT}`);
    try {
      const r = await switchVia('edge-2', 'registry.local/fleet/os:1.1');
      expect(r.job.devices[0]).toMatchObject({ state: 'failed', outcome: 'failed while transferring' });
      expect(r.job.devices[0]!.error!.message).toMatch(/^not enough space on the device: \/var\/lib\/bootfleet\/images has 1\.0 MB free, the update needs .* for its new blobs/);
      expect(onDevice(d, `ls ${DEVICE_LAYOUT}/blobs/sha256`)).toBe('');
    } finally {
      onDevice(d, `sudo -n umount ${DEVICE_LAYOUT}`);
    }
  });

  it('a send cut in the middle of a blob continues from where it stopped', async () => {
    // An image with an 8 MiB layer (random, so it does not compress), built with umoci on top of 1.1.
    const layout = join(work, 'big');
    execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${release('1.1').archive}:1.1`, `oci:${layout}:big`, '--override-arch', 'amd64']);
    const tree = join(work, 'tree', 'usr', 'share', 'big');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'noise'), Buffer.from(Array.from({ length: 8 * 1024 * 1024 }, () => Math.floor(Math.random() * 256))));
    execFileSync('umoci', ['insert', '--image', `${layout}:big`, join(work, 'tree'), '/']);
    const [img] = await ok(core, 'library.import', { path: layout, name: 'registry.local/fleet/os-big' });
    const layers = (await ok(core, 'library.get', { ref: img!.id })).manifests[0]!.layers;
    const big = layers.reduce((a, b) => (b.size > a.size ? b : a));
    expect(big.size).toBeGreaterThan(8 * 1024 * 1024);
    // What a cut connection leaves: the first 6 MiB of the layer in its .part file.
    const d = dev('edge-2');
    const bytes = readFileSync(join(core.dataDir, 'library', 'blobs', 'sha256', big.digest.slice(7)));
    onDevice(d, `sudo -n install -d -o ${d.user} ${DEVICE_LAYOUT} ${DEVICE_LAYOUT}/blobs ${DEVICE_LAYOUT}/blobs/sha256 && cat > ${DEVICE_LAYOUT}/blobs/sha256/${big.digest.slice(7)}.part`, bytes.subarray(0, 6 * 1024 * 1024));
    const r = await switchVia('edge-2', img!.id);
    expect(r.job.devices[0]!.error).toBeNull();
    expect(r.job.devices[0]).toMatchObject({ state: 'done', resultDigest: img!.digest });
    expect(r.log).toMatch(new RegExp(`Resuming ${big.digest} at [\\d.]+ MB of [\\d.]+ MB\\.`));
    const all = await blobsOf(img!.id);
    const window = 2 * 1024 * 1024;
    // Everything but what had arrived (less the resume window) was sent, nothing twice.
    expect(sentBytes(r.log)).toBe(all.reduce((n, b) => n + b.size, 0) - (6 * 1024 * 1024 - window));
  });

  it('a rollout can send from the library too: batches of devices, the bytes limited for all of them together', async () => {
    const started = await ok(core, 'rollouts.create', {
      action: 'switch',
      image: 'registry.local/fleet/os:1.1',
      via: 'library',
      maxBytesPerSecond: 10_000_000,
      devices: ['edge-1', 'edge-2'],
      policy: { canary: 1, maxParallel: 2, maxFailures: 0, apply: false },
    });
    expect(started).toMatchObject({ via: 'library', maxBytesPerSecond: 10_000_000 });
    const done = await core.rollouts.wait(started.id);
    expect(done.state).toBe('done');
    expect(done.counts).toMatchObject({ total: 2, done: 2, failed: 0 });
    const status = await ok(core, 'fleet.device', { device: 'edge-2' });
    expect(status.summary.staged?.digest).toBe(release('1.1').digests.amd64);
  });

  it('keeps which registry image a device runs from the library, and upgrades it via the library to the newer image of that name', async () => {
    const name = 'registry.local/fleet/os';
    const [v11] = await ok(core, 'library.import', { path: release('1.1').archive, name, tag: 'stable' });
    // edge-2 already has 1.1's blobs (the rollout above): nothing travels but the index entry.
    const first = await switchVia('edge-2', `${name}:stable`);
    expect(first.job.devices[0]).toMatchObject({ state: 'done', resultDigest: release('1.1').digests.amd64 });
    expect(sentBytes(first.log)).toBe(0);
    let status = await ok(core, 'fleet.device', { device: 'edge-2' });
    expect(status.summary).toMatchObject({ bootedImage: `oci:${DEVICE_LAYOUT}:stable`, bootedAs: `${name}:stable` });

    // An upgrade from a registry would read the layout on the device: the plan says so.
    const [online] = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['edge-2'] });
    expect(online!.warnings.join(' ')).toContain(`It follows oci:${DEVICE_LAYOUT}:stable (${name}:stable), an image Bootfleet sent from the library`);

    // The library's "stable" moves to 2.0: upgrade via the library sends 2.0's new blobs under the same tag and runs bootc upgrade.
    await ok(core, 'library.import', { path: release('2.0').archive, name, tag: 'stable' });
    const [plan] = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['edge-2'], via: 'library', apply: true });
    expect(plan).toMatchObject({ possible: true });
    expect(plan!.commands[0]).toMatch(/bootc upgrade$/);
    const up = await act({ action: 'upgrade', devices: ['edge-2'], via: 'library', apply: true, waitSeconds: 60 });
    expect(up.job.devices[0]!.error).toBeNull();
    expect(up.job.devices[0]).toMatchObject({ state: 'done', resultDigest: release('2.0').digests.amd64 });
    expect(up.log).toMatch(/\$ (sudo -n -- )?bootc upgrade\n/);
    const had = new Set((await blobsOf(v11!.id)).map((b) => b.digest));
    const changed = (await blobsOf(`${name}:stable`)).filter((b) => !had.has(b.digest));
    expect(sentBytes(up.log)).toBe(changed.reduce((n, b) => n + b.size, 0));
    status = await ok(core, 'fleet.device', { device: 'edge-2' });
    expect(status.summary).toMatchObject({ bootedImage: `oci:${DEVICE_LAYOUT}:stable`, bootedAs: `${name}:stable` });
    expect(status.summary.booted?.digest).toBe(release('2.0').digests.amd64);
    // The fleet table says the same, for every device row.
    const rows = await ok(core, 'devices.list', {});
    expect(rows.items.find((r) => r.name === 'edge-2')!.status.bootedAs).toBe(`${name}:stable`);

    // Nothing newer: nothing sent, nothing staged.
    const again = await act({ action: 'upgrade', devices: ['edge-2'], via: 'library', waitSeconds: 60 });
    expect(again.job.devices[0]).toMatchObject({ state: 'done', outcome: 'already up to date: nothing was staged' });
    expect(sentBytes(again.log)).toBe(0);
  });

  it('refuses to upgrade via the library a device that follows a registry, with the reason', async () => {
    const [plan] = await ok(core, 'actions.plan', { action: 'upgrade', devices: ['edge-3'], via: 'library' });
    expect(plan!.possible).toBe(false);
    expect(plan!.warnings.join(' ')).toMatch(/^It follows \S+, not an image Bootfleet sent from the library: switch it to a library image first, or upgrade it from its registry\.$/);
    const r = await act({ action: 'upgrade', devices: ['edge-3'], via: 'library', waitSeconds: 60 });
    expect(r.job.devices[0]).toMatchObject({ state: 'failed', outcome: 'failed while contacting' });
  });

  it('sends an image as one oci-archive file where that is preferred: checked on the device, not sent twice', async () => {
    await ok(core, 'library.import', { path: release('1.1').archive, name: 'registry.local/fleet/os', tag: '1.1' });
    const r = await switchVia('edge-3', 'registry.local/fleet/os:1.1', 'oci-archive');
    expect(r.job.devices[0]!.error).toBeNull();
    expect(r.job.devices[0]).toMatchObject({ state: 'done', resultDigest: release('1.1').digests.amd64 });
    const status = await ok(core, 'fleet.device', { device: 'edge-3' });
    const file = status.summary.bootedImage!.replace(/^oci-archive:/, '');
    expect(file).toMatch(new RegExp(`^/var/lib/bootfleet/archives/1\\.1-${release('1.1').digests.amd64!.slice(7, 19)}\\.oci\\.tar$`));
    expect(status.summary.bootedAs).toBe('registry.local/fleet/os:1.1');
    expect(r.log).toContain(`The archive is on the device (${file}), SHA-256 checked.`);
    // The file on the device is the one the library wrote: the same SHA-256.
    const local = readdirSync(join(core.dataDir, 'library', 'archives')).find((f) => f.endsWith('.oci.tar'))!;
    const sum = readFileSync(join(core.dataDir, 'library', 'archives', `${local}.sha256`), 'utf8').trim();
    expect(onDevice(dev('edge-3'), `sha256sum ${file}`).split(' ')[0]).toBe(sum);
    const again = await switchVia('edge-3', 'registry.local/fleet/os:1.1', 'oci-archive');
    expect(again.job.devices[0]).toMatchObject({ state: 'done' });
    expect(again.log).toContain(`The archive is already on the device (${file}, SHA-256 checked); not sent again.`);
    // gc empties the library's archive cache (it can always be written again).
    const gc = await ok(core, 'library.gc', {});
    expect(gc.freedBytes).toBeGreaterThan(0);
    expect(readdirSync(join(core.dataDir, 'library', 'archives'))).toEqual([]);
  });

  it("the device's bootc refuses a damaged blob or a missing tag in its layout, and the next send repairs the blob", async () => {
    const d = dev('edge-1');
    // edge-1 has 2.0 in its layout from the first test (the library now calls that image "stable"); cut its config short.
    const config = (await ok(core, 'library.get', { ref: 'registry.local/fleet/os:stable' })).manifests.find((m) => m.architecture === 'amd64')!.configDigest;
    onDevice(d, `sudo -n truncate -s 10 ${DEVICE_LAYOUT}/blobs/sha256/${config.slice(7)}`);
    const bootc = (args: string) => {
      try {
        onDevice(d, `sudo -n bootc ${args} 2>&1`);
        return 'exit 0';
      } catch (e) {
        return (e as { stdout: Buffer }).stdout.toString();
      }
    };
    expect(bootc(`switch --transport oci ${DEVICE_LAYOUT}:2.0`)).toContain(`blob ${config}: digest mismatch`);
    expect(bootc(`switch --transport oci ${DEVICE_LAYOUT}:nope`)).toContain('no descriptor found for reference "nope"');
    // Bootfleet sees the blob is not whole and sends it again; then bootc takes it.
    const r = await switchVia('edge-1', 'registry.local/fleet/os:stable');
    expect(r.job.devices[0]!.error).toBeNull();
    expect(r.job.devices[0]).toMatchObject({ state: 'done', resultDigest: release('2.0').digests.amd64 });
    expect(r.log).toContain("The device has 3 of the image's 4 blobs; sending 1");
  });

  it('removes from the layout, before sending, the images no deployment uses and the blobs only they needed', async () => {
    const d = dev('edge-1');
    const tags = () => (JSON.parse(onDevice(d, `cat ${DEVICE_LAYOUT}/index.json`)) as { manifests: { annotations: Record<string, string> }[] }).manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']);
    // edge-1 boots "stable" (2.0) with 2.0 as its rollback; 1.1 is still in its layout from the first test.
    expect(tags()).toContain('1.1');
    const status = await ok(core, 'fleet.device', { device: 'edge-1' });
    expect([status.status?.booted?.image?.ref.image, status.status?.rollback?.image?.ref.image]).toEqual([`${DEVICE_LAYOUT}:stable`, `${DEVICE_LAYOUT}:2.0`]);
    const needed = new Set([...(await blobsOf('registry.local/fleet/os:stable')), ...(await blobsOf('registry.local/fleet/os-big:big'))].map((b) => b.digest));
    const only11 = (await blobsOf('registry.local/fleet/os:1.1')).filter((b) => !needed.has(b.digest));
    expect(only11.length).toBeGreaterThan(0);
    const r = await act({ action: 'switch', devices: ['edge-1'], image: 'registry.local/fleet/os-big:big', via: 'library', waitSeconds: 60 });
    expect(r.job.devices[0]!.error).toBeNull();
    expect(r.log).toContain(`Removed 1.1 (no deployment uses it) and ${only11.length} blobs from ${DEVICE_LAYOUT}: `);
    expect(tags().sort()).toEqual(['2.0', 'big', 'stable']);
    const files = onDevice(d, `ls ${DEVICE_LAYOUT}/blobs/sha256`).split('\n');
    for (const b of only11) expect(files).not.toContain(b.digest.slice(7));
    for (const b of needed) expect(files).toContain(b.slice(7));
  });
});
