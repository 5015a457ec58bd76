import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, flashWritten, loopDevice, ok, openTestCore, tempDir } from '../test-support';
import { launchFailure, type HelperLaunch } from './helper-client';
import { FRAME_END, FRAME_HELLO, frame, PROTOCOL, readFrames } from './helper-protocol';

/** The privileged flash helper, started directly (the tests run as root; pkexec is tested in e2e). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the flash helper tests need root for loop devices');
const suite = canRun ? describe : describe.skip;

const ENTRY = resolve(__dirname, '../../helper/flash-helper.ts');
const launch: HelperLaunch = { launcher: [], command: [process.execPath, '--import', 'tsx', ENTRY] };
const MiB = 1024 * 1024;
let dir: string;
let core: BootfleetCore;
function head(dev: string, n: number): Buffer {
  const fd = openSync(dev, 'r');
  const b = Buffer.alloc(n);
  readSync(fd, b, 0, n, 0);
  closeSync(fd);
  return b;
}
/** Talks to the helper directly, as a process other than the app would, and returns its answer. */
async function ask(hello: unknown): Promise<{ code: number | null; lines: { type: string; message?: string }[] }> {
  const p = spawn(launch.command[0]!, launch.command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  p.stdin.on('error', () => undefined);
  p.stdin.write(frame(FRAME_HELLO, Buffer.from(JSON.stringify(hello))));
  p.stdin.end(frame(FRAME_END, Buffer.alloc(0)));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  return { code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; message?: string }) };
}

beforeAll(() => {
  if (!canRun) return;
  dir = tempDir();
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'payload.bin'), randomBytes(5 * MiB));
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', join(dir, 'live.iso'), tree], { stdio: 'ignore' });
  writeFileSync(join(dir, 'disk.raw'), randomBytes(12 * MiB + 512));
  execFileSync('zstd', ['-q', join(dir, 'disk.raw')]);
  core = openTestCore({ flash: { helper: 'always', helperLaunch: launch } });
});

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe('helper frames', () => {
  it('reassembles frames split anywhere across chunks, and refuses a stream cut inside one', async () => {
    const bytes = Buffer.concat([frame(FRAME_HELLO, Buffer.from('{"a":1}')), frame(0x44, Buffer.alloc(7_000, 7)), frame(FRAME_END, Buffer.alloc(0))]);
    async function* chunks(size: number): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    for (const size of [1, 3, 4096, bytes.length]) {
      const got = [];
      for await (const f of readFrames(chunks(size))) got.push([f.type, f.payload.length]);
      expect(got).toEqual([
        [FRAME_HELLO, 7],
        [0x44, 7_000],
        [FRAME_END, 0],
      ]);
    }
    async function* cut(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 20);
    }
    await expect(async () => {
      for await (const _ of readFrames(cut())) void _;
    }).rejects.toThrow(/ended inside a frame/);
  });

  it('turns what pkexec prints into what to do', () => {
    const hint = 'Or run it as root.';
    expect(launchFailure(127, 'Error executing command as another user: No authentication agent found.\n', hint)?.message).toMatch(/no polkit authentication agent is running .* Or run it as root\.$/);
    expect(launchFailure(127, 'Error getting authority: Error initializing authority: Could not connect: No such file or directory\n', hint)?.message).toMatch(/polkit is not running here/);
    expect(launchFailure(126, 'Error executing command as another user: Not authorized\n', hint)?.message).toMatch(/refused or dismissed; nothing was written/);
    expect(launchFailure(1, 'something else', hint)).toBeNull();
  });
});

suite('flashing through the privileged helper', () => {
  it('writes and verifies an ISO and a zstd image on two drives; the app reads the image, the helper writes', async () => {
    const [a, b] = [loopDevice(32), loopDevice(32)];
    const started = await ok(core, 'flash.start', { image: join(dir, 'live.iso'), drives: [a, b] });
    const f = await core.flash.wait(started.id);
    expect(f.state).toBe('done');
    expect(f.targets.map((t) => t.condition)).toEqual(['written and verified', 'written and verified']);
    const iso = readFileSync(join(dir, 'live.iso'));
    expect(head(a, iso.length).equals(iso)).toBe(true);
    expect(head(b, iso.length).equals(iso)).toBe(true);

    const z = await core.flash.wait((await ok(core, 'flash.start', { image: join(dir, 'disk.raw.zst'), drives: [a] })).id);
    expect(z).toMatchObject({ state: 'done', bytes: 12 * MiB + 512 });
    expect(head(a, 12 * MiB + 512).equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
  });

  it('cancels: the pipe closes, the helper syncs and says what the drive holds', async () => {
    const a = loopDevice(300);
    const big = join(dir, 'big.raw');
    execFileSync('truncate', ['-s', '256M', big]);
    const started = await ok(core, 'flash.start', { image: big, drives: [a] });
    await flashWritten(core, 16 * MiB);
    await ok(core, 'flash.cancel', { id: started.id });
    const f = await core.flash.wait(started.id);
    expect(f.state).toBe('canceled');
    expect(f.targets[0]!.condition).toMatch(/^partially written \([\d.]+ [kMG]?B of 268.4 MB\), not bootable$/);
  });

  it('accepts only drives its own enumeration lists, unchanged since the user chose them', async () => {
    const a = loopDevice(16);
    const size = 16 * MiB;
    const hello = (targets: unknown[], extra: object = {}) => ({ protocol: PROTOCOL, targets, confirm: [], size: 1024, verify: true, ...extra });
    const notListed = await ask(hello([{ path: '/dev/null', size: 0, serial: null }]));
    expect(notListed.code).toBe(1);
    expect(notListed.lines.at(-1)).toMatchObject({ type: 'error', message: '/dev/null is not a drive Bootfleet lists; refresh the drive list and choose again.' });
    const swapped = await ask(hello([{ path: a, size: size * 2, serial: null }]));
    expect(swapped.lines.at(-1)!.message).toMatch(new RegExp(`^${a} is not the drive that was chosen`));
    const tooBig = await ask(hello([{ path: a, size, serial: null }], { size: size + 1 }));
    expect(tooBig.lines.at(-1)!.message).toMatch(/cannot be written: it is 16\.8 MB, smaller than the 16\.8 MB image/);
    const notADevice = await ask(hello([{ path: '/etc/shadow', size: 1, serial: null }]));
    expect(notADevice.lines.at(-1)!.message).toMatch(/does not accept: targets\.0\.path/);
    const system = JSON.parse(execFileSync('findmnt', ['--json', '--output', 'SOURCE', '/']).toString()) as { filesystems: { source: string }[] };
    const root = system.filesystems[0]!.source;
    if (root.startsWith('/dev/')) {
      const r = await ask(hello([{ path: root, size: 1, serial: null }]));
      expect(r.lines.at(-1)!.message).toMatch(/not a drive Bootfleet lists|holds the running system|not the drive that was chosen/);
    }
    expect(head(a, 4096).equals(Buffer.alloc(4096))).toBe(true);
  });

  it('a build without a helper (a desktop package for macOS or Windows) says so and writes nothing; it never falls back to running itself', async () => {
    const none = openTestCore({ flash: { helper: 'always', helperLaunch: null } });
    const a = loopDevice(16);
    const f = await none.flash.wait((await ok(none, 'flash.start', { image: join(dir, 'live.iso'), drives: [a] })).id);
    expect(f.state).toBe('failed');
    expect(f.targets[0]).toMatchObject({ condition: 'not written', error: { code: 'ACTION_NOT_POSSIBLE' } });
    expect(f.targets[0]!.error?.message).toMatch(/^Writing drives needs root, and this build has no flash helper\. Or run it as root from a terminal: sudo bootfleet flash /);
    expect(head(a, 4096).equals(Buffer.alloc(4096))).toBe(true);
  });
});
