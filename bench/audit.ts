/**
 * Audit benchmark (not a test): 100,000 devices with a status snapshot each (5% never reached,
 * some stale, some staging), desired images per site and for a tag, then the offline audit over
 * the whole fleet and the report exports, through the same contract dispatcher the UI and CLI use.
 * Target: the audit of 100,000 devices in under one second.
 *   npm run bench:audit [-- --devices 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditReport, AuditView } from '../shared/contract';
import { openCore, type BootfleetCore } from '../electron/core/app';
import { auditCsv, auditJson } from '../electron/core/audit/render';
import { parseBootcStatus } from '../electron/core/bootc/status-parser';
import { matchDigests } from '../electron/core/desired/sql';
import type { ContactFailed, ContactOk } from '../electron/core/fleet/status-repo';
import { makeCsv, SITES, statusJson } from './fleet-fixture';

const argIndex = process.argv.indexOf('--devices');
const N = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 100_000;

async function call<T>(core: BootfleetCore, method: string, input: unknown): Promise<T> {
  const r = await core.call(method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.value as T;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-bench-audit-'));
  const core = openCore({ dataDir: dir, via: 'cli', log: () => {} });
  try {
    await call(core, 'devices.import', { csv: makeCsv(N), dryRun: false, fileName: 'bench.csv' });
    const ids = core.db.prepare('SELECT id FROM devices ORDER BY name').pluck().all() as string[];
    // One snapshot per device; every 20th unreachable, every 13th last seen 9 days ago.
    const contacts: (ContactOk | ContactFailed)[] = ids.map((id, i) => {
      const at = new Date(Date.now() - (i % 13 === 0 ? 9 * 86_400_000 : (i % 50) * 3600_000)).toISOString();
      if (i % 20 === 0) return { deviceId: id, at, code: 'SSH_UNREACHABLE', message: 'did not answer within 10 s', raw: null, command: null, durationMs: 10_000 };
      const raw = statusJson(i);
      // /etc as config-diff shows it on a real machine (its identity and users), every 40th edited by hand.
      const etcDiff = { modified: ['passwd', 'shadow', 'group', ...(i % 40 === 1 ? ['chrony.conf'] : [])], added: ['machine-id', 'hostname', 'ssh/ssh_host_ed25519_key'], removed: [], truncated: 0 };
      return { deviceId: id, at, status: parseBootcStatus(raw), raw, command: 'sudo -n -- bootc status --format=json --format-version=1', durationMs: 90, facts: null, etcDiff };
    });
    for (let i = 0; i < contacts.length; i += 500) core.fleet.status.recordMany(contacts.slice(i, i + 500));
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

    const timed = async <T>(runs: number, fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> => {
      const t: number[] = [];
      let value!: T;
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        value = await fn();
        t.push(performance.now() - s);
      }
      t.sort((a, b) => a - b);
      return { ms: t[Math.floor(t.length / 2)]!, value };
    };
    console.log(`Bootfleet audit benchmark: ${N.toLocaleString('en')} devices, ${SITES} sites, one snapshot each, Node ${process.versions.node}\n`);
    const whole = await timed(5, () => call<AuditReport>(core, 'audit.run', {}));
    const site = await timed(5, () => call<AuditReport>(core, 'audit.run', { site: 'site-07' }));
    const asOf = await timed(3, () => call<AuditReport>(core, 'audit.run', { asOf: new Date(Date.now() - 86_400_000).toISOString() }));
    // What the Audit page asks for: the first view (an audit) and then its next page (the same audit reused).
    const first = await timed(1, () => call<AuditView>(core, 'audit.view', { limit: 200 }));
    const more = await timed(3, () => call<AuditView>(core, 'audit.view', { limit: 400 }));
    const json = await timed(3, () => auditJson(whole.value));
    const csv = await timed(3, () => auditCsv(whole.value));
    const row = (name: string, ms: number, extra = '') => console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${extra}`);
    row(`audit, whole fleet (${whole.value.total} devices)`, whole.ms, `(target: under 1000 ms)`);
    row(`audit, one site (${site.value.total} devices)`, site.ms);
    row(`audit as of yesterday, from snapshots`, asOf.ms);
    row('Audit page: first view (counts + 200 rows)', first.ms, `${(JSON.stringify(first.value).length / 1024).toFixed(0)} KiB sent, against ${(JSON.stringify(whole.value).length / 1048576).toFixed(1)} MiB for the whole report`);
    row('Audit page: Show more (400 rows, audit reused)', more.ms);
    row('JSON report', json.ms, `${(json.value.length / 1048576).toFixed(1)} MiB`);
    row('CSV report', csv.ms, `${(csv.value.length / 1048576).toFixed(1)} MiB`);
    console.log(`\nStates: ${Object.entries(whole.value.counts).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(', ')}`);
    console.log(whole.ms < 1000 ? 'The whole-fleet audit met its target.' : 'The whole-fleet audit MISSED its target of one second.');
  } finally {
    core.close();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
