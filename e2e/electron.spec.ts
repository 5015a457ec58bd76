import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary } from '../electron/cli/electron-binary';
import { ROOT } from './fixtures';

const bin = electronBinary();

test.describe('the desktop app (Electron)', () => {
  test.skip(!bin, 'Electron runtime not installed (no binary in node_modules/electron/dist): desktop specs skipped; the same UI is tested through bootfleet serve.');

  test('opens the inventory and adds a device over IPC', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bootfleet-electron-'));
    const app = await electron.launch({ executablePath: bin!, args: [ROOT, '--data-dir', dataDir] });
    try {
      const page = await app.firstWindow();
      await expect(page.locator('body[data-ready="true"]')).toBeAttached();
      const isolated = await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require === 'undefined');
      expect(isolated).toBe(true);
      await page.getByTestId('nav-devices').click();
      await page.getByTestId('devices-add').click();
      await page.getByTestId('field-name').fill('bench-1');
      await page.getByTestId('field-host').fill('192.0.2.1');
      await page.getByTestId('device-save').click();
      await expect(page.locator('[data-testid="device-row"][data-name="bench-1"]')).toBeVisible();
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
