/**
 * Desired state end to end, without the device lab: devices imported from CSV (one with its own
 * desired image), desired images set on a site and on tags with the CLI (`--no-resolve`), what each
 * device booted written into its `device_status` row as a refresh would, and a small OCI registry
 * on loopback that answers manifest requests. Checked in the UI: the Desired column and filter, the
 * device page's card (set with a bad image first, then clear), the Desired images page with Check
 * registry and a resolution error, and the registries' logins. Screenshots go to
 * e2e/.artifacts/screenshots (ignored by git).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** A distinct image manifest per version, and the digest a registry (and bootc) reports for it. */
function manifest(version: string): { body: Buffer; digest: string } {
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${createHash('sha256').update(`config ${version}`).digest('hex')}`, size: 2 },
      layers: [],
      annotations: { 'org.opencontainers.image.version': version },
    }),
  );
  return { body, digest: `sha256:${createHash('sha256').update(body).digest('hex')}` };
}

const IMAGES = { '1.0': manifest('1.0'), '1.1': manifest('1.1'), '1.2': manifest('1.2') };

/**
 * A registry that knows fleet/os at 1.0, 1.1 and 1.2 (by tag or by digest), over plain HTTP on
 * loopback, as the OCI distribution API serves manifests. Anything else is MANIFEST_UNKNOWN.
 */
async function startRegistry(): Promise<{ host: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/v2\/fleet\/os\/manifests\/([^/]+)$/.exec(req.url ?? '');
    const found = m ? Object.entries(IMAGES).find(([tag, x]) => tag === m[1] || x.digest === decodeURIComponent(m[1]!)) : undefined;
    if (!found) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      return;
    }
    const { body, digest } = found[1];
    res.writeHead(200, { 'content-type': MANIFEST_TYPE, 'content-length': body.length, 'docker-content-digest': digest });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

/**
 * What each device booted (and staged), written into its latest-status row as a status refresh
 * would; devices left out have never been contacted.
 */
function seedStatus(dataDir: string, booted: Record<string, { booted: keyof typeof IMAGES; staged?: keyof typeof IMAGES }>, image: string): void {
  const db = new Database(join(dataDir, 'bootfleet.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const now = new Date().toISOString();
    const ids = new Map((db.prepare('SELECT name, id FROM devices').all() as { name: string; id: string }[]).map((r) => [r.name, r.id]));
    const insert = db.prepare(
      `INSERT INTO device_status (device_id, reach, last_attempt_at, last_seen_at, booted_image, booted_digest, booted_version, staged_digest, staged_version)
       VALUES (?, 'online', ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const [name, s] of Object.entries(booted)) {
        insert.run(ids.get(name), now, now, `${image}:${s.booted}`, IMAGES[s.booted].digest, s.booted, s.staged ? IMAGES[s.staged].digest : null, s.staged ?? null);
      }
    })();
  } finally {
    db.close();
  }
}

const rowOf = (page: Page, name: string): Locator => page.locator(`[data-testid="device-row"][data-name="${name}"]`);
const badgeOf = (page: Page, name: string): Locator => rowOf(page, name).getByTestId('desired-badge');
const entryOf = (page: Page, scope: string, target: string): Locator => page.locator(`[data-testid="desired-row"][data-scope="${scope}"][data-target="${target}"]`);
const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

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

test.describe('desired state', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  test.beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    registry = await startRegistry();
  });
  test.afterAll(async () => {
    await new Promise((ok) => registry.server.close(ok));
  });

  test('the Desired column and filter, the device card, the Desired images page and registries', async ({ page, serve }) => {
    const REPO = `${registry.host}/fleet/os`;
    // North follows the site's 1.1; south has no site image; canary pins 1.2 by digest; beta asks
    // for a tag the registry does not have; own-1 sets its own 1.0.
    const csv = [
      'name,host,site,tags,image',
      'north-1,192.0.2.11,north,,',
      'north-2,192.0.2.12,north,,',
      'north-3,192.0.2.13,north,,',
      'north-4,192.0.2.14,north,,',
      'canary-1,192.0.2.21,south,canary,',
      'mixed-1,192.0.2.22,south,canary;beta,',
      'beta-1,192.0.2.23,south,beta,',
      'plain-1,192.0.2.24,south,,',
      `own-1,192.0.2.25,south,,${REPO}:1.0`,
    ].join('\n');
    writeFileSync(join(serve.dataDir, 'fleet.csv'), `${csv}\n`);
    expect((await serve.cli(['devices', 'import', join(serve.dataDir, 'fleet.csv')])).code).toBe(0);
    for (const args of [
      ['--site', 'north', `${REPO}:1.1`],
      ['--tag', 'canary', `${REPO}:1.2@${IMAGES['1.2'].digest}`],
      ['--tag', 'beta', `${REPO}:1.3-beta`],
    ]) {
      const r = await serve.cli(['desired', 'set', '--no-resolve', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    seedStatus(
      serve.dataDir,
      {
        'north-1': { booted: '1.0' },
        'north-2': { booted: '1.1' },
        'north-3': { booted: '1.0', staged: '1.1' },
        'canary-1': { booted: '1.2' },
        'mixed-1': { booted: '1.0' },
        'beta-1': { booted: '1.0' },
        'plain-1': { booted: '1.0' },
        'own-1': { booted: '1.0' },
      },
      REPO,
    );

    // Before any registry check: tags are unresolved; a pinned digest needs no check.
    await openApp(page, serve.url);
    await page.getByTestId('nav-devices').click();
    await expect(page.getByTestId('devices-count')).toHaveText('9 devices');
    const before: Record<string, string> = {
      'north-1': 'unresolved',
      'north-2': 'unresolved',
      'north-4': 'unknown',
      'canary-1': 'in-sync',
      'mixed-1': 'conflict',
      'beta-1': 'unresolved',
      'plain-1': 'none',
      'own-1': 'unresolved',
    };
    for (const [name, state] of Object.entries(before)) await expect(badgeOf(page, name)).toHaveAttribute('data-state', state);
    await expect(badgeOf(page, 'canary-1')).toHaveAttribute('title', /From tag canary[\s\S]*pinned in the reference/);
    await expect(badgeOf(page, 'north-1')).toHaveAttribute('title', new RegExp(`Desired ${REPO}:1\\.1\\nFrom site north\\nDigest not resolved`));
    await expect(badgeOf(page, 'mixed-1')).toHaveAttribute('title', /tag beta: .*1\.3-beta/);

    // The Desired images page: every entry, then a registry login, then Check registry.
    await page.getByTestId('nav-desired').click();
    await expect(page.getByTestId('desired-row')).toHaveCount(4);
    await expect(entryOf(page, 'tag', 'canary').getByTestId('resolution')).toHaveAttribute('data-state', 'pinned');
    await expect(entryOf(page, 'site', 'north').getByTestId('resolution')).toContainText('not checked yet');
    await expect(entryOf(page, 'site', 'north').getByTestId('desired-devices')).toHaveText('4');
    await expect(entryOf(page, 'device', 'south/own-1')).toBeVisible();

    await page.getByTestId('registries-add').click();
    const regForm = page.getByTestId('registry-form');
    await regForm.getByTestId('field-host').fill('not a host/x');
    await regForm.getByTestId('field-host').blur();
    await expect(regForm.getByTestId('error-host')).toContainText('registry host');
    await regForm.getByTestId('field-host').fill(registry.host);
    await regForm.getByTestId('field-password').fill('s3cret');
    await expect(regForm.getByTestId('error-password')).toContainText('needs a user');
    await regForm.getByTestId('field-username').fill('robot');
    await regForm.getByTestId('field-insecure').check();
    await regForm.getByTestId('registry-save').click();
    await expect(regForm).toBeHidden();
    const regRow = page.locator(`[data-testid="registry-row"][data-host="${registry.host}"]`);
    await expect(regRow).toContainText('plain HTTP');
    await expect(regRow).toContainText('robot · password stored');

    await page.getByTestId('desired-check').click();
    await expect(page.getByTestId('desired-check-result')).toHaveAttribute('data-state', 'failed');
    await expect(page.getByTestId('desired-check-result')).toContainText('1 of 4 images not resolved');
    await expect(entryOf(page, 'site', 'north').getByTestId('resolution')).toHaveAttribute('data-state', 'resolved');
    await expect(entryOf(page, 'site', 'north').getByTestId('short-digest')).toHaveText(short(IMAGES['1.1'].digest));
    await expect(entryOf(page, 'tag', 'beta').getByTestId('resolution-error')).toContainText('no such tag');
    await expect(entryOf(page, 'site', 'north').getByTestId('desired-behind')).toHaveText('1 behind');
    await expect(entryOf(page, 'device', 'south/own-1').getByTestId('desired-behind')).toHaveText('0');
    await expect(page.getByTestId('desired-count')).toContainText('1 device behind');
    expect(registry.requests.some((r) => r.endsWith('/manifests/1.3-beta'))).toBe(true);
    await shootTall(page, 'desired-page.png');

    // "1 behind" lists those devices: site north, desired behind.
    await entryOf(page, 'site', 'north').getByTestId('desired-behind').click();
    await expect(page.getByTestId('devices-count')).toHaveText('1 device');
    await expect(page.getByTestId('devices-site-filter')).toHaveValue('north');
    await expect(page.getByTestId('devices-desired-filter')).toHaveValue('behind');
    await expect(badgeOf(page, 'north-1')).toHaveAttribute('data-state', 'behind');

    // Every state in the column, and the filter by each.
    await page.getByTestId('devices-clear-filters').click();
    const after: Record<string, string> = {
      'north-1': 'behind',
      'north-2': 'in-sync',
      'north-3': 'staged',
      'north-4': 'unknown',
      'canary-1': 'in-sync',
      'mixed-1': 'conflict',
      'beta-1': 'unresolved',
      'plain-1': 'none',
      'own-1': 'in-sync',
    };
    for (const [name, state] of Object.entries(after)) await expect(badgeOf(page, name)).toHaveAttribute('data-state', state);
    await expect(badgeOf(page, 'north-1')).toHaveAttribute('title', new RegExp(`From site north\\nDigest ${IMAGES['1.1'].digest} \\(resolved`));
    await page.screenshot({ path: join(SHOTS, 'devices-desired.png') });
    await page.getByTestId('devices-desired-filter').selectOption('in-sync');
    await expect(page.getByTestId('device-row')).toHaveCount(3);
    await expect(page.getByTestId('devices-count')).toHaveText('3 devices');
    await page.getByTestId('devices-desired-filter').selectOption('staged');
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(rowOf(page, 'north-3')).toBeVisible();
    await page.getByTestId('devices-desired-filter').selectOption('');
    await expect(page.getByTestId('device-row')).toHaveCount(9);

    // The device page says how north-1 stands, in words.
    await rowOf(page, 'north-1').getByTestId('device-link').click();
    const card = page.getByTestId('device-desired');
    await expect(card).toHaveAttribute('data-state', 'behind');
    await expect(card.getByTestId('desired-sentence')).toContainText(`Booted ${short(IMAGES['1.0'].digest)} (1.0): behind the desired fleet/os:1.1 (${short(IMAGES['1.1'].digest)}).`);
    await expect(card.getByTestId('desired-source')).toHaveText('site north');
    await expect(card.getByTestId('desired-digest')).toContainText(IMAGES['1.1'].digest);
    await expect(card.getByTestId('desired-digest')).toContainText('resolved');
    await expect(card.getByTestId('desired-clear-device')).toHaveCount(0);
    await shootTall(page, 'device-desired-behind.png');

    // Set an image on the device: a bad reference is refused inline, a good one is resolved and wins.
    await card.getByTestId('desired-set-device').click();
    const form = page.getByTestId('desired-form');
    await expect(form.getByTestId('field-image')).toHaveValue(`${REPO}:1.1`);
    await form.getByTestId('field-image').fill(`${REPO}:1.0 latest`);
    await expect(form.getByTestId('error-image')).toContainText('Image must be an image reference');
    await expect(form.getByTestId('desired-save')).toBeDisabled();
    await page.screenshot({ path: join(SHOTS, 'desired-dialog-error.png') });
    await form.getByTestId('field-image').fill(`${REPO}:1.0`);
    await expect(form.getByTestId('error-image')).toHaveCount(0);
    await form.getByTestId('desired-save').click();
    await expect(form).toBeHidden();
    await expect(card).toHaveAttribute('data-state', 'in-sync');
    await expect(card.getByTestId('desired-source')).toContainText('this device');
    await expect(card.getByTestId('desired-sentence')).toContainText('In sync');
    const shown = JSON.parse((await serve.cli(['devices', 'show', 'north-1', '--json'])).stdout) as { desiredImage: string; desired: { state: string } };
    expect(shown).toMatchObject({ desiredImage: `${REPO}:1.0`, desired: { state: 'in-sync' } });

    // Clear it: the site's image applies again, and the UI says so.
    await card.getByTestId('desired-clear-device').click();
    await expect(page.getByRole('dialog', { name: 'Clear desired image' })).toContainText('its tags or its site ask for then applies');
    await page.getByTestId('confirm-clear-desired').click();
    await expect(page.getByTestId('toast').filter({ hasText: `it now follows the image from site north: ${REPO}:1.1` })).toBeVisible();
    await expect(card).toHaveAttribute('data-state', 'behind');
    await expect(card.getByTestId('desired-source')).toHaveText('site north');

    // A device whose tags disagree lists them.
    await page.getByTestId('back-to-devices').click();
    await rowOf(page, 'mixed-1').getByTestId('device-link').click();
    await expect(card).toHaveAttribute('data-state', 'conflict');
    await expect(card.getByTestId('desired-conflicts')).toContainText(`canary asks for ${REPO}:1.2@`);
    await expect(card.getByTestId('desired-conflicts')).toContainText(`beta asks for ${REPO}:1.3-beta`);
    await shootTall(page, 'device-desired-conflict.png');

    // From the Desired images page: an unknown device is refused on its field; a site image is set without a check.
    await page.getByTestId('nav-desired').click();
    await page.getByTestId('desired-add').click();
    await form.getByTestId('field-scope').selectOption('device');
    await form.getByTestId('field-target').fill('no-such-device');
    await form.getByTestId('field-image').fill(`${REPO}:1.2`);
    await form.getByTestId('field-resolve').uncheck();
    await form.getByTestId('desired-save').click();
    await expect(form.getByTestId('error-target')).toBeVisible();
    await form.getByTestId('field-scope').selectOption('site');
    await form.getByTestId('field-target').selectOption('south');
    // It requires signed images: the entry says so with a badge, and changing it starts from that.
    await expect(form.getByTestId('field-requireSigned')).not.toBeChecked();
    await form.getByTestId('field-requireSigned').check();
    await expect(form).toContainText('The audit reports devices that boot it without a signature policy');
    await page.screenshot({ path: join(SHOTS, 'desired-dialog-signed.png') });
    await form.getByTestId('desired-save').click();
    await expect(form).toBeHidden();
    await expect(entryOf(page, 'site', 'south').getByTestId('resolution')).toContainText('not checked yet');
    await expect(entryOf(page, 'site', 'south').getByTestId('desired-devices')).toHaveText('1');
    await expect(entryOf(page, 'site', 'south').getByTestId('desired-signed')).toHaveText('signed');
    await expect(entryOf(page, 'site', 'south').getByTestId('desired-signed')).toHaveAttribute('title', /without a signature policy/);
    await expect(entryOf(page, 'site', 'north').getByTestId('desired-signed')).toHaveCount(0);
    await shootTall(page, 'desired-page-signed.png');
    const listed = JSON.parse((await serve.cli(['desired', 'list', '--json'])).stdout) as { entries: { scope: string; targetName: string; requireSigned: boolean }[] };
    expect(listed.entries.find((e) => e.scope === 'site' && e.targetName === 'south')).toMatchObject({ requireSigned: true });
    expect(listed.entries.find((e) => e.scope === 'site' && e.targetName === 'north')).toMatchObject({ requireSigned: false });
    await entryOf(page, 'site', 'south').getByTestId('desired-edit').click();
    await expect(form.getByTestId('field-requireSigned')).toBeChecked();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await expect(form).toBeHidden();
    await entryOf(page, 'site', 'north').getByTestId('desired-edit').click();
    await expect(form.getByTestId('field-requireSigned')).not.toBeChecked();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await expect(form).toBeHidden();

    // Clearing the beta tag's image ends mixed-1's conflict: canary's pinned 1.2 applies, and it booted 1.0.
    await entryOf(page, 'tag', 'beta').getByTestId('desired-clear').click();
    await expect(page.getByRole('dialog', { name: 'Clear desired image' })).toContainText('The device it decides then follows another tag’s or its site’s');
    await page.getByTestId('confirm-clear-desired').click();
    await expect(entryOf(page, 'tag', 'beta')).toHaveCount(0);
    await expect(entryOf(page, 'tag', 'canary').getByTestId('desired-behind')).toHaveText('1 behind');
    await page.getByTestId('nav-devices').click();
    await expect(badgeOf(page, 'mixed-1')).toHaveAttribute('data-state', 'behind');
    await expect(badgeOf(page, 'plain-1')).toHaveAttribute('data-state', 'unresolved');
    await expect(badgeOf(page, 'beta-1')).toHaveAttribute('data-state', 'unresolved');

    // The fleet overview counts the devices behind.
    await page.getByTestId('nav-fleet').click();
    await expect(page.getByTestId('count-behind-value')).toHaveText('2');
    await page.screenshot({ path: join(SHOTS, 'fleet-behind.png') });

    // Registries: change the login, then forget the registry.
    await page.getByTestId('nav-desired').click();
    await regRow.getByTestId('registry-edit').click();
    await expect(regForm.getByTestId('field-host')).toHaveValue(registry.host);
    await regForm.getByTestId('field-username').fill('');
    await regForm.getByTestId('registry-save').click();
    await expect(regForm).toBeHidden();
    await expect(regRow).toContainText('anonymous');
    await regRow.getByTestId('registry-remove').click();
    await page.getByTestId('confirm-remove-registry').click();
    await expect(regRow).toHaveCount(0);
    await expect(page.getByTestId('registries')).toContainText('None configured');

    // The dark theme, for a look.
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await page.screenshot({ path: join(SHOTS, 'desired-page-dark.png') });
    await page.getByTestId('nav-devices').click();
    await expect(badgeOf(page, 'north-1')).toHaveAttribute('data-state', 'behind');
    await page.screenshot({ path: join(SHOTS, 'devices-desired-dark.png') });
    await rowOf(page, 'north-1').getByTestId('device-link').click();
    await expect(card).toHaveAttribute('data-state', 'behind');
    await shootTall(page, 'device-desired-dark.png');
  });
});
