/**
 * Device actions end to end against the device lab: on a device's page, Stage update shows the
 * plan (the device's staged/booted/rollback, steps, commands), runs with apply, and the job panel
 * follows it to a verified boot of the new image; then Roll back with apply returns it to the old
 * one. Switch image with Enforce signature policy (ticked for a desired image that requires signed
 * images) runs `bootc switch --enforce-container-sigpolicy`. Screenshots go to
 * e2e/.artifacts/screenshots (ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openApp, test } from './fixtures';
import { startLab, type Lab } from './lab';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the device actions e2e test needs root for the device lab');

/** What the UI shows of a digest: its first 12 hex characters. */
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

test.describe('device actions against the device lab', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1440, height: 900 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({ devices: [{ name: 'edge-1', bootcVersion: '1.16.9', rollbackImage: '1.0' }], rebootMs: 300 });
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('Stage update with apply boots the new image, verified; Roll back with apply returns to the old one', async ({ page, serve }) => {
    test.setTimeout(150_000);
    const d = lab.devices[0]!;
    const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
    expect(added.code, added.stderr).toBe(0);
    const refreshed = await serve.cli(['status', d.name, '--refresh']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
    const digest10 = image('1.0').digests.amd64!;
    const digest11 = image('1.1').digests.amd64!;
    await lab.retag('stable', '1.1');

    await openApp(page, `${serve.url}#/devices/${d.name}`);
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(digest10));
    await expect(page.getByTestId('recent-jobs')).toContainText('No actions yet');
    // Nothing staged: no Apply button; a rollback deployment exists: Roll back is offered.
    await expect(page.getByTestId('action-apply')).toHaveCount(0);
    await expect(page.getByTestId('action-rollback')).toBeVisible();

    // Stage update: the plan in the device's own terms, then confirm with apply.
    await page.getByTestId('action-upgrade').click();
    const plan = page.getByTestId('plan-dialog');
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-booted')).toContainText(short(digest10));
    await expect(page.getByTestId('plan-rollback')).toContainText(short(digest10));
    await expect(page.getByTestId('plan-staged')).toContainText('none');
    await expect(page.getByTestId('plan-commands')).toContainText('bootc upgrade');
    await expect(page.getByTestId('plan-confirm')).toBeEnabled();
    await page.getByTestId('plan-apply').check();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-steps')).toContainText('Reboot');
    // Rebooting needs the explicit confirmation first.
    await expect(page.getByTestId('plan-confirm')).toBeDisabled();
    await expect(page.getByTestId('plan-reason')).toBeVisible();
    await page.getByTestId('plan-confirm-check').check();
    await expect(page.getByTestId('plan-confirm')).toBeEnabled();
    await page.screenshot({ path: join(SHOTS, 'action-plan.png') });
    await page.getByTestId('plan-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    const panel = page.getByTestId('job-panel');
    await expect(panel).toBeVisible();
    await expect(page.getByTestId('job-log')).toContainText('bootc upgrade', { timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'action-running.png') });
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('job-result')).toContainText('as expected');
    await expect(page.getByTestId('job-result')).toContainText(short(digest11));
    await expect(page.getByTestId('job-phases')).toHaveAttribute('data-phase', 'finished');
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(digest11), { timeout: 15_000 });
    await expect(page.getByTestId('deployment-rollback-digest')).toContainText(short(digest10));
    await expect(page.locator('[data-testid="recent-job"][data-action="upgrade"]')).toHaveAttribute('data-state', 'done');
    await page.screenshot({ path: join(SHOTS, 'action-done.png') });

    // Roll back with apply: back on 1.0, verified.
    await page.getByTestId('action-rollback').click();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-booted')).toContainText(short(digest11));
    await expect(page.getByTestId('plan-rollback')).toContainText(short(digest10));
    await expect(page.getByTestId('plan-commands')).toContainText('bootc rollback');
    await page.getByTestId('plan-apply').check();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-confirm')).toBeDisabled();
    await page.getByTestId('plan-confirm-check').check();
    await page.getByTestId('plan-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('job-result')).toContainText('as expected');
    await expect(page.getByTestId('job-result')).toContainText(short(digest10));
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(digest10), { timeout: 15_000 });
    await expect(page.getByTestId('recent-job')).toHaveCount(2);
    await expect(page.locator('[data-testid="recent-job"][data-action="rollback"]')).toHaveAttribute('data-state', 'done');
    await page.screenshot({ path: join(SHOTS, 'rollback-done.png') });
  });

  test('Switch image with Enforce signature policy: ticked for a desired image that requires signed images, the plan and the job run bootc switch --enforce-container-sigpolicy', async ({ page, serve }) => {
    test.setTimeout(120_000);
    const d = lab.devices[0]!;
    const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
    expect(added.code, added.stderr).toBe(0);
    const refreshed = await serve.cli(['status', d.name, '--refresh']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
    const signed = image('1.1');
    // The device's own desired image requires signed images.
    const set = await serve.cli(['desired', 'set', '--device', d.name, signed.ref, '--require-signed', '--no-resolve']);
    expect(set.code, set.stderr).toBe(0);

    await openApp(page, `${serve.url}#/devices/${d.name}`);
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
    await page.getByTestId('action-switch').click();
    const form = page.getByTestId('switch-form');
    const enforce = form.getByTestId('switch-enforce-signatures');
    // Another image: not ticked; the desired one: ticked, and the dialog says why.
    await form.getByTestId('field-switch-image').fill(image('1.0').ref);
    await expect(enforce).not.toBeChecked();
    await expect(form.getByTestId('switch-enforce-desired')).toHaveCount(0);
    await form.getByTestId('field-switch-image').fill(signed.ref);
    await expect(enforce).toBeChecked();
    await expect(form.getByTestId('switch-enforce-desired')).toBeVisible();
    await expect(form).toContainText('--enforce-container-sigpolicy');
    await page.screenshot({ path: join(SHOTS, 'switch-dialog.png') });
    // Unticked by hand it stays so; ticked again for the switch.
    await enforce.uncheck();
    await form.getByTestId('field-switch-image').fill(`${signed.ref} `);
    await expect(enforce).not.toBeChecked();
    await enforce.check();
    await form.getByTestId('switch-plan').click();

    const plan = page.getByTestId('plan-dialog');
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-enforce-signatures')).toBeVisible();
    await expect(page.getByTestId('plan-commands')).toContainText('bootc switch --enforce-container-sigpolicy');
    await expect(page.getByTestId('plan-commands')).toContainText(signed.ref);
    await expect(page.getByTestId('plan-steps')).toContainText("only if the device's signature policy verifies it");
    await page.screenshot({ path: join(SHOTS, 'switch-plan-signed.png') });
    // Stage only: no reboot, no confirmation needed.
    await expect(page.getByTestId('plan-confirm')).toBeEnabled();
    await page.getByTestId('plan-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    const panel = page.getByTestId('job-panel');
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('job-log')).toContainText('--enforce-container-sigpolicy');
    const jobs = JSON.parse((await serve.cli(['jobs', 'list', '--json'])).stdout) as { action: string; params: Record<string, unknown> }[];
    expect(jobs[0]).toMatchObject({ action: 'switch', params: { image: signed.ref, enforceSignatures: true } });
    // The device's bootc staged it with the container signature policy.
    const state = (await lab.deviceState(d.name)) as { staged: { image: { image: string; signature?: unknown } } | null };
    expect(state.staged?.image).toMatchObject({ image: signed.ref, signature: 'containerPolicy' });
  });
});
