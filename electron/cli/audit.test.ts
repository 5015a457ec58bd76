import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../e2e/lab';
import type { AuditDevice, AuditReport } from '../../shared/contract';
import type { BootfleetCore } from '../core/app';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore } from '../core/test-support';
import { AuditService } from '../core/audit/audit-service';
import { auditCsv, auditJson, verifyAuditJson } from '../core/audit/render';
import { AuditRowsReader } from '../core/audit/rows-reader';
import { runCli } from './program';

/** The offline audit (core and `bootfleet audit`), each state made for real in the device lab (needs root). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the audit tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
/** The core's clock runs `offset` ms away from the real one, to make a device's data old. */
let offset = 0;
let beforeChanges = '';
const DAY = 86_400_000;
const digest = (tag: string) => lab.images.find((i) => i.tag === tag)!.digests.amd64!;
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;

function onDevice(d: LabDevice, cmd: string): string {
  return execFileSync('ssh', ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, cmd]).toString();
}

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'synced', image: '1.1' },
      { name: 'drift', image: '1.0' },
      { name: 'staged', image: '1.0' },
      { name: 'fallback', image: '1.0' },
      { name: 'overlay', image: '1.1' },
      { name: 'gone', image: '1.1' },
      { name: 'never', image: '1.1' },
      { name: 'elsewhere', image: '1.0' },
    ],
  });
  core = openTestCore({ clock: { now: () => new Date(Date.now() + offset).toISOString() }, actions: { pollMs: 100 } });
  await ok(core, 'sites.add', { name: 'plant' });
  await ok(core, 'sites.add', { name: 'depot' });
  for (const d of lab.devices) {
    await ok(core, 'devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo, site: d.name === 'elsewhere' ? 'depot' : 'plant' });
  }
  // The plant should run 1.1 (a tag, resolved through the lab registry to its multi-platform index).
  await ok(core, 'desired.set', { scope: 'site', target: 'plant', image: `${lab.registry!.host}/bootfleet/os:1.1`, resolve: true });
  // "gone" was last seen ten days ago; the others now ("never" is never contacted).
  offset = -10 * DAY;
  await core.fleet.refresh(core.actor, { devices: ['gone'], facts: false });
  offset = 0;
  await core.fleet.refresh(core.actor, { devices: ['synced', 'drift', 'staged', 'fallback', 'overlay', 'elsewhere'], facts: false });
  beforeChanges = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  // staged: 1.1 staged, not booted. fallback: 1.1 applied, the boot fails its health checks, 1.0 boots again.
  const act = async (input: Parameters<typeof ok<'actions.start'>>[2]) => core.actions.wait((await ok(core, 'actions.start', input)).id);
  await act({ action: 'switch', devices: ['staged'], image: `${lab.registry!.host}/bootfleet/os:1.1` });
  await lab.setFaults('fallback', { bootFails: true });
  const fell = await act({ action: 'switch', devices: ['fallback'], image: `${lab.registry!.host}/bootfleet/os:1.1`, apply: true, waitSeconds: 60 });
  expect(fell.devices[0]!.error?.code).toBe('BOOTED_WRONG_IMAGE');
  // overlay: a transient /usr overlay on the desired image.
  onDevice(dev('overlay'), 'sudo -n bootc usr-overlay');
  await core.fleet.refresh(core.actor, { devices: ['overlay'], facts: false });
}, 240_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

const byName = (r: AuditReport): Record<string, AuditDevice> => Object.fromEntries(r.devices.map((d) => [d.name, d]));

suite('the offline drift audit', () => {
  it('classifies every device from the inventory alone, with the reason', async () => {
    const r = await ok(core, 'audit.run', {});
    const d = byName(r);
    expect(Object.fromEntries(r.devices.map((x) => [x.name, x.state]))).toEqual({
      synced: 'in-sync',
      drift: 'drifted',
      staged: 'staged',
      fallback: 'fallen-back',
      overlay: 'usr-modified',
      gone: 'stale',
      never: 'never-contacted',
      elsewhere: 'no-desired',
    });
    // A multi-platform tag matches the per-platform digest bootc reports.
    const index = lab.images.find((i) => i.tag === '1.1')!.indexDigest;
    expect(d.synced!.desired).toMatchObject({ image: `${lab.registry!.host}/bootfleet/os:1.1`, source: 'site', sourceName: 'plant', digest: index, pinned: false });
    expect(d.synced!.desired!.resolvedAt).not.toBeNull();
    expect(d.synced!.reason).toMatch(/^Boots the desired 42\.\S+ \([0-9a-f]{12}\) \(site plant, resolved \S+\)\.$/);
    expect(d.drift!.reason).toContain(`Boots 42.20260901.0 (${digest('1.0').slice(7, 19)}); desired ${lab.registry!.host}/bootfleet/os:1.1 (${index.slice(7, 19)})`);
    expect(d.staged!.reason).toContain(`The desired image 42.20261001.0 (${digest('1.1').slice(7, 19)}) is staged but not booted`);
    expect(d.fallback!.reason).toMatch(/the image it had before .* was applied on \S+: it fell back or was rolled back/);
    expect(d.fallback!.lastApplied!.digest).toBe(digest('1.1'));
    expect(d.overlay!).toMatchObject({ usrOverlay: 'readWrite' });
    expect(d.gone!.reason).toMatch(/^Last seen 10 days before the audit \(more than 7d\); then it booted .*, as desired\.$/);
    expect(d.gone!.dataAgeSeconds).toBeGreaterThan(9 * 86_400);
    expect(d.never!.reason).toBe('No bootc status was ever read from it.');
    expect(r.counts).toMatchObject({ 'in-sync': 1, drifted: 1, staged: 1, 'fallen-back': 1, 'usr-modified': 1, stale: 1, 'never-contacted': 1, 'no-desired': 1 });
    expect(r.sites.map((s) => [s.site, s.total])).toEqual([['depot', 1], ['plant', 7]]);
    expect(r.passed).toEqual({ drift: false, stale: false });
    expect(r.desired).toEqual([expect.objectContaining({ scope: 'site', target: 'plant', digest: index, devices: 7 })]);
  });

  it('scopes by site, tag or names, and a longer stale threshold vouches for old data', async () => {
    const depot = await ok(core, 'audit.run', { site: 'depot' });
    expect(depot.devices.map((d) => d.name)).toEqual(['elsewhere']);
    expect(depot.scope.site).toBe('depot');
    const two = await ok(core, 'audit.run', { devices: ['synced', 'gone'], staleAfter: '30d' });
    expect(two.devices.map((d) => [d.name, d.state])).toEqual([['gone', 'in-sync'], ['synced', 'in-sync']]);
    expect(two.passed).toEqual({ drift: true, stale: true });
  });

  it('audits a past moment from the stored snapshots', async () => {
    const r = byName(await ok(core, 'audit.run', { asOf: beforeChanges }));
    // Before the switch, "staged" booted 1.0 with nothing staged, and "fallback" had not been touched.
    expect(r.staged!.state).toBe('drifted');
    expect(r.fallback!.state).toBe('drifted');
    expect(r.overlay!.state).toBe('in-sync');
    expect(r.synced!.state).toBe('in-sync');
    const early = byName(await ok(core, 'audit.run', { asOf: '2020-01-01' }));
    expect(early.synced!.state).toBe('never-contacted');
  });

  it('reads big fleets in chunks on a worker thread, with the same report as in one piece', async () => {
    const now = new Date().toISOString();
    const clock = { now: () => now };
    const reader = new AuditRowsReader(core.databasePath);
    try {
      const inThread = new AuditService({ db: core.db, clock, inventory: core.inventory });
      // One device per chunk: 8 chunks read on the worker, classified as they arrive.
      const chunked = new AuditService({ db: core.db, clock, inventory: core.inventory, rowsReader: reader, workerFrom: 1, chunkRows: 1 });
      for (const input of [{}, { site: 'plant' }, { asOf: new Date(Date.parse(now) - 1000).toISOString() }, { devices: ['drift', 'never'] }]) {
        const a = await inThread.run(core.actor, input);
        const b = await chunked.run(core.actor, input);
        expect(b.devices.map((x) => x.name)).toEqual(a.devices.map((x) => x.name));
        expect(b).toEqual(a);
      }
      expect((await chunked.run(core.actor, {})).devices).toHaveLength(8);
    } finally {
      reader.close();
    }
  });

  it('writes JSON with a SHA-256 of its content, and CSV that says where it came from', async () => {
    const r = await ok(core, 'audit.run', {});
    const json = auditJson(r);
    expect(verifyAuditJson(json)).toBe(true);
    expect(verifyAuditJson(json.replace('"drifted"', '"in-sync"'))).toBe(false);
    const csv = auditCsv(r);
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^# Bootfleet drift audit \(bootfleet\.audit\/v1\), made \S+ by \S+ with Bootfleet /);
    const head = lines.findIndex((l) => l.startsWith('name,'));
    expect(lines[head]).toBe('name,site,tags,state,reason,desired_image,desired_source,desired_digest,desired_resolved_at,booted_image,booted_digest,booted_version,staged_digest,rollback_digest,usr_overlay,booted_signature,etc_changes,last_seen_at,data_age_hours,notes');
    expect(lines.slice(head + 1).filter(Boolean)).toHaveLength(8);
    expect(lines.find((l) => l.startsWith('drift,plant,,drifted,'))).toBeDefined();
  });

  it('bootfleet audit: a table of what is not in sync, files on request, and an exit status that says whether the fleet passed', async () => {
    const cli = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', core.dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
      return { code, stdout, stderr };
    };
    const plain = await cli('audit');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('8 devices: 1 in sync, 1 drifted, 1 update staged, not booted, 1 fell back or rolled back, 1 /usr modified, 1 stale, 1 never contacted, 1 no desired image');
    expect(plain.stdout).toContain('Not in sync (7):');
    expect(plain.stdout).toMatch(/plant\/fallback\s+fallen-back\s+/);
    const failing = await cli('audit', '--site', 'plant', '--fail-on', 'drift');
    expect(failing.code).toBe(2);
    expect(failing.stderr).toMatch(/^The fleet did not pass \(drift\): 4 devices /);
    const passing = await cli('audit', 'synced', '--fail-on', 'drift', '--fail-on', 'stale');
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('Every device in scope is in sync.');
    const file = join(core.dataDir, 'audit.csv');
    const written = await cli('audit', '--format', 'csv', '-o', file);
    expect(written.stderr).toBe(`Wrote ${file} (csv).\n`);
    expect(readFileSync(file, 'utf8')).toContain('\r\nname,site,tags,state,');
    const json = await cli('audit', '--json', '--as-of', '2020-01-01');
    expect(verifyAuditJson(json.stdout)).toBe(true);
    expect((JSON.parse(json.stdout) as AuditReport).counts['never-contacted']).toBe(8);
    const bad = await cli('audit', '--stale-after', 'week');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('must be a number of days, hours or minutes, e.g. 7d, 36h or 90m');
  });

  it('HTML (self-contained, with charts, opened in Chromium) and PDF (the same page printed, read back as text)', async () => {
    const dir = join(core.dataDir, 'reports');
    mkdirSync(dir, { recursive: true });
    const run = async (...args: string[]) => {
      let stderr = '';
      const code = await runCli(['--data-dir', core.dataDir, ...args], { stdout: () => undefined, stderr: (x) => (stderr += x), readStdin: async () => '' });
      expect(code, stderr).toBe(0);
    };
    const html = join(dir, 'audit.html');
    await run('audit', '--format', 'html', '--weeks', '4', '-o', html);
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/(src|href)="https?:/);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const blocked: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) blocked.push(r.url());
      });
      await page.goto(pathToFileURL(html).href);
      expect(await page.locator('h1').textContent()).toBe('Drift audit');
      expect(await page.locator('tbody tr').count()).toBe(7);
      expect(await page.locator('tbody tr[data-state="fallen-back"] td').first().textContent()).toBe('plant/fallback');
      expect(await page.locator('svg[aria-label="States per site"] rect').count()).toBeGreaterThanOrEqual(8);
      expect(await page.locator('svg[aria-label="States over time"]').count()).toBe(1);
      // The embedded report is the JSON report, and its SHA-256 checks.
      const embedded = (await page.locator('#bootfleet-audit').textContent())!;
      expect(verifyAuditJson(embedded)).toBe(true);
      expect((JSON.parse(embedded) as AuditReport).timeline).toHaveLength(4);
      expect(blocked).toEqual([]);
      mkdirSync(join(__dirname, '../../e2e/.artifacts/screenshots'), { recursive: true });
      await page.screenshot({ path: join(__dirname, '../../e2e/.artifacts/screenshots/audit-report-html.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    const pdf = join(dir, 'audit.pdf');
    await run('audit', '--format', 'pdf', '-o', pdf);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    const words = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    expect(words).toContain('Drift audit');
    expect(words).toContain('plant/fallback');
    expect(words).toContain('Fell back or rolled back');
    expect(words).toMatch(/8 devices: 1 in sync, 1 drifted/);
  }, 120_000);

  it('bootfleet export ansible: an inventory grouped by site and tag that ansible-inventory accepts', async () => {
    await ok(core, 'devices.update', { device: 'synced', patch: { tags: ['ring-canary'] } });
    const file = join(core.dataDir, 'inventory.yml');
    let stderr = '';
    const code = await runCli(['--data-dir', core.dataDir, 'export', 'ansible', '-o', file], { stdout: () => undefined, stderr: (x) => (stderr += x), readStdin: async () => '' });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Wrote an Ansible inventory of 8 devices');
    const listed = JSON.parse(execFileSync('ansible-inventory', ['--list', '-i', file], { env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true', ANSIBLE_LOCAL_TEMP: join(core.dataDir, 'ansible-tmp'), HOME: core.dataDir } }).toString()) as {
      all: { children: string[] };
      _meta: { hostvars: Record<string, Record<string, unknown>> };
      [group: string]: { hosts?: string[]; children?: string[] } | unknown;
    };
    expect(listed.all.children).toEqual(expect.arrayContaining(['site_plant', 'site_depot', 'tag_ring_canary']));
    expect((listed.site_plant as { hosts: string[] }).hosts.sort()).toEqual(['drift', 'fallback', 'gone', 'never', 'overlay', 'staged', 'synced']);
    expect((listed.tag_ring_canary as { hosts: string[] }).hosts).toEqual(['synced']);
    const d = dev('drift');
    expect(listed._meta.hostvars.drift).toMatchObject({
      ansible_host: d.host,
      ansible_port: d.port,
      ansible_user: d.user,
      ansible_ssh_private_key_file: d.key,
      bootfleet_site: 'plant',
      bootfleet_desired_image: `${lab.registry!.host}/bootfleet/os:1.1`,
      bootfleet_desired_digest: lab.images.find((i) => i.tag === '1.1')!.indexDigest,
      bootfleet_booted_digest: digest('1.0'),
    });
    expect(listed._meta.hostvars.elsewhere).not.toHaveProperty('bootfleet_desired_image');
  });

  it("a site's own stale threshold applies unless one is given for every device", async () => {
    const cli = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', core.dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
      return { code, stdout, stderr };
    };
    expect((await cli('sites', 'edit', 'plant', '--stale-after', '30')).code).toBe(0);
    expect((await cli('sites', 'list')).stdout).toMatch(/plant\s+7\s+-\s+30 d/);
    const own = await ok(core, 'audit.run', { devices: ['gone'] });
    expect(own.devices[0]!.state).toBe('in-sync');
    expect(own).toMatchObject({ staleAfter: null, siteStaleAfter: { plant: '30d' } });
    expect((await cli('audit', 'gone')).stdout).toContain('stale after 7d (plant: 30d)');
    const given = await ok(core, 'audit.run', { devices: ['gone'], staleAfter: '7d' });
    expect(given.devices[0]!.state).toBe('stale');
    expect(given.siteStaleAfter).toEqual({});
    expect((await cli('sites', 'edit', 'plant', '--stale-after', 'default')).code).toBe(0);
    expect((await ok(core, 'audit.run', { devices: ['gone'] })).devices[0]!.state).toBe('stale');
  });

  it('a signed site bundle carries the site to an auditor: merged without duplicates, audited there with where its data came from', async () => {
    const usb = join(core.dataDir, 'site-bundle');
    expect(await ok(core, 'bundle.export', { site: 'plant', path: usb })).toMatchObject({ images: 0, site: 'plant' });
    const auditor = openTestCore();
    const key = await ok(core, 'keys.show', {});
    expect((await fails(auditor, 'bundle.import', { path: usb })).message).toContain('a key this installation does not trust');
    expect((await ok(auditor, 'devices.list', {})).total).toBe(0);
    await ok(auditor, 'keys.trust', { publicKey: key.publicKey, fingerprint: key.fingerprint, name: 'plant laptop' });
    const first = await ok(auditor, 'bundle.import', { path: usb });
    expect(first.site).toMatchObject({ site: 'plant', devicesAdded: 7, conflicts: [] });
    expect(first.site!.snapshotsAdded).toBeGreaterThanOrEqual(7);
    expect(first.site!.activityAdded).toBeGreaterThan(7);
    // The same bundle again changes nothing, not even the activity log.
    const logged = (await ok(auditor, 'activity.list', {})).items.length;
    expect((await ok(auditor, 'bundle.import', { path: usb })).site).toEqual({ site: 'plant', devicesAdded: 0, snapshotsAdded: 0, activityAdded: 0, recordingsAdded: 0, conflicts: [] });
    expect((await ok(auditor, 'activity.list', {})).items.length).toBe(logged);
    // Audited at the auditor's: the same states as at the site, each device saying where its data came from.
    const there = byName(await ok(auditor, 'audit.run', { staleAfter: '7d' }));
    const here = byName(await ok(core, 'audit.run', { site: 'plant', staleAfter: '7d' }));
    for (const n of ['synced', 'drift', 'staged', 'overlay', 'gone', 'never', 'fallback']) expect([n, there[n]!.state]).toEqual([n, here[n]!.state]);
    // The reboot into 1.1 that "fallback" fell back from travels with the site data.
    expect(there.fallback!.state).toBe('fallen-back');
    expect(there.fallback!.lastApplied).toEqual(here.fallback!.lastApplied);
    expect(there.drift!.source).toMatchObject({ keyFingerprint: key.fingerprint, keyName: 'plant laptop' });
    expect(there.drift!.notes.at(-1)).toMatch(/^Data from a bundle signed by plant laptop \(SHA256:\S+\), made \S+\.$/);
    // An edit at the auditor's that disagrees is reported on the next import, and kept.
    await ok(auditor, 'devices.update', { device: 'plant/drift', patch: { host: '10.9.9.9' } });
    const third = await ok(auditor, 'bundle.import', { path: usb });
    expect(third.site!.conflicts).toEqual([`plant/drift: host is 10.9.9.9 here, ${dev('drift').host} in the bundle; this installation's kept.`]);
    expect((await ok(auditor, 'devices.get', { device: 'plant/drift' })).host).toBe('10.9.9.9');
  });
});
