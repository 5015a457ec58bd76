import { createHash } from 'node:crypto';
import { auditCsvBody, auditCsvText, auditHeader, auditStateLabel, type AuditReport } from '../../../shared/contract';
import type { Signature } from '../keys/keys-service';

/**
 * Audit reports as files. JSON: the report (schema `bootfleet.audit/v1`, see
 * shared/contract/audit.ts) with `sha256`, the SHA-256 of the report serialized without that
 * field (JSON.stringify, no whitespace, fields in the order written). CSV: one row per device,
 * after `#` lines that say who made it, when, the scope and the SHA-256 of the rows.
 */

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The JSON report. With `sign`, also `signature`: an Ed25519 signature (see KeysService) over the
 * same bytes as `sha256`, the report serialized without those two fields.
 */
export function auditJson(report: AuditReport, sign?: (body: Buffer) => Signature): string {
  const body = JSON.stringify(report);
  return `${JSON.stringify({ ...report, sha256: sha256(body), ...(sign ? { signature: sign(Buffer.from(body)) } : {}) }, null, 2)}\n`;
}

/** The SHA-256 a report's JSON file carries as `sha256` (also shown in the HTML and PDF). */
export function reportSha256(report: AuditReport): string {
  return sha256(JSON.stringify(report));
}

/** The bytes a JSON report's `sha256` and `signature` cover, and those two fields. */
export function auditJsonParts(text: string): { body: Buffer; sha256: string | undefined; signature: Signature | undefined } {
  const { sha256: claimed, signature, ...rest } = JSON.parse(text) as AuditReport & { sha256?: string; signature?: Signature };
  return { body: Buffer.from(JSON.stringify(rest)), sha256: claimed, signature };
}

/** Checks a JSON report's `sha256` against its content: true when untouched. */
export function verifyAuditJson(text: string): boolean {
  const p = auditJsonParts(text);
  return typeof p.sha256 === 'string' && p.sha256 === createHash('sha256').update(p.body).digest('hex');
}

export function auditCsv(report: AuditReport): string {
  const body = auditCsvBody(report);
  return auditCsvText(report, body, sha256(body));
}

const esc = (s: string | number | null | undefined): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The colours of the states, as the app shows them. */
const COLOURS: Record<string, string> = {
  'in-sync': '#2e7d4f',
  drifted: '#c62828',
  'fallen-back': '#b71c1c',
  staged: '#3f51b5',
  unsigned: '#ad1457',
  'usr-modified': '#7e57c2',
  'etc-modified': '#8d6e63',
  stale: '#d39e00',
  'never-contacted': '#9e9e9e',
  'no-desired': '#bdbdbd',
  conflict: '#e53935',
  unresolved: '#e0a800',
};

/** States per site as stacked horizontal bars (the 40 sites with the most devices not in sync). */
function sitesChart(report: AuditReport): string {
  const sites = [...report.sites].sort((a, b) => b.total - b.counts['in-sync'] - (a.total - a.counts['in-sync'])).slice(0, 40);
  const w = 640;
  const label = 150;
  const rowH = 22;
  const max = Math.max(1, ...sites.map((s) => s.total));
  const rows = sites.map((s, i) => {
    let x = label;
    const parts = Object.entries(s.counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => {
        const width = ((w - label - 50) * n) / max;
        const rect = `<rect x="${x.toFixed(1)}" y="${i * rowH + 4}" width="${width.toFixed(1)}" height="${rowH - 8}" fill="${COLOURS[state]}"><title>${esc(s.site ?? '(no site)')}: ${n} ${esc(auditStateLabel[state as keyof typeof auditStateLabel].toLowerCase())}</title></rect>`;
        x += width;
        return rect;
      })
      .join('');
    return `<text x="${label - 8}" y="${i * rowH + 15}" text-anchor="end">${esc(s.site ?? '(no site)')}</text>${parts}<text x="${(x + 6).toFixed(1)}" y="${i * rowH + 15}" class="muted">${s.total}</text>`;
  });
  return `<svg role="img" aria-label="States per site" width="${w}" height="${sites.length * rowH + 4}" viewBox="0 0 ${w} ${sites.length * rowH + 4}">${rows.join('')}</svg>`;
}

/** Devices not in sync at each timeline point, per state, as stacked columns. */
function timelineChart(report: AuditReport): string {
  const t = report.timeline ?? [];
  if (t.length < 2) return '';
  const w = 640;
  const h = 180;
  const colW = (w - 40) / t.length;
  const max = Math.max(1, ...t.map((p) => p.total));
  const cols = t.map((p, i) => {
    let y = h - 20;
    const parts = Object.entries(p.counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => {
        const height = ((h - 30) * n) / max;
        y -= height;
        return `<rect x="${(40 + i * colW + 4).toFixed(1)}" y="${y.toFixed(1)}" width="${(colW - 8).toFixed(1)}" height="${height.toFixed(1)}" fill="${COLOURS[state]}"><title>${esc(p.at.slice(0, 10))}: ${n} ${esc(auditStateLabel[state as keyof typeof auditStateLabel].toLowerCase())}</title></rect>`;
      })
      .join('');
    return `${parts}<text x="${(40 + i * colW + colW / 2).toFixed(1)}" y="${h - 5}" text-anchor="middle" class="muted">${esc(p.at.slice(5, 10))}</text>`;
  });
  return `<svg role="img" aria-label="States over time" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><text x="0" y="12" class="muted">${max}</text><line x1="38" y1="${h - 20}" x2="${w}" y2="${h - 20}" stroke="#ccc"/>${cols.join('')}</svg>`;
}

/**
 * A self-contained HTML report (no network needed to open it): the header lines, the counts,
 * charts of the states per site and over time, and every device not in sync with the reason. The
 * JSON report is embedded (`<script type="application/json" id="bootfleet-audit">`) with its SHA-256.
 */
export function auditHtml(report: AuditReport): string {
  const json = auditJson(report);
  const { sha256: sum } = JSON.parse(json) as { sha256: string };
  const off = report.devices.filter((d) => d.state !== 'in-sync');
  const legend = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `<li data-state="${esc(s)}"><span class="dot" style="background:${COLOURS[s]}"></span><b>${n}</b> ${esc(auditStateLabel[s as keyof typeof auditStateLabel])}</li>`)
    .join('');
  const rows = off
    .map(
      (d) => `<tr data-state="${esc(d.state)}"><td>${esc(d.site ? `${d.site}/${d.name}` : d.name)}</td><td><span class="dot" style="background:${COLOURS[d.state]}"></span>${esc(auditStateLabel[d.state])}</td><td>${esc(d.reason)}${d.notes.length ? `<div class="muted">${esc(d.notes.join(' '))}</div>` : ''}</td><td>${esc(d.lastSeenAt ? `${d.lastSeenAt.slice(0, 16).replace('T', ' ')} UTC` : 'never')}</td></tr>`,
    )
    .join('');
  const passed = (ok: boolean, what: string) => `<span class="badge ${ok ? 'ok' : 'bad'}">${what}: ${ok ? 'passed' : 'did not pass'}</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Bootfleet drift audit ${esc(report.auditedAt.slice(0, 10))}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;margin:32px auto;max-width:1040px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:#6b6b70;fill:#6b6b70}
.meta{color:#444;margin:0;padding:0;list-style:none}.meta li{margin:2px 0}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;margin-right:6px}.ok{background:#e3f3e8;color:#1e6b3d}.bad{background:#fde7e7;color:#a61d1d}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:baseline}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #e5e5ea}th{background:#f5f5f7}
svg text{font-size:12px}code{font:12px ui-monospace,monospace;word-break:break-all}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}
</style></head><body>
<h1>Drift audit</h1>
<ul class="meta">${auditHeader(report)
    .map((l) => `<li>${esc(l)}</li>`)
    .join('')}<li>Computed from the inventory alone: no device or registry was contacted.</li></ul>
<p>${passed(report.passed.drift, 'Drift')}${passed(report.passed.stale, 'Freshness')}</p>
<h2>States</h2><ul class="legend">${legend}</ul>
${report.sites.length ? `<h2>States per site</h2>${sitesChart(report)}` : ''}
${report.timeline && report.timeline.length > 1 ? `<h2>Over time</h2><p class="muted">Each week as the stored snapshots then showed it, against today's desired state.</p>${timelineChart(report)}` : ''}
<h2>Not in sync (${off.length} of ${report.total})</h2>
${off.length ? `<table><thead><tr><th>Device</th><th>State</th><th>Reason</th><th>Last seen</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>Every device in scope is in sync.</p>'}
<h2>Integrity</h2><p class="muted">The full report (every device) is embedded in this file as JSON. Its SHA-256: <code>${sum}</code></p>
<script type="application/json" id="bootfleet-audit">${json.replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
