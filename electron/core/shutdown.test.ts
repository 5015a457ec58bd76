import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, flashWritten, loopDevice, ok, openTestCore, tempDir } from './test-support';

/**
 * Quitting while work runs (the desktop app's quit, a SIGTERM to serve): the work is stopped and
 * records how it ended before the inventory closes, so the next start finds a recorded outcome,
 * not an orphan to guess about.
 */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the shutdown test needs root for a loop device');
const MiB = 1024 * 1024;

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe.runIf(canRun)('shutdown', () => {
  it('names the work a quit would stop, stops it, and waits until each drive’s condition is recorded', async () => {
    const dir = tempDir();
    const stick = loopDevice(300);
    const image = join(dir, 'big.raw');
    execFileSync('truncate', ['-s', '256M', image]);
    const dataDir = tempDir();
    const core = openTestCore({ dataDir, flash: { helper: 'never' } });
    expect(core.work()).toEqual([]);
    const started = await ok(core, 'flash.start', { image, drives: [stick] });
    await flashWritten(core, 8 * MiB);
    expect(core.work()).toEqual([`Writing big.raw to ${stick}`]);

    expect(await core.shutdown(20_000)).toEqual({ unfinished: [] });
    expect(core.db.open).toBe(false);

    // The next start reads the outcome the quit recorded (an orphan would say "interrupted").
    const next = openTestCore({ dataDir });
    const f = await ok(next, 'flash.list', { limit: 5 });
    expect(f[0]).toMatchObject({ id: started.id, state: 'canceled' });
    expect(f[0]!.targets[0]!.condition).toMatch(/^partially written \([\d.]+ [kMG]?B of 268.4 MB\), not bootable$/);
    expect(next.work()).toEqual([]);
  });
});
