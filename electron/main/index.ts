import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, nativeTheme, session, shell } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/contract';
import { AppError, ErrorCode } from '../../shared/errors';
import { openCore, type BootfleetCore } from '../core/app';
import { packagedHelperLaunch } from '../core/flash/helper-client';
import { resolveDataDir } from '../core/paths';
import { CSP } from '../serve/security';
import { isAllowedExternal } from './external-links';
import { windowPdfPrinter } from './print-pdf';
import { safeStorageCipher } from './safe-storage';

/**
 * The desktop shell: one window, the contract served over two IPC channels, and nothing
 * else. All domain work is in electron/core.
 */
const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = join(__dirname, '../renderer/index.html');
const trustedPrefix = rendererUrl ?? pathToFileURL(rendererFile).href;

let core: BootfleetCore | undefined;

function dataDirFromArgs(): string | undefined {
  const i = process.argv.indexOf('--data-dir');
  return i > 0 ? process.argv[i + 1] : undefined;
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 560,
    title: 'Bootfleet',
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Never navigate away from the app, never open new windows; web links go to the browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(trustedPrefix)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(rendererFile);
  return win;
}

app.enableSandbox();
app.whenReady().then(() => {
  // Everything is refused except notifications (a long job or rollout ending), which the app asks for.
  session.defaultSession.setPermissionRequestHandler((_wc, perm, callback) => callback(perm === 'notifications'));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  try {
    // A package runs its own flash helper executable (the RunAsNode fuse is off, so this binary cannot).
    const helperLaunch = app.isPackaged ? packagedHelperLaunch(process.resourcesPath) : null;
    core = openCore({ dataDir: resolveDataDir(dataDirFromArgs()), via: 'desktop', cipher: safeStorageCipher(), printPdf: windowPdfPrinter, localShell: true, ...(helperLaunch ? { flash: { helperLaunch } } : {}) });
  } catch (err) {
    const e = err instanceof AppError ? err : new AppError(ErrorCode.INTERNAL, String(err));
    dialog.showErrorBox('Bootfleet cannot open its inventory', `${e.message}\n\n[${e.code}]`);
    app.exit(1);
    return;
  }
  const c = core;
  ipcMain.handle(IPC_INVOKE, async (event, method: unknown, input: unknown) => {
    if (!event.senderFrame || !event.senderFrame.url.startsWith(trustedPrefix)) {
      return { ok: false, error: new AppError(ErrorCode.UNAUTHORIZED, 'Calls are accepted only from the Bootfleet window.').toJSON() };
    }
    // What a window opened (a terminal) ends when it closes or reloads.
    const wc = event.sender;
    const client = { id: `wc-${wc.id}`, onClose: (listener: () => void) => void wc.once('destroyed', listener).once('did-navigate', listener) };
    return c.call(String(method), input, { actor: c.actor, client });
  });
  c.bus.subscribe((name, payload, to) => {
    // An event for one client (a terminal's output) goes to that window only.
    for (const w of BrowserWindow.getAllWindows()) if (!to || to === `wc-${w.webContents.id}`) w.webContents.send(IPC_EVENT, name, payload);
  });
  c.watchExternalChanges(1000);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => core?.close());
