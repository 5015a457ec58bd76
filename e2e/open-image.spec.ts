/**
 * Opening a disk image from outside the app shows it in the Flash page, read and checked: what
 * the desktop app does for a file manager's "Open with" or `bootfleet-desktop IMAGE`, driven here
 * through `bootfleet serve --open IMAGE` (the same core call and the same window code). An image
 * opened while the window is already open takes it to the Flash page too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openApp, startServe, stopServe, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

test('an image opened at launch is shown in the Flash page, already read', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-open-'));
  try {
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, 'payload.bin'), Buffer.alloc(1024 * 1024, 7));
    execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', join(dir, 'edge live.iso'), tree], { stdio: 'ignore' });
    const data = join(dir, 'data');
    const serve = await startServe(data, null, ['--open', join(dir, 'edge live.iso')]);
    try {
      await openApp(page, serve.url);
      await expect(page).toHaveURL(/#\/flash$/);
      await expect(page.getByLabel('Image file')).toHaveValue(join(dir, 'edge live.iso'));
      const info = page.getByTestId('image-info');
      await expect(info).toHaveAttribute('data-state', 'done');
      await expect(page.getByTestId('image-label')).toHaveText('BOOTC_LIVE');
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'open-image.png') });

      // Taken once: a reload lands where the user was, not on the image again.
      await page.goto(serve.url.replace(/#.*$/, '') + '#/devices');
      await expect(page.locator('body[data-ready="true"]')).toBeAttached();
      await expect(page).toHaveURL(/#\/devices$/);
    } finally {
      await stopServe(serve);
    }

    // A path that is not there: serve says so and does not start.
    const bad = await serve.cli(['serve', '--port', '0', '--open', join(dir, 'gone.iso')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`${join(dir, 'gone.iso')} does not exist`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
