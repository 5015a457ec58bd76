import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../events';
import { cleanupTempDirs, tempDir } from '../test-support';
import { browse } from '../files/browse';
import { DriveWatcher } from './drive-watcher';

afterAll(cleanupTempDirs);

function changes(bus: EventBus): { count: () => number } {
  let n = 0;
  bus.subscribe((e) => {
    if (e === 'drives.changed') n++;
  });
  return { count: () => n };
}
const until = async (f: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('DriveWatcher', () => {
  it('announces a drive appearing, changing size and going, and nothing while all is still', async () => {
    const sys = tempDir();
    const bus = new EventBus();
    const seen = changes(bus);
    const w = new DriveWatcher(bus, { intervalMs: 30, sysBlock: sys });
    w.touch();
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.count()).toBe(0);
    mkdirSync(join(sys, 'sdb'));
    writeFileSync(join(sys, 'sdb', 'size'), '62521344\n');
    await until(() => seen.count() === 1);
    writeFileSync(join(sys, 'sdb', 'size'), '0\n'); // medium removed from a card reader
    await until(() => seen.count() === 2);
    w.stop();
  });

  it('stops by itself when no one has asked for drives for a while', async () => {
    const sys = tempDir();
    const bus = new EventBus();
    const seen = changes(bus);
    const w = new DriveWatcher(bus, { intervalMs: 20, idleMs: 50, sysBlock: sys });
    w.touch();
    await new Promise((r) => setTimeout(r, 150));
    mkdirSync(join(sys, 'sdc'));
    await new Promise((r) => setTimeout(r, 150));
    expect(seen.count()).toBe(0);
  });

  it.runIf(process.getuid?.() === 0)('sees a loop device attached and detached (the real /sys/block)', async () => {
    const bus = new EventBus();
    const seen = changes(bus);
    const w = new DriveWatcher(bus, { intervalMs: 50 });
    w.touch();
    await new Promise((r) => setTimeout(r, 150));
    const backing = join(tempDir(), 'stick.img');
    execFileSync('truncate', ['-s', '8M', backing]);
    const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
    try {
      await until(() => seen.count() >= 1);
    } finally {
      execFileSync('losetup', ['-d', dev]);
    }
    const before = seen.count();
    await until(() => seen.count() > before);
    w.stop();
  });
});

describe('files.browse', () => {
  it('lists directories first, then images and checksum files, hiding the rest and dot files', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'isos'));
    mkdirSync(join(d, '.cache'));
    for (const f of ['fedora.iso', 'disk.raw.xz', 'SHA256SUMS', 'notes.txt', '.hidden.iso', 'b.img.zst']) writeFileSync(join(d, f), 'x');
    const r = await browse({ path: d, show: 'images' });
    expect(r.path).toBe(d);
    expect(r.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['dir:isos', 'file:b.img.zst', 'file:disk.raw.xz', 'file:fedora.iso', 'file:SHA256SUMS']);
    expect(r.entries.find((e) => e.name === 'fedora.iso')?.size).toBe(1);
    const all = await browse({ path: d, show: 'all' });
    expect(all.entries.map((e) => e.name)).toContain('notes.txt');
    expect(r.parent).toBe(join(d, '..'));
  });

  it('says what is wrong with a path that is not a readable directory', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'f.iso'), 'x');
    await expect(browse({ path: join(d, 'nope'), show: 'images' })).rejects.toThrow(/No directory/);
    await expect(browse({ path: join(d, 'f.iso'), show: 'images' })).rejects.toThrow(/is a file, not a directory/);
    expect((await browse({ path: '/', show: 'images' })).parent).toBeNull();
  });
});
