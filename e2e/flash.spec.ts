/**
 * Flashing install media end to end, with real loop devices as drives: an ISO made with xorriso
 * (label BOOTC_LIVE, with a bootc-image-builder style kickstart naming the image it installs) and a
 * SHA256SUMS next to it is chosen with the in-app file browser, matched,
 * and written to two 32 MiB loop devices at once and verified; a 1 MiB loop device is shown but
 * refused as too small. The drives then hold the ISO byte for byte (read back with node:fs), the
 * history records it, and the notice module reports the end. A wrong pasted SHA-256 refuses
 * writing; a flash cancelled while writing leaves its drive stated as partially written.
 * Loop devices need root: the suite is skipped without it, except in CI where it must run.
 * Screenshots go to e2e/.artifacts/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** Loop devices need root; CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the flash e2e test needs root for loop devices');

const MiB = 1024 * 1024;
/** The container image the test ISO's kickstart installs. */
const BOOTC_REF = 'registry.example.com/fleet/edge-os:stable';

/** Writes `size` random bytes to a file, 16 MiB at a time. */
function randomFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let left = size; left > 0; left -= 16 * MiB) writeSync(fd, randomBytes(Math.min(left, 16 * MiB)));
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes of a block device, read with node:fs. */
function readHead(device: string, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(device, 'r');
  try {
    let off = 0;
    while (off < length) {
      const n = readSync(fd, buf, off, length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the Notification API with a recorder (permission asked: granted) and makes every flash
 * count as long, so the notice module's desktop notification can be checked.
 */
async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __notes: string[] };
    w.__notes = [];
    class Recorder {
      static permission: NotificationPermission = 'default';
      static requestPermission(): Promise<NotificationPermission> {
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

const driveRow = (page: Page, path: string): Locator => page.locator(`[data-testid="drive-row"][data-path="${path}"]`);
const target = (page: Page, path: string): Locator => page.locator(`[data-testid="flash-target"][data-path="${path}"]`);

/** Chooses a file with the in-app file browser: types the folder, opens it, clicks the file, Choose. */
async function chooseWithBrowser(page: Page, button: Locator, folder: string, name: string, shot?: string): Promise<void> {
  await button.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Location').fill(folder);
  await dialog.getByLabel('Location').press('Enter');
  await expect(page.getByTestId('file-browser')).toHaveAttribute('data-path', folder);
  await dialog.getByRole('button', { name, exact: true }).click();
  await expect(page.getByTestId('file-browser-chosen')).toHaveText(join(folder, name));
  if (shot) await page.screenshot({ path: join(SHOTS, shot) });
  await dialog.getByRole('button', { name: 'Choose' }).click();
  await expect(dialog).toBeHidden();
}

test.describe('flashing install media to loop devices', () => {
  test.skip(!canRun, 'Loop devices need root: run as root or in CI.');
  test.use({ viewport: { width: 1280, height: 900 } });

  let dir: string;
  let iso: string;
  /** Loop devices attached by this suite, detached by path afterwards. */
  const loops: string[] = [];
  let big: string;
  let small: string;

  const attach = (size: string, name: string): string => {
    const backing = join(dir, name);
    execFileSync('truncate', ['-s', size, backing]);
    const dev = execFileSync('losetup', ['--find', '--show', backing], { encoding: 'utf8' }).trim();
    loops.push(dev);
    return dev;
  };

  test.beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'bootfleet-flash-'));
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    randomFile(join(tree, 'payload.bin'), 4 * MiB);
    // Kickstarts as bootc-image-builder's anaconda-iso lays them out: the image the installed system follows.
    writeFileSync(join(tree, 'osbuild-base.ks'), 'ostreecontainer --url=/run/install/repo/container --transport=oci --no-signature-verification\n');
    writeFileSync(
      join(tree, 'osbuild.ks'),
      `%include /run/install/repo/osbuild-base.ks\nreqpart --add-boot\npart / --fstype=ext4 --grow\nreboot --eject\n%post\nbootc switch --mutate-in-place --transport registry ${BOOTC_REF}\n%end\n`,
    );
    iso = join(dir, 'live.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-o', iso, tree], { stdio: 'ignore' });
    // GNU format, as sha256sum writes it, run in the image's folder.
    writeFileSync(join(dir, 'SHA256SUMS'), execFileSync('sha256sum', ['live.iso'], { cwd: dir, encoding: 'utf8' }));
    big = attach('32M', 'stick-a.img');
    attach('32M', 'stick-b.img');
    small = attach('1M', 'tiny.img');
  });

  const detach = (dev: string): void => {
    execFileSync('losetup', ['-d', dev]);
    loops.splice(loops.indexOf(dev), 1);
  };

  test.afterAll(() => {
    for (const dev of loops.splice(0)) {
      try {
        execFileSync('losetup', ['-d', dev]);
      } catch (err) {
        console.error(`could not detach ${dev}:`, err);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a checked ISO is written to two loop devices at once, verified and recorded', async ({ page, serve }) => {
    const [a, b] = [loops[0]!, loops[1]!];
    expect(a).toBe(big);
    await recordNotifications(page);
    await openApp(page, `${serve.url}#/fleet`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flash' }).click();
    await expect(page.getByRole('heading', { name: 'Flash', level: 1 })).toBeVisible();
    await expect(page.getByTestId('nav-flash')).toHaveAttribute('aria-current', 'page');
    await expect(page).toHaveURL(/#\/flash$/);

    // Step 1: the image, chosen with the in-app browser; the core reads its label and matches SHA256SUMS.
    await chooseWithBrowser(page, page.getByTestId('flash-browse'), dir, 'live.iso', 'flash-browser.png');
    await expect(page.getByLabel('Image file', { exact: true })).toHaveValue(iso);
    const info = page.getByTestId('image-info');
    await expect(info).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('image-label')).toHaveText('BOOTC_LIVE');
    await expect(info).toContainText('ISO 9660');
    await expect(page.getByTestId('image-bootc')).toContainText(BOOTC_REF);
    await expect(page.getByTestId('image-bootc')).toContainText('Installs the bootc image');
    const verdict = page.getByTestId('checksum-verdict');
    await expect(verdict).toHaveAttribute('data-result', 'matched');
    await expect(verdict).toContainText('SHA-256 matched');
    await expect(verdict).toContainText(join(dir, 'SHA256SUMS'));
    const isoSha = execFileSync('sha256sum', [iso], { encoding: 'utf8' }).split(' ')[0]!;
    await expect(verdict).toContainText(isoSha);

    // Step 2: loop devices appear only with "Show all drives"; the 1 MiB one is refused as too small.
    await expect(driveRow(page, a)).toHaveCount(0);
    await page.getByLabel('Show all drives').check();
    await expect(driveRow(page, a)).toBeVisible();
    await expect(driveRow(page, b)).toBeVisible();
    const tiny = driveRow(page, small);
    await expect(tiny).toHaveAttribute('data-disabled', 'true');
    await expect(tiny.getByTestId('drive-problem')).toHaveAttribute('data-code', 'too-small');
    await expect(tiny.getByTestId('drive-problem')).toContainText('Cannot be written: it is 1.0 MB, smaller than the');
    await expect(tiny.getByRole('checkbox')).toBeDisabled();

    // Nothing chosen yet: Write says what is missing.
    await expect(page.getByTestId('flash-write-button')).toBeDisabled();
    await expect(page.getByTestId('flash-write-summary')).toContainText('Choose at least one drive.');
    await driveRow(page, a).getByRole('checkbox').check();
    await driveRow(page, b).getByRole('checkbox').check();
    await expect(page.getByTestId('drives-selected')).toHaveText('2 drives chosen');
    await expect(page.getByLabel('Verify after writing')).toBeChecked();
    await expect(page.getByTestId('flash-write-summary')).toContainText('Writes live.iso');
    await shootTall(page, 'flash-ready.png');

    // Unticking verification warns; it is ticked again.
    await page.getByLabel('Verify after writing').uncheck();
    await expect(page.getByTestId('flash-verify-off')).toContainText('nothing will prove the drive holds the image');
    await page.getByLabel('Verify after writing').check();
    await expect(page.getByTestId('flash-verify-off')).toHaveCount(0);

    // Step 3: Write asks first, listing what is erased.
    await page.getByRole('button', { name: 'Write 2 drives…' }).click();
    const confirm = page.getByRole('dialog');
    await expect(confirm).toContainText('Erase 2 drives and write live.iso?');
    await expect(confirm.getByTestId('flash-confirm-drive')).toHaveCount(2);
    await expect(confirm.locator(`[data-testid="flash-confirm-drive"][data-path="${a}"]`)).toContainText('Loop device 33.6 MB (LOOP)');
    await expect(confirm).toContainText('SHA-256 matched');
    await page.screenshot({ path: join(SHOTS, 'flash-confirm.png') });
    await confirm.getByRole('button', { name: 'Erase and write' }).click();
    await expect(confirm).toBeHidden();

    // Each drive: written, flushed, read back and compared.
    const run = page.getByTestId('flash-run');
    await expect(run).toBeVisible();
    for (const dev of [a, b]) {
      await expect(target(page, dev)).toHaveAttribute('data-phase', 'done', { timeout: 30_000 });
      await expect(target(page, dev).getByTestId('flash-target-condition')).toHaveText('written and verified');
    }
    await expect(run).toHaveAttribute('data-state', 'done');
    await expect(run.getByRole('heading')).toContainText('Wrote live.iso');
    await expect(page.getByTestId('toast').filter({ hasText: 'live.iso written to 2 drives and verified' })).toBeVisible();
    expect(await notes(page)).toContain('live.iso written to 2 drives and verified');

    // The history says which stick carries which image.
    const row = page.getByTestId('flash-history-row').first();
    await expect(row).toHaveAttribute('data-state', 'done');
    await expect(row).toHaveAttribute('data-image', 'live.iso');
    await expect(row.getByTestId('flash-history-checksum')).toHaveText('matched');
    await expect(row).toContainText(isoSha.slice(0, 12));
    await expect(row.getByTestId('flash-history-target')).toHaveCount(2);
    for (const dev of [a, b]) {
      const t = row.locator(`[data-testid="flash-history-target"][data-path="${dev}"]`);
      await expect(t).toContainText('written and verified');
      await expect(t).toHaveAttribute('data-verified', 'true');
    }
    // The notices have said their piece; out of the way of the screenshot.
    while ((await page.getByTestId('toast').count()) > 0) await page.getByTestId('toast').first().getByRole('button', { name: 'Dismiss' }).click();
    await shootTall(page, 'flash-done.png');
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await shootTall(page, 'flash-done-dark.png');
    await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));

    // The drives hold the ISO, byte for byte.
    const bytes = readFileSync(iso);
    for (const dev of [a, b]) expect(readHead(dev, bytes.length).equals(bytes), `${dev} holds live.iso`).toBe(true);

    // "Verify" reads a drive back against the image (and says when it does not hold it).
    await driveRow(page, a).getByRole('button', { name: `Verify ${a} against the image` }).click();
    await expect(driveRow(page, a).getByTestId('drive-verify-result')).toHaveAttribute('data-state', 'match', { timeout: 20_000 });
    await expect(driveRow(page, a).getByTestId('drive-verify-result')).toContainText('Holds live.iso');
    await driveRow(page, small).getByRole('button', { name: `Verify ${small} against the image` }).click();
    await expect(driveRow(page, small).getByTestId('drive-verify-result')).toHaveAttribute('data-state', 'differs', { timeout: 20_000 });
  });

  test('a pasted SHA-256 that does not match refuses writing', async ({ page, serve }) => {
    await openApp(page, `${serve.url}#/flash`);
    // A path typed (or pasted) works as well as the browser.
    await page.getByLabel('Image file', { exact: true }).fill(iso);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(page.getByTestId('checksum-verdict')).toHaveAttribute('data-result', 'matched');

    await page.getByLabel('Show all drives').check();
    await driveRow(page, big).getByRole('checkbox').check();
    await expect(page.getByTestId('flash-write-button')).toBeEnabled();

    // Drives plugged in or removed show up by themselves (drives.changed), without a refresh.
    const hot = attach('2M', 'hot.img');
    await expect(driveRow(page, hot)).toBeVisible({ timeout: 15_000 });
    await expect(driveRow(page, hot).getByTestId('drive-problem')).toContainText('smaller than the');
    detach(hot);
    await expect(driveRow(page, hot)).toHaveCount(0, { timeout: 15_000 });
    await expect(driveRow(page, big).getByRole('checkbox')).toBeChecked();

    // Half a SHA-256 is refused in the field, before asking the core.
    await page.getByLabel('Published SHA-256 (optional)').fill('abc123');
    await expect(page.getByTestId('error-flash-sha256')).toContainText('64 hexadecimal characters');
    await expect(page.getByTestId('flash-write-button')).toBeDisabled();

    // A complete one is compared at once: it differs, and writing is refused.
    const wrong = 'ab'.repeat(32);
    await page.getByLabel('Published SHA-256 (optional)').fill(wrong);
    const verdict = page.getByTestId('checksum-verdict');
    await expect(verdict).toHaveAttribute('data-result', 'failed');
    await expect(verdict).toContainText('SHA-256 DOES NOT MATCH — writing refused');
    await expect(verdict).toContainText(wrong);
    await expect(verdict).toHaveAttribute('role', 'alert');
    await expect(page.getByTestId('flash-write-button')).toBeDisabled();
    await expect(page.getByTestId('flash-write-summary')).toContainText('does not match its SHA-256');
    await shootTall(page, 'flash-mismatch.png');

    // Cleared, SHA256SUMS next to the image counts again.
    await page.getByLabel('Published SHA-256 (optional)').fill('');
    await expect(verdict).toHaveAttribute('data-result', 'matched');
    await expect(page.getByTestId('flash-write-button')).toBeEnabled();
  });

  test('a flash cancelled while writing leaves its drive partially written', async ({ page, serve }) => {
    test.setTimeout(120_000);
    // A 4 GiB disk image (sparse: quick to make and to read, slow enough to write that Cancel lands
    // while writing), in a folder with no checksum file: nothing to compare with.
    const folder = join(dir, 'big');
    mkdirSync(folder);
    const image = join(folder, 'big.img');
    execFileSync('truncate', ['-s', '4G', image]);
    const dev = attach('4608M', 'stick-big.img');

    await openApp(page, `${serve.url}#/flash`);
    await chooseWithBrowser(page, page.getByTestId('flash-browse'), folder, 'big.img');
    // Hashing 4 GiB takes a moment: the check says so while it runs.
    if ((await page.getByTestId('image-info').getAttribute('data-state')) === 'busy') await page.screenshot({ path: join(SHOTS, 'flash-checking.png') });
    const verdict = page.getByTestId('checksum-verdict');
    await expect(verdict).toHaveAttribute('data-result', 'unchecked', { timeout: 30_000 });
    await expect(verdict).toContainText('SHA-256 not checked: nothing to compare with');
    await page.getByLabel('Show all drives').check();
    await driveRow(page, dev).getByRole('checkbox').check();
    await shootTall(page, 'flash-unchecked.png');

    await page.getByRole('button', { name: 'Write…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Erase and write' }).click();
    const run = page.getByTestId('flash-run');
    await expect(run).toHaveAttribute('data-state', 'running');
    await expect(target(page, dev).getByTestId('flash-target-line')).toContainText('of 4.3 GB written');
    await expect(driveRow(page, dev).getByTestId('drive-busy')).toHaveText('Being written now');
    await expect(driveRow(page, dev).getByRole('checkbox')).toBeDisabled();
    await page.screenshot({ path: join(SHOTS, 'flash-writing.png') });
    await page.getByTestId('flash-cancel').click();

    await expect(target(page, dev)).toHaveAttribute('data-phase', 'canceled', { timeout: 30_000 });
    await expect(run).toHaveAttribute('data-state', 'canceled');
    await expect(target(page, dev).getByTestId('flash-target-condition')).toContainText('partially written');
    await expect(target(page, dev).getByTestId('flash-target-condition')).toContainText('not bootable');
    await expect(driveRow(page, dev).getByTestId('drive-busy')).toHaveCount(0);
    const row = page.getByTestId('flash-history-row').first();
    await expect(row).toHaveAttribute('data-state', 'canceled');
    await expect(row.getByTestId('flash-history-checksum')).toHaveText('unchecked');
    await expect(row).toContainText('partially written');
    await shootTall(page, 'flash-canceled.png');
  });
});
