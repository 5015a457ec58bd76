import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/** What electron-builder.yml promises (it cannot run here: packaging downloads Electron). */
const config = parse(readFileSync(join(__dirname, '..', '..', 'electron-builder.yml'), 'utf8')) as {
  appId: string;
  productName: string;
  asar: boolean;
  asarUnpack: string[];
  files: string[];
  fileAssociations: { ext: string }[];
  linux: { target: { target: string; arch: string[] }[]; desktop: { entry: { Categories: string } } };
  mac: { target: string };
  win: { target: string };
};

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
});
