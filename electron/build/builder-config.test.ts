import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  linux: { icon: string; executableName: string; target: { target: string; arch: string[] }[]; desktop: { entry: { Categories: string } }; extraResources: { from: string; to: string }[] };
  deb: { afterInstall: string; afterRemove: string; depends: string[] };
  rpm: { afterInstall: string; afterRemove: string; depends: string[] };
  electronFuses: Record<string, boolean>;
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
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**', 'package.json']));
    // The helper executables are resources of their own, not in the asar.
    expect(config.files.some((f) => f === 'out/**' || f.startsWith('out/flash-helper'))).toBe(false);
    expect(config.fileAssociations.map((a) => a.ext)).toEqual(['iso', 'xz']);
  });

  it('has the icon set each target needs, rendered from resources/icon.svg with transparency', () => {
    expect(readFileSync(join(ROOT, 'resources', 'icon.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
    for (const size of ICON_SIZES) expect(pngHeader(join(ROOT, config.linux.icon, `${size}x${size}.png`)), `${size}px`).toEqual({ width: size, height: size, colourType: 6 });
    for (const icon of [config.mac.icon, config.win.icon]) expect(pngHeader(join(ROOT, icon))).toEqual({ width: 1024, height: 1024, colourType: 6 });
  });

  it('ships the flash helper outside the asar and installs its polkit action from the deb and rpm', () => {
    expect(config.linux.extraResources).toEqual([{ from: 'out/flash-helper/${arch}', to: 'flash-helper' }]);
    for (const pkg of [config.deb, config.rpm]) expect(pkg).toMatchObject({ afterInstall: 'out/linux/after-install.tpl', afterRemove: 'out/linux/after-remove.tpl' });
    expect(config.deb.depends.join(' ')).toMatch(/pkexec/);
    expect(config.rpm.depends).toContain('polkit');
    // A depends list replaces electron-builder's own (GTK, NSS...): ours must keep every one of them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const FpmTarget = (require('app-builder-lib/out/targets/FpmTarget') as { default: { prototype: { getDefaultDepends(t: string): string[] } } }).default;
    for (const target of ['deb', 'rpm'] as const) {
      expect(config[target].depends, target).toEqual(expect.arrayContaining(FpmTarget.prototype.getDefaultDepends.call(null, target)));
      expect(config[target].depends, target).toEqual(expect.arrayContaining(['zstd']));
    }
  });

  it("flips Electron's fuses as the security checklist asks, checked on a binary with Electron's fuse wire through electron-builder's own code", async () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // A stand-in for the Electron binary: its fuse wire (sentinel, version 1, 8 fuses) as Electron
    // 41 ships it, between other bytes. electron-builder flips it the way it does after packing.
    const { SENTINEL } = (await import('@electron/fuses/dist/constants.js')) as unknown as { SENTINEL: string };
    const { getCurrentFuseWire, FuseV1Options } = await import('@electron/fuses');
    const { LinuxPackager } = (await import('app-builder-lib')) as unknown as { LinuxPackager: { prototype: object } };
    const dir = mkdtempSync(join(tmpdir(), 'bootfleet-fuses-'));
    try {
      const binary = join(dir, config.linux.executableName);
      const shipped = '10110001'; // RunAsNode on, cookies plain, NODE_OPTIONS on, --inspect on, no asar checks, file: privileged
      writeFileSync(binary, Buffer.concat([Buffer.alloc(4096, 0x7f), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(shipped), Buffer.alloc(4096, 0x7f)]));
      const packager = Object.create(LinuxPackager.prototype, { executableName: { value: config.linux.executableName } }) as {
        generateFuseConfig(f: object): Promise<object>;
        addElectronFuses(ctx: object, fuses: object): Promise<unknown>;
      };
      await packager.addElectronFuses({ appOutDir: dir, electronPlatformName: 'linux' }, await packager.generateFuseConfig(config.electronFuses));
      const wire = await getCurrentFuseWire(binary);
      const on = (fuse: number) => String.fromCharCode(wire[fuse as keyof typeof wire] as number);
      expect(on(FuseV1Options.RunAsNode)).toBe('0');
      expect(on(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
      expect(on(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
      expect(on(FuseV1Options.EnableCookieEncryption)).toBe('1');
      expect(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
      expect(on(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
      // Left as shipped: the renderer is loaded from file:// and its module scripts need that privilege.
      expect(on(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('1');
      expect(readFileSync(binary).length).toBe(8192 + SENTINEL.length + 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a package whose native modules were built for Node's ABI instead of Electron's (read from the real better-sqlite3 build here)", async () => {
    expect((config as unknown as { afterPack: string }).afterPack).toBe('electron/build/native-abi.cjs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const afterPack = require('./native-abi.cjs') as ((ctx: object) => Promise<void>) & { wrongAbi(dir: string, abi: number | string): { file: string; abi: number }[] };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getAbi } = require('node-abi') as { getAbi(v: string, t: string): string };
    const nodeAbi = Number(getAbi(process.versions.node, 'node'));
    const dir = mkdtempSync(join(tmpdir(), 'bootfleet-abi-'));
    try {
      // A packed app's unpacked natives: better-sqlite3 as npm ci built it (for this Node), node-pty (Node-API).
      const unpacked = join(dir, 'resources', 'app.asar.unpacked', 'node_modules');
      for (const [mod, file] of [['better-sqlite3', 'build/Release/better_sqlite3.node'], ['node-pty', 'build/Release/pty.node']] as const) {
        mkdirSync(join(unpacked, mod, dirname(file)), { recursive: true });
        copyFileSync(join(ROOT, 'node_modules', mod, file), join(unpacked, mod, file));
      }
      expect(afterPack.wrongAbi(join(dir, 'resources', 'app.asar.unpacked'), nodeAbi)).toEqual([]);
      const electron = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
      await expect(afterPack({ appOutDir: dir, electronPlatformName: 'linux', packager: {} })).rejects.toThrow(
        new RegExp(`built for another ABI than Electron ${electron.replace(/\./g, '\\.')}'s \\(${getAbi(electron, 'electron')}\\): node_modules/better-sqlite3/build/Release/better_sqlite3\\.node \\(${nodeAbi}\\)\\. .*npm config delete nodedir`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
