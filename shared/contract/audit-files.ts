import { auditStateLabel, type AuditReport } from './audit';

/**
 * What an audit report file says: the header lines every report carries and the CSV's rows, as
 * the core writes them for `bootfleet audit` and the Audit page's exports (electron/core/audit/
 * render.ts, which adds the SHA-256), and the scope and stale-threshold words the Audit page shows.
 */

export const AUDIT_CSV_COLUMNS = [
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
  'booted_signature',
  'etc_changes',
  'last_seen_at',
  'data_age_hours',
  'notes',
];

function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Quoted where needed; a leading = + - @ is defused so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV after its `#` lines: the column names and one row per device, CRLF. */
export function auditCsvBody(report: AuditReport): string {
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
      d.signature,
      d.etc ? d.etc.changed.join(';') : null,
      d.lastSeenAt,
      d.dataAgeSeconds === null ? null : (d.dataAgeSeconds / 3600).toFixed(1),
      d.notes.join(' '),
    ]
      .map(csvCell)
      .join(','),
  );
  return [AUDIT_CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** The whole CSV, given the SHA-256 (hex) of `body`. */
export function auditCsvText(report: AuditReport, body: string, bodySha256: string): string {
  return auditHeader(report).map((l) => `# ${l}\r\n`).join('') + `# sha256 of the lines below: ${bodySha256}\r\n` + body;
}

/** The scope in words: "site plant-7, tag edge", "every device". */
export function auditScopeText(scope: AuditReport['scope']): string {
  return [scope.site && `site ${scope.site}`, scope.tag && `tag ${scope.tag}`, scope.devices && `${scope.devices.length} named devices`].filter(Boolean).join(', ') || 'every device';
}

/** What every report says of itself, one line each (the CSV's `#` lines, the HTML's header). */
export function auditHeader(report: AuditReport): string[] {
  return [
    `Bootfleet drift audit (${report.schema}), made ${report.generatedAt} by ${report.generatedBy} with Bootfleet ${report.bootfleetVersion}`,
    `Audited as of ${report.auditedAt}${report.asOf ? " (a past moment: each device as its stored snapshots then showed it; the desired state is today's)" : ''}; scope: ${auditScopeText(report.scope)}; ${auditStaleText(report)}`,
    `Desired state used: ${report.desired.map((x) => `${x.scope} ${x.target}: ${x.image}${x.digest ? ` = ${x.digest}` : ''}${x.resolvedAt ? ` (resolved ${x.resolvedAt})` : ''}`).join('; ') || 'none'}`,
    `${report.total} devices: ${
      Object.entries(report.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${auditStateLabel[s as keyof typeof auditStateLabel].toLowerCase()}`)
        .join(', ') || 'none'
    }`,
  ];
}

/** The stale threshold as the report's header says it (as the CLI's does). */
export function auditStaleText(report: AuditReport): string {
  if (report.staleAfter) return `stale after ${report.staleAfter}`;
  const own = Object.entries(report.siteStaleAfter);
  return `stale after 7d${own.length ? ` (${own.map(([s, d]) => `${s}: ${d}`).join(', ')})` : ''}`;
}

/** A file name for a report: `bootfleet-audit-2026-11-23.csv`, with the site or tag when scoped. */
export function auditFileName(report: AuditReport, ext: 'json' | 'csv' | 'html' | 'pdf'): string {
  const scope = [report.scope.site, report.scope.tag].filter((x): x is string => !!x).map((x) => x.replace(/[^A-Za-z0-9._-]+/g, '_'));
  return `bootfleet-audit-${[...scope, report.auditedAt.slice(0, 10)].join('-')}.${ext}`;
}
