import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/contract';
import { ErrorCode } from '../../shared/errors';
import type { BootfleetCore } from '../core/app';
import { cleanupTempDirs, closeTestCores, flashWritten, loopDevice, ok, openTestCore, tempDir } from '../core/test-support';
import { CSP } from '../serve/security';
import { aboutOptions, startDesktop, type Desktop } from './desktop';
import { FakeElectron, fakeEvent, type FakeWindow } from './fake-electron';

/**
 * The desktop shell under plain Node: Electron is replaced at its one seam (electron-api.ts) by
 * FakeElectron; the core, the data directory, the window-state file and the flash below are real.
 */
const RENDERER = '/opt/Bootfleet/resources/app.asar/out/renderer/index.html';
const TRUSTED = pathToFileURL(RENDERER).href;
const MiB = 1024 * 1024;

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

async function launch(o: { dataDir?: string; argv?: string[]; cwd?: string; lock?: boolean; flash?: boolean } = {}) {
  const fake = new FakeElectron();
  fake.gotLock = o.lock ?? true;
  const dataDir = o.dataDir ?? tempDir();
  let opened = 0;
  const desktop: Desktop = startDesktop(fake.api(), {
    argv: o.argv ?? ['/opt/Bootfleet/bootfleet-desktop'],
    cwd: o.cwd ?? '/',
    rendererFile: RENDERER,
    preload: '/opt/Bootfleet/resources/app.asar/out/preload/index.js',
    openCore: () => {
      opened++;
      return openTestCore({ dataDir, ...(o.flash ? { flash: { helper: 'never' as const } } : {}) });
    },
    handleSignals: false,
    shutdownTimeoutMs: 20_000,
  });
  await fake.becomeReady();
  return { fake, desktop, dataDir, opened: () => opened, core: () => desktop.core() as BootfleetCore, win: () => fake.windows[0] as FakeWindow };
}

/** Calls the contract as a renderer frame at `url` would. */
async function invoke(fake: FakeElectron, win: FakeWindow, url: string, method: string, input: unknown, parent: unknown = null) {
  const handler = fake.handlers.get(IPC_INVOKE)!;
  return (await handler({ senderFrame: { url, parent }, sender: win.webContents }, method, input)) as { ok: boolean; value?: unknown; error?: { code: string } };
}

type Item = { label?: string; role?: string; accelerator?: string; click?: () => void; submenu?: Item[] };
const items = (template: unknown[]): Item[] => (template as Item[]).flatMap((m) => [m, ...(m.submenu ?? [])]);

describe('the desktop shell', () => {
  it('a second launch hands over to the first and opens nothing itself', async () => {
    const { fake, opened } = await launch({ lock: false });
    expect(fake.calls).toContain('quit');
    expect(opened()).toBe(0);
    expect(fake.windows).toHaveLength(0);
  });

  it('opens one hardened window and puts it back where the user left it', async () => {
    const first = await launch();
    const w = first.win();
    const prefs = w.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
    expect(prefs.preload).toBe('/opt/Bootfleet/resources/app.asar/out/preload/index.js');
    expect(w.loaded).toBe(RENDERER);
    expect(first.fake.calls).toContain('enableSandbox');
    w.emit('ready-to-show');
    expect(w.visible).toBe(true);

    w.setBounds({ x: 300, y: 200, width: 1000, height: 700 });
    w.maximize();
    w.emit('maximize');
    expect(w.close()).toBe(false); // the shell turns the close into a quit request...
    await new Promise((r) => setTimeout(r, 10));
    expect(first.fake.calls).toContain('quit:done'); // ...which quits, nothing being at work
    expect(JSON.parse(readFileSync(join(first.dataDir, 'window-state.json'), 'utf8'))).toEqual({ bounds: { x: 300, y: 200, width: 1000, height: 700 }, maximized: true });

    const again = await launch({ dataDir: first.dataDir });
    expect(again.win().options).toMatchObject({ x: 300, y: 200, width: 1000, height: 700 });
    expect(again.win().maximized).toBe(false); // maximize() would show it: only once it is ready
    again.win().emit('ready-to-show');
    expect(again.win().maximized).toBe(true);

    // A place on a monitor that is gone (or a damaged file) gives the default window.
    writeFileSync(join(first.dataDir, 'window-state.json'), JSON.stringify({ bounds: { x: 4000, y: 100, width: 1000, height: 700 }, maximized: false }));
    const offscreen = await launch({ dataDir: first.dataDir });
    expect(offscreen.win().options).toMatchObject({ width: 1280, height: 800 });
    expect(offscreen.win().options).not.toHaveProperty('x');
    writeFileSync(join(first.dataDir, 'window-state.json'), '{"bounds": nope');
    expect((await launch({ dataDir: first.dataDir })).win().options).toMatchObject({ width: 1280, height: 800 });
  });

  it("answers contract calls from the app's own top frame only", async () => {
    const { fake, win, core } = await launch();
    const good = await invoke(fake, win(), `${TRUSTED}#/devices`, 'app.info', {});
    expect(good.ok).toBe(true);
    expect(good.value).toMatchObject({ product: 'Bootfleet', dataDir: core().dataDir });
    for (const url of ['https://evil.example/', `${TRUSTED}.evil.html`, 'file:///tmp/index.html', 'devtools://devtools/bundled/inspector.html']) {
      const r = await invoke(fake, win(), url, 'app.info', {});
      expect(r, url).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    }
    // A frame inside the page (none should exist) is refused even at a trusted URL.
    expect(await invoke(fake, win(), TRUSTED, 'app.info', {}, { url: TRUSTED })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    // Core events reach the window; an event for another window does not.
    core().bus.emit('drives.changed', {});
    core().bus.emit('drives.changed', {}, 'wc-999999');
    expect(win().webContents.sent.filter((m) => m.channel === IPC_EVENT && m.args[0] === 'drives.changed')).toHaveLength(1);
  });

  it('refuses every permission but notifications, sets the strict CSP, and keeps the window on the app', async () => {
    const { fake, win } = await launch();
    const asked = (p: string) => new Promise<boolean>((r) => fake.permissionRequest!(win().webContents, p, r));
    expect(await asked('notifications')).toBe(true);
    for (const p of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'display-capture', 'fileSystem', 'hid', 'serial', 'usb']) {
      expect(await asked(p), p).toBe(false);
      expect(fake.permissionCheck!(win().webContents, p), p).toBe(false);
    }
    const headers = await new Promise<Record<string, string[]>>((r) => fake.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (x) => r(x.responseHeaders)));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CSP] });

    const wc = win().webContents;
    const navigate = (url: string, event = 'will-navigate') => {
      const e = fakeEvent({ url });
      wc.emit(event, e, url);
      return e.defaultPrevented;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('https://evil.example/', 'will-redirect')).toBe(true);
    expect(navigate(`${TRUSTED}#/flash`)).toBe(false);
    expect(wc.windowOpenHandler!({ url: 'https://bootc-dev.github.io/bootc/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'http://github.com/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.externalUrls).toEqual(['https://bootc-dev.github.io/bootc/']);
    const webview = fakeEvent();
    wc.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it('has a menu with the standard roles and its own commands, an About panel with versions, and the data folder', async () => {
    const { fake, win, core } = await launch();
    const all = items(fake.menuTemplate!);
    const byLabel = (l: string) => all.find((i) => i.label === l)!;
    expect(all.map((i) => i.role).filter(Boolean)).toEqual(expect.arrayContaining(['quit', 'undo', 'redo', 'cut', 'copy', 'paste', 'selectAll', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen', 'minimize']));
    expect(all.some((i) => i.role === 'toggleDevTools' || i.role === 'reload')).toBe(false); // development only
    expect(byLabel('New Device…').accelerator).toBe('CmdOrCtrl+N');
    expect(byLabel('Open Image…').accelerator).toBe('CmdOrCtrl+O');
    expect(byLabel('Flash a Drive').accelerator).toBe('CmdOrCtrl+Shift+F');
    expect(byLabel('Refresh').accelerator).toBe(process.platform === 'darwin' ? 'Cmd+R' : 'F5');

    win().minimize();
    for (const l of ['New Device…', 'Refresh', 'Flash a Drive']) byLabel(l).click!();
    const commands = win().webContents.sent.filter((m) => m.args[0] === 'app.command').map((m) => (m.args[1] as { command: string }).command);
    expect(commands).toEqual(['new-device', 'refresh', 'flash']);
    expect(win().minimized).toBe(false);

    // The window's background follows the system's light or dark theme.
    fake.nativeTheme.shouldUseDarkColors = true;
    fake.nativeTheme.emit('updated');
    expect(win().background).toBe('#16181d');

    byLabel('Open Data Folder').click!();
    expect(fake.openedPaths).toEqual([core().dataDir]);
    byLabel('About Bootfleet').click!();
    expect(fake.calls).toContain('showAboutPanel');
    expect(fake.aboutOptions).toEqual(aboutOptions('0.1.0', process.platform));
    // Where each platform shows the runtime's versions (Linux and Windows have no `version` line).
    expect(aboutOptions('0.1.0', 'linux')).toMatchObject({ applicationName: 'Bootfleet', applicationVersion: expect.stringMatching(/^0\.1\.0 \(Electron .* · Chromium .* · Node \d+\.\d+\.\d+\)$/) });
    expect(aboutOptions('0.1.0', 'linux')).not.toHaveProperty('version');
    expect(aboutOptions('0.1.0', 'linux')).not.toHaveProperty('credits');
    expect(aboutOptions('0.1.0', 'darwin')).toMatchObject({ applicationVersion: '0.1.0', version: expect.stringMatching(/^Electron /) });
  });

  it('shows an image opened at launch, by a second launch, by macOS or from File > Open Image in the Flash page', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'isos'));
    for (const f of ['a.iso', 'b.raw.xz', 'c.img', 'd.iso']) writeFileSync(join(dir, 'isos', f), 'x');
    const { fake, win, core } = await launch({ argv: ['/opt/Bootfleet/bootfleet-desktop', 'a.iso'], cwd: join(dir, 'isos') });
    expect(await ok(core(), 'flash.takeOpened', {})).toEqual({ path: join(dir, 'isos', 'a.iso') });
    expect(await ok(core(), 'flash.takeOpened', {})).toEqual({ path: null }); // one window takes it once

    win().minimize();
    fake.app.emit('second-instance', fakeEvent(), ['/usr/bin/bootfleet-desktop', '--no-sandbox', 'b.raw.xz'], join(dir, 'isos'));
    expect(win().minimized).toBe(false);
    expect(win().focused).toBe(true);
    expect(win().webContents.sent.some((m) => m.args[0] === 'flash.opened')).toBe(true);
    expect((await ok(core(), 'flash.takeOpened', {})).path).toBe(join(dir, 'isos', 'b.raw.xz'));

    const mac = fakeEvent();
    fake.app.emit('open-file', mac, join(dir, 'isos', 'c.img'));
    expect(mac.defaultPrevented).toBe(true);
    expect((await ok(core(), 'flash.takeOpened', {})).path).toBe(join(dir, 'isos', 'c.img'));

    fake.openDialogAnswers.push(join(dir, 'isos', 'd.iso'));
    items(fake.menuTemplate!).find((i) => i.label === 'Open Image…')!.click!();
    await new Promise((r) => setTimeout(r, 10));
    expect((await ok(core(), 'flash.takeOpened', {})).path).toBe(join(dir, 'isos', 'd.iso'));

    // A path that is gone: said in a dialog, nothing kept.
    fake.app.emit('open-file', fakeEvent(), join(dir, 'isos', 'gone.iso'));
    expect(fake.errors.at(-1)).toMatchObject({ title: 'Bootfleet cannot open this image' });
    expect(fake.errors.at(-1)!.content).toMatch(/gone\.iso does not exist/);
    expect((await ok(core(), 'flash.takeOpened', {})).path).toBeNull();
  });

  it.runIf(process.getuid?.() === 0)('asks before quitting while a drive is written; keeps working if told to, else stops it and records what the drive holds', async () => {
    const dir = tempDir();
    const stick = loopDevice(300);
    execFileSync('truncate', ['-s', '256M', join(dir, 'big.raw')]);
    const { fake, win, core, dataDir } = await launch({ flash: true });
    const started = await ok(core(), 'flash.start', { image: join(dir, 'big.raw'), drives: [stick] });
    await flashWritten(core(), 4 * MiB);

    // Quit from the menu (Ctrl+Q) and choose Keep Working: nothing stops.
    fake.answers.push(0);
    fake.app.quit();
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.boxes[0]!.message).toBe('Bootfleet is still working on this.');
    expect(fake.boxes[0]!.detail).toContain(`Writing big.raw to ${stick}`);
    expect(fake.boxes[0]!.buttons).toEqual(['Keep Working', 'Stop and Quit']);
    expect(fake.calls).not.toContain('quit:done');
    expect(core().work()).toEqual([`Writing big.raw to ${stick}`]);

    // Close the window and choose Stop and Quit: the flash stops and records the drive's condition.
    fake.answers.push(1);
    win().close();
    await expect.poll(() => fake.calls.includes('quit:done'), { timeout: 20_000 }).toBe(true);
    expect(win().destroyed).toBe(true);
    expect(core().db.open).toBe(false);
    // Calls that arrive while quitting start nothing.
    expect(await invoke(fake, win(), TRUSTED, 'flash.start', { image: join(dir, 'big.raw'), drives: [stick] })).toMatchObject({ ok: false, error: { code: ErrorCode.ACTION_NOT_POSSIBLE } });
    const next = openTestCore({ dataDir });
    const f = (await ok(next, 'flash.list', { limit: 1 }))[0]!;
    expect(f).toMatchObject({ id: started.id, state: 'canceled' });
    expect(f.targets[0]!.condition).toMatch(/^partially written .*, not bootable$/);
    expect(existsSync(join(dataDir, 'window-state.json'))).toBe(true);
  });
});
