import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeImage } from './fake-env';
import { bootNext, commitFor, createState, readState, withStateLock, writeState } from './state';
import { STATE_LOCK_FILE, type ImageReference } from './types';

const OS: ImageReference = { image: 'quay.io/example/os:latest', transport: 'registry' };
const A = fakeImage('a');
const B = fakeImage('b');
const C = fakeImage('c');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootc-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createState', () => {
  it('builds deployments with image commits, serials, stored layers and imported references', () => {
    const s = createState({ booted: { image: OS, resolved: A }, rollback: { image: OS, resolved: A }, staged: { image: OS, resolved: B } });
    expect(s.booted?.checksum).toBe(commitFor(A.digest));
    expect(s.rollback?.deploySerial).toBe(0);
    expect(s.booted?.deploySerial).toBe(1);
    expect(s.layers).toEqual(expect.arrayContaining([...A.layers, ...B.layers].map((l) => l.digest)));
    expect(Object.values(s.imported)[0]?.digest).toBe(B.digest);
    expect(createState({ bootcDeployed: false }).booted).toBeNull();
    expect(() => createState({})).toThrow(/booted/);
  });
});

describe('bootNext', () => {
  it('boots the staged deployment: old booted becomes rollback, old rollback is dropped', () => {
    const s = bootNext(createState({ booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A }, staged: { image: OS, resolved: C } }), { healthCheckFails: false });
    expect(s.booted?.resolved?.digest).toBe(C.digest);
    expect(s.rollback?.resolved?.digest).toBe(B.digest);
    expect(s.staged).toBeNull();
    expect(s.otherDeployments).toEqual([]);
  });

  it('keeps a pinned old rollback as another deployment', () => {
    const s = bootNext(createState({ booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A, pinned: true }, staged: { image: OS, resolved: C } }), { healthCheckFails: false });
    expect(s.otherDeployments.map((d) => d.resolved?.digest)).toEqual([A.digest]);
  });

  it('discards a download-only staged deployment', () => {
    const s = bootNext(createState({ booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A }, staged: { image: OS, resolved: C, downloadOnly: true } }), { healthCheckFails: false });
    expect(s.booted?.resolved?.digest).toBe(B.digest);
    expect(s.rollback?.resolved?.digest).toBe(A.digest);
    expect(s.staged).toBeNull();
  });

  it('swaps booted and rollback for a queued rollback', () => {
    const s = bootNext(createState({ booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A }, rollbackQueued: true }), { healthCheckFails: false });
    expect(s.booted?.resolved?.digest).toBe(A.digest);
    expect(s.rollback?.resolved?.digest).toBe(B.digest);
    expect(s.rollbackQueued).toBe(false);
  });

  it('models the greenboot fallback: old image booted, failed one as rollback', () => {
    const s = bootNext(createState({ booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A }, staged: { image: OS, resolved: C } }), { healthCheckFails: true });
    expect(s.booted?.resolved?.digest).toBe(B.digest);
    expect(s.rollback?.resolved?.digest).toBe(C.digest);
    expect(s.rollbackQueued).toBe(false);
    expect(s.staged).toBeNull();
  });

  it('drops a transient /usr overlay but keeps a persistent one; leaves the input untouched', () => {
    const input = createState({ booted: { image: OS, resolved: A }, usrOverlay: { accessMode: 'readWrite', persistence: 'transient' } });
    expect(bootNext(input, { healthCheckFails: false }).usrOverlay).toBeNull();
    expect(input.usrOverlay).not.toBeNull();
    const hotfix = createState({ booted: { image: OS, resolved: A }, usrOverlay: { accessMode: 'readWrite', persistence: 'persistent' } });
    expect(bootNext(hotfix, { healthCheckFails: false }).usrOverlay).toEqual({ accessMode: 'readWrite', persistence: 'persistent' });
  });
});

describe('state files', () => {
  it('round-trips through writeState/readState without leaving temp files', async () => {
    expect(await readState(dir)).toBeNull();
    const s = createState({ booted: { image: OS, resolved: A } });
    await writeState(dir, s);
    expect(await readState(dir)).toEqual(s);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('serializes concurrent read-modify-write sections', async () => {
    await writeState(dir, createState({ booted: { image: OS, resolved: A } }));
    const bump = (): Promise<void> =>
      withStateLock(
        dir,
        async () => {
          const s = await readState(dir);
          if (!s) throw new Error('no state');
          await new Promise((r) => setTimeout(r, 5));
          s.layers.push(`x${s.layers.length}`);
          await writeState(dir, s);
        },
        { pollMs: 2 },
      );
    const before = (await readState(dir))?.layers.length ?? 0;
    await Promise.all(Array.from({ length: 8 }, bump));
    expect((await readState(dir))?.layers.length).toBe(before + 8);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('breaks a stale lock but waits for a fresh one', async () => {
    const lock = join(dir, STATE_LOCK_FILE);
    await writeFile(lock, '999999\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect(await withStateLock(dir, async () => 'ran')).toBe('ran');
    await writeFile(lock, '999999\n');
    let ran = false;
    const p = withStateLock(dir, async () => {
      ran = true;
    }, { pollMs: 5 });
    await new Promise((r) => setTimeout(r, 40));
    expect(ran).toBe(false);
    await rm(lock);
    await p;
    expect(ran).toBe(true);
  });
});
