/**
 * Audit reports as files, written in the renderer exactly as `bootfleet audit --format json|csv`
 * writes them (electron/core/audit/render.ts, which the renderer cannot import). JSON: the report
 * with `sha256`, the SHA-256 of JSON.stringify(report) before that field is added, pretty-printed.
 * CSV: `#` lines (who, when, scope, the SHA-256 of the rows), then one row per device, CRLF.
 * Keep the two in step: audit-export.test.ts checks a report against the CLI's output byte for byte.
 */
import { auditStateLabel, type AuditReport } from '../../../shared/contract';

/** SHA-256 of the UTF-8 text, in hex (Web Crypto: the browser, Electron's renderer and Node 20). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The JSON file: the report and its `sha256`, two-space indented, with a final newline. */
export async function auditJson(report: AuditReport): Promise<string> {
  const sha256 = await sha256Hex(JSON.stringify(report));
  return `${JSON.stringify({ ...report, sha256 }, null, 2)}\n`;
}

/** True when a JSON report's `sha256` matches its content (the file was not changed). */
export async function verifyAuditJson(text: string): Promise<boolean> {
  const { sha256: claimed, ...rest } = JSON.parse(text) as AuditReport & { sha256?: unknown };
  return typeof claimed === 'string' && claimed === (await sha256Hex(JSON.stringify(rest)));
}

const CSV_COLUMNS = [
  'name',
  'site',
  'tags',
  'state',
  'reason',
  'desired_image',
  'desired_source',
  'desired_digest',
  'desired_resolved_at',
  'booted_image',
  'booted_digest',
  'booted_version',
  'staged_digest',
  'rollback_digest',
  'usr_overlay',
  'last_seen_at',
  'data_age_hours',
  'notes',
];

function cell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Quoted where needed; a leading = + - @ is defused so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV file, as the CLI writes it. */
export async function auditCsv(report: AuditReport): Promise<string> {
  const rows = report.devices.map((d) =>
    [
      d.name,
      d.site,
      d.tags.join(';'),
      d.state,
      d.reason,
      d.desired?.image,
      d.desired ? `${d.desired.source}${d.desired.sourceName ? ` ${d.desired.sourceName}` : ''}` : null,
      d.desired?.digest,
      d.desired?.resolvedAt,
      d.bootedImage,
      d.booted?.digest,
      d.booted?.version,
      d.staged?.digest,
      d.rollback?.digest,
      d.usrOverlay,
      d.lastSeenAt,
      d.dataAgeSeconds === null ? null : (d.dataAgeSeconds / 3600).toFixed(1),
      d.notes.join(' '),
    ]
      .map(cell)
      .join(','),
  );
  const body = [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
  return header(report).map((l) => `# ${l}\r\n`).join('') + `# sha256 of the lines below: ${await sha256Hex(body)}\r\n` + body;
}

/** The scope in words: "site plant-7, tag edge", "every device". */
export function scopeText(scope: AuditReport['scope']): string {
  return [scope.site && `site ${scope.site}`, scope.tag && `tag ${scope.tag}`, scope.devices && `${scope.devices.length} named devices`].filter(Boolean).join(', ') || 'every device';
}

/** What every report says of itself, one line each (the CSV's `#` lines). */
export function header(report: AuditReport): string[] {
  return [
    `Bootfleet drift audit (${report.schema}), made ${report.generatedAt} by ${report.generatedBy} with Bootfleet ${report.bootfleetVersion}`,
    `Audited as of ${report.auditedAt}${report.asOf ? " (a past moment: each device as its stored snapshots then showed it; the desired state is today's)" : ''}; scope: ${scopeText(report.scope)}; ${staleText(report)}`,
    `Desired state used: ${report.desired.map((x) => `${x.scope} ${x.target}: ${x.image}${x.digest ? ` = ${x.digest}` : ''}${x.resolvedAt ? ` (resolved ${x.resolvedAt})` : ''}`).join('; ') || 'none'}`,
    `${report.total} devices: ${
      Object.entries(report.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${auditStateLabel[s as keyof typeof auditStateLabel].toLowerCase()}`)
        .join(', ') || 'none'
    }`,
  ];
}

/** A file name for a report: `bootfleet-audit-2026-11-23.csv`, with the site or tag when scoped. */
export function auditFileName(report: AuditReport, ext: 'json' | 'csv'): string {
  const scope = [report.scope.site, report.scope.tag].filter((x): x is string => !!x).map((x) => x.replace(/[^A-Za-z0-9._-]+/g, '_'));
  return `bootfleet-audit-${[...scope, report.auditedAt.slice(0, 10)].join('-')}.${ext}`;
}

/** The stale threshold as the report's header says it (as the CLI's does). */
export function staleText(report: AuditReport): string {
  if (report.staleAfter) return `stale after ${report.staleAfter}`;
  const own = Object.entries(report.siteStaleAfter);
  return `stale after 7d${own.length ? ` (${own.map(([s, d]) => `${s}: ${d}`).join(', ')})` : ''}`;
}
