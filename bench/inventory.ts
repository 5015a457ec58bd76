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

const argIndex = process.argv.indexOf('--devices');
const N = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 100_000;
const SITES = 50;
const TAGS = ['edge', 'x86', 'arm64', 'kiosk', 'camera', 'gateway', 'canary', 'prod'];

function makeCsv(n: number): string {
  const lines = ['name,host,port,user,site,tags,sudo,key,notes'];
  for (let i = 0; i < n; i++) {
    const site = `site-${String(i % SITES).padStart(2, '0')}`;
    const tags = [TAGS[i % TAGS.length], TAGS[(i * 7 + 3) % TAGS.length]].join(';');
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`dev-${String(i).padStart(6, '0')},${ip},22,core,${site},${tags},${i % 3 === 0},/home/ops/.ssh/id_ed25519,rack ${i % 40}`);
  }
  return lines.join('\n') + '\n';
}

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

    console.log('operation                                 median ms    p95 ms');
    const fmt = (name: string, m: { median: number; p95: number }) =>
      console.log(`${name.padEnd(40)} ${m.median.toFixed(2).padStart(9)} ${m.p95.toFixed(2).padStart(9)}`);
    fmt(`CSV import, dry run (${N} rows checked)`, { median: dryMs, p95: dryMs });
    fmt(`CSV import (${N} rows written)`, { median: importMs, p95: importMs });
    for (const [name, m] of rows) fmt(name, m);
    fmt(`CSV export (${N} rows)`, exp);
    console.log(`\nImport rate: ${Math.round(N / (importMs / 1000)).toLocaleString('en')} devices/s. Database: ${core.databasePath}`);
  } finally {
    core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
