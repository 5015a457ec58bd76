/**
 * Provisioning a box end to end against the device lab: a box booted from "live media" (no bootc
 * deployment, root with a password, podman, two disks, the first holding a partition table) is
 * inspected on the Provision page with the password (refused, said loudly, while it presents
 * another host key, which is accepted once checked); its first disk is chosen with Wipe ticked and its name typed; the lab image is
 * installed with the lab key's public key loaded from its .pub file (the image step also offers an
 * archive, and the image library: empty, then an image imported with the CLI, which the review
 * shows sent as an archive); the review shows the exact command; the run stops for the installed
 * system's new host key, which is confirmed in the UI; the box boots the installed digest and its
 * device page shows it. Screenshots (light and dark) go to e2e/.artifacts/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { startLab, type Lab, type LabDevice } from './lab';
import { fingerprint } from './lab/keys';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the provisioning e2e test needs root for the device lab');

const PW = 'field tech 1';
/** What the UI shows of a digest: its first 12 hex characters. */
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Runs a command on the box's live system as root with OpenSSH, as a technician at a terminal would. */
function onBox(d: LabDevice, cmd: string): string {
  return execFileSync('ssh', ['-i', d.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `root@${d.host}`, cmd], {
    stdio: 'pipe',
  }).toString();
}

/** A screenshot of the whole page: the body scrolls inside the window, so the window grows for it. */
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

/** The same screenshot in the light and the dark theme (`NAME.png`, `NAME-dark.png`). */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shootTall(page, `${name}.png`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await shootTall(page, `${name}-dark.png`);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
}

test.describe('provisioning a box booted from live media', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1280, height: 860 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({
      rebootMs: 300,
      devices: [{ name: 'live-1', image: null, rootLogin: true, password: PW, podman: true, disks: [{ sizeMiB: 256 }, { sizeMiB: 128 }] }],
    });
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('inspect, choose a disk that holds data, review the command, install, confirm the new host key, and find the device', async ({ page, serve }) => {
    test.setTimeout(240_000);
    const d = lab.devices[0]!;
    const diskName = d.disks[0]!.replace(/^\/dev\//, '');
    const image = `${lab.registry!.host}/bootfleet/os:stable`;
    const digest = lab.images.find((i) => i.tag === '1.0')!.digests.amd64!;
    // The first disk holds a partition table: installing on it needs Wipe and its name typed.
    onBox(d, `printf 'label: gpt\\n,,L\\n' | sfdisk --quiet ${d.disks[0]}`);

    await openApp(page, `${serve.url}#/provision`);
    await expect(page.getByTestId('nav-provision')).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'boxes');
    await expect(page.getByTestId('recent-runs')).toContainText('Nothing provisioned yet');
    // Nothing typed: Next says what is missing.
    await expect(page.getByTestId('provision-next')).toBeDisabled();
    await expect(page.getByTestId('provision-missing')).toContainText('password');

    // 1. The box, with the bench's password; Inspect.
    await page.getByTestId('field-shared-password').fill(PW);
    await page.getByTestId('field-box-1-host').fill(d.host);
    await expect(page.getByTestId('provision-missing')).toContainText('Inspect the box');
    await page.getByTestId('box-1-inspect').click();
    const result = page.locator('[data-testid="box-card"][data-index="1"]').getByTestId('inspect-result');
    await expect(result).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(result).toHaveAttribute('data-method', 'podman');
    await expect(page.getByTestId('inspect-hostkey')).toHaveText(d.hostKeyFingerprint);
    await expect(page.getByTestId('inspect-privileged')).toHaveText('root');
    await expect(page.getByTestId('inspect-podman')).toHaveText(/^\d+\.\d+/);
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await shootBoth(page, 'provision-1-inspected');

    // A second box, unreachable: Inspect all runs both at once; each says what it found.
    await page.getByTestId('provision-add-box').click();
    await page.getByTestId('field-box-2-host').fill('127.0.0.1');
    await page.getByTestId('field-box-2-port').fill('1');
    await page.getByTestId('provision-inspect-all').click();
    const second = page.locator('[data-testid="box-card"][data-index="2"]').getByTestId('inspect-result');
    await expect(second).toHaveAttribute('data-state', 'error', { timeout: 30_000 });
    await expect(second).toHaveAttribute('data-code', 'SSH_UNREACHABLE');
    await expect(page.locator('[data-testid="box-card"][data-index="1"]').getByTestId('inspect-result')).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('provision-missing')).toContainText('Box 2: it could not be inspected');
    await shootTall(page, 'provision-1-two-boxes.png');
    await page.getByRole('button', { name: 'Remove box 2' }).click();
    await expect(page.getByTestId('box-card')).toHaveCount(1);
    await expect(page.getByTestId('provision-next')).toBeEnabled();

    // The box now presents another host key (as live media do after a restart): refused, said so
    // with both fingerprints, and accepted only once the technician says the console shows it.
    await lab.setFaults(d.name, { hostKeyChanged: true });
    let other: string;
    try {
      await page.getByTestId('box-1-inspect').click();
      await expect(result).toHaveAttribute('data-state', 'error', { timeout: 30_000 });
      await expect(result).toHaveAttribute('data-code', 'SSH_HOST_KEY_CHANGED');
      await expect(page.getByTestId('inspect-hostkey-changed')).toContainText('changed');
      await expect(page.getByTestId('inspect-hostkey-old')).toHaveText(d.hostKeyFingerprint);
      await expect(page.getByTestId('inspect-hostkey-new')).toHaveText(/^SHA256:/);
      await expect(page.getByTestId('inspect-hostkey-new')).not.toHaveText(d.hostKeyFingerprint);
      other = (await page.getByTestId('inspect-hostkey-new').textContent())!;
      await expect(page.getByTestId('provision-next')).toBeDisabled();
      await expect(page.getByTestId('inspect-hostkey-accept')).toBeDisabled();
      await shootBoth(page, 'provision-1-hostkey-changed');
      await page.getByTestId('inspect-hostkey-checked').check();
      await page.getByTestId('inspect-hostkey-accept').click();
      await expect(result).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
      await expect(page.getByTestId('inspect-hostkey')).toHaveText(other);
    } finally {
      await lab.clearFaults(d.name);
    }
    // Back to its first key: changed again, accepted again.
    await page.getByTestId('box-1-inspect').click();
    await expect(result).toHaveAttribute('data-code', 'SSH_HOST_KEY_CHANGED', { timeout: 30_000 });
    await expect(page.getByTestId('inspect-hostkey-old')).toHaveText(other);
    await expect(page.getByTestId('inspect-hostkey-new')).toHaveText(d.hostKeyFingerprint);
    await page.getByTestId('inspect-hostkey-checked').check();
    await page.getByTestId('inspect-hostkey-accept').click();
    await expect(result).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('inspect-hostkey')).toHaveText(d.hostKeyFingerprint);
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await page.getByTestId('provision-next').click();

    // 2. The disk: the one with a partition table needs Wipe and its name typed.
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'disks');
    await expect(page.getByTestId('disk-row')).toHaveCount(2);
    const first = page.locator(`[data-testid="disk-row"][data-path="${d.disks[0]}"]`);
    await expect(first).toHaveAttribute('data-needs-confirm', 'true');
    await expect(first).toContainText('gpt');
    await expect(page.locator(`[data-testid="disk-row"][data-path="${d.disks[1]}"]`)).toContainText('Empty');
    await first.getByTestId('disk-choose').check();
    await expect(page.getByTestId('provision-next')).toBeDisabled();
    await expect(page.getByTestId('provision-missing')).toContainText(`Wipe ${diskName}`);
    await page.getByTestId('disk-wipe').check();
    await expect(page.getByTestId('provision-missing')).toContainText(`Type “${diskName}”`);
    await page.getByTestId('disk-confirm').fill('sdz');
    await expect(page.getByTestId('provision-next')).toBeDisabled();
    await page.getByTestId('disk-confirm').fill(diskName);
    await expect(page.getByTestId('disk-confirm-panel')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await shootBoth(page, 'provision-2-disks');
    await page.getByTestId('provision-next').click();

    // 3. Image and options: the lab's public key loaded from its .pub file, the login after the install, the name.
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'options');
    await expect(page.getByTestId('provision-missing')).toContainText('Enter the image');
    await page.getByTestId('field-provision-image').fill(image);
    await page.getByTestId('provision-pub-file').setInputFiles(`${d.key}.pub`);
    await expect(page.getByTestId('field-provision-authorized-keys')).toHaveValue(readFileSync(`${d.key}.pub`, 'utf8').trim());
    // The login key, chosen with the in-app file browser (it opens in ~/.ssh; the lab's key is elsewhere).
    await page.getByRole('button', { name: 'Browse for the private key used after the install' }).click();
    const browser = page.getByRole('dialog');
    await expect(browser).toBeVisible();
    await browser.getByLabel('Location').fill(dirname(d.key));
    await browser.getByLabel('Location').press('Enter');
    await expect(page.getByTestId('file-browser')).toHaveAttribute('data-path', dirname(d.key));
    await browser.getByRole('button', { name: basename(d.key), exact: true }).click();
    await browser.getByRole('button', { name: 'Choose' }).click();
    await expect(browser).toBeHidden();
    await expect(page.getByTestId('field-provision-login-key')).toHaveValue(d.key);
    await expect(page.getByTestId('field-entry-1-name')).toHaveValue('edge-01');
    await expect(page.getByTestId('provision-accept-host-key')).not.toBeChecked();
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await shootBoth(page, 'provision-3-options');
    // Sites with no registry: the image can come from an archive uploaded to each box instead.
    await page.getByTestId('provision-source-archive').click();
    await expect(page.getByTestId('provision-next')).toBeDisabled();
    await expect(page.getByTestId('provision-missing')).toContainText('Correct the highlighted options');
    // `~/` is the home of the user Bootfleet runs as: the core expands it.
    await page.getByTestId('field-provision-archive').fill('~/os.oci.tar');
    await expect(page.getByTestId('error-provision-archive')).toHaveCount(0);
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await shootTall(page, 'provision-3-archive.png');
    // Or from the image library: empty at first, with the way to the Images page.
    await page.getByTestId('provision-source-library').click();
    await expect(page.getByTestId('provision-library-empty')).toBeVisible();
    await expect(page.getByTestId('provision-missing')).toContainText('Choose a library image');
    await expect(page.getByTestId('provision-next')).toBeDisabled();
    await shootTall(page, 'provision-3-library-empty.png');
    const named = `${lab.registry!.host}/bootfleet/os`;
    const imported = await serve.cli(['images', 'import', lab.images.find((i) => i.tag === '1.0')!.archive, '--name', named]);
    expect(imported.code, imported.stderr).toBe(0);
    await page.getByTestId('provision-library-empty').getByRole('link', { name: 'Import or pull an image' }).click();
    await expect(page.getByTestId('nav-images')).toHaveAttribute('aria-current', 'page');
    await page.getByTestId('nav-provision').click();
    // Back on the step (nothing typed is lost), the library is read again: its image is chosen
    // and the image the installed system follows is set from its NAME:TAG.
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'options');
    await expect(page.getByTestId('field-provision-library').locator('option:checked')).toContainText(`${named}:1.0`);
    await expect(page.getByTestId('field-provision-image')).toHaveValue(`${named}:1.0`);
    await expect(page.getByTestId('provision-library-hint')).toContainText('amd64');
    await expect(page.getByTestId('field-provision-login-key')).toHaveValue(d.key);
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await shootBoth(page, 'provision-3-library');
    await page.getByTestId('provision-next').click();
    // Its review: the library image, sent as an archive; the box installs from the archive it was sent.
    await expect(page.getByTestId('provision-review-source')).toHaveText(`${named}:1.0 from the image library, sent as an archive to each box; the installed system follows ${named}:1.0 for updates.`);
    await expect(page.getByTestId('plan-box')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('plan-command')).toContainText('--source-imgref oci-archive:');
    await expect(page.getByTestId('plan-command')).toContainText(`--target-imgref ${named}:1.0 ${d.disks[0]}`);
    await expect(page.getByTestId('plan-digest')).toContainText(digest);
    await shootTall(page, 'provision-4-review-library.png');
    // This box pulls from the registry after all, following the stable tag.
    await page.getByTestId('provision-back').click();
    await page.getByTestId('provision-source-registry').click();
    await page.getByTestId('field-provision-image').fill(image);
    await expect(page.getByTestId('provision-next')).toBeEnabled();
    await page.getByTestId('provision-next').click();

    // 4. Review: the exact command, the digest; Install.
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'review');
    const plan = page.getByTestId('plan-box');
    await expect(plan).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('plan-command')).toContainText('podman run --rm --privileged --pid=host');
    await expect(page.getByTestId('plan-command')).toContainText(`--wipe`);
    await expect(page.getByTestId('plan-command')).toContainText(`--target-imgref ${image} ${d.disks[0]}`);
    await expect(page.getByTestId('plan-digest')).toContainText(digest);
    await expect(page.getByTestId('provision-review-source')).toHaveText(`${image}, pulled by each box from its registry.`);
    await expect(page.getByTestId('provision-install')).toBeEnabled();
    await expect(page.getByTestId('provision-install-summary')).toContainText(`Everything on ${d.disks[0]} is erased`);
    await shootBoth(page, 'provision-4-review');
    await page.getByTestId('provision-install').click();

    // 5. Progress: the run stops for the installed system's new host key, confirmed here.
    await expect(page.getByTestId('provision-steps')).toHaveAttribute('data-step', 'progress');
    const card = page.getByTestId('run-card');
    await expect(card).toHaveCount(1);
    await expect(page.getByTestId('run-log')).toContainText('podman run', { timeout: 60_000 });
    await shootTall(page, 'provision-5-running.png');
    const hostKey = page.getByTestId('run-hostkey');
    await expect(hostKey).toBeVisible({ timeout: 120_000 });
    await expect(card).toHaveAttribute('data-phase', 'host-key');
    const installed = await fingerprint(join(d.dir, 'etc', 'host-key-installed.pub'));
    await expect(page.getByTestId('run-hostkey-fingerprint')).toHaveText(installed);
    await expect(hostKey).toContainText('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    await expect(page.locator('[data-testid="recent-run"][data-name="edge-01"]')).toContainText('waiting for you');
    await shootBoth(page, 'provision-5-host-key');
    await page.getByTestId('run-confirm-hostkey').click();
    await expect(card).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('run-result')).toContainText('as expected');
    await expect(page.getByTestId('run-booted-digest')).toContainText(short(digest));
    await expect(page.getByTestId('run-log')).toContainText('Installation complete!');
    await expect(page.getByTestId('run-log')).toContainText(`host key ${installed} confirmed`);
    await expect(page.getByTestId('provision-counts')).toContainText('1 of 1 box provisioned');
    await expect(page.locator('[data-testid="recent-run"][data-name="edge-01"]')).toHaveAttribute('data-state', 'done');
    await shootBoth(page, 'provision-6-done');

    // The recent run opens with its output; from there too, the device is one click away.
    const recent = page.locator('[data-testid="recent-run"][data-name="edge-01"]');
    await recent.getByTestId('recent-run-toggle').click();
    await expect(page.getByTestId('recent-runs').getByTestId('run-log')).toContainText('Installation complete!');
    await expect(recent.getByTestId('recent-run-device')).toHaveText('edge-01');
    await shootTall(page, 'provision-6-recent.png');
    await recent.getByTestId('recent-run-toggle').click();

    // The device page shows the new device, on the installed digest.
    await page.getByTestId('run-device-link').click();
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', 'edge-01');
    await expect(page.getByTestId('deployment-booted-digest')).toContainText(short(digest), { timeout: 15_000 });
    await shootTall(page, 'provision-7-device.png');
  });
});
