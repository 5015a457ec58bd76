import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import type { PdfPrinter } from '../core/audit/export';

/**
 * The desktop app prints audit reports with Electron's own Chromium (no separate browser needed):
 * a hidden, sandboxed window with scripts off and its own session (the app's CSP hook does not
 * apply there; the report's own CSP allows nothing from the network), then printToPDF.
 * `Window` is Electron's BrowserWindow (the seam: tests pass a stand-in).
 */
export function windowPdfPrinter(Window: typeof BrowserWindow): PdfPrinter {
  return async (html) => {
    const dir = mkdtempSync(join(tmpdir(), 'bootfleet-print-'));
    const win = new Window({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, partition: 'bootfleet-print' },
    });
    try {
      const page = join(dir, 'report.html');
      writeFileSync(page, html);
      await win.loadFile(page);
      return await win.webContents.printToPDF({ printBackground: true });
    } finally {
      win.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
