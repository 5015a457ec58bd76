import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imagesInArgv } from './open-files';

const dir = mkdtempSync(join(tmpdir(), 'bootfleet-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('images a launch asks to open', () => {
  it('takes existing image files (paths or file:// URLs, relative to the launch directory), and skips options, other files and what is missing', () => {
    for (const f of ['live.iso', 'disk image.raw.xz', 'notes.txt', 'fw.img.zst']) writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, 'folder.iso'));
    const argv = ['/opt/Bootfleet/bootfleet-desktop', '--no-sandbox', 'live.iso', `file://${encodeURI(join(dir, 'disk image.raw.xz'))}`, 'notes.txt', 'gone.iso', 'folder.iso', '--data-dir', 'live.iso', join(dir, 'fw.img.zst')];
    expect(imagesInArgv(argv, dir)).toEqual([join(dir, 'live.iso'), join(dir, 'disk image.raw.xz'), join(dir, 'fw.img.zst')]);
    // The executable itself is never taken, whatever its name.
    expect(imagesInArgv([join(dir, 'live.iso')], dir)).toEqual([]);
  });
});
