import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore } from '../test-support';
import { matchDigests } from './sql';

/** Desired state from the inventory alone: precedence, conflicts, pins, and the filter agreeing with each device's state. */

const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const IMG = 'registry.example.net/os/edge';

afterEach(() => {
  closeTestCores();
  cleanupTempDirs();
});

function booted(core: BootfleetCore, name: string, digest: string, staged: string | null = null): void {
  const id = core.inventory.resolveDevice(name).id;
  core.db
    .prepare(`INSERT OR REPLACE INTO device_status (device_id, reach, last_attempt_at, last_seen_at, booted_image, booted_digest, staged_digest) VALUES (?, 'online', ?, ?, ?, ?, ?)`)
    .run(id, '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', `${IMG}:stable`, digest, staged);
}

/** Records a resolution as DesiredService.resolve would after asking a registry. */
function resolved(core: BootfleetCore, ref: string, digest: string, platforms: string[] = []): void {
  const list = platforms.map((p, i) => ({ digest: p, os: 'linux', architecture: i ? 'arm64' : 'amd64', variant: null }));
  core.db
    .prepare('INSERT OR REPLACE INTO image_resolutions (ref, digest, media_type, platforms, match_digests, resolved_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(ref, digest, 'application/vnd.oci.image.index.v1+json', JSON.stringify(list), matchDigests(digest, list), '2026-11-02T00:00:00.000Z');
}

async function setup(): Promise<BootfleetCore> {
  const core = openTestCore();
  await ok(core, 'sites.add', { name: 'north' });
  for (const [name, tags] of [
    ['a', []],
    ['b', ['canary']],
    ['c', ['canary', 'kiosk']],
    ['d', []],
  ] as const) {
    await ok(core, 'devices.add', { name, host: `10.0.0.${name.charCodeAt(0)}`, site: 'north', tags: [...tags] });
  }
  await ok(core, 'devices.add', { name: 'lone', host: '10.0.1.1' });
  return core;
}

const desiredOf = async (core: BootfleetCore, name: string) => (await ok(core, 'devices.get', { device: name })).desired;

describe('desired state', () => {
  it('applies the most specific desired image: device, then tag, then site', async () => {
    const core = await setup();
    await ok(core, 'desired.set', { scope: 'site', target: 'north', image: `${IMG}:stable`, resolve: false });
    await ok(core, 'desired.set', { scope: 'tag', target: 'canary', image: `${IMG}:next`, resolve: false });
    await ok(core, 'desired.set', { scope: 'device', target: 'd', image: `${IMG}:pinned@${D(7)}`, resolve: false });

    expect(await desiredOf(core, 'a')).toMatchObject({ image: `${IMG}:stable`, source: 'site', sourceName: 'north', pinned: false, digest: null, state: 'unknown' });
    expect(await desiredOf(core, 'b')).toMatchObject({ image: `${IMG}:next`, source: 'tag', sourceName: 'canary' });
    expect(await desiredOf(core, 'd')).toMatchObject({ image: `${IMG}:pinned@${D(7)}`, source: 'device', pinned: true, digest: D(7) });
    expect(await desiredOf(core, 'lone')).toMatchObject({ image: null, source: null, state: 'none' });
    expect((await ok(core, 'devices.get', { device: 'd' })).desiredImage).toBe(`${IMG}:pinned@${D(7)}`);

    // Clearing the tag's falls back to the site's.
    expect(await ok(core, 'desired.clear', { scope: 'tag', target: 'canary' })).toMatchObject({ cleared: true });
    expect(await desiredOf(core, 'b')).toMatchObject({ image: `${IMG}:stable`, source: 'site' });
    expect(await ok(core, 'desired.clear', { scope: 'tag', target: 'canary' })).toMatchObject({ cleared: false });
  });

  it('reports tags that ask for different images as a conflict, naming them', async () => {
    const core = await setup();
    await ok(core, 'desired.set', { scope: 'site', target: 'north', image: `${IMG}:stable`, resolve: false });
    await ok(core, 'desired.set', { scope: 'tag', target: 'canary', image: `${IMG}:next`, resolve: false });
    await ok(core, 'desired.set', { scope: 'tag', target: 'kiosk', image: `${IMG}:kiosk`, resolve: false });
    const c = await desiredOf(core, 'c');
    expect(c).toMatchObject({ state: 'conflict', image: null });
    expect(c.conflicts).toEqual([
      { tag: 'canary', image: `${IMG}:next` },
      { tag: 'kiosk', image: `${IMG}:kiosk` },
    ]);
    // The same image from two tags is no conflict.
    await ok(core, 'desired.set', { scope: 'tag', target: 'kiosk', image: `${IMG}:next`, resolve: false });
    expect(await desiredOf(core, 'c')).toMatchObject({ state: 'unknown', image: `${IMG}:next`, source: 'tag', sourceName: 'canary, kiosk' });
  });

  it('compares booted digests with the pinned or resolved digest, per platform too, and the filter agrees with every device', async () => {
    const core = await setup();
    await ok(core, 'devices.add', { name: 'e', host: '10.0.0.99', site: 'north' });
    await ok(core, 'desired.set', { scope: 'site', target: 'north', image: `${IMG}:stable`, resolve: false });
    await ok(core, 'desired.set', { scope: 'device', target: 'd', image: `${IMG}@${D(7)}`, resolve: false });
    await ok(core, 'desired.set', { scope: 'tag', target: 'canary', image: `${IMG}:next`, resolve: false });
    // The site's tag resolves to an index over two platforms; canary's "next" is never resolved.
    resolved(core, `${IMG}:stable`, D(1), [D(2), D(3)]);
    booted(core, 'a', D(2)); // amd64 manifest of the index: in sync
    booted(core, 'e', D(5), D(3)); // staged the arm64 one: staged, not booted
    booted(core, 'd', D(7)); // pinned digest, no resolution needed
    booted(core, 'b', D(9)); // desired tag not resolved
    booted(core, 'lone', D(1)); // no desired image

    const expected: Record<string, DesiredState> = { a: 'in-sync', e: 'staged', d: 'in-sync', b: 'unresolved', c: 'unknown', lone: 'none' };
    for (const [name, state] of Object.entries(expected)) expect([name, (await desiredOf(core, name)).state]).toEqual([name, state]);

    booted(core, 'a', D(4));
    expect((await desiredOf(core, 'a')).state).toBe('behind');
    expected.a = 'behind';
    const all = (await ok(core, 'devices.list', { limit: 100 })).items;
    for (const state of ['in-sync', 'staged', 'behind', 'unknown', 'unresolved', 'conflict', 'none'] as const) {
      const page = await ok(core, 'devices.list', { desired: [state], limit: 100 });
      expect([state, page.items.map((d) => d.name).sort()]).toEqual([state, all.filter((d) => d.desired.state === state).map((d) => d.name).sort()]);
    }
    expect((await ok(core, 'devices.list', { desired: ['behind'] })).items.map((d) => d.name)).toEqual(['a']);
  });

  it('lists entries with the devices each decides and how many are behind', async () => {
    const core = await setup();
    await ok(core, 'desired.set', { scope: 'site', target: 'north', image: `${IMG}:stable`, resolve: false });
    await ok(core, 'desired.set', { scope: 'tag', target: 'kiosk', image: `${IMG}:kiosk`, resolve: false });
    await ok(core, 'desired.set', { scope: 'device', target: 'north/a', image: `${IMG}:mine`, resolve: false });
    resolved(core, `${IMG}:stable`, D(1));
    booted(core, 'b', D(4));
    booted(core, 'd', D(1));
    const { entries, deviceEntries } = await ok(core, 'desired.list', {});
    expect(deviceEntries).toBe(1);
    const by = Object.fromEntries(entries.map((e) => [`${e.scope}:${e.targetName}`, e]));
    expect(by['site:north']).toMatchObject({ image: `${IMG}:stable`, deviceCount: 2, behindCount: 1, resolution: { digest: D(1) } }); // b and d
    expect(by['tag:kiosk']).toMatchObject({ deviceCount: 1, behindCount: 0, resolution: null }); // c
    expect(by['device:north/a']).toMatchObject({ deviceCount: 1, pinnedDigest: null });
  });

  it('refuses unknown targets and bad references, and forgets a deleted site\'s entry', async () => {
    const core = await setup();
    expect((await fails(core, 'desired.set', { scope: 'site', target: 'south', image: `${IMG}:1` })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'desired.set', { scope: 'tag', target: 'bad tag!', image: `${IMG}:1` })).message).toMatch(/target: is not a valid tag name/);
    expect((await fails(core, 'desired.set', { scope: 'device', target: 'a', image: 'Not An Image' })).message).toMatch(/image: must be an image reference/);
    await ok(core, 'sites.add', { name: 'empty' });
    await ok(core, 'desired.set', { scope: 'site', target: 'empty', image: `${IMG}:1`, resolve: false });
    await ok(core, 'sites.remove', { site: 'empty' });
    expect((await ok(core, 'desired.list', {})).entries).toEqual([]);
    const log = await ok(core, 'activity.list', { limit: 10 });
    expect(log.items.map((e) => e.action)).toContain('desired.set');
  });
});
