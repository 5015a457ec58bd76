import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../../e2e/lab';
import { ErrorCode } from '../../../shared/errors';
import { openCore, type BootfleetCore } from '../app';
import { cleanupTempDirs, fails, ok, tempDir } from '../test-support';

/**
 * Resolving references through real registries (the lab's anonymous one and its token-auth one),
 * and "is this device behind" known from the inventory alone. Needs root for the lab.
 */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the registry tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
const repo = () => `${lab.registry!.host}/bootfleet/os`;
const authRepo = () => `${lab.authRegistry!.host}/bootfleet/os`;

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ devices: [{ name: 'edge-1', bootcVersion: '1.16.9' }], authRegistry: { user: 'fleet', password: 's3cret' } });
  core = openCore({ dataDir: tempDir(), via: 'cli', log: () => {} });
  const d = lab.devices[0]!;
  await ok(core, 'sites.add', { name: 'depot' });
  await ok(core, 'devices.add', { name: d.name, site: 'depot', host: d.host, user: d.user, keyPath: d.key, auth: 'key', sudo: d.sudo });
}, 180_000);

afterAll(async () => {
  core?.close();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('registry resolution against the lab', () => {
  it('resolves a tag to its index digest and per-platform digests, and a pinned digest to itself', async () => {
    const [r] = await ok(core, 'desired.resolve', { refs: [`${repo()}:1.1`] });
    expect(r).toMatchObject({ digest: image('1.1').indexDigest, mediaType: 'application/vnd.oci.image.index.v1+json', error: null });
    expect(Object.fromEntries(r!.platforms.map((p) => [p.architecture, p.digest]))).toEqual(image('1.1').digests);
    const pinned = `${repo()}:1.1@${image('1.1').indexDigest}`;
    const [p] = await ok(core, 'desired.resolve', { refs: [pinned] });
    expect(p).toMatchObject({ digest: image('1.1').indexDigest, error: null });
    // A single-platform manifest by digest has no platform list.
    const [m] = await ok(core, 'desired.resolve', { refs: [`${repo()}@${image('1.1').digests.amd64}`] });
    expect(m).toMatchObject({ digest: image('1.1').digests.amd64, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: [] });
  });

  it('records a missing tag and an unreachable registry as errors that say so, keeping the last good digest', async () => {
    const [missing] = await ok(core, 'desired.resolve', { refs: [`${repo()}:9.9`] });
    expect(missing).toMatchObject({ digest: null, error: { code: ErrorCode.IMAGE_NOT_FOUND } });
    expect(missing!.error!.message).toContain('no such tag (9.9)');
    const [gone] = await ok(core, 'desired.resolve', { refs: [`${lab.registry!.host.replace(/:\d+$/, ':5999')}/bootfleet/os:1.0`] });
    expect(gone!.error).toMatchObject({ code: ErrorCode.REGISTRY_UNREACHABLE });
    expect(gone!.error!.message).toMatch(/could not be reached: ECONNREFUSED/);
  });

  it('follows the token flow of a registry that wants a login, and says what to do without one', async () => {
    const ref = `${authRepo()}:stable`;
    let [r] = await ok(core, 'desired.resolve', { refs: [ref] });
    expect(r!.error).toMatchObject({ code: ErrorCode.REGISTRY_AUTH_FAILED });
    expect(r!.error!.message).toContain(`bootfleet registries set ${lab.authRegistry!.host} --user NAME --password-stdin`);

    await ok(core, 'registries.set', { host: lab.authRegistry!.host, username: 'fleet', password: 'wrong' });
    [r] = await ok(core, 'desired.resolve', { refs: [ref] });
    expect(r!.error!.message).toContain('refused the login of fleet');

    const reg = await ok(core, 'registries.set', { host: lab.authRegistry!.host, password: 's3cret' });
    expect(reg).toMatchObject({ username: 'fleet', hasPassword: true });
    [r] = await ok(core, 'desired.resolve', { refs: [ref] });
    expect(r).toMatchObject({ digest: image('1.0').indexDigest, error: null });
    // The password is stored encrypted, never as text.
    const raw = core.db.prepare('SELECT ciphertext FROM secrets').all() as { ciphertext: Buffer }[];
    expect(raw.some((s) => s.ciphertext.includes('s3cret'))).toBe(false);
    expect((await fails(core, 'registries.set', { host: 'not a host!' })).code).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('knows a device is behind once its desired tag moves, without contacting the device', async () => {
    await core.fleet.refresh(core.actor, { devices: ['edge-1'], facts: false });
    const set = await ok(core, 'desired.set', { scope: 'site', target: 'depot', image: `${repo()}:stable` });
    expect(set).toMatchObject({ deviceCount: 1, behindCount: 0, resolution: { digest: image('1.0').indexDigest } });
    expect((await ok(core, 'devices.get', { device: 'edge-1' })).desired).toMatchObject({ state: 'in-sync', source: 'site', sourceName: 'depot' });

    const contacts = () => core.db.prepare('SELECT count(*) FROM status_snapshots').pluck().get() as number;
    const before = contacts();
    await lab.retag('stable', '1.1');
    await ok(core, 'desired.resolve', {});
    const d = await ok(core, 'devices.get', { device: 'edge-1' });
    expect(d.desired).toMatchObject({ state: 'behind', digest: image('1.1').indexDigest });
    expect(d.status.booted?.digest).toBe(image('1.0').digests.amd64);
    expect(contacts()).toBe(before);
    expect((await ok(core, 'devices.list', { desired: ['behind'] })).items.map((x) => x.name)).toEqual(['edge-1']);
    await lab.retag('stable', '1.0');
  });
});
