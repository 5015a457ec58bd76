/**
 * Rollouts end to end against the device lab: a rollout created through the wizard from the
 * Devices page filter (canary 1, batches of 1, pause after the canary, upgrade with apply) pauses
 * after the canary, is resumed from its page and ends with every device verified on the new image;
 * the Rollouts page lists it and its batch jobs. A device that falls back to its old image halts a
 * second rollout with the reason and the device's cause shown. Desktop notifications are recorded
 * by a stand-in for the Notification API. A switch rollout with Enforce signature policy (ticked for
 * a desired image that requires signed images) runs `bootc switch --enforce-container-sigpolicy` on
 * each device. Screenshots go to e2e/.artifacts/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openApp, test, type ServeHandle } from './fixtures';
import { startLab, type Lab, type LabDevice } from './lab';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the rollouts e2e test needs root for the device lab');

/** What the UI shows of a digest: its first 12 hex characters. */
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Adds lab devices to site `plant` with a tag, then reads their status once. */
async function seed(serve: ServeHandle, devices: LabDevice[], tag: string): Promise<void> {
  const site = await serve.cli(['sites', 'add', 'plant']);
  expect(site.code, site.stderr).toBe(0);
  for (const d of devices) {
    const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, '--site', 'plant', '--tag', tag, ...(d.sudo ? ['--sudo'] : [])]);
    expect(added.code, added.stderr).toBe(0);
  }
  const refreshed = await serve.cli(['status', '--refresh', '--all']);
  expect(refreshed.code, refreshed.stderr).toBe(0);
}

/**
 * Replaces the Notification API with a recorder (permission asked: granted), and makes every job
 * count as long, so the notice module's desktop notifications can be checked.
 */
async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __notes: string[]; __asked: number };
    w.__notes = [];
    w.__asked = 0;
    class Recorder {
      static permission: NotificationPermission = 'default';
      static requestPermission(): Promise<NotificationPermission> {
        w.__asked++;
        Recorder.permission = 'granted';
        return Promise.resolve('granted');
      }
      onclick: (() => void) | null = null;
      constructor(_title: string, opts?: NotificationOptions) {
        w.__notes.push(opts?.body ?? '');
      }
      close(): void {}
    }
    Object.defineProperty(window, 'Notification', { value: Recorder, configurable: true, writable: true });
    localStorage.setItem('bootfleet.notifyAfterMs', '0');
  });
}

const notes = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __notes: string[] }).__notes);

async function shoot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, file) });
}

/** Light, then dark: the same view in both themes. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
  await shoot(page, `${name}.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  await shoot(page, `${name}-dark.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
}

test.describe('rollouts against the device lab', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1440, height: 900 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({
      devices: [{ name: 'roll-1' }, { name: 'roll-2' }, { name: 'roll-3' }, { name: 'fail-1', faults: { bootFails: true } }, { name: 'fail-2' }],
      rebootMs: 300,
    });
    await lab.retag('stable', '1.1');
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('a rollout from the Devices page filter pauses after the canary, resumes from its page and verifies every device', async ({ page, serve }) => {
    test.setTimeout(240_000);
    const devices = lab.devices.filter((d) => d.name.startsWith('roll-'));
    await seed(serve, devices, 'wave1');
    const digest11 = lab.images.find((i) => i.tag === '1.1')!.digests.amd64!;
    await recordNotifications(page);

    await openApp(page, `${serve.url}#/rollouts`);
    await expect(page.getByTestId('rollouts')).toContainText('No rollouts yet');

    // The Devices page's filter carries into the wizard.
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-tag-filter').selectOption('wave1');
    await expect(page.getByTestId('device-row')).toHaveCount(3);
    await page.getByTestId('devices-rollout').click();
    const wizard = page.getByTestId('rollout-wizard');
    await expect(wizard).toBeVisible();
    await expect(page.getByTestId('wizard-preset')).toContainText('the Devices page filter');
    await expect(page.getByTestId('wizard-tag-filter')).toHaveValue('wave1');
    await expect(page.getByTestId('wizard-count')).toHaveAttribute('data-total', '3');
    await expect(page.getByTestId('wizard-action-upgrade')).toBeChecked();
    await page.getByTestId('field-rollout-name').fill('wave 1');
    await shoot(page, 'rollout-wizard-devices.png');
    await page.getByTestId('wizard-next').click();

    // Policy: a bad value is refused inline with the contract's words, and Next stays put.
    await expect(page.getByTestId('wizard-body')).toHaveAttribute('data-step', '2');
    await page.getByTestId('field-rollout-canary').fill('1');
    await page.getByTestId('wizard-batch-size').click();
    await page.getByTestId('field-rollout-batch').fill('1');
    await page.getByTestId('field-rollout-maxParallel').fill('0');
    await expect(page.getByTestId('error-rollout-maxParallel')).toContainText('at least 1');
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-body')).toHaveAttribute('data-step', '2');
    await page.getByTestId('field-rollout-maxParallel').fill('2');
    await expect(page.getByTestId('error-rollout-maxParallel')).toHaveCount(0);
    await page.getByTestId('wizard-pause-after-canary').check();
    await expect(page.getByTestId('wizard-apply')).toBeChecked();
    await shoot(page, 'rollout-wizard-policy.png');
    await page.getByTestId('wizard-next').click();

    // Review: the plan from the inventory, batch by batch; rebooting needs the confirmation.
    await expect(page.getByTestId('wizard-plan')).toHaveAttribute('data-state', 'ready');
    const batches = page.getByTestId('plan-batch');
    await expect(batches).toHaveCount(3);
    await expect(batches.first()).toHaveAttribute('data-canary', 'true');
    await expect(batches.first()).toContainText('Canary');
    await expect(page.getByTestId('plan-device')).toHaveCount(3);
    await expect(page.locator('[data-testid="plan-device"][data-reach="online"]')).toHaveCount(3);
    await expect(page.getByTestId('wizard-summary')).toContainText('pause until resumed');
    await expect(page.getByTestId('wizard-start')).toBeDisabled();
    await page.getByTestId('wizard-confirm-check').check();
    await expect(page.getByTestId('wizard-start')).toBeEnabled();
    await shoot(page, 'rollout-wizard-review.png');
    await page.getByTestId('wizard-start').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);

    // The rollout page: the canary runs alone, then the rollout pauses.
    const rollout = page.getByTestId('rollout-page');
    await expect(rollout).toHaveAttribute('data-name', 'wave 1');
    expect(page.url()).toMatch(/#\/rollouts\/[^/]+$/);
    await expect(rollout).toHaveAttribute('data-state', 'paused', { timeout: 90_000 });
    await expect(page.getByTestId('rollout-reason')).toContainText('canary batch is done');
    await expect(page.locator('[data-testid="rollout-batch"][data-canary]')).toHaveAttribute('data-state', 'done');
    await expect(page.locator('[data-testid="rollout-device"][data-state="done"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="rollout-device"][data-state="pending"]')).toHaveCount(2);
    await expect(page.getByTestId('rollout-pause')).toBeDisabled();
    await expect(page.getByTestId('rollout-resume')).toBeEnabled();
    await shootBoth(page, 'rollout-paused');

    // Resume, then pause while batch 1 acts (roll-2 answers slowly): "pausing…" until its device is done.
    await lab.setFaults('roll-2', { slowMs: 2000 });
    await page.getByTestId('rollout-resume').click();
    const roll2 = page.locator('[data-testid="rollout-device"][data-name="plant/roll-2"]');
    await expect(roll2).toHaveAttribute('data-state', 'running');
    await page.getByTestId('rollout-pause').click();
    await expect(page.getByTestId('rollout-state')).toHaveAttribute('data-requested', 'pause');
    await expect(page.getByTestId('rollout-state')).toHaveText('pausing…');
    await expect(page.getByTestId('rollout-requested')).toContainText('Pausing');
    await expect(page.getByTestId('rollout-pause')).toBeDisabled();
    await expect(roll2.getByTestId('rollout-device-phase')).toBeVisible();
    await shootBoth(page, 'rollout-pausing');
    await expect(rollout).toHaveAttribute('data-state', 'paused', { timeout: 60_000 });
    await expect(page.getByTestId('rollout-reason')).toContainText('Paused; resume to go on.');
    await expect(roll2).toHaveAttribute('data-state', 'done');
    await expect(page.locator('[data-testid="rollout-device"][data-name="plant/roll-3"]')).toHaveAttribute('data-state', 'pending');
    await lab.clearFaults('roll-2');

    // Resume: the last batch runs, each device verified on the new image.
    await page.getByTestId('rollout-resume').click();
    await expect(rollout).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    await expect(page.locator('[data-testid="toast"]').filter({ hasText: 'Rollout wave 1 done: 3 done, 0 failed' })).toBeVisible();
    const rows = page.getByTestId('rollout-device');
    await expect(rows).toHaveCount(3);
    for (let i = 0; i < 3; i++) {
      await expect(rows.nth(i)).toHaveAttribute('data-state', 'done');
      await expect(rows.nth(i).getByTestId('rollout-device-result')).toContainText(short(digest11));
    }
    await expect(page.getByTestId('rollout-counts').first()).toContainText('3 of 3 done');
    // Ended: nothing left to pause, resume or cancel.
    await expect(page.getByTestId('rollout-resume')).toHaveCount(0);
    await expect(page.getByTestId('rollout-cancel')).toHaveCount(0);
    // A device's row opens its job: phases and output.
    await rows.first().locator('td').first().click();
    await expect(page.getByTestId('rollout-device-job').getByTestId('job-panel')).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('job-log')).toContainText('bootc upgrade');
    await shootBoth(page, 'rollout-done');

    await expect.poll(() => notes(page)).toContain('Rollout wave 1 done: 3 done, 0 failed');
    expect((await notes(page)).some((n) => n.startsWith('Rollout wave 1 paused: 1 done, 0 failed'))).toBe(true);

    // The Rollouts page: the rollout, and its three batch jobs among the jobs.
    await page.getByTestId('back-to-rollouts').click();
    const row = page.getByTestId('rollout-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-state', 'done');
    await expect(row.getByTestId('rollout-counts')).toContainText('3 of 3 done');
    const jobs = page.locator('[data-testid="fleet-job"][data-kind="rollout"]');
    await expect(jobs).toHaveCount(3);
    for (let i = 0; i < 3; i++) await expect(jobs.nth(i)).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('job-device-link')).toHaveCount(3);
    await shootBoth(page, 'rollouts-page');
    // A row opens its rollout.
    await row.click();
    await expect(page.getByTestId('rollout-page')).toHaveAttribute('data-state', 'done');
  });

  test('a device that falls back to its old image halts the rollout, with the reason and its cause shown', async ({ page, serve }) => {
    test.setTimeout(180_000);
    const devices = lab.devices.filter((d) => d.name.startsWith('fail-'));
    await seed(serve, devices, 'wave2');

    await openApp(page, `${serve.url}#/rollouts`);
    await page.getByTestId('rollouts-new').click();
    await expect(page.getByTestId('wizard-preset')).toHaveCount(0);
    // A switch needs its image; a name the inventory does not know comes back from the plan onto its field.
    await page.getByTestId('wizard-action-switch').check();
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('error-rollout-image')).toHaveText('Enter the image to boot');
    await expect(page.getByTestId('wizard-body')).toHaveAttribute('data-step', '1');
    await page.getByTestId('wizard-action-upgrade').check();
    await page.getByTestId('wizard-mode-names').click();
    await page.getByTestId('field-rollout-names').fill('fail-1\nnope-9');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-body')).toHaveAttribute('data-step', '1');
    await expect(page.getByTestId('error-rollout-names')).toContainText('nope-9');
    await shoot(page, 'rollout-wizard-refused.png');
    await page.getByTestId('wizard-mode-filter').click();
    await page.getByTestId('wizard-tag-filter').selectOption('wave2');
    await expect(page.getByTestId('wizard-count')).toHaveAttribute('data-total', '2');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-batch-size').click();
    await page.getByTestId('field-rollout-batch').fill('1');
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-plan')).toHaveAttribute('data-state', 'ready');
    await expect(page.getByTestId('plan-batch').first().getByTestId('plan-device')).toHaveAttribute('data-name', 'plant/fail-1');
    await page.getByTestId('wizard-confirm-check').check();
    await page.getByTestId('wizard-start').click();

    const rollout = page.getByTestId('rollout-page');
    await expect(rollout).toHaveAttribute('data-state', 'halted', { timeout: 90_000 });
    await expect(page.getByTestId('rollout-reason')).toContainText('The canary batch had 1 failure, more than the 0 allowed');
    const failed = page.locator('[data-testid="rollout-device"][data-name="plant/fail-1"]');
    await expect(failed).toHaveAttribute('data-state', 'failed');
    await expect(failed.getByTestId('rollout-device-error')).toContainText('BOOTED_WRONG_IMAGE');
    await expect(page.locator('[data-testid="rollout-device"][data-name="plant/fail-2"]')).toHaveAttribute('data-state', 'pending');
    await expect(page.getByTestId('rollout-resume')).toBeEnabled();
    await expect(page.getByTestId('rollout-pause')).toBeDisabled();
    await expect(page.getByTestId('rollout-failed-only')).toContainText('Failed 1');
    await failed.locator('td').first().click();
    await expect(page.getByTestId('rollout-device-job').getByTestId('job-result')).toContainText('BOOTED_WRONG_IMAGE');
    await shootBoth(page, 'rollout-halted');

    // The Rollouts page shows the halt and its reason.
    await page.getByTestId('nav-rollouts').click();
    await expect(page.getByTestId('rollout-row')).toHaveAttribute('data-state', 'halted');
    await expect(page.getByTestId('rollout-row').getByTestId('rollout-reason')).toContainText('The canary batch had 1 failure');
    await expect(page.locator('[data-testid="fleet-job"][data-kind="rollout"]')).toHaveAttribute('data-state', 'failed');
    await shootBoth(page, 'rollouts-page-halted');

    // Cancel: the device not started is skipped.
    await page.getByTestId('rollout-row').click();
    await page.getByTestId('rollout-cancel').click();
    await shoot(page, 'rollout-cancel-confirm.png');
    await page.getByTestId('confirm-cancel-rollout').click();
    await expect(rollout).toHaveAttribute('data-state', 'canceled');
    await expect(page.getByTestId('rollout-state')).toHaveText('cancelled');
    await expect(page.locator('[data-testid="rollout-device"][data-name="plant/fail-2"]')).toHaveAttribute('data-state', 'skipped');
  });

  test('a switch rollout with Enforce signature policy (ticked for a desired image that requires signed images) runs bootc switch --enforce-container-sigpolicy', async ({ page, serve }) => {
    test.setTimeout(180_000);
    const devices = lab.devices.filter((d) => d.name === 'roll-1' || d.name === 'roll-2');
    await seed(serve, devices, 'wave3');
    const signed = lab.images.find((i) => i.tag === '1.0')!;
    const other = lab.images.find((i) => i.tag === '1.1')!;
    const set = await serve.cli(['desired', 'set', '--tag', 'wave3', signed.ref, '--require-signed', '--no-resolve']);
    expect(set.code, set.stderr).toBe(0);

    await openApp(page, `${serve.url}#/rollouts`);
    await page.getByTestId('rollouts-new').click();
    await page.getByTestId('wizard-tag-filter').selectOption('wave3');
    await expect(page.getByTestId('wizard-count')).toHaveAttribute('data-total', '2');
    await expect(page.getByTestId('wizard-enforce-signatures')).toHaveCount(0);
    await page.getByTestId('wizard-action-switch').check();
    const enforce = page.getByTestId('wizard-enforce-signatures');
    await expect(enforce).not.toBeChecked();
    await page.getByTestId('field-rollout-image').fill(other.ref);
    await expect(enforce).not.toBeChecked();
    await page.getByTestId('field-rollout-image').fill(signed.ref);
    await expect(enforce).toBeChecked();
    await expect(page.getByTestId('wizard-enforce-desired')).toBeVisible();
    await page.getByTestId('field-rollout-name').fill('signed 1.0');
    await shoot(page, 'rollout-wizard-signed.png');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-batch-size').click();
    await page.getByTestId('field-rollout-batch').fill('1');
    await page.getByTestId('wizard-stage-only').check();
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-plan')).toHaveAttribute('data-state', 'ready');
    await expect(page.getByTestId('wizard-summary-signatures')).toContainText('bootc switch --enforce-container-sigpolicy');
    await shoot(page, 'rollout-wizard-signed-review.png');
    await page.getByTestId('wizard-start').click();

    const rollout = page.getByTestId('rollout-page');
    await expect(rollout).toHaveAttribute('data-name', 'signed 1.0');
    await expect(page.getByTestId('rollout-signatures')).toContainText('signature policy enforced');
    await expect(rollout).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    const rows = page.getByTestId('rollout-device');
    await expect(rows).toHaveCount(2);
    for (let i = 0; i < 2; i++) await expect(rows.nth(i)).toHaveAttribute('data-state', 'done');
    await rows.first().locator('td').first().click();
    await expect(page.getByTestId('rollout-device-job').getByTestId('job-panel')).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('job-log')).toContainText('--enforce-container-sigpolicy');
    await shoot(page, 'rollout-signed-done.png');
    const status = await serve.cli(['rollout', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const listed = JSON.parse(status.stdout) as { name: string; enforceSignatures: boolean }[];
    expect(listed[0]).toMatchObject({ name: 'signed 1.0', enforceSignatures: true });
    for (const d of devices) {
      const state = (await lab.deviceState(d.name)) as { staged: { image: { image: string; signature?: unknown } } | null };
      expect(state.staged?.image).toMatchObject({ image: signed.ref, signature: 'containerPolicy' });
    }
  });
});
