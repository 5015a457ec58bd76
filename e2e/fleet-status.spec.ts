/**
 * Fleet status end to end: lab devices added through the UI, Refresh all with its progress and
 * errors grouped by cause, the fleet table's states and short digests, an update staged on a
 * device and read from its page (staged and rollback cards), and a changed host key reviewed and
 * accepted. Screenshots go to e2e/.artifacts/screenshots (ignored by git).
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { startLab, type Lab, type LabDevice } from './lab';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');
const run = promisify(execFile);

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the fleet status e2e test needs root for the device lab');

/** What the fleet table shows of a digest: its first 12 hex characters. */
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Runs a command on a lab device with plain OpenSSH, as an operator would. */
async function sshRun(d: LabDevice, command: string): Promise<string> {
  const { stdout } = await run(
    'ssh',
    ['-i', d.key, '-p', String(d.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, command],
    { timeout: 60_000 },
  );
  return stdout;
}

/** The SHA256 fingerprint of the ed25519 host key a device presents now. */
async function presentedFingerprint(d: LabDevice): Promise<string> {
  const { stdout: scanned } = await run('ssh-keyscan', ['-t', 'ed25519', '-p', String(d.port), d.host], { timeout: 20_000 });
  const child = execFile('ssh-keygen', ['-lf', '-']);
  const out = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  child.stdin!.end(scanned);
  const fp = /SHA256:\S+/.exec(await out)?.[0];
  if (!fp) throw new Error(`no fingerprint from ssh-keyscan of ${d.host}`);
  return fp;
}

/** A screenshot of the whole device page: its body scrolls inside the window, so the window grows for it. */
async function shootTall(page: Page, file: string): Promise<void> {
  const size = page.viewportSize()!;
  const height = await page.evaluate(() => {
    const body = document.querySelector('.page-body.scroll');
    return body ? body.scrollHeight + body.getBoundingClientRect().top + 24 : document.body.scrollHeight;
  });
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, Math.ceil(height)) });
  await page.screenshot({ path: join(SHOTS, file) });
  await page.setViewportSize(size);
}

/** Adds a lab device through the device form. */
async function addDevice(page: Page, d: LabDevice): Promise<void> {
  await page.getByTestId('devices-add').click();
  const form = page.getByTestId('device-form');
  await form.getByTestId('field-name').fill(d.name);
  await form.getByTestId('field-host').fill(d.host);
  await form.getByTestId('field-port').fill(String(d.port));
  await form.getByTestId('field-user').fill(d.user);
  await form.getByTestId('field-auth').selectOption('key');
  await form.getByTestId('field-keyPath').fill(d.key);
  await form.getByTestId('field-sudo').setChecked(d.sudo);
  await form.getByTestId('device-save').click();
  await expect(form).toBeHidden();
  await expect(page.locator(`[data-testid="device-row"][data-name="${d.name}"]`)).toBeVisible();
}

const rowOf = (page: Page, name: string): Locator => page.locator(`[data-testid="device-row"][data-name="${name}"]`);

test.describe('fleet status against the device lab', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1440, height: 900 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({
      devices: [
        { name: 'edge-1', bootcVersion: '1.16.9', rollbackImage: '1.0' },
        // Slow at first, so the refresh is seen running.
        { name: 'edge-2', bootcVersion: '0.1.14', rootLogin: true, faults: { slowMs: 2500 } },
        { name: 'plain-1', image: null },
        { name: 'locked-1', faults: { authRefused: true } },
      ],
    });
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('the Fleet overview counts devices by state, and the Devices filters narrow by state and deployments', async ({ page, serve }) => {
    test.setTimeout(120_000);
    for (const d of lab.devices) {
      const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
      expect(added.code, added.stderr).toBe(0);
    }
    await openApp(page, serve.url);
    await expect(page.getByTestId('count-never-value')).toHaveText('4');
    await page.getByTestId('refresh-fleet').click();
    await expect(page.getByTestId('refresh-panel')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    const count = (id: string) => page.getByTestId(`count-${id}-value`);
    await expect(count('online')).toHaveText('2');
    await expect(count('error')).toHaveText('1');
    await expect(count('not-bootc')).toHaveText('1');
    await expect(count('never')).toHaveText('0');
    await expect(count('offline')).toHaveText('0');
    await expect(count('rollback')).toHaveText('1');
    await expect(count('staged')).toHaveText('0');
    await page.screenshot({ path: join(SHOTS, 'fleet-overview.png') });

    // A count links to the devices it counts.
    await page.getByTestId('count-error').click();
    await expect(page.getByTestId('devices-state-filter')).toHaveValue('error');
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(page.getByTestId('device-row').first()).toHaveAttribute('data-name', 'locked-1');
    await expect(page.getByTestId('refresh-fleet')).toHaveText(/Refresh 1 filtered/);
    await page.getByTestId('devices-state-filter').selectOption('online');
    await expect(page.getByTestId('device-row')).toHaveCount(2);
    await page.getByTestId('devices-filter-rollback').click();
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(page.getByTestId('device-row').first()).toHaveAttribute('data-name', 'edge-1');
    await page.getByTestId('devices-clear-filters').click();
    await expect(page.getByTestId('device-row')).toHaveCount(4);
  });

  test('Refresh all, digests and states, a staged update on the device page, a changed host key accepted', async ({ page, serve }) => {
    test.setTimeout(240_000);
    const [edge1, edge2, plain1, locked1] = lab.devices as [LabDevice, LabDevice, LabDevice, LabDevice];
    const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
    const digest10 = image('1.0').digests[edge1.architecture]!;
    const digest11 = image('1.1').digests[edge1.architecture]!;

    await openApp(page, serve.url);
    await page.getByTestId('nav-devices').click();
    for (const d of lab.devices) await addDevice(page, d);
    await expect(page.getByTestId('devices-count')).toContainText('4 devices');
    for (const d of lab.devices) await expect(rowOf(page, d.name).getByTestId('state-pill')).toHaveAttribute('data-state', 'never');

    // Refresh all: the progress panel runs (edge-2 is slow), and survives going to another page.
    await page.getByTestId('refresh-fleet').click();
    const panel = page.getByTestId('refresh-panel');
    await expect(panel).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('refresh-cancel')).toBeVisible();
    await expect(page.getByTestId('refresh-counts')).toContainText('of 4');
    await page.screenshot({ path: join(SHOTS, 'fleet-refresh-running.png') });
    await page.getByTestId('nav-fleet').click();
    await expect(panel).toBeVisible();
    await expect(panel).toHaveAttribute('data-state', /running|done/);
    await page.getByTestId('nav-devices').click();
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('refresh-counts')).toContainText('4 of 4');
    // locked-1 refuses the login; plain-1 answers but is not a bootc host.
    await expect(page.getByTestId('refresh-counts')).toContainText('2 answered');
    await expect(page.getByTestId('refresh-counts')).toContainText('2 failed');

    // The failure is grouped by cause, with the device under it.
    const authGroup = page.locator('[data-testid="refresh-group"][data-code="SSH_AUTH_FAILED"]');
    await expect(authGroup).toContainText('Authentication failed');
    await expect(authGroup.locator('[data-testid="refresh-group-device"]')).toHaveCount(1);
    await expect(authGroup.locator(`[data-testid="refresh-group-device"][data-name="${locked1.name}"]`)).toBeVisible();
    const notBootc = page.locator('[data-testid="refresh-group"][data-code="NOT_BOOTC_HOST"]');
    await expect(notBootc.locator(`[data-testid="refresh-group-device"][data-name="${plain1.name}"]`)).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'fleet-refresh-errors.png') });

    // A refresh can be cancelled: the slow device is not waited for.
    await page.getByTestId('refresh-dismiss').click();
    await page.getByTestId('refresh-fleet').click();
    await page.getByTestId('refresh-cancel').click();
    await expect(panel).toHaveAttribute('data-state', 'canceled');
    await expect(panel).toContainText('cancelled');
    await lab.clearFaults('edge-2');

    // The fleet table: states and short digests.
    const state = (name: string) => rowOf(page, name).getByTestId('state-pill');
    await expect(state(edge1.name)).toHaveAttribute('data-state', 'online');
    await expect(state(edge2.name)).toHaveAttribute('data-state', 'online');
    await expect(state(plain1.name)).toHaveAttribute('data-state', 'not-bootc');
    await expect(state(locked1.name)).toHaveAttribute('data-state', 'error');
    await expect(rowOf(page, edge1.name).getByTestId('short-digest')).toHaveText(short(digest10));
    await expect(rowOf(page, edge1.name).getByTestId('short-digest')).toHaveAttribute('title', digest10);
    await expect(rowOf(page, edge2.name).getByTestId('short-digest')).toHaveText(short(digest10));
    await expect(rowOf(page, edge1.name)).toContainText(image('1.0').version);
    await expect(rowOf(page, edge1.name).getByTestId('badge-rollback')).toBeVisible();
    await expect(rowOf(page, plain1.name).getByTestId('short-digest')).toHaveCount(0);
    await page.getByTestId('refresh-dismiss').click();
    await expect(panel).toHaveCount(0);
    await expect(page.getByTestId('refresh-fleet')).toBeEnabled();
    await page.screenshot({ path: join(SHOTS, 'fleet-table.png') });

    // Sorting by state puts the failing device first.
    await page.getByTestId('sort-state').click();
    await expect(page.getByTestId('device-row').first()).toHaveAttribute('data-name', locked1.name);
    await page.getByTestId('sort-name').click();

    // Stage an update on edge-1 the way an operator would, then refresh it from its page.
    await lab.retag('stable', '1.1');
    await sshRun(edge1, 'sudo -n bootc upgrade');
    await rowOf(page, edge1.name).getByTestId('device-link').click();
    const devicePage = page.getByTestId('device-page');
    await expect(devicePage).toHaveAttribute('data-name', edge1.name);
    await expect(page.getByTestId('deployment-booted-digest')).toHaveText(digest10);
    await page.getByTestId('device-refresh').click();
    await expect(page.getByTestId('device-refresh-result')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
    await expect(page.getByTestId('deployment-staged-digest')).toHaveText(digest11);
    await expect(page.getByTestId('deployment-staged-version')).toHaveText(image('1.1').version);
    await expect(page.getByTestId('deployment-booted-digest')).toHaveText(digest10);
    await expect(page.getByTestId('deployment-rollback-digest')).toHaveText(digest10);
    await expect(page.getByTestId('note-pending-reboot')).toBeVisible();
    await expect(page.getByTestId('device-facts')).toContainText('1.16.9');
    await expect(page.getByTestId('hostkey-fingerprint')).toHaveText(edge1.hostKeyFingerprint);
    await expect(page.getByTestId('history-span')).toHaveCount(2);
    await shootTall(page, 'device-page.png');

    // The table shows the staged badge once back on the list.
    await page.getByTestId('back-to-devices').click();
    await expect(rowOf(page, edge1.name).getByTestId('badge-staged')).toContainText(image('1.1').version);
    // A click anywhere on the row (not on its buttons) opens the device too, as Enter does.
    await rowOf(page, edge1.name).click({ position: { x: 420, y: 16 } });
    await expect(devicePage).toHaveAttribute('data-name', edge1.name);
    await page.getByTestId('back-to-devices').click();
    await rowOf(page, edge1.name).focus();
    await page.keyboard.press('Enter');
    await expect(devicePage).toHaveAttribute('data-name', edge1.name);

    // The device's host key changes: the refresh is refused and the page shows both fingerprints.
    await lab.setFaults(edge1.name, { hostKeyChanged: true });
    const newFingerprint = await presentedFingerprint(edge1);
    expect(newFingerprint).not.toBe(edge1.hostKeyFingerprint);
    await page.getByTestId('device-refresh').click();
    await expect(page.getByTestId('device-refresh-result')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(page.getByTestId('device-refresh-result')).toContainText('Host key changed');
    const alert = page.getByTestId('hostkey-alert');
    await expect(alert).toBeVisible();
    await expect(page.getByTestId('hostkey-old')).toHaveText(edge1.hostKeyFingerprint);
    await expect(page.getByTestId('hostkey-new')).toHaveText(newFingerprint);
    await expect(devicePage.getByTestId('state-pill')).toHaveAttribute('data-state', 'error');
    // The last good state is kept, marked stale.
    await expect(page.getByTestId('deployment-staged-digest')).toHaveText(digest11);
    await page.screenshot({ path: join(SHOTS, 'hostkey-alert.png') });

    await page.getByTestId('hostkey-accept').click();
    await expect(page.getByRole('dialog')).toContainText('intercepting');
    await page.screenshot({ path: join(SHOTS, 'hostkey-confirm.png') });
    await page.getByTestId('confirm-accept-hostkey').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(alert).toHaveCount(0);
    await expect(page.getByTestId('hostkey-fingerprint')).toHaveText(newFingerprint);
    await expect(page.getByTestId('hostkey-source')).toContainText('accepted');

    await page.getByTestId('device-refresh').click();
    await expect(page.getByTestId('device-refresh-result')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
    await expect(devicePage.getByTestId('state-pill')).toHaveAttribute('data-state', 'online');
    await expect(page.getByTestId('contact-error')).toHaveCount(0);
    // ok (1.0) → ok (staged 1.1) → host key refused → ok again.
    await expect(page.getByTestId('history-span')).toHaveCount(4);
    await expect(page.getByTestId('history-span').nth(1)).toHaveAttribute('data-outcome', 'error');
    await shootTall(page, 'device-page-after.png');

    // The acceptance is in the activity log, and names the device.
    await page.getByTestId('nav-activity').click();
    const accepted = page.locator('[data-testid="activity-row"][data-action="hostkey.accepted"]');
    await expect(accepted).toHaveCount(1);
    await expect(accepted).toContainText(newFingerprint);

    // The dark theme, for a look.
    await page.getByTestId('nav-devices').click();
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await page.screenshot({ path: join(SHOTS, 'fleet-table-dark.png') });
    await rowOf(page, edge1.name).getByTestId('device-link').click();
    await expect(devicePage).toHaveAttribute('data-name', edge1.name);
    await shootTall(page, 'device-page-dark.png');
  });
});
