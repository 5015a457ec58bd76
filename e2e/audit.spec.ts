/**
 * The Audit page end to end, without the device lab: devices imported with the CLI, a desired
 * image pinned by digest on site north (`--no-resolve`: no registry), and what some devices
 * booted written into their latest-status rows as a refresh would (the others were never
 * contacted). Checked: counts and pass/fail, the per-site table, a state filter, the site and
 * stale-after filters, as-of, that the exports are the CLI's files (JSON hash verifies, CSV
 * rows match `bootfleet audit --format csv`; the core's HTML report embeds the JSON with its
 * SHA-256, the PDF is one, the signed JSON carries a signature and says who signed it), and the
 * "Over time" chart (one column per week). Screenshots go to e2e/.artifacts/screenshots.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');
const REPO = 'registry.invalid/fleet/os';
const digest = (v: string): string => `sha256:${createHash('sha256').update(`os ${v}`).digest('hex')}`;
const DAY = 86_400_000;

/** What each device booted (and staged, and when it was last seen), as a status refresh writes it. */
function seedStatus(dataDir: string, booted: Record<string, { booted: string; staged?: string; daysAgo?: number; usrOverlay?: string }>): void {
  const db = new Database(join(dataDir, 'bootfleet.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const ids = new Map((db.prepare('SELECT name, id FROM devices').all() as { name: string; id: string }[]).map((r) => [r.name, r.id]));
    const insert = db.prepare(
      `INSERT INTO device_status (device_id, reach, last_attempt_at, last_seen_at, booted_image, booted_digest, booted_version, staged_digest, staged_version, usr_overlay)
       VALUES (?, 'online', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const [name, s] of Object.entries(booted)) {
        const at = new Date(Date.now() - (s.daysAgo ?? 0) * DAY).toISOString();
        insert.run(ids.get(name), at, at, `${REPO}:${s.booted}`, digest(s.booted), s.booted, s.staged ? digest(s.staged) : null, s.staged ?? null, s.usrOverlay ?? null);
      }
    })();
  } finally {
    db.close();
  }
}

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

async function shootBoth(page: Page, name: string): Promise<void> {
  await shootTall(page, `${name}.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  await shootTall(page, `${name}-dark.png`);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
}

const count = (page: Page, state: string): Locator => page.locator(`[data-testid="audit-count"][data-state="${state}"] .tile-value`);
const device = (page: Page, name: string): Locator => page.locator(`[data-testid="audit-device"][data-name="${name}"]`);

/** Picks a format in the Export menu and returns the file it saved, with its name. */
async function downloadFile(page: Page, kind: string): Promise<{ name: string; bytes: Buffer }> {
  await page.getByTestId('audit-export').click();
  await expect(page.getByRole('menu', { name: 'Export the report as' })).toBeVisible();
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId(`audit-export-${kind}`).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync((await file.path())!) };
}

async function download(page: Page, kind: string): Promise<string> {
  return (await downloadFile(page, kind)).bytes.toString('utf8');
}

test.describe('audit', () => {
  test.use({ viewport: { width: 1440, height: 900 } });
  test.beforeAll(() => mkdirSync(SHOTS, { recursive: true }));

  test('the audit page: counts, sites, filters and the exports', async ({ page, serve }) => {
    await openApp(page, serve.url);
    await page.getByTestId('nav-audit').click();
    await expect(page.getByTestId('audit-page')).toBeVisible();
    await expect(page.getByTestId('empty-state')).toContainText('No devices to audit');
    await page.screenshot({ path: join(SHOTS, 'audit-empty.png') });

    const csv = [
      'name,host,site,tags',
      'north-1,192.0.2.11,north,',
      'north-2,192.0.2.12,north,',
      'north-3,192.0.2.13,north,',
      'north-4,192.0.2.14,north,',
      'north-5,192.0.2.15,north,',
      'old-1,192.0.2.16,north,',
      'south-1,192.0.2.21,south,',
      'south-2,192.0.2.22,south,',
    ].join('\n');
    writeFileSync(join(serve.dataDir, 'fleet.csv'), `${csv}\n`);
    expect((await serve.cli(['devices', 'import', join(serve.dataDir, 'fleet.csv')])).code).toBe(0);
    const set = await serve.cli(['desired', 'set', '--no-resolve', '--site', 'north', `${REPO}:1.1@${digest('1.1')}`]);
    expect(set.code, set.stderr).toBe(0);
    seedStatus(serve.dataDir, {
      'north-1': { booted: '1.0' },
      'north-2': { booted: '1.1' },
      'north-3': { booted: '1.0', staged: '1.1' },
      'north-5': { booted: '1.1', usrOverlay: 'transient' },
      'old-1': { booted: '1.1', daysAgo: 10 },
      'south-1': { booted: '1.0' },
    });

    await page.getByTestId('audit-run').click();
    await expect(count(page, 'in-sync')).toHaveText('1');
    for (const [state, n] of Object.entries({ drifted: 1, staged: 1, 'usr-modified': 1, stale: 1, 'never-contacted': 2, 'no-desired': 1 })) await expect(count(page, state)).toHaveText(String(n));
    await expect(page.getByTestId('audit-passed-drift')).toHaveAttribute('data-passed', 'false');
    await expect(page.getByTestId('audit-passed-stale')).toHaveAttribute('data-passed', 'false');
    await expect(page.getByTestId('audit-header')).toContainText('no device was contacted');
    await expect(page.getByTestId('audit-header')).toContainText('scope: every device');
    await expect(page.getByTestId('audit-site-row')).toHaveCount(2);
    // Not in sync by default: everything but north-2.
    await expect(page.getByTestId('audit-device')).toHaveCount(7);
    await expect(device(page, 'north-1')).toHaveAttribute('data-state', 'drifted');
    await expect(device(page, 'north-1').getByTestId('audit-reason')).toContainText('Boots 1.0');
    await expect(device(page, 'south-2')).toHaveAttribute('data-state', 'never-contacted');
    await expect(device(page, 'south-1')).toHaveAttribute('data-state', 'no-desired');
    await expect(device(page, 'old-1')).toHaveAttribute('data-state', 'stale');
    await shootBoth(page, 'audit-page');

    // A count lists its devices; the toggle shows every device.
    await page.locator('[data-testid="audit-count"][data-state="in-sync"]').click();
    await expect(page.getByTestId('audit-device')).toHaveCount(1);
    await expect(device(page, 'north-2')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'audit-in-sync.png') });
    await page.getByTestId('audit-show-all').click();
    await expect(page.getByTestId('audit-device')).toHaveCount(8);

    // The exports are the CLI's files.
    const json = await download(page, 'json');
    const { sha256, ...report } = JSON.parse(json) as { sha256: string; total: number };
    expect(sha256).toBe(createHash('sha256').update(JSON.stringify(report)).digest('hex'));
    expect(report.total).toBe(8);
    expect(json.endsWith('}\n')).toBe(true);
    const csvText = await download(page, 'csv');
    const lines = csvText.split('\r\n');
    const body = lines.slice(5).join('\r\n');
    expect(lines[4]).toBe(`# sha256 of the lines below: ${createHash('sha256').update(body).digest('hex')}`);
    const cli = await serve.cli(['audit', '--format', 'csv']);
    expect(cli.stdout.split('\r\n').slice(5)).toEqual(lines.slice(5));
    expect(cli.stdout.split('\r\n').slice(2, 4)).toEqual(lines.slice(2, 4));

    // The core's files: the HTML report embeds the full JSON, whose SHA-256 it also shows.
    const html = await downloadFile(page, 'html');
    expect(html.name).toMatch(/^bootfleet-audit-\d{4}-\d{2}-\d{2}\.html$/);
    const htmlText = html.bytes.toString('utf8');
    expect(htmlText).toContain('id="bootfleet-audit"');
    const embedded = /<script type="application\/json" id="bootfleet-audit">([\s\S]*?)<\/script>/.exec(htmlText)![1]!;
    const { sha256: htmlSha, ...htmlReport } = JSON.parse(embedded) as { sha256: string; total: number; timeline: unknown[] };
    expect(htmlSha).toBe(createHash('sha256').update(JSON.stringify(htmlReport)).digest('hex'));
    expect(htmlText).toContain(`<code>${htmlSha}</code>`);
    expect(htmlReport.total).toBe(8);
    expect(htmlReport.timeline).toHaveLength(8);
    await expect(page.getByTestId('toast').filter({ hasText: 'as an HTML report' })).toBeVisible();

    // The PDF takes a few seconds to print: the Export button says so meanwhile.
    await page.getByTestId('audit-export').click();
    const [pdfFile] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      (async () => {
        await page.getByTestId('audit-export-pdf').click();
        await expect(page.getByTestId('audit-export')).toContainText('Printing the PDF');
        await expect(page.getByTestId('audit-export')).toBeDisabled();
      })(),
    ]);
    expect(pdfFile.suggestedFilename()).toMatch(/\.pdf$/);
    expect(readFileSync((await pdfFile.path())!).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await expect(page.getByTestId('audit-export')).toHaveText(/^\s*Export/);

    // Signed JSON: signed with this installation's key, and the message says which.
    const signed = await download(page, 'signed-json');
    expect(signed).toContain('"signature"');
    const fingerprint = (JSON.parse(signed) as { signature: { keyFingerprint: string } }).signature.keyFingerprint;
    expect(fingerprint).toMatch(/^SHA256:/);
    await expect(page.getByTestId('toast').filter({ hasText: `signed by ${fingerprint}` })).toBeVisible();

    // Over time: computed when asked, one column per week.
    await expect(page.getByTestId('audit-timeline-chart')).toHaveCount(0);
    await page.getByTestId('audit-timeline-show').click();
    await expect(page.getByTestId('audit-timeline-week')).toHaveCount(8);
    // This week: the 7 devices not in sync above.
    await expect(page.getByTestId('audit-timeline-week').last()).toHaveAttribute('data-not-in-sync', '7');
    await expect(page.getByTestId('audit-timeline-chart')).toHaveAttribute('aria-label', /Devices not in sync per week, .*: .* 7\.$/);
    await page.locator('.audit-timeline-counts summary').click();
    await expect(page.getByTestId('audit-timeline-table').locator('tbody tr')).toHaveCount(8);
    await page.locator('[data-testid="audit-timeline-weeks"][data-weeks="13"]').click();
    await expect(page.getByTestId('audit-timeline-week')).toHaveCount(13);
    await page.locator('[data-testid="audit-timeline-weeks"][data-weeks="8"]').click();
    await expect(page.getByTestId('audit-timeline-week')).toHaveCount(8);
    await expect(page.getByTestId('audit-timeline-table')).toBeVisible();
    await expect(page.getByTestId('toast')).toHaveCount(0);
    await page.getByTestId('audit-export').click();
    await expect(page.getByRole('menu', { name: 'Export the report as' })).toBeVisible();
    await shootBoth(page, 'audit-timeline');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('menu')).toHaveCount(0);
    await expect(page.getByTestId('audit-export')).toBeFocused();

    // Stale after: a bad value says so and keeps the report; 30 days vouches for old-1.
    await page.getByTestId('audit-stale-after').fill('x');
    await expect(page.getByTestId('audit-input-error')).toContainText('number of days');
    await page.getByTestId('audit-stale-after').fill('30');
    await expect(page.getByTestId('audit-input-error')).toHaveCount(0);
    await expect(count(page, 'stale')).toHaveText('0');
    await expect(count(page, 'in-sync')).toHaveText('2');
    await expect(page.getByTestId('audit-header')).toContainText('stale after 30d');

    // One site: the scope says so.
    await page.getByTestId('audit-site-filter').selectOption('south');
    await expect(page.getByTestId('audit-header')).toContainText('scope: site south');
    await expect(page.getByTestId('audit-device')).toHaveCount(2);
    await expect(page.getByTestId('audit-passed-drift')).toHaveAttribute('data-passed', 'true');
    // The weeks follow the scope.
    await expect(page.getByTestId('audit-timeline-week').last()).toHaveAttribute('data-not-in-sync', '2');
    await expect(page.getByTestId('audit-timeline-week')).toHaveCount(8);

    // As of a past day: no stored snapshot then, so nothing was ever read.
    await page.getByTestId('audit-as-of').fill(new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10));
    await expect(page.getByTestId('audit-header')).toContainText('As of');
    await expect(count(page, 'never-contacted')).toHaveText('2');
    await page.screenshot({ path: join(SHOTS, 'audit-as-of.png') });

    // A device's name opens its page.
    await device(page, 'south-1').getByTestId('audit-device-link').click();
    await expect(page.getByTestId('device-page')).toHaveAttribute('data-name', 'south-1');
  });
});
