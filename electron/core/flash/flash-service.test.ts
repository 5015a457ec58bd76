import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flash } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, fails, flashWritten, ok, openTestCore, tempDir } from '../test-support';

/** Flashing onto loop devices (as USB sticks): write, verify, refuse, cancel, several at once. Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the flashing tests need root for loop devices');
const suite = canRun ? describe : describe.skip;

let dir: string;
let core: BootfleetCore;
const attached: string[] = [];
const mounts: string[] = [];
const MiB = 1024 * 1024;

function loop(sizeMiB: number, backing = join(dir, `stick-${attached.length}.img`)): string {
  execFileSync('truncate', ['-s', `${sizeMiB}M`, backing]);
  const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
  attached.push(dev);
  return dev;
}
/** The first n bytes of a device. */
function head(dev: string, n: number): Buffer {
  const fd = openSync(dev, 'r');
  const b = Buffer.alloc(n);
  readSync(fd, b, 0, n, 0);
  closeSync(fd);
  return b;
}
async function flash(input: { image: string; drives: string[]; sha256?: string; verify?: boolean }): Promise<Flash> {
  const f = await ok(core, 'flash.start', input);
  return core.flash.wait(f.id);
}

beforeAll(() => {
  if (!canRun) return;
  dir = tempDir();
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'payload.bin'), randomBytes(6 * MiB));
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', join(dir, 'live.iso'), tree], { stdio: 'ignore' });
  writeFileSync(join(dir, 'disk.raw'), randomBytes(24 * MiB + 1234)); // not a whole number of sectors
  execFileSync('xz', ['-0', '-k', join(dir, 'disk.raw')]);
  core = openTestCore();
});

afterAll(() => {
  closeTestCores();
  for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
  for (const l of attached) execFileSync('losetup', ['-d', l]);
  cleanupTempDirs();
});

suite('flashing onto loop devices', () => {
  it('writes an ISO and an xz-compressed raw image, verifies them, and records which drive got which image', async () => {
    const a = loop(64);
    const f = await flash({ image: join(dir, 'live.iso'), drives: [a] });
    expect(f).toMatchObject({ state: 'done', verify: true, checksum: 'unchecked' });
    expect(f.targets[0]).toMatchObject({ path: a, phase: 'done', condition: 'written and verified', error: null });
    const iso = readFileSync(join(dir, 'live.iso'));
    // Nothing to check against: the file is hashed as it is written, and the record names it.
    expect(f.imageSha256).toBe(createHash('sha256').update(iso).digest('hex'));
    expect(head(a, iso.length).equals(iso)).toBe(true);

    const raw = await flash({ image: join(dir, 'disk.raw.xz'), drives: [a] });
    expect(raw).toMatchObject({ state: 'done', bytes: 24 * MiB + 1234 });
    expect(await ok(core, 'flash.verify', { image: join(dir, 'disk.raw.xz'), drive: a })).toMatchObject({ match: true, bytes: 24 * MiB + 1234 });
    const history = await ok(core, 'flash.list', {});
    expect(history.map((h) => [h.image, h.targets[0]!.path, h.state])).toEqual([
      [join(dir, 'disk.raw.xz'), a, 'done'],
      [join(dir, 'live.iso'), a, 'done'],
    ]);
    expect((await ok(core, 'activity.list', { action: 'drive.flashed' })).items[0]!.summary).toContain(`Flashed ${join(dir, 'disk.raw.xz')} to ${a}`);
  });

  it('catches corruption introduced after writing', async () => {
    const a = loop(64);
    await flash({ image: join(dir, 'disk.raw.xz'), drives: [a] });
    const fd = openSync(a, 'r+');
    writeSync(fd, Buffer.from('bit rot'), 0, 7, 5 * MiB);
    closeSync(fd);
    const v = await ok(core, 'flash.verify', { image: join(dir, 'disk.raw.xz'), drive: a });
    expect(v.match).toBe(false);
    expect(v.driveSha256).not.toBe(v.imageSha256);
  });

  it('refuses a wrong SHA-256, a too-small drive, a drive it does not list and a busy mount, writing nothing', async () => {
    const a = loop(64);
    const e = await fails(core, 'flash.start', { image: join(dir, 'live.iso'), drives: [a], sha256: 'a'.repeat(64) });
    expect(e.message).toMatch(/^The image does not match its published SHA-256 \(pasted\)/);
    expect(head(a, 4096).equals(Buffer.alloc(4096))).toBe(true);

    const tiny = loop(8);
    expect((await fails(core, 'flash.start', { image: join(dir, 'disk.raw.xz'), drives: [tiny] })).message).toMatch(/cannot be written: it is 8\.4 MB, smaller than the 25\.2 MB image/);
    expect((await fails(core, 'flash.start', { image: join(dir, 'live.iso'), drives: ['/dev/not-a-drive'] })).code).toBe(ErrorCode.NOT_FOUND);

    const busy = loop(64);
    execFileSync('mkfs.ext4', ['-q', '-F', busy]);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', [busy, mnt]);
    mounts.push(mnt);
    const open = openSync(join(mnt, 'in-use'), 'w');
    try {
      expect((await fails(core, 'flash.start', { image: join(dir, 'live.iso'), drives: [busy] })).message).toMatch(/is mounted at .*mnt and could not be unmounted/);
    } finally {
      closeSync(open);
    }
    // Not busy any more: it is unmounted and written.
    const f = await flash({ image: join(dir, 'live.iso'), drives: [busy] });
    expect(f.state).toBe('done');
    mounts.pop();
  });

  it('writes two drives from one read, and one failing mid-write does not stop the other', async () => {
    const good = loop(64);
    // A 64 MiB loop device on an 8 MiB tmpfs: it fails once the tmpfs is full.
    const small = join(dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    mounts.push(small);
    const bad = loop(64, join(small, 'stick.img'));
    const f = await flash({ image: join(dir, 'disk.raw.xz'), drives: [good, bad] });
    expect(f.state).toBe('failed');
    const by = Object.fromEntries(f.targets.map((t) => [t.path, t]));
    expect(by[good]).toMatchObject({ phase: 'done', condition: 'written and verified' });
    expect(by[bad]!.phase).toBe('failed');
    expect(by[bad]!.condition).toMatch(/partially written, not bootable|does not verify/);
  });

  it('fails, and says not to use the drive, when the checked image changes while it is written', async () => {
    const a = loop(300);
    const img = join(dir, 'changing.raw');
    execFileSync('truncate', ['-s', '256M', img]);
    const sha256 = createHash('sha256').update(Buffer.alloc(256 * MiB)).digest('hex');
    const started = await ok(core, 'flash.start', { image: img, drives: [a], sha256, verify: false });
    expect(started).toMatchObject({ checksum: 'matched', imageSha256: sha256 });
    await flashWritten(core, 0);
    const fd = openSync(img, 'r+');
    writeSync(fd, Buffer.from('tampered'), 0, 8, 250 * MiB);
    closeSync(fd);
    const f = await core.flash.wait(started.id);
    expect(f.state).toBe('failed');
    expect(f.targets[0]!.condition).toBe('written from an image that changed while it was written: do not use');
    expect(f.targets[0]!.error!.message).toMatch(/^The image file changed while it was being written/);
  });

  it('cancels mid-write and says what the drive holds', async () => {
    const a = loop(600);
    const big = join(dir, 'big.raw');
    execFileSync('truncate', ['-s', '512M', big]);
    const started = await ok(core, 'flash.start', { image: big, drives: [a] });
    await flashWritten(core, 32 * MiB);
    await ok(core, 'flash.cancel', { id: started.id });
    const f = await core.flash.wait(started.id);
    expect(f.state).toBe('canceled');
    expect(f.targets[0]!.phase).toBe('canceled');
    expect(f.targets[0]!.condition).toMatch(/^partially written \([\d.]+ [kMG]?B of 536.9 MB\), not bootable$/);
  });
});
