/**
 * Inventory benchmark (not a test): loads 100,000 devices through the CSV import and times
 * the queries the Devices page makes, through the same contract dispatcher the UI uses.
 *   npm run bench:inventory [-- --devices 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCore, type BootfleetCore } from '../electron/core/app';
import { parseBootcStatus } from '../electron/core/bootc/status-parser';
import { makeCsv, SITES, statusJson } from './fleet-fixture';
import { matchDigests } from '../electron/core/desired/sql';
import type { ContactFailed, ContactOk } from '../electron/core/fleet/status-repo';

const argIndex = process.argv.indexOf('--devices');
const N = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 100_000;
async function call(core: BootfleetCore, method: string, input: unknown): Promise<unknown> {
  const r = await core.call(method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.value;
}

/** Median and p95 of `runs` timings of fn, in milliseconds. */
async function time(runs: number, fn: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, p95: t[Math.min(t.length - 1, Math.floor(t.length * 0.95))]! };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-bench-'));
  const core = openCore({ dataDir: dir, via: 'cli', log: () => {} });
  try {
    const csv = makeCsv(N);
    console.log(`Bootfleet inventory benchmark: ${N.toLocaleString('en')} devices, ${SITES} sites, SQLite ${core.db.prepare('select sqlite_version() v').pluck().get() as string}, Node ${process.versions.node}`);
    console.log(`CSV: ${(csv.length / 1048576).toFixed(1)} MiB\n`);

    let s = performance.now();
    const dry = (await call(core, 'devices.import', { csv, dryRun: true })) as { valid: number };
    const dryMs = performance.now() - s;
    s = performance.now();
    const rep = (await call(core, 'devices.import', { csv, dryRun: false, fileName: 'bench.csv' })) as { imported: number };
    const importMs = performance.now() - s;
    if (rep.imported !== N || dry.valid !== N) throw new Error(`imported ${rep.imported} of ${N}`);

    const rows: [string, { median: number; p95: number }][] = [];
    const page = (input: object) => () => call(core, 'devices.list', { limit: 100, ...input });
    rows.push(['first page (100, by name)', await time(30, page({}))]);
    rows.push(['deep page (offset 99,900, by name)', await time(30, page({ offset: N - 100 }))]);
    rows.push(['first page sorted by site', await time(30, page({ sort: 'site' }))]);
    rows.push(['deep page sorted by host desc', await time(30, page({ sort: 'host', dir: 'desc', offset: Math.floor(N / 2) }))]);
    rows.push(['filter: site', await time(30, page({ site: 'site-07' }))]);
    rows.push(['filter: tag', await time(30, page({ tags: ['canary'] }))]);
    rows.push(['filter: site + 2 tags', await time(30, page({ site: 'site-07', tags: ['canary', 'edge'] }))]);
    rows.push(['filter: search "dev-0421"', await time(30, page({ search: 'dev-0421' }))]);
    rows.push(['filter: search, no match', await time(30, page({ search: 'no-such-device' }))]);
    rows.push(['get by SITE/NAME', await time(30, () => call(core, 'devices.get', { device: 'site-07/dev-000007' }))]);
    rows.push(['tags.list', await time(10, () => call(core, 'tags.list', {}))]);
    rows.push(['sites.list', await time(10, () => call(core, 'sites.list', {}))]);
    const exp = await time(3, () => call(core, 'devices.export', { format: 'csv' }));

    // Fleet status: one snapshot per device (parsed and raw, as a refresh stores them), 5% unreachable.
    const ids = core.db.prepare('SELECT id FROM devices ORDER BY name').pluck().all() as string[];
    s = performance.now();
    const contacts: (ContactOk | ContactFailed)[] = ids.map((id, i) => {
      const at = new Date(Date.now() - (i % 50) * 3600_000).toISOString();
      if (i % 20 === 0) return { deviceId: id, at, code: 'SSH_UNREACHABLE', message: 'did not answer within 10 s', raw: null, command: null, durationMs: 10_000 };
      const raw = statusJson(i);
      return { deviceId: id, at, status: parseBootcStatus(raw), raw, command: 'sudo -n -- bootc status --format=json --format-version=1', durationMs: 90, facts: null };
    });
    for (let i = 0; i < contacts.length; i += 500) core.fleet.status.recordMany(contacts.slice(i, i + 500));
    const statusMs = performance.now() - s;
    const fleetRows: [string, { median: number; p95: number }][] = [];
    fleetRows.push(['fleet: first page sorted by state', await time(30, page({ sort: 'reach' }))]);
    fleetRows.push(['fleet: deep page sorted by last seen', await time(30, page({ sort: 'lastSeen', dir: 'desc', offset: Math.floor(N / 2) }))]);
    fleetRows.push(['fleet: sorted by booted version', await time(30, page({ sort: 'bootedVersion' }))]);
    fleetRows.push(['fleet: filter offline', await time(30, page({ reach: ['offline'] }))]);
    fleetRows.push(['fleet: filter stale', await time(30, page({ reach: ['stale'] }))]);
    fleetRows.push(['fleet: filter staged + site', await time(30, page({ staged: true, site: 'site-07' }))]);
    fleetRows.push(['fleet: state counts (6 totals)', await time(10, () => Promise.all(['online', 'offline', 'error', 'not-bootc', 'never', 'stale'].map((r) => call(core, 'devices.list', { reach: [r], limit: 1 }))))]);
    fleetRows.push(['fleet.device (status, history)', await time(30, () => call(core, 'fleet.device', { device: 'site-07/dev-000007' }))]);

    // Desired state: one image per site and one for the canary tag, resolved to an index whose
    // amd64 manifest is digest 2 (so devices on digest 1 are behind, those staging 3 are not).
    const hex = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
    const platforms = [{ digest: hex(2), os: 'linux', architecture: 'amd64', variant: null }];
    const resolve = core.db.prepare(
      "INSERT OR REPLACE INTO image_resolutions (ref, digest, media_type, platforms, match_digests, resolved_at) VALUES (?, ?, 'application/vnd.oci.image.index.v1+json', ?, ?, ?)",
    );
    for (let i = 0; i < SITES; i++) {
      const image = `quay.io/acme/os:site-${i}`;
      await call(core, 'desired.set', { scope: 'site', target: `site-${String(i).padStart(2, '0')}`, image, resolve: false });
      resolve.run(image, hex(1000 + i), JSON.stringify(platforms), matchDigests(hex(1000 + i), platforms), new Date().toISOString());
    }
    await call(core, 'desired.set', { scope: 'tag', target: 'canary', image: 'quay.io/acme/os:canary', resolve: false });
    resolve.run('quay.io/acme/os:canary', hex(3), '[]', matchDigests(hex(3), []), new Date().toISOString());
    fleetRows.push(['desired: first page (state per row)', await time(30, page({}))]);
    fleetRows.push(['desired: filter behind', await time(10, page({ desired: ['behind'] }))]);
    fleetRows.push(['desired: filter behind + site', await time(30, page({ desired: ['behind'], site: 'site-07' }))]);
    fleetRows.push(['desired.list (51 entries, counts)', await time(3, () => call(core, 'desired.list', {}))]);

    console.log('operation                                 median ms    p95 ms');
    const fmt = (name: string, m: { median: number; p95: number }) =>
      console.log(`${name.padEnd(40)} ${m.median.toFixed(2).padStart(9)} ${m.p95.toFixed(2).padStart(9)}`);
    fmt(`CSV import, dry run (${N} rows checked)`, { median: dryMs, p95: dryMs });
    fmt(`CSV import (${N} rows written)`, { median: importMs, p95: importMs });
    for (const [name, m] of rows) fmt(name, m);
    fmt(`CSV export (${N} rows)`, exp);
    fmt(`status snapshots stored (${N}, parse + write)`, { median: statusMs, p95: statusMs });
    for (const [name, m] of fleetRows) fmt(name, m);
    console.log(`\nImport rate: ${Math.round(N / (importMs / 1000)).toLocaleString('en')} devices/s. Database: ${core.databasePath}`);
  } finally {
    core.close();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
