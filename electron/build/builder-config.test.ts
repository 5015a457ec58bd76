import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ICON_SIZES } from './render-icons';

/** What electron-builder.yml promises (it cannot run here: packaging downloads Electron). */
const config = parse(readFileSync(join(__dirname, '..', '..', 'electron-builder.yml'), 'utf8')) as {
  appId: string;
  productName: string;
  asar: boolean;
  asarUnpack: string[];
  files: string[];
  fileAssociations: { ext: string }[];
  linux: { icon: string; target: { target: string; arch: string[] }[]; desktop: { entry: { Categories: string } } };
  mac: { icon: string; target: string };
  win: { icon: string; target: string };
};

const ROOT = join(__dirname, '..', '..');

/** Width, height and colour type from a PNG's IHDR chunk. */
function pngHeader(path: string): { width: number; height: number; colourType: number } {
  const b = readFileSync(path);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colourType: b[25]! };
}

describe('electron-builder.yml', () => {
  it('builds AppImage, deb and rpm for x64 and arm64, with dmg and nsis configured too', () => {
    expect(config.appId).toBe('io.bootfleet.app');
    expect(config.productName).toBe('Bootfleet');
    expect(config.linux.target).toEqual([
      { target: 'AppImage', arch: ['x64', 'arm64'] },
      { target: 'deb', arch: ['x64', 'arm64'] },
      { target: 'rpm', arch: ['x64', 'arm64'] },
    ]);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
    expect(config.linux.desktop.entry.Categories).toMatch(/System;/);
  });

  it('keeps native modules out of the asar archive, packs only the build, and opens disk images', () => {
    expect(config.asar).toBe(true);
    for (const native of ['better-sqlite3', 'node-pty']) expect(config.asarUnpack.some((p) => p.includes(`node_modules/${native}/`))).toBe(true);
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json']));
    expect(config.fileAssociations.map((a) => a.ext)).toEqual(['iso', 'xz']);
  });

  it('has the icon set each target needs, rendered from resources/icon.svg with transparency', () => {
    expect(readFileSync(join(ROOT, 'resources', 'icon.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
    for (const size of ICON_SIZES) expect(pngHeader(join(ROOT, config.linux.icon, `${size}x${size}.png`)), `${size}px`).toEqual({ width: size, height: size, colourType: 6 });
    for (const icon of [config.mac.icon, config.win.icon]) expect(pngHeader(join(ROOT, icon))).toEqual({ width: 1024, height: 1024, colourType: 6 });
  });
});
