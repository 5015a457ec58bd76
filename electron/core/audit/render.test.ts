import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditFileName, auditHeader as header, type AuditReport } from '../../../shared/contract';
import { auditCsv, auditJson, verifyAuditJson } from './render';

/** The report files as `bootfleet audit` and the UI's exports (audit.export) write them. */
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A small report by hand: a drifted device with notes and a comma, a formula-like name, one never contacted. */
const zero = { 'in-sync': 0, drifted: 0, staged: 0, 'fallen-back': 0, unsigned: 0, 'usr-modified': 0, 'etc-modified': 0, stale: 0, 'never-contacted': 0, 'no-desired': 0, conflict: 0, unresolved: 0 };
const report: AuditReport = {
  schema: 'bootfleet.audit/v1',
  generatedAt: '2026-11-23T12:00:00.000Z',
  generatedBy: 'ana',
  bootfleetVersion: '0.1.0',
  auditedAt: '2026-11-20T23:59:59.999Z',
  asOf: '2026-11-20T23:59:59.999Z',
  scope: { site: 'plant-7', tag: null, devices: null },
  staleAfter: '7d',
  siteStaleAfter: {},
  desired: [{ scope: 'site', target: 'plant-7', image: 'registry.local/os:stable', digest: 'sha256:' + 'b'.repeat(64), resolvedAt: '2026-11-19T08:00:00.000Z', requireSigned: false, devices: 2 }],
  total: 3,
  counts: { ...zero, 'in-sync': 1, drifted: 1, 'never-contacted': 1 },
  sites: [{ site: 'plant-7', total: 3, counts: { ...zero, 'in-sync': 1, drifted: 1, 'never-contacted': 1 } }],
  devices: [
    {
      id: 'd1', name: 'plc-1', site: 'plant-7', tags: ['edge', 'line-2'], state: 'drifted',
      reason: 'booted 1.0 (sha256:aaaaaaaaaaaa), desired registry.local/os:stable (sha256:bbbbbbbbbbbb) since 2026-11-19T08:00:00.000Z',
      notes: ['/usr overlay active (transient).', 'Said "hello", twice.'],
      desired: { image: 'registry.local/os:stable', source: 'site', sourceName: 'plant-7', digest: 'sha256:' + 'b'.repeat(64), resolvedAt: '2026-11-19T08:00:00.000Z', pinned: false, requireSigned: false },
      bootedImage: 'registry.local/os:stable', booted: { digest: 'sha256:' + 'a'.repeat(64), version: '1.0' }, staged: null, rollback: { digest: 'sha256:' + 'c'.repeat(64), version: '0.9' },
      usrOverlay: 'transient', signature: null, etc: { changed: ['M chrony.conf', 'A sudoers.d/ops'], expected: 3, truncated: 0 }, lastSeenAt: '2026-11-20T11:59:59.999Z', snapshotId: 12, dataAgeSeconds: 43200, source: null, lastApplied: null,
    },
    {
      id: 'd2', name: '=plc-2', site: 'plant-7', tags: [], state: 'in-sync', reason: 'Runs its desired image.', notes: [],
      desired: { image: 'registry.local/os:stable', source: 'site', sourceName: 'plant-7', digest: 'sha256:' + 'b'.repeat(64), resolvedAt: '2026-11-19T08:00:00.000Z', pinned: false, requireSigned: false },
      bootedImage: 'registry.local/os:stable', booted: { digest: 'sha256:' + 'b'.repeat(64), version: null }, staged: null, rollback: null,
      usrOverlay: null, signature: 'containerPolicy', etc: { changed: [], expected: 3, truncated: 0 }, lastSeenAt: '2026-11-20T20:00:00.000Z', snapshotId: 13, dataAgeSeconds: 14400, source: null, lastApplied: { digest: 'sha256:' + 'b'.repeat(64), at: '2026-11-19T09:00:00.000Z', jobId: 'j1' },
    },
    {
      id: 'd3', name: 'kiosk-3', site: null, tags: ['lobby'], state: 'never-contacted', reason: 'No bootc status was ever read from it (last attempt 2026-11-20T10:00:00.000Z: connect ECONNREFUSED).', notes: [],
      desired: null, bootedImage: null, booted: null, staged: null, rollback: null, usrOverlay: null, signature: null, etc: null, lastSeenAt: null, snapshotId: null, dataAgeSeconds: null, source: null, lastApplied: null,
    },
  ],
  timeline: null,
  passed: { drift: false, stale: false },
};

const B = 'b'.repeat(64);

/** What `bootfleet audit --format csv` writes for this report (electron/core/audit/render.ts). */
const CSV = [
  '# Bootfleet drift audit (bootfleet.audit/v1), made 2026-11-23T12:00:00.000Z by ana with Bootfleet 0.1.0',
  "# Audited as of 2026-11-20T23:59:59.999Z (a past moment: each device as its stored snapshots then showed it; the desired state is today's); scope: site plant-7; stale after 7d",
  `# Desired state used: site plant-7: registry.local/os:stable = sha256:${B} (resolved 2026-11-19T08:00:00.000Z)`,
  '# 3 devices: 1 in sync, 1 drifted, 1 never contacted',
  '# sha256 of the lines below: acab329efc21d4f51135c1e050225fa69e46ccb37039dec65974a4f25e175695',
  'name,site,tags,state,reason,desired_image,desired_source,desired_digest,desired_resolved_at,booted_image,booted_digest,booted_version,staged_digest,rollback_digest,usr_overlay,booted_signature,etc_changes,last_seen_at,data_age_hours,notes',
  `plc-1,plant-7,edge;line-2,drifted,"booted 1.0 (sha256:aaaaaaaaaaaa), desired registry.local/os:stable (sha256:bbbbbbbbbbbb) since 2026-11-19T08:00:00.000Z",registry.local/os:stable,site plant-7,sha256:${B},2026-11-19T08:00:00.000Z,registry.local/os:stable,sha256:${'a'.repeat(64)},1.0,,sha256:${'c'.repeat(64)},transient,,M chrony.conf;A sudoers.d/ops,2026-11-20T11:59:59.999Z,12.0,"/usr overlay active (transient). Said ""hello"", twice."`,
  `"'=plc-2",plant-7,,in-sync,Runs its desired image.,registry.local/os:stable,site plant-7,sha256:${B},2026-11-19T08:00:00.000Z,registry.local/os:stable,sha256:${B},,,,,containerPolicy,,2026-11-20T20:00:00.000Z,4.0,`,
  'kiosk-3,,lobby,never-contacted,No bootc status was ever read from it (last attempt 2026-11-20T10:00:00.000Z: connect ECONNREFUSED).,,,,,,,,,,,,,,,',
  '',
].join('\r\n');

describe('audit report files', () => {
  it('hashes UTF-8 text as SHA-256 hex', async () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('\u00e9')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('writes the CSV as the CLI does: # lines, the rows hash, quoting, defused formulas, CRLF', async () => {
    const csv = auditCsv(report);
    expect(csv).toBe(CSV);
    const body = csv.split('\r\n').slice(5).join('\r\n');
    expect(csv).toContain(`# sha256 of the lines below: ${sha256Hex(body)}\r\n`);
  });

  it('writes the JSON with a sha256 of the report that verifies, and the same hash as the CLI', async () => {
    const text = auditJson(report);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "schema": "bootfleet.audit/v1",');
    const parsed = JSON.parse(text) as AuditReport & { sha256: string };
    expect(parsed.sha256).toBe('21073f75c45f895d46a204bf03df5ce81a54affb38a099a36bdba6efbd41e736');
    const { sha256, ...rest } = parsed;
    expect(sha256).toBe(sha256Hex(JSON.stringify(report)));
    expect(rest).toEqual(report);
    expect(verifyAuditJson(text)).toBe(true);
    expect(verifyAuditJson(text.replace('"drifted"', '"in-sync"'))).toBe(false);
  });

  it('says "every device" and "none" for an empty, unscoped report', () => {
    const empty: AuditReport = { ...report, asOf: null, scope: { site: null, tag: null, devices: null }, desired: [], total: 0, counts: { ...zero }, sites: [], devices: [] };
    const lines = header(empty);
    expect(lines[1]).toBe('Audited as of 2026-11-20T23:59:59.999Z; scope: every device; stale after 7d');
    expect(lines[2]).toBe('Desired state used: none');
    expect(lines[3]).toBe('0 devices: none');
  });

  it('names files by scope and audited day', () => {
    expect(auditFileName(report, 'csv')).toBe('bootfleet-audit-plant-7-2026-11-20.csv');
    expect(auditFileName({ ...report, scope: { site: null, tag: 'a b/c', devices: null } }, 'json')).toBe('bootfleet-audit-a_b_c-2026-11-20.json');
  });
});
