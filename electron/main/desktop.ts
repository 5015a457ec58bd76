import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AboutPanelOptionsOptions, BrowserWindow, WebContents } from 'electron';
import { AppError, ErrorCode } from '../../shared/errors';
import type { BootfleetCore } from '../core/app';
import type { ElectronApi } from './electron-api';
import { guardContents, lockSession } from './guards';
import { clientId, forwardEvents, serveContract } from './ipc';
import { menuTemplate, type MenuCommand, type WindowCommand } from './menu';
import { imagesInArgv } from './open-files';
import { backgroundColor, restoreState, trackWindowState, windowOptions, WindowStateFile } from './window';

export interface DesktopOptions {
  argv: string[];
  cwd: string;
  /** The built renderer (out/renderer/index.html), or the dev server's URL in `npm run dev`. */
  rendererFile: string;
  rendererUrl?: string | undefined;
  preload: string;
  /** Opens the core once Electron is ready (the data directory, the keychain cipher, the PDF printer). */
  openCore(): BootfleetCore;
  /** How long a quit waits for stopped work to record its end. */
  shutdownTimeoutMs?: number;
  dev?: boolean;
  /** SIGTERM and SIGINT stop the work, record it and exit (default on; off in tests). */
  handleSignals?: boolean;
}

/**
 * The About panel: the app's version and the runtime's. macOS shows `version` under the name;
 * Linux and Windows show only `applicationVersion` (and `credits` only macOS and Windows), so
 * there the runtime versions go into it.
 */
export function aboutOptions(appVersion: string, platform: NodeJS.Platform): AboutPanelOptionsOptions {
  const runtime = `Electron ${process.versions.electron ?? '?'} · Chromium ${process.versions.chrome ?? '?'} · Node ${process.versions.node}`;
  const mac = platform === 'darwin';
  return {
    applicationName: 'Bootfleet',
    applicationVersion: mac ? appVersion : `${appVersion} (${runtime})`,
    ...(mac ? { version: runtime } : {}),
    copyright: 'Copyright © 2026 the Bootfleet authors',
    ...(platform === 'linux' ? { authors: ['the Bootfleet authors'] } : { credits: 'Flash, provision, update, audit and open terminals on fleets of bootc devices, offline.' }),
  };
}

/** What the shell holds once started; the tests look through it. */
export interface Desktop {
  core(): BootfleetCore | undefined;
  window(): BrowserWindow | undefined;
  /** Ask to quit, as the menu, the window's close button or the OS do: confirms if work would be stopped. */
  requestQuit(): Promise<boolean>;
}

/**
 * The desktop app: one instance (a second launch focuses the first and hands it the images it was
 * asked to open), one window that comes back where it was, the contract over IPC from that window
 * only, the application menu, and a quit that never drops running work without asking and recording it.
 */
export function startDesktop(e: ElectronApi, o: DesktopOptions): Desktop {
  const { app } = e;
  const trustedPrefix = o.rendererUrl ?? pathToFileURL(o.rendererFile).href;
  let core: BootfleetCore | undefined;
  let win: BrowserWindow | undefined;
  let quitting = false;
  let asking: Promise<boolean> | null = null;
  const waitingImages: string[] = [];

  const desktop: Desktop = { core: () => core, window: () => win, requestQuit };
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return desktop;
  }

  const focus = (): void => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  /** The last image asked for is shown in the Flash page (a file manager may pass several). */
  const openImages = (paths: string[]): void => {
    if (!core) {
      waitingImages.push(...paths);
      return;
    }
    const path = paths.at(-1);
    if (!path) return;
    try {
      core.flash.openImage(path);
      focus();
    } catch (err) {
      e.dialog.showErrorBox('Bootfleet cannot open this image', err instanceof Error ? err.message : String(err));
    }
  };

  const send = (command: WindowCommand): void => {
    if (!core || !win || win.isDestroyed()) return;
    focus();
    core.bus.emit('app.command', { command }, clientId(win.webContents));
  };

  const run = (command: MenuCommand): void => {
    if (command === 'about') app.showAboutPanel();
    else if (command === 'open-data-folder') void (core && e.shell.openPath(core.dataDir));
    else if (command === 'open-image') void chooseImage();
    else send(command);
  };

  async function chooseImage(): Promise<void> {
    const options = {
      title: 'Open a disk image to flash',
      properties: ['openFile' as const],
      filters: [
        { name: 'Disk images', extensions: ['iso', 'img', 'raw', 'xz', 'zst'] },
        { name: 'All files', extensions: ['*'] },
      ],
    };
    const r = win ? await e.dialog.showOpenDialog(win, options) : await e.dialog.showOpenDialog(options);
    if (!r.canceled && r.filePaths[0]) openImages([r.filePaths[0]]);
  }

  function createWindow(): BrowserWindow {
    const stateFile = new WindowStateFile(join(core!.dataDir, 'window-state.json'));
    const state = restoreState(stateFile.read(), e.screen.getAllDisplays().map((d) => d.workArea));
    const w = new e.BrowserWindow(windowOptions({ preload: o.preload, dark: e.nativeTheme.shouldUseDarkColors, state }));
    trackWindowState(w, stateFile);
    // maximize() also shows the window: only once it has something to show.
    w.once('ready-to-show', () => {
      if (state?.maximized) w.maximize();
      w.show();
    });
    // Closing the window ends the app on Linux and Windows: the same question as Quit when work runs.
    w.on('close', (ev) => {
      if (quitting || process.platform === 'darwin') return;
      ev.preventDefault();
      void requestQuit();
    });
    w.on('closed', () => {
      if (win === w) win = undefined;
    });
    if (o.rendererUrl) void w.loadURL(o.rendererUrl);
    else void w.loadFile(o.rendererFile);
    win = w;
    return w;
  }

  /** Asks before stopping work, then stops it, waits for it to record its end, and quits. */
  function requestQuit(): Promise<boolean> {
    if (quitting) return Promise.resolve(true);
    asking ??= (async () => {
      const work = core?.work() ?? [];
      if (work.length) {
        const box = {
          type: 'warning' as const,
          buttons: ['Keep Working', 'Stop and Quit'],
          defaultId: 0,
          cancelId: 0,
          message: work.length === 1 ? 'Bootfleet is still working on this.' : `Bootfleet is still working on ${work.length} things.`,
          detail: `${work.join('\n')}\n\nQuitting stops it: a drive being written is left unbootable, an update stops where it is (a rollout pauses, to be resumed). What each stopped at is recorded.`,
        };
        const { response } = win && !win.isDestroyed() ? await e.dialog.showMessageBox(win, box) : await e.dialog.showMessageBox(box);
        if (response !== 1) return false;
      }
      quitting = true;
      await core?.shutdown(o.shutdownTimeoutMs);
      app.quit();
      return true;
    })().finally(() => (asking = null));
    return asking;
  }

  app.enableSandbox();
  app.setAboutPanelOptions(aboutOptions(app.getVersion(), process.platform));
  app.on('second-instance', (_ev, argv, cwd) => {
    focus();
    openImages(imagesInArgv(argv, cwd));
  });
  // macOS hands files over as events, possibly before the app is ready.
  app.on('open-file', (ev, path) => {
    ev.preventDefault();
    openImages([path]);
  });
  app.on('web-contents-created', (_ev, contents: WebContents) => guardContents(contents, { trustedPrefix, openExternal: (url) => void e.shell.openExternal(url) }));
  app.on('before-quit', (ev) => {
    if (quitting) return;
    ev.preventDefault();
    void requestQuit();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => core?.close());
  if (o.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        quitting = true;
        void (core?.shutdown(o.shutdownTimeoutMs) ?? Promise.resolve()).finally(() => app.exit(0));
      });
    }
  }

  void app.whenReady().then(() => {
    lockSession(e.session.defaultSession);
    try {
      core = o.openCore();
    } catch (err) {
      const ae = err instanceof AppError ? err : new AppError(ErrorCode.INTERNAL, String(err));
      e.dialog.showErrorBox('Bootfleet cannot open its inventory', `${ae.message}\n\n[${ae.code}]`);
      app.exit(1);
      return;
    }
    serveContract(e.ipcMain, core, trustedPrefix);
    forwardEvents(core, () => e.BrowserWindow.getAllWindows().map((w) => w.webContents));
    core.watchExternalChanges(1000);
    e.Menu.setApplicationMenu(e.Menu.buildFromTemplate(menuTemplate({ platform: process.platform, dev: o.dev === true, run })));
    // The theme follows the system (the renderer's "system" choice reads prefers-color-scheme).
    e.nativeTheme.on('updated', () => {
      for (const w of e.BrowserWindow.getAllWindows()) w.setBackgroundColor(backgroundColor(e.nativeTheme.shouldUseDarkColors));
    });
    createWindow();
    openImages([...waitingImages.splice(0), ...imagesInArgv(o.argv, o.cwd)]);
    app.on('activate', () => {
      if (!win) createWindow();
    });
  });
  return desktop;
}

