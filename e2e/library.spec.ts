/**
 * The image library end to end against the device lab, in a browser on `bootfleet serve`: on the
 * Images page, import the lab's 1.1 oci-archive (chosen with the in-app file browser) and pull 2.0
 * for linux/amd64 from the lab registry; the image view lists platforms and layers; a device
 * switches to 1.1 from the library (sent over SSH, then staged and booted, verified); the
 * library then says where 1.1 is deployed; export 1.1; remove 2.0. Screenshots go to
 * e2e/.artifacts/screenshots (ignored by git).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { startLab, type Lab } from './lab';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the image library e2e test needs root for the device lab');

/** What the UI shows of a digest: its first 12 hex characters. */
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

const row = (page: Page, ref: string) => page.locator(`[data-testid="library-row"][data-ref="${ref}"]`);

/** A screenshot of the whole scrolling page body (taller than the viewport when it must be). */
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

/** Light, then dark, then back. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shootTall(page, `${name}.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  await shootTall(page, `${name}-dark.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
}

test.describe('image library against the device lab', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1440, height: 900 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({
      devices: [
        { name: 'edge-1', bootcVersion: '1.16.9', image: '1.0' },
        { name: 'edge-2', bootcVersion: '1.16.9', image: '1.0' },
        { name: 'edge-3', bootcVersion: '1.12.0', image: '1.0' },
      ],
      rebootMs: 300,
    });
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('import and pull into the library, switch a device from it over SSH, export, remove', async ({ page, serve }) => {
    test.setTimeout(180_000);
    const d = lab.devices.find((x) => x.name === 'edge-1')!;
    const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
    expect(added.code, added.stderr).toBe(0);
    const refreshed = await serve.cli(['status', d.name, '--refresh']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
    const v11 = image('1.1');
    const v20 = image('2.0');
    const repo = `${lab.registry!.host}/bootfleet/os`;
    const ref11 = `${repo}:1.1`;
    const ref20 = `${repo}:2.0`;

    // What the server pushes goes through here: the job's phases are noted, and once an event
    // `freezeWhen` picks has gone to the page, what follows waits (`hold`) until `release()`: the
    // page stays as that event left it, for a look and a screenshot, then catches up in order.
    const phases: string[] = [];
    let freezeWhen: ((name: string, payload: Record<string, unknown>) => boolean) | null = null;
    let hold = false;
    let held: (() => void)[] = [];
    await page.routeWebSocket(/\/ws(\?.*)?$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        let freeze = false;
        if (typeof message === 'string' && message.includes('"event"')) {
          const frame = JSON.parse(message) as { t: string; name: string; payload: Record<string, unknown> };
          if (frame.t === 'event' && frame.name === 'job.updated') {
            const dev = (frame.payload.devices as { phase: string }[])[0];
            if (dev && phases.at(-1) !== dev.phase) phases.push(dev.phase);
          }
          if (frame.t === 'event' && freezeWhen?.(frame.name, frame.payload)) {
            freeze = true;
            freezeWhen = null;
          }
        }
        if (hold) held.push(() => ws.send(message));
        else ws.send(message);
        if (freeze) hold = true;
      });
      ws.onMessage((message) => server.send(message));
    });
    const release = (): void => {
      hold = false;
      const queued = held;
      held = [];
      for (const send of queued) send();
    };

    await openApp(page, `${serve.url}#/images`);
    await expect(page.getByTestId('nav-images')).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('library-summary')).toHaveText(/^0 images, 0 B on disk/);
    await expect(page.getByTestId('empty-state')).toContainText('The image library is empty');
    await page.screenshot({ path: join(SHOTS, 'library-empty.png') });

    // A path that is not there: the import fails and says why.
    await page.getByTestId('library-import').first().click();
    await page.getByTestId('field-library-import-path').fill('/nonexistent/os.oci.tar');
    await page.getByTestId('library-import-start').click();
    const badImport = page.locator('[data-testid="library-op"][data-op="import"][data-ref="/nonexistent/os.oci.tar"]');
    await expect(badImport).toHaveAttribute('data-state', 'failed');
    await expect(badImport.getByTestId('library-op-result')).toContainText('/nonexistent/os.oci.tar');
    await badImport.getByTestId('library-op-dismiss').click();
    await expect(badImport).toHaveCount(0);

    // Import 1.1 from its oci-archive, chosen with the file browser, named as the registry names it.
    await page.getByTestId('library-import').first().click();
    await page.getByTestId('library-import-browse').click();
    const browser = page.getByTestId('file-browser');
    await expect(browser).toBeVisible();
    await page.getByTestId('file-browser-location').fill(dirname(v11.archive));
    await page.getByTestId('file-browser-location').press('Enter');
    await expect(browser).toHaveAttribute('data-path', dirname(v11.archive));
    await browser.locator(`[data-testid="file-entry"][data-name="${basename(v11.archive)}"] button`).click();
    await expect(page.getByTestId('file-browser-chosen')).toHaveText(v11.archive);
    await page.screenshot({ path: join(SHOTS, 'library-import-browse.png') });
    await page.getByTestId('file-browser-choose').click();
    await expect(browser).toBeHidden();
    await expect(page.getByTestId('field-library-import-path')).toHaveValue(v11.archive);
    await page.getByTestId('field-library-import-name').fill(repo);
    await page.screenshot({ path: join(SHOTS, 'library-import-dialog.png') });
    await page.getByTestId('library-import-start').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    const imported = page.locator(`[data-testid="library-op"][data-op="import"][data-ref="${v11.archive}"]`);
    await expect(imported).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(imported.getByTestId('library-op-result')).toContainText(`Imported ${ref11}`);
    await expect(row(page, ref11)).toBeVisible();
    await expect(row(page, ref11).getByTestId('image-version')).toHaveText(v11.version);
    await expect(row(page, ref11).getByTestId('image-archs')).toHaveText(/amd64.*arm64|arm64.*amd64/);
    await expect(row(page, ref11).getByTestId('short-digest')).toHaveText(short(v11.indexDigest));
    await expect(row(page, ref11).getByTestId('image-deployed')).toHaveText('nowhere');
    await expect(page.getByTestId('library-summary')).toHaveText(/^1 image, .+ on disk/);

    // Pull 2.0 for linux/amd64 from the lab registry: progress in bytes, then done.
    await page.getByTestId('library-pull').click();
    await page.getByTestId('field-library-pull-ref').fill(ref20);
    await page.getByTestId('field-library-pull-platform').selectOption('linux/amd64');
    await page.screenshot({ path: join(SHOTS, 'library-pull-dialog.png') });
    freezeWhen = (name, p) => name === 'library.progress' && p.op === 'pull' && (p.total as number) > 0;
    await page.getByTestId('library-pull-start').click();
    const pulled = page.locator(`[data-testid="library-op"][data-op="pull"][data-ref="${ref20}"]`);
    await expect(pulled).toBeVisible();
    // Held at its first progress: bytes of the total (the base layer 1.1 shares is not fetched again).
    await expect.poll(() => hold, { timeout: 30_000 }).toBe(true);
    await expect(pulled).toHaveAttribute('data-state', 'running');
    await expect(pulled.getByTestId('library-op-progress-line')).toContainText(/of .+ downloaded/);
    await expect(pulled.getByTestId('library-op-cancel')).toBeEnabled();
    await page.screenshot({ path: join(SHOTS, 'library-pull-progress.png') });
    release();
    await expect(pulled).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(pulled.getByTestId('library-op-result')).toContainText(`Pulled ${ref20} (amd64`);
    await expect(row(page, ref20).getByTestId('image-version')).toHaveText(v20.version);
    await expect(row(page, ref20).getByTestId('image-archs')).toHaveText('amd64');
    // One platform: the image is that platform's manifest.
    await expect(row(page, ref20).getByTestId('short-digest')).toHaveText(short(v20.digests.amd64!));
    await expect(page.getByTestId('library-summary')).toHaveText(/^2 images, .+ on disk \(\d+ blobs/);
    await shootBoth(page, 'library-page');

    // The image view: platforms with manifest digests and layers.
    await row(page, ref11).getByTestId('image-name').click();
    await expect(page.getByTestId('image-page')).toBeVisible();
    await expect(page.getByTestId('image-title')).toHaveText(ref11);
    await expect(page.getByTestId('image-digest')).toHaveText(v11.indexDigest);
    await expect(page.getByTestId('image-platform')).toHaveCount(2);
    const amd64 = page.locator('[data-testid="image-platform"][data-platform="linux/amd64"]');
    await expect(amd64.getByTestId('short-digest').first()).toHaveText(short(v11.digests.amd64!));
    await expect(amd64.getByTestId('image-platform-layers')).toHaveText('2');
    await amd64.getByTestId('image-platform-toggle').click();
    await expect(page.getByTestId('image-layers').locator('li')).toHaveCount(2);
    await expect(page.getByTestId('image-source')).toContainText(v11.archive);
    await expect(page.getByTestId('image-devices')).toContainText('No device');
    await shootBoth(page, 'library-image');

    // The device switches to 1.1 from the library: the plan, then sent over SSH, staged, booted, verified.
    await page.goto(`${serve.url}#/devices/${d.name}`);
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(image('1.0').digests.amd64!));
    await page.getByTestId('action-switch').click();
    await page.getByTestId('switch-via-library').check();
    const select = page.getByTestId('field-switch-library');
    await expect(select).toBeVisible();
    const value = await select.locator(`option[data-ref="${ref11}"]`).getAttribute('value');
    await select.selectOption(value!);
    await expect(page.getByTestId('switch-library-hint')).toContainText('/var/lib/bootfleet/images');
    await page.screenshot({ path: join(SHOTS, 'library-switch-dialog.png') });
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await page.screenshot({ path: join(SHOTS, 'library-switch-dialog-dark.png') });
    await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
    await page.getByTestId('switch-plan').click();
    const plan = page.getByTestId('plan-dialog');
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-target')).toHaveAttribute('data-via', 'library');
    await expect(page.getByTestId('plan-steps')).toContainText('from the library');
    await expect(page.getByTestId('plan-commands')).toContainText('/var/lib/bootfleet/images:1.1');
    await page.getByTestId('plan-apply').check();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await page.getByTestId('plan-confirm-check').check();
    await page.screenshot({ path: join(SHOTS, 'library-switch-plan.png') });
    freezeWhen = (name, p) => name === 'job.updated' && (p.devices as { phase: string; transfer: unknown }[]).some((x) => x.phase === 'transferring' && x.transfer);
    await page.getByTestId('plan-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    const panel = page.getByTestId('job-panel');
    await expect(panel).toBeVisible();
    // Held at the transfer: the panel shows it, with its bytes.
    await expect.poll(() => hold, { timeout: 30_000 }).toBe(true);
    await expect(page.getByTestId('job-phases')).toHaveAttribute('data-phase', 'transferring');
    await expect(page.getByTestId('job-transfer-line')).toContainText('on the device');
    await page.screenshot({ path: join(SHOTS, 'library-switch-transferring.png') });
    release();
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('job-result')).toContainText('as expected');
    await expect(page.getByTestId('job-result-digest')).toHaveText(short(v11.digests.amd64!));
    await expect(page.getByTestId('job-transfer')).toHaveAttribute('data-done', 'true');
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(v11.digests.amd64!), { timeout: 15_000 });
    expect(phases).toContain('transferring');
    expect(phases.indexOf('transferring')).toBeLessThan(phases.indexOf('staging'));
    await shootBoth(page, 'library-switch-done');

    // Switching again: the device now follows its library layout, so the library is offered first;
    // the registry choice still plans a plain `bootc switch` of a reference.
    await page.getByTestId('action-switch').click();
    await expect(page.getByTestId('switch-via-library')).toBeChecked();
    await page.getByTestId('switch-via-device').check();
    await page.getByTestId('switch-plan').click();
    await expect(page.getByTestId('error-switch-image')).toBeVisible();
    await page.getByTestId('field-switch-image').fill(ref20);
    await page.getByTestId('switch-plan').click();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-target')).toHaveAttribute('data-via', 'device');
    await expect(page.getByTestId('plan-commands')).toContainText(ref20);
    await expect(page.getByTestId('plan-commands')).not.toContainText('/var/lib/bootfleet/images');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // Back on Images: 1.1 is booted on one device, and its view names it.
    await page.getByTestId('nav-images').click();
    await expect(row(page, ref11).getByTestId('image-deployed')).toHaveText('1 booted', { timeout: 15_000 });
    await expect(row(page, ref20).getByTestId('image-deployed')).toHaveText('nowhere');
    await row(page, ref11).getByTestId('image-deployed').click();
    await expect(page.locator(`[data-testid="image-device"][data-name="${d.name}"]`)).toHaveAttribute('data-slot', 'booted');
    await page.locator(`[data-testid="image-device"][data-name="${d.name}"] a`).click();
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
    await page.getByTestId('nav-images').click();

    // Export 1.1 as an oci-archive into a folder chosen with the file browser.
    const outDir = join(serve.dataDir, 'export');
    mkdirSync(outDir);
    await row(page, ref11).getByTestId('image-export').click();
    await page.getByTestId('library-export-browse').click();
    await page.getByTestId('file-browser-location').fill(outDir);
    await page.getByTestId('file-browser-location').press('Enter');
    await expect(page.getByTestId('file-browser')).toHaveAttribute('data-path', outDir);
    await page.getByTestId('file-browser-choose-folder').click();
    await expect(page.getByTestId('file-browser')).toBeHidden();
    const outFile = join(outDir, 'os-1.1.oci.tar');
    await expect(page.getByTestId('field-library-export-path')).toHaveValue(outFile);
    await page.screenshot({ path: join(SHOTS, 'library-export-dialog.png') });
    await page.getByTestId('library-export-start').click();
    const exported = page.locator('[data-testid="library-op"][data-op="export"]');
    await expect(exported).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(exported.getByTestId('library-op-result')).toContainText(`Wrote ${outFile}`);
    expect(existsSync(outFile) && statSync(outFile).size > 0).toBe(true);

    // Remove 2.0: the confirmation says what it frees (the base layer it shares with 1.1 stays).
    await row(page, ref20).getByTestId('image-remove').click();
    await expect(page.getByTestId('library-remove-freed')).toContainText('This frees');
    await expect(page.getByTestId('library-remove-freed')).toContainText('other images share');
    await page.screenshot({ path: join(SHOTS, 'library-remove.png') });
    await page.getByTestId('library-remove-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(row(page, ref20)).toHaveCount(0);
    await expect(row(page, ref11)).toBeVisible();
    await expect(page.getByTestId('library-summary')).toHaveText(/^1 image, .+ on disk/);
    await shootBoth(page, 'library-after');
    // A narrower window: the table and the operation's card still fit.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.screenshot({ path: join(SHOTS, 'library-narrow.png') });
  });
  test('upgrade from the library on the device page; a rollout from the library, one archive per device, at a capped rate', async ({ page, serve }) => {
    test.setTimeout(240_000);
    const repo = `${lab.registry!.host}/bootfleet/os`;
    const stable = `${repo}:stable`;
    const image = (tag: string) => lab.images.find((i) => i.tag === tag)!;
    const cli = async (args: string[]) => {
      const r = await serve.cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    for (const name of ['edge-2', 'edge-3']) {
      const d = lab.devices.find((x) => x.name === name)!;
      await cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
    }
    // edge-2 follows "stable" from the library (1.1); then the library's "stable" moves to 2.0.
    await cli(['images', 'import', image('1.1').archive, '--name', repo, '--tag', 'stable']);
    await cli(['switch', 'edge-2', stable, '--via', 'library', '--apply', '--yes', '--wait', '60']);
    await cli(['images', 'import', image('2.0').archive, '--name', repo, '--tag', 'stable']);

    // The device page names the registry image, not only the path on the device.
    await openApp(page, `${serve.url}#/devices/edge-2`);
    await expect(page.getByTestId('deployment-booted-as')).toContainText(stable);
    await expect(page.getByTestId('deployment-booted').getByTestId('via-library')).toBeVisible();
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(image('1.1').digests.amd64!));

    // Stage update: the library is offered first (the device follows a library path); the plan runs bootc upgrade.
    await page.getByTestId('action-upgrade').click();
    const plan = page.getByTestId('plan-dialog');
    await expect(page.getByTestId('upgrade-via-library')).toBeChecked();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('plan-target')).toHaveAttribute('data-via', 'library');
    await expect(page.getByTestId('plan-steps')).toContainText(`Send the blobs of the library's ${stable} the device lacks`);
    await expect(page.getByTestId('plan-commands')).toContainText('bootc upgrade');
    await page.getByTestId('field-upgrade-rate').fill('0.0001');
    await expect(page.getByTestId('error-upgrade-rate')).toContainText('at least 1 KiB/s');
    await page.getByTestId('field-upgrade-rate').fill('20');
    await expect(page.getByTestId('error-upgrade-rate')).toHaveCount(0);
    await expect(page.getByTestId('plan-send')).toContainText('20 MB/s');
    await page.getByTestId('plan-apply').check();
    await expect(plan).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await page.getByTestId('plan-confirm-check').check();
    await shootBoth(page, 'library-upgrade-plan');
    await page.getByTestId('plan-confirm').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    const panel = page.getByTestId('job-panel');
    await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('job-result-digest')).toHaveText(short(image('2.0').digests.amd64!));
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(image('2.0').digests.amd64!), { timeout: 15_000 });
    await expect(page.getByTestId('deployment-booted-as')).toContainText(stable);
    await shootBoth(page, 'library-upgrade-done');

    // The devices table shows the registry name with the library marker.
    await page.getByTestId('nav-devices').click();
    const edge2 = page.locator('[data-testid="device-row"][data-name="edge-2"]');
    await expect(edge2).toContainText('bootfleet/os:stable');
    await expect(edge2.getByTestId('via-library')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'library-devices-table.png') });

    // A rollout from the library to edge-3: one oci-archive file, at most 5 MB/s.
    await page.getByTestId('nav-rollouts').click();
    await page.getByTestId('rollouts-new').click();
    await page.getByTestId('wizard-mode-names').click();
    await page.getByTestId('field-rollout-names').fill('edge-3');
    await page.getByTestId('wizard-action-switch').check();
    await page.getByTestId('wizard-via-library').check();
    const select = page.getByTestId('field-rollout-library');
    await select.selectOption((await select.locator(`option[data-ref="${stable}"]`).getAttribute('value'))!);
    await page.getByTestId('wizard-format-oci-archive').check();
    await page.getByTestId('field-rollout-rate').fill('5');
    await shootBoth(page, 'library-rollout-wizard');
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-body')).toHaveAttribute('data-step', '2');
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('wizard-plan')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(page.getByTestId('wizard-summary-source')).toHaveAttribute('data-via', 'library');
    await expect(page.getByTestId('wizard-summary-source')).toContainText('one oci-archive file');
    await expect(page.getByTestId('wizard-summary-source')).toContainText('5 MB/s');
    await page.screenshot({ path: join(SHOTS, 'library-rollout-review.png') });
    await page.getByTestId('wizard-confirm-check').check();
    await page.getByTestId('wizard-start').click();
    const rollout = page.getByTestId('rollout-page');
    await expect(page.getByTestId('rollout-source')).toContainText('from the image library');
    await expect(page.getByTestId('rollout-source')).toContainText('5 MB/s');
    await expect(rollout).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.locator('[data-testid="rollout-device"][data-name="edge-3"]')).toHaveAttribute('data-state', 'done');
    await shootBoth(page, 'library-rollout-done');
    const shown = JSON.parse((await cli(['status', 'edge-3', '--json'])).stdout) as { bootedAs: string; booted: { transport: string; digest: string } }[];
    expect(shown[0]).toMatchObject({ bootedAs: stable, booted: { transport: 'oci-archive', digest: image('2.0').digests.amd64 } });
  });
});