/**
 * Terminals end to end against the device lab: Open terminal on a device's page opens a login shell
 * in a tab of the Terminals page, where `sudo -n bootc status` shows the booted image; the light and
 * dark themes; a window resize reaches the device's PTY (stty size); a changed host key refuses the
 * terminal with the host key alert; a `yes` flood leaves the UI answering clicks, and Ctrl+C stops
 * it; closing the tab leaves no process on a pts of the device; a site that records terminals
 * gets the session on the device page's Terminal recordings, replayed in the app and downloaded as
 * a .cast; the Local terminal button only where serve allows local shells. Screenshots go to
 * e2e/.artifacts/screenshots (ignored by git).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openApp, startServe, stopServe, test, type ServeHandle } from './fixtures';
import { startLab, type Lab, type LabDevice } from './lab';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** The lab needs root (namespaces, mounts, loop devices); CI runs as root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the terminals e2e test needs root for the device lab');

/** Every process on the device, as `ps -e -o args=` lists them (over plain ssh, not Bootfleet). */
function deviceProcesses(d: LabDevice): string[] {
  const out = execFileSync('ssh', ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, 'ps -e -o args=']).toString();
  return out.split('\n').filter(Boolean);
}

const onPts = (d: LabDevice): string[] => deviceProcesses(d).filter((p) => /pts\//.test(p));

async function addDevice(serve: ServeHandle, d: LabDevice): Promise<void> {
  const added = await serve.cli(['devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, ...(d.sudo ? ['--sudo'] : [])]);
  expect(added.code, added.stderr).toBe(0);
  const refreshed = await serve.cli(['status', d.name, '--refresh']);
  expect(refreshed.code, refreshed.stderr).toBe(0);
}

/** `bootfleet serve --allow-local-shell` on a data directory of its own (the fixture's serve runs without it). */
async function startLocalShellServe(): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bootfleet-e2e-local-'));
  const h = await startServe(dataDir, null, ['--allow-local-shell']);
  return {
    url: h.url,
    stop: async () => {
      await stopServe(h);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The visible rows of the shown terminal. */
const screen = (page: Page) => page.locator('[data-testid="terminal-panel"] .xterm-rows');
const host = (page: Page) => page.getByTestId('terminal-host');

/** Opens a terminal from the device page and waits for the shell. */
async function openFromDevicePage(page: Page, serve: ServeHandle, d: LabDevice): Promise<void> {
  await openApp(page, `${serve.url}#/devices/${d.name}`);
  await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
  await page.getByTestId('device-open-terminal').click();
  await expect(page.getByTestId('terminals-page')).toBeVisible();
  await expect(page.locator('[data-testid="terminal-tab"]').last()).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
  // The shell's prompt: something is drawn.
  await expect(screen(page)).not.toHaveText(/^\s*$/, { timeout: 10_000 });
}

/** Types a command line into the shown terminal. */
async function run(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid="terminal-panel"] .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * Clicks a button with a plain mouse click (no actionability waits) and measures, in the page, from
 * when the browser received the click to the next frame after the DOM showed its effect on `changes`.
 */
async function clickLatency(page: Page, testId: string, changes: string): Promise<{ latency: number; wall: number }> {
  await page.evaluate((changes) => {
    const w = window as unknown as { clickLatency: number | null };
    const el = document.querySelector(`[data-testid="${changes}"]`)!;
    w.clickLatency = null;
    document.addEventListener(
      'click',
      (e) => {
        const before = el.textContent;
        const obs = new MutationObserver(() => {
          if (el.textContent === before) return;
          obs.disconnect();
          requestAnimationFrame(() => (w.clickLatency = performance.now() - e.timeStamp));
        });
        obs.observe(el, { childList: true, characterData: true, subtree: true });
      },
      { capture: true, once: true },
    );
  }, changes);
  const box = (await page.getByTestId(testId).boundingBox())!;
  const t0 = Date.now();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const latency = (await (await page.waitForFunction(() => (window as unknown as { clickLatency: number | null }).clickLatency)).jsonValue()) as number;
  return { latency, wall: Date.now() - t0 };
}

test.describe('terminals against the device lab', () => {
  test.skip(!canRun, 'The device lab needs root (namespaces, mounts, loop devices): run as root or in CI.');
  test.use({ viewport: { width: 1440, height: 900 } });

  let lab: Lab;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    mkdirSync(SHOTS, { recursive: true });
    lab = await startLab({ devices: [{ name: 'edge-1' }] });
  });

  test.afterAll(async () => {
    await lab?.stop();
  });

  test('Open terminal on the device page: bootc status in the shell, light and dark, and a resize reaches the device', async ({ page, serve }) => {
    test.setTimeout(90_000);
    const d = lab.devices[0]!;
    await addDevice(serve, d);
    await openApp(page, `${serve.url}#/devices/${d.name}`);
    await expect(page.getByTestId('device-open-terminal')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'terminal-device-page-button.png') });

    await openFromDevicePage(page, serve, d);
    await expect(page).toHaveURL(/#\/terminals$/);
    await expect(page.getByTestId('nav-terminals')).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('terminal-tab')).toHaveCount(1);
    await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-device', d.name);

    await run(page, 'sudo -n bootc status');
    await expect(screen(page)).toContainText('Booted image', { timeout: 20_000 });
    // The lab's devices boot 1.0 (which `stable` named when they were made).
    await expect(screen(page)).toContainText(/Booted image: \S+\/bootfleet\/os:stable/);
    await expect(screen(page)).toContainText(lab.images.find((i) => i.tag === '1.0')!.digests.amd64!);
    await page.screenshot({ path: join(SHOTS, 'terminal-bootc-status-light.png') });

    // The theme follows the app's, live.
    const colors = () => screen(page).evaluate((el) => `${getComputedStyle(el).color} on ${getComputedStyle(el).backgroundColor}`);
    const light = await colors();
    // System (light here) → Light → Dark.
    for (let i = 0; i < 3 && (await page.getByTestId('theme-toggle').getAttribute('data-theme-value')) !== 'dark'; i++) await page.getByTestId('theme-toggle').click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect.poll(colors).not.toBe(light);
    await page.screenshot({ path: join(SHOTS, 'terminal-bootc-status-dark.png') });

    // Resize: the size the terminal shows is the one stty reports on the device.
    const before = await host(page).getAttribute('data-size');
    await expect(host(page)).toHaveAttribute('data-remote-size', before!);
    await run(page, 'echo "size=$(stty size)"');
    const [r0, c0] = before!.split('x');
    await expect(screen(page)).toContainText(`size=${r0} ${c0}`);
    await page.setViewportSize({ width: 1000, height: 640 });
    await expect(host(page)).not.toHaveAttribute('data-size', before!);
    const after = (await host(page).getAttribute('data-size'))!;
    await expect(host(page)).toHaveAttribute('data-remote-size', after);
    const [rows, cols] = after.split('x');
    expect(Number(cols)).toBeLessThan(Number(c0));
    expect(Number(rows)).toBeLessThan(Number(r0));
    await run(page, 'clear; echo "size=$(stty size)"');
    await expect(screen(page)).toContainText(`size=${rows} ${cols}`);
    await page.screenshot({ path: join(SHOTS, 'terminal-resized-dark.png') });
  });

  test('a changed host key refuses the terminal with the host key alert', async ({ page, serve }) => {
    test.setTimeout(60_000);
    const d = lab.devices[0]!;
    await addDevice(serve, d);
    await lab.setFaults(d.name, { hostKeyChanged: true });
    try {
      await openApp(page, `${serve.url}#/devices/${d.name}`);
      await page.getByTestId('device-open-terminal').click();
      await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
      const alert = page.getByTestId('hostkey-alert');
      await expect(alert).toBeVisible();
      await expect(alert).toContainText('The host key of this device changed');
      await expect(alert).toContainText('Bootfleet refused to connect');
      await expect(page.getByTestId('hostkey-new')).not.toHaveText(await page.getByTestId('hostkey-old').innerText());
      await expect(page.getByTestId('terminal-status')).toHaveText('Could not open');
      await expect(screen(page)).toContainText('SSH_HOST_KEY_CHANGED');
      await page.screenshot({ path: join(SHOTS, 'terminal-hostkey-alert.png') });
    } finally {
      await lab.clearFaults(d.name);
    }
  });

  test('a flood keeps the UI answering; Ctrl+C stops it and the prompt returns', async ({ page, serve }) => {
    test.setTimeout(90_000);
    const d = lab.devices[0]!;
    await addDevice(serve, d);
    await openFromDevicePage(page, serve, d);
    // The same click without a flood, for comparison.
    for (const id of ['terminal-font-larger', 'terminal-font-smaller']) {
      const { latency, wall } = await clickLatency(page, id, 'terminal-font-size');
      console.log(`click without a flood: ${latency.toFixed(1)} ms in the page, ${wall} ms as Playwright saw it`);
    }
    await expect(page.getByTestId('terminal-font-size')).toHaveText('13px');
    await run(page, 'yes');
    const drawn = async () => Number((await host(page).getAttribute('data-drawn')) ?? 0);
    await expect.poll(drawn, { timeout: 10_000 }).toBeGreaterThan(1_000_000);

    // While it floods, a click is answered (the DOM changed and the next frame came) within 200 ms.
    const label = page.getByTestId('terminal-font-size');
    const size = Number((await label.innerText()).replace('px', ''));
    for (let i = 0; i < 3; i++) {
      const from = await drawn();
      const { latency, wall } = await clickLatency(page, i % 2 ? 'terminal-font-smaller' : 'terminal-font-larger', 'terminal-font-size');
      await expect(label).toHaveText(`${i % 2 ? size : size + 1}px`);
      console.log(`click during the flood: ${latency.toFixed(1)} ms in the page, ${wall} ms as Playwright saw it`);
      expect(latency).toBeLessThan(200);
      // ...and the flood was still on.
      await expect.poll(drawn).toBeGreaterThan(from + 100_000);
    }
    // Another page answers too, and the flood goes on behind it.
    const t1 = Date.now();
    await page.getByTestId('nav-devices').click();
    await expect(page.getByTestId('devices-table')).toBeVisible();
    console.log(`navigating away during the flood: ${Date.now() - t1} ms`);
    await page.getByTestId('nav-terminals').click();
    await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open');
    await page.screenshot({ path: join(SHOTS, 'terminal-flood.png') });

    await page.locator('[data-testid="terminal-panel"] .xterm').click();
    await page.keyboard.press('Control+c');
    await run(page, 'clear; echo "back $((6*7))"');
    await expect(screen(page)).toContainText('back 42', { timeout: 20_000 });
    const total = await drawn();
    console.log(`flood: ${(total / 1e6).toFixed(1)} MB drawn and acknowledged`);
  });

  test('closing the tab ends the remote shell: no process on a pts is left on the device', async ({ page, serve }) => {
    test.setTimeout(60_000);
    const d = lab.devices[0]!;
    await addDevice(serve, d);
    // From the Devices table's row this time.
    await openApp(page, `${serve.url}#/devices`);
    await page.locator(`[data-testid="device-row"][data-name="${d.name}"]`).getByTestId('device-terminal').click();
    await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
    await run(page, 'sleep 600');
    // The session's shell is on a pts of the device (sshd: user@pts/N), running the sleep.
    await expect.poll(() => onPts(d).length > 0 && deviceProcesses(d).some((p) => /^sleep 600/.test(p)), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('terminal-tab-close').click();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(0);
    await expect(page.getByTestId('empty-state')).toContainText('No terminals open');
    await page.screenshot({ path: join(SHOTS, 'terminals-empty.png') });
    await expect.poll(() => onPts(d), { timeout: 15_000 }).toEqual([]);
    expect(deviceProcesses(d).filter((p) => /sleep 600/.test(p))).toEqual([]);
  });

  test('a recording site: the session is on the device page, replayed in the app and downloaded as a .cast', async ({ page, serve }) => {
    test.setTimeout(120_000);
    const d = lab.devices[0]!;
    await addDevice(serve, d);
    for (const args of [
      ['sites', 'add', 'lab-rec'],
      ['devices', 'edit', d.name, '--site', 'lab-rec'],
    ]) {
      const r = await serve.cli(args);
      expect(r.code, r.stderr).toBe(0);
    }
    // The site does not record yet: the card says where to turn it on, and its button does.
    await openApp(page, `${serve.url}#/devices/${d.name}`);
    const card = page.getByTestId('device-recordings');
    await expect(card.getByTestId('recordings-off')).toContainText('Record terminal sessions');
    await expect(card.getByTestId('recordings-empty')).toBeVisible();
    await card.screenshot({ path: join(SHOTS, 'terminal-recordings-off.png') });
    await card.getByTestId('recordings-edit-site').click();
    await page.getByTestId('field-recordTerminals').check();
    await page.getByLabel('Keep recordings (days)').fill('0');
    await expect(page.getByText('Keep recordings: enter whole days from 1 to 36500')).toBeVisible();
    await expect(page.getByTestId('site-save')).toBeDisabled();
    await page.getByLabel('Keep recordings (days)').fill('90');
    await page.getByTestId('site-save').click();
    await expect(page.getByTestId('site-form')).toHaveCount(0);
    await expect(card.getByTestId('recordings-on')).toContainText('lab-rec');
    await expect(card.getByTestId('recordings-on')).toContainText('Kept 90 days after the session ends.');
    expect((JSON.parse((await serve.cli(['sites', 'list', '--json'])).stdout) as { name: string; keepRecordingsDays: number | null }[]).find((s) => s.name === 'lab-rec')!.keepRecordingsDays).toBe(90);
    await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).click();

    // A second tab keeps the device page open while the terminal runs and closes.
    const watcher = await page.context().newPage();
    await openApp(watcher, `${serve.url}#/devices/${d.name}`);
    await expect(watcher.getByTestId('recordings-empty')).toBeVisible();

    await page.getByTestId('device-open-terminal').click();
    await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
    await expect(screen(page)).not.toHaveText(/^\s*$/, { timeout: 10_000 });
    await run(page, 'echo "recorded $((6*7))"');
    await expect(screen(page)).toContainText('recorded 42');
    // The open session is listed at once (from the activity it logged)...
    await expect(watcher.getByTestId('recording-row')).toHaveAttribute('data-open', 'true');
    await page.getByTestId('terminal-tab-close').click();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(0);
    // ...and shows how it ended once the tab closed.
    await expect(watcher.getByTestId('recording-row')).toHaveAttribute('data-open', 'false', { timeout: 15_000 });
    await expect(watcher.getByTestId('recording-ending')).toHaveText(/closed|exited/);
    await watcher.close();

    await page.getByTestId('nav-devices').click();
    await page.locator(`[data-testid="device-row"][data-name="${d.name}"]`).getByTestId('device-link').click();
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', d.name);
    const row = page.getByTestId('recording-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-open', 'false');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'terminal-recordings-page.png') });
    await card.screenshot({ path: join(SHOTS, 'terminal-recordings-card.png') });

    // Play: the replay terminal shows the output, with its timing, to the end.
    await row.getByTestId('recording-play').click();
    const replay = page.getByTestId('replay-dialog');
    await expect(replay.getByTestId('replay-play')).toHaveAttribute('data-playing', /true|false/);
    await expect(replay.locator('[data-testid="replay-terminal"] .xterm-rows')).toContainText('recorded 42', { timeout: 20_000 });
    await expect(replay.getByTestId('replay-time')).toHaveAttribute('data-ended', 'true', { timeout: 20_000 });
    await expect(replay.getByTestId('replay-play')).toHaveText(/Play again/);
    await expect(replay.getByTestId('replay-error')).toHaveCount(0);
    await page.screenshot({ path: join(SHOTS, 'terminal-replay-dialog.png') });
    // Restart at 4x plays it again.
    await replay.getByTestId('replay-speed-4').click();
    await expect(replay.getByTestId('replay-speed-4')).toHaveAttribute('aria-pressed', 'true');
    await replay.getByTestId('replay-restart').click();
    await expect(replay.getByTestId('replay-time')).toHaveAttribute('data-ended', 'true', { timeout: 20_000 });
    await expect(replay.locator('[data-testid="replay-terminal"] .xterm-rows')).toContainText('recorded 42');

    // The .cast download: asciicast v2, the session's output in it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('replay-download').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^bootfleet-(\\S+_)?${d.name}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.cast$`));
    const text = readFileSync((await download.path())!, 'utf8');
    const header = JSON.parse(text.split('\n')[0]!) as { version: number; width: number; height: number };
    expect(header.version).toBe(2);
    expect(header.width).toBeGreaterThan(0);
    expect(text).toContain('recorded 42');
    await page.getByRole('button', { name: 'Close', exact: true }).last().click();
    await expect(replay).toHaveCount(0);

    // The row's own download gives the same file.
    const [again] = await Promise.all([page.waitForEvent('download'), row.getByTestId('recording-download').click()]);
    expect(readFileSync((await again.path())!, 'utf8')).toBe(text);
  });

  test('Local terminal: absent where serve does not allow local shells', async ({ page, serve }) => {
    await openApp(page, `${serve.url}#/terminals`);
    await expect(page.getByTestId('empty-state')).toContainText('No terminals open');
    await expect(page.getByTestId('terminal-local-off')).toContainText('--allow-local-shell');
    await expect(page.getByTestId('terminal-open-local')).toHaveCount(0);
  });

  test('Local terminal: a login shell on this machine with serve --allow-local-shell', async ({ page }) => {
    test.setTimeout(60_000);
    const local = await startLocalShellServe();
    try {
      await openApp(page, `${local.url}#/terminals`);
      await expect(page.getByTestId('terminal-local-off')).toHaveCount(0);
      await page.screenshot({ path: join(SHOTS, 'terminals-empty-local.png') });
      await page.getByTestId('terminal-open-local').click();
      const tab = page.getByTestId('terminal-tab');
      await expect(tab).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
      await expect(tab).toHaveAttribute('data-device', /^local: \S+@\S+$/);
      await expect(screen(page)).not.toHaveText(/^\s*$/, { timeout: 10_000 });
      await run(page, 'echo "local $((2+3))"');
      await expect(screen(page)).toContainText('local 5');
      // A second one from the header's button.
      await page.getByTestId('terminal-open-local').click();
      await expect(tab).toHaveCount(2);
      await expect(tab.last()).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
      await expect(screen(page)).not.toHaveText(/^\s*$/, { timeout: 10_000 });
      await page.screenshot({ path: join(SHOTS, 'terminal-local.png') });
      for (let i = 0; i < 2; i++) await page.getByTestId('terminal-tab-close').first().click();
      await expect(tab).toHaveCount(0);
    } finally {
      await local.stop();
    }
  });
});
