import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { polkitAvailable, startPolkit, type Polkit } from '../../e2e/lab/polkit';
import type { BootfleetCore } from '../core/app';
import { packagedHelperLaunch } from '../core/flash/helper-client';
import { cleanupTempDirs, closeTestCores, loopDevice, ok, openTestCore, tempDir } from '../core/test-support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeHelper, writeScripts } = require('./linux-package.cjs') as { writeHelper(arch: string, out: string): Promise<string>; writeScripts(out: string): string };

/**
 * What the deb and rpm install besides the app, installed here as dpkg would: the flash helper
 * (a Node single executable outside the asar) and its polkit action, put in place by the
 * after-install script and taken away by after-remove; then a flash through pkexec with that
 * helper, as the packaged desktop app does it.
 */
const ROOT = join(__dirname, '..', '..');
const builder = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as { productName: string; linux: { executableName: string } };
const APP = `/opt/${builder.productName}`;
const POLICY = '/usr/share/polkit-1/actions/io.bootfleet.app.policy';
const MiB = 1024 * 1024;

/** electron-builder's macro substitution for these scripts (FpmTarget's writeConfigFile). */
function render(template: string): string {
  const macros: Record<string, string> = { executable: builder.linux.executableName, sanitizedProductName: builder.productName, productFilename: builder.productName };
  return template.replace(/\${([a-zA-Z]+)}/g, (_m, name: string) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`);
    return macros[name]!;
  });
}

describe('Linux package scripts', () => {
  it("are electron-builder's own (link, sandbox, AppArmor) with Bootfleet's polkit step appended, and every macro is one electron-builder defines", () => {
    const out = writeScripts(tempDir());
    const install = readFileSync(join(out, 'after-install.tpl'), 'utf8');
    const builderDefault = readFileSync(join(dirname(require.resolve('app-builder-lib/package.json')), 'templates', 'linux', 'after-install.tpl'), 'utf8');
    expect(install.startsWith(builderDefault.trimEnd())).toBe(true);
    expect(install).toContain('chrome-sandbox');
    expect(install.endsWith(readFileSync(join(ROOT, 'resources', 'linux', 'after-install.sh'), 'utf8'))).toBe(true);
    expect(render(install)).toContain(`BOOTFLEET_HELPER_DIR='${APP}/resources/flash-helper'`);
    expect(render(readFileSync(join(out, 'after-remove.tpl'), 'utf8'))).toContain(`rm -f ${POLICY}`);
    expect(statSync(join(out, 'after-install.tpl')).mode & 0o111).not.toBe(0);
  });
});

const canInstall = polkitAvailable() && !existsSync(APP);
if (!canInstall && process.env.CI) throw new Error(`the package install test needs root, pkexec, dbus-daemon, polkitd and no ${APP}`);

(canInstall ? describe : describe.skip)('the flash helper as a package installs it', () => {
  let dir: string;
  let scripts: string;
  let polkit: Polkit;
  let core: BootfleetCore;
  const head = (dev: string, n: number): Buffer => {
    const fd = openSync(dev, 'r');
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, 0);
    closeSync(fd);
    return b;
  };
  const script = (name: string, arg: string) => {
    writeFileSync(join(dir, name), render(readFileSync(join(scripts, `${name}.tpl`), 'utf8')));
    return spawnSync('bash', [join(dir, name), arg], { encoding: 'utf8' });
  };
  const pkaction = () => spawnSync('pkaction', ['--action-id', 'io.bootfleet.app.flash', '--verbose'], { encoding: 'utf8' });
  async function until<T>(f: () => T | undefined, what: string): Promise<T> {
    for (let i = 0; i < 100; i++) {
      const v = f();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} did not happen in 10 s`);
  }

  beforeAll(async () => {
    dir = tempDir();
    scripts = writeScripts(join(dir, 'scripts'));
    // The package's files, where dpkg puts them (the helper as `npm run dist` builds it for this machine).
    const resources = join(APP, 'resources');
    mkdirSync(resources, { recursive: true });
    await writeHelper(process.arch, join(resources, 'flash-helper'));
    writeFileSync(join(APP, builder.linux.executableName), '#!/bin/sh\n', { mode: 0o755 });
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, 'payload.bin'), randomBytes(3 * MiB));
    execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', join(dir, 'live.iso'), tree], { stdio: 'ignore' });
    polkit = await startPolkit();
  }, 120_000);

  afterAll(async () => {
    closeTestCores();
    if (existsSync(POLICY)) script('after-remove', 'remove');
    rmSync(APP, { recursive: true, force: true });
    await polkit?.stop();
    cleanupTempDirs();
  });

  it('after-install puts the polkit action for the installed helper in place; polkit asks an ordinary user for an admin password', async () => {
    const r = script('after-install', 'configure');
    expect(r.status, r.stderr).toBe(0);
    const helper = `${APP}/resources/flash-helper/bootfleet-flash-helper`;
    expect(readFileSync(POLICY, 'utf8')).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${helper}</annotate>`);
    expect(statSync(POLICY).mode & 0o777).toBe(0o644);
    expect(statSync(helper).mode & 0o777).toBe(0o755);
    // polkitd reads new actions as they appear.
    const listed = await until(() => {
      const p = pkaction();
      return p.status === 0 ? p.stdout : undefined;
    }, 'polkitd listing io.bootfleet.app.flash');
    expect(listed).toContain(`org.freedesktop.policykit.exec.path -> ${helper}`);
    expect(listed).toMatch(/implicit active:\s+auth_admin_keep/);
    expect(listed).toMatch(/implicit any:\s+auth_admin\n/);
    // An ordinary user's process is not authorized without authenticating as an administrator.
    const user = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => user.once('spawn', r));
      await new Promise((r) => setTimeout(r, 200)); // setpriv has become sleep, as that user
      const check = spawnSync('pkcheck', ['--action-id', 'io.bootfleet.app.flash', '--process', String(user.pid)], { encoding: 'utf8' });
      expect(check.status).not.toBe(0);
      expect(check.stdout + check.stderr).toMatch(/challenge|Authorization requires authentication|Not authorized/i);
    } finally {
      user.kill();
    }
  });

  it('the desktop app flashes through pkexec with the installed helper, which needs no Node and no environment', async () => {
    const launch = packagedHelperLaunch(join(APP, 'resources'), {});
    expect(launch).toEqual({ launcher: ['pkexec', '--disable-internal-agent'], command: [`${APP}/resources/flash-helper/bootfleet-flash-helper`] });
    core = openTestCore({ flash: { helper: 'always', helperLaunch: launch! } });
    const stick = loopDevice(16);
    const f = await core.flash.wait((await ok(core, 'flash.start', { image: join(dir, 'live.iso'), drives: [stick] })).id);
    expect(f).toMatchObject({ state: 'done', targets: [{ condition: 'written and verified' }] });
    const iso = readFileSync(join(dir, 'live.iso'));
    expect(head(stick, iso.length).equals(iso)).toBe(true);
  });

  it('from an AppImage, the helper is copied out of the FUSE mount to a directory only the user can enter, once', async () => {
    const runtime = tempDir();
    const launch = packagedHelperLaunch(join(APP, 'resources'), { APPIMAGE: '/home/tech/Bootfleet.AppImage', XDG_RUNTIME_DIR: runtime })!;
    const appCore = openTestCore({ flash: { helper: 'always', helperLaunch: launch } });
    const stick = loopDevice(16);
    for (let i = 0; i < 2; i++) {
      const f = await appCore.flash.wait((await ok(appCore, 'flash.start', { image: join(dir, 'live.iso'), drives: [stick] })).id);
      expect(f.state).toBe('done');
    }
    const copies = readdirSync(runtime);
    expect(copies).toHaveLength(1);
    expect(statSync(join(runtime, copies[0]!)).mode & 0o777).toBe(0o700);
    expect(launch.command).toEqual([join(runtime, copies[0]!, 'bootfleet-flash-helper')]);
  });

  it('after-remove keeps the action on an upgrade and takes it away on removal', async () => {
    expect(script('after-remove', 'upgrade').status).toBe(0);
    expect(existsSync(POLICY)).toBe(true);
    expect(script('after-remove', '0').status).toBe(0);
    expect(existsSync(POLICY)).toBe(false);
    await until(() => (pkaction().status !== 0 ? true : undefined), 'polkitd forgetting io.bootfleet.app.flash');
  });
});

