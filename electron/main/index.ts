import { join } from 'node:path';
import * as electron from 'electron';
import { openCore } from '../core/app';
import { packagedHelperLaunch } from '../core/flash/helper-client';
import { resolveDataDir } from '../core/paths';
import { startDesktop } from './desktop';
import { windowPdfPrinter } from './print-pdf';
import { safeStorageCipher } from './safe-storage';

/**
 * The desktop app's entry: Electron itself is handed to startDesktop (desktop.ts), the one seam the
 * main-process modules are tested through. All domain work is in electron/core.
 */
function dataDirFromArgs(): string | undefined {
  const i = process.argv.indexOf('--data-dir');
  return i > 0 ? process.argv[i + 1] : undefined;
}

startDesktop(electron, {
  argv: process.argv,
  cwd: process.cwd(),
  rendererFile: join(__dirname, '../renderer/index.html'),
  rendererUrl: process.env.ELECTRON_RENDERER_URL,
  preload: join(__dirname, '../preload/index.js'),
  dev: !electron.app.isPackaged,
  openCore: () => {
    // A package runs its own flash helper executable, or has none (macOS, Windows): never this
    // binary as Node, which the RunAsNode fuse turns off (pkexec would start the whole app as root).
    const packaged = electron.app.isPackaged;
    return openCore({
      dataDir: resolveDataDir(dataDirFromArgs()),
      via: 'desktop',
      cipher: safeStorageCipher(electron.safeStorage),
      printPdf: windowPdfPrinter(electron.BrowserWindow),
      localShell: true,
      ...(packaged ? { flash: { helperLaunch: packagedHelperLaunch(process.resourcesPath) } } : {}),
    });
  },
});
