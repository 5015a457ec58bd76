import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openApp, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

test.describe('devices in the browser UI served by bootfleet serve', () => {
  test('add, list, edit, import a CSV with a bad row, delete', async ({ page, serve }) => {
    await openApp(page, serve.url);
    await page.getByTestId('nav-devices').click();
    await expect(page.getByTestId('empty-state')).toBeVisible();

    // Add a device, with inline validation first.
    await page.getByTestId('devices-add').click();
    const form = page.getByTestId('device-form');
    await form.getByTestId('field-name').fill('web-01');
    await form.getByTestId('field-host').fill('not a host');
    await form.getByTestId('field-host').blur();
    await expect(form.getByTestId('error-host')).toContainText('host name');
    await expect(form.getByTestId('device-save')).toBeDisabled();
    await form.getByTestId('field-host').fill('192.0.2.10');
    await form.getByTestId('field-port').fill('70000');
    await form.getByTestId('field-port').blur();
    await expect(form.getByTestId('error-port')).toContainText('65535');
    await form.getByTestId('field-port').fill('2222');
    await form.getByTestId('field-tags').fill('edge, kiosk');
    await form.getByTestId('device-save').click();
    await expect(form).toBeHidden();

    const row = page.locator('[data-testid="device-row"][data-name="web-01"]');
    await expect(row).toBeVisible();
    await expect(row).toContainText('192.0.2.10');
    await expect(row).toContainText('kiosk');
    await expect(page.getByTestId('devices-count')).toContainText('1');

    // The CLI sees what the UI wrote: one inventory, three hosts.
    const shown = await serve.cli(['devices', 'show', 'web-01', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'web-01', host: '192.0.2.10', port: 2222, tags: ['edge', 'kiosk'] });

    // A duplicate name is refused with the error on the name field.
    await page.getByTestId('devices-add').click();
    await form.getByTestId('field-name').fill('web-01');
    await form.getByTestId('field-host').fill('192.0.2.11');
    await form.getByTestId('device-save').click();
    await expect(form.getByTestId('error-name')).toContainText(/already/);
    await page.keyboard.press('Escape');
    await expect(form).toBeHidden();

    // Edit.
    await row.getByTestId('device-edit').click();
    await expect(form.getByTestId('field-name')).toHaveValue('web-01');
    await form.getByTestId('field-host').fill('192.0.2.20');
    await form.getByTestId('field-sudo').check();
    await form.getByTestId('device-save').click();
    await expect(form).toBeHidden();
    await expect(row).toContainText('192.0.2.20');
    const edited = JSON.parse((await serve.cli(['devices', 'show', 'web-01', '--json'])).stdout) as { host: string; sudo: boolean };
    expect(edited).toMatchObject({ host: '192.0.2.20', sudo: true });

    // Import a CSV with one bad row: the error is shown per row and nothing is written.
    const csvPath = join(serve.dataDir, 'devices.csv');
    writeFileSync(csvPath, 'name,host,port,site,tags\ncam-01,192.0.2.31,22,lab,camera\ncam-02,bad host!,22,lab,camera\ncam-03,192.0.2.33,99999,lab,\n');
    await page.getByTestId('devices-import').click();
    await page.getByTestId('import-file').setInputFiles(csvPath);
    await page.getByTestId('import-preview').click();
    const report = page.getByTestId('import-report');
    await expect(report).toBeVisible();
    await expect(page.getByTestId('import-error-row')).toHaveCount(2);
    await expect(page.getByTestId('import-error-row').first()).toContainText('3');
    await expect(page.getByTestId('import-error-row').first()).toContainText('host');
    await expect(page.getByTestId('import-error-row').nth(1)).toContainText('port');
    await expect(page.getByTestId('import-submit')).toBeDisabled();
    await page.screenshot({ path: join(SHOTS, 'import-errors.png') });
    const afterBad = JSON.parse((await serve.cli(['devices', 'list', '--json'])).stdout) as { total: number };
    expect(afterBad.total).toBe(1);

    // Fix the file, import it for real.
    writeFileSync(csvPath, 'name,host,port,site,tags\ncam-01,192.0.2.31,22,lab,camera\ncam-02,192.0.2.32,22,lab,camera\ncam-03,192.0.2.33,2222,lab,\n');
    await page.getByTestId('import-file').setInputFiles(csvPath);
    await page.getByTestId('import-preview').click();
    await expect(page.getByTestId('import-error-row')).toHaveCount(0);
    await expect(page.getByTestId('import-submit')).toBeEnabled();
    await page.getByTestId('import-submit').click();
    await expect(page.getByTestId('toast').filter({ hasText: /Imported 3/ })).toBeVisible();
    await expect(page.locator('[data-testid="device-row"][data-name="cam-02"]')).toBeVisible();
    await expect(page.getByTestId('devices-count')).toContainText('4');
    await page.screenshot({ path: join(SHOTS, 'devices.png') });

    // Filter by site.
    await page.getByTestId('devices-site-filter').selectOption({ label: 'lab' });
    await expect(page.getByTestId('device-row')).toHaveCount(3);
    await page.getByTestId('devices-site-filter').selectOption({ index: 0 });
    await expect(page.getByTestId('device-row')).toHaveCount(4);

    // Delete, with confirmation.
    await row.getByTestId('device-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect(row).toHaveCount(0);
    const listed = JSON.parse((await serve.cli(['devices', 'list', '--json'])).stdout) as { items: { name: string }[] };
    expect(listed.items.map((d) => d.name).sort()).toEqual(['cam-01', 'cam-02', 'cam-03']);

    // Every change is in the activity log, newest first.
    await page.getByTestId('nav-activity').click();
    await expect(page.getByTestId('activity-row').first()).toContainText(/web-01/);
    await expect(page.getByTestId('activity-row').first()).toContainText(/removed|Deleted/i);
  });

  test('sites: add, refuse to delete while devices are assigned, delete when empty', async ({ page, serve }) => {
    await openApp(page, serve.url);
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('sites-add').click();
    await page.getByTestId('site-form').locator('input').first().fill('plant-7');
    await page.getByTestId('site-save').click();
    const row = page.locator('[data-testid="site-row"][data-name="plant-7"]');
    await expect(row).toBeVisible();

    expect((await serve.cli(['devices', 'add', 'plc-1', '--host', '192.0.2.50', '--site', 'plant-7'])).code).toBe(0);
    await expect(row).toContainText('1'); // the CLI's change reaches the open page
    await row.getByTestId('site-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect(page.getByText(/still has 1 device/)).toBeVisible();
    await page.keyboard.press('Escape');

    expect((await serve.cli(['devices', 'rm', 'plc-1', '--yes'])).code).toBe(0);
    await row.getByTestId('site-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect(row).toHaveCount(0);
  });

  test('refuses requests without the token', async ({ page, serve }) => {
    const res = await page.goto(serve.origin + '/');
    expect(res?.status()).toBe(401);
    await expect(page.locator('body')).toContainText('token');
  });
});
