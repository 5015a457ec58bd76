/**
 * Bundles and signing keys in the UI (issue 10), without the device lab: a site and a device made
 * with the CLI; a site bundle exported from the Audit page's Bundles dialog; the Keys dialog with
 * this installation's fingerprint; the bundle imported back (own key: nothing new); and a bundle
 * made by another installation refused until its key is trusted in the UI. Screenshots go to
 * e2e/.artifacts/screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openApp, runCli, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

test.describe('bundles', () => {
  test.beforeAll(() => mkdirSync(SHOTS, { recursive: true }));

  test('export a site bundle, see the keys, import it back, and trust another installation', async ({ page, serve }) => {
    expect((await serve.cli(['sites', 'add', 'plant-7'])).code).toBe(0);
    expect((await serve.cli(['devices', 'add', 'plc-1', '--host', '192.0.2.50', '--site', 'plant-7'])).code).toBe(0);
    const own = JSON.parse((await serve.cli(['keys', 'show', '--json'])).stdout) as { fingerprint: string; publicKey: string };

    await openApp(page, serve.url);
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-bundles').click();
    const dialog = page.getByTestId('bundles-dialog');
    await expect(dialog).toBeVisible();

    // Nothing chosen: refused in the form.
    await page.getByTestId('field-bundles-site').selectOption('');
    await page.getByTestId('bundles-start').click();
    await expect(page.getByTestId('error-bundles-images')).toBeVisible();

    const out = join(serve.dataDir, 'usb', 'plant-7-bundle');
    mkdirSync(join(serve.dataDir, 'usb'));
    await page.getByTestId('field-bundles-site').selectOption('plant-7');
    await page.getByTestId('field-bundles-since').fill('2026-01-01');
    await page.getByTestId('field-bundles-export-path').fill(out);
    await page.screenshot({ path: join(SHOTS, 'bundles-export.png') });
    await page.getByTestId('bundles-start').click();
    await expect(page.getByTestId('bundles-exported')).toContainText(out);
    await expect(page.getByTestId('bundles-exported')).toContainText('site plant-7');
    await page.screenshot({ path: join(SHOTS, 'bundles-exported.png') });

    // Keys: this installation's fingerprint and key line; nobody else trusted yet.
    await page.getByTestId('bundles-keys').click();
    await expect(page.getByTestId('keys-own-fingerprint')).toHaveText(own.fingerprint);
    await expect(page.getByTestId('keys-own-public')).toHaveText(own.publicKey);
    await expect(page.getByTestId('keys-none')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'bundles-keys.png') });
    await page.getByTestId('keys-close').click();

    // Import it back: signed by this installation, nothing new.
    await page.getByTestId('bundles-tab-import').click();
    await page.getByTestId('field-bundles-import-path').fill(out);
    await page.getByTestId('bundles-start').click();
    await expect(page.getByTestId('bundles-signed-by')).toContainText('this installation');
    await expect(page.getByTestId('bundles-signed-by')).toContainText(own.fingerprint);
    await expect(page.getByTestId('bundles-site-merge')).toContainText('0 devices, 0 snapshots');
    await page.screenshot({ path: join(SHOTS, 'bundles-imported.png') });

    // Another installation's bundle: refused until its key is trusted.
    const other = mkdtempSync(join(tmpdir(), 'bootfleet-e2e-other-'));
    try {
      expect((await runCli(other, ['sites', 'add', 'plant-9'])).code).toBe(0);
      expect((await runCli(other, ['devices', 'add', 'hmi-1', '--host', '192.0.2.60', '--site', 'plant-9'])).code).toBe(0);
      const theirs = JSON.parse((await runCli(other, ['keys', 'show', '--json'])).stdout) as { fingerprint: string; publicKey: string };
      const foreign = join(serve.dataDir, 'usb', 'plant-9-bundle');
      const made = await runCli(other, ['bundle', 'export', '--site', 'plant-9', '-o', foreign]);
      expect(made.code, made.stderr).toBe(0);

      await page.getByTestId('field-bundles-import-path').fill(foreign);
      await page.getByTestId('bundles-start').click();
      await expect(page.getByTestId('bundles-error')).toContainText(theirs.fingerprint);
      await expect(page.getByTestId('bundles-untrusted')).toBeVisible();
      await page.screenshot({ path: join(SHOTS, 'bundles-untrusted.png') });

      await page.getByTestId('bundles-trust').click();
      await page.getByTestId('field-keys-trust-public').fill(theirs.publicKey);
      // A wrong fingerprint is refused on its field.
      await page.getByTestId('field-keys-trust-fingerprint').fill(own.fingerprint);
      await page.getByTestId('keys-trust-submit').click();
      await expect(page.getByTestId('error-keys-trust-fingerprint')).toContainText('you typed');
      await page.screenshot({ path: join(SHOTS, 'bundles-trust-wrong.png') });
      await page.getByTestId('field-keys-trust-fingerprint').fill(theirs.fingerprint);
      await page.getByTestId('field-keys-trust-name').fill('plant-9 laptop');
      await page.getByTestId('keys-trust-submit').click();
      await expect(page.getByTestId('bundles-retry')).toBeVisible();
      await page.getByTestId('bundles-retry').click();
      await expect(page.getByTestId('bundles-signed-by')).toContainText('plant-9 laptop');
      await expect(page.getByTestId('bundles-site-merge')).toContainText('1 device,');
      await page.screenshot({ path: join(SHOTS, 'bundles-imported-foreign.png') });

      // The Keys dialog lists it; Revoke asks first.
      await page.getByTestId('bundles-keys').click();
      const row = page.locator(`[data-testid="keys-row"][data-fingerprint="${theirs.fingerprint}"]`);
      await expect(row).toContainText('plant-9 laptop');
      await page.screenshot({ path: join(SHOTS, 'bundles-keys-trusted.png') });
      await row.getByTestId('keys-revoke').click();
      await page.getByTestId('keys-revoke-confirm').click();
      await expect(row.getByTestId('keys-revoked')).not.toHaveText('—');
      await expect(row.getByTestId('keys-revoke')).toHaveCount(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
