import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserWindow } from 'electron';
import { windowPdfPrinter } from './print-pdf';

/**
 * Printing the audit report in the desktop app, with a stand-in for BrowserWindow (the seam):
 * a hidden window with scripts off in its own session, the report loaded from a private temporary
 * file, printed with backgrounds, and the window and the file gone afterwards, even on failure.
 */
function fakeWindow(fail = false) {
  const seen: { options?: Record<string, unknown>; page?: string; html?: string; print?: unknown; destroyed: boolean } = { destroyed: false };
  class Window {
    constructor(options: Record<string, unknown>) {
      seen.options = options;
    }
    async loadFile(page: string) {
      seen.page = page;
      seen.html = readFileSync(page, 'utf8');
    }
    webContents = {
      printToPDF: async (o: unknown) => {
        seen.print = o;
        if (fail) throw new Error('printing failed');
        return Buffer.from('%PDF-1.7 fake');
      },
    };
    destroy() {
      seen.destroyed = true;
    }
  }
  return { Window: Window as unknown as typeof BrowserWindow, seen };
}

describe('PDF printing in the desktop app', () => {
  it('prints in a hidden, script-less window of its own and leaves nothing behind', async () => {
    const { Window, seen } = fakeWindow();
    const pdf = await windowPdfPrinter(Window)('<html><body>report</body></html>');
    expect(pdf.toString()).toBe('%PDF-1.7 fake');
    expect(seen.options).toEqual({ show: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, partition: 'bootfleet-print' } });
    expect(seen.html).toBe('<html><body>report</body></html>');
    expect(seen.print).toEqual({ printBackground: true });
    expect(seen.destroyed).toBe(true);
    expect(existsSync(dirname(seen.page!))).toBe(false);
  });

  it('cleans up when printing fails', async () => {
    const { Window, seen } = fakeWindow(true);
    await expect(windowPdfPrinter(Window)('<p>x</p>')).rejects.toThrow('printing failed');
    expect(seen.destroyed).toBe(true);
    expect(existsSync(dirname(seen.page!))).toBe(false);
  });
});
