import { createHash } from 'node:crypto';
import { auditStateLabel, type AuditReport } from '../../../shared/contract';

/**
 * Audit reports as files. JSON: the report (schema `bootfleet.audit/v1`, see
 * shared/contract/audit.ts) with `sha256`, the SHA-256 of the report serialized without that
 * field (JSON.stringify, no whitespace, fields in the order written). CSV: one row per device,
 * after `#` lines that say who made it, when, the scope and the SHA-256 of the rows.
 */

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function auditJson(report: AuditReport): string {
  const body = JSON.stringify(report);
  return `${JSON.stringify({ ...report, sha256: sha256(body) }, null, 2)}\n`;
}

/** Checks a JSON report's `sha256` against its content: true when untouched. */
export function verifyAuditJson(text: string): boolean {
  const { sha256: claimed, ...rest } = JSON.parse(text) as AuditReport & { sha256?: string };
  return typeof claimed === 'string' && claimed === sha256(JSON.stringify(rest));
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

export function auditCsv(report: AuditReport): string {
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
  return header(report).map((l) => `# ${l}\r\n`).join('') + `# sha256 of the lines below: ${sha256(body)}\r\n` + body;
}

/** What every report says of itself, one line each. */
export function header(report: AuditReport): string[] {
  const scope = [report.scope.site && `site ${report.scope.site}`, report.scope.tag && `tag ${report.scope.tag}`, report.scope.devices && `${report.scope.devices.length} named devices`].filter(Boolean).join(', ') || 'every device';
  return [
    `Bootfleet drift audit (${report.schema}), made ${report.generatedAt} by ${report.generatedBy} with Bootfleet ${report.bootfleetVersion}`,
    `Audited as of ${report.auditedAt}${report.asOf ? ' (a past moment: each device as its stored snapshots then showed it; the desired state is today\'s)' : ''}; scope: ${scope}; stale after ${report.staleAfter}`,
    `Desired state used: ${report.desired.map((x) => `${x.scope} ${x.target}: ${x.image}${x.digest ? ` = ${x.digest}` : ''}${x.resolvedAt ? ` (resolved ${x.resolvedAt})` : ''}`).join('; ') || 'none'}`,
    `${report.total} devices: ${Object.entries(report.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${auditStateLabel[s as keyof typeof auditStateLabel].toLowerCase()}`)
      .join(', ') || 'none'}`,
  ];
}
