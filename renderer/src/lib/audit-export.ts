/**
 * Audit reports as files, written in the renderer exactly as `bootfleet audit --format json|csv`
 * writes them: the CSV's text comes from shared/contract/audit-files.ts, as the CLI's does; only
 * the hashing (Web Crypto here) is the renderer's own. JSON: the report
 * with `sha256`, the SHA-256 of JSON.stringify(report) before that field is added, pretty-printed.
 * CSV: `#` lines (who, when, scope, the SHA-256 of the rows), then one row per device, CRLF.
 */
import { auditCsvBody, auditCsvText, auditHeader, auditScopeText, auditStaleText, type AuditReport } from '../../../shared/contract';

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

/** The CSV file, as the CLI writes it. */
export async function auditCsv(report: AuditReport): Promise<string> {
  const body = auditCsvBody(report);
  return auditCsvText(report, body, await sha256Hex(body));
}

/** The scope in words, the header lines and the stale threshold: as the CLI's (shared/contract/audit-files.ts). */
export { auditHeader as header, auditScopeText as scopeText, auditStaleText as staleText };

/** A file name for a report: as the core names it (shared/contract/audit-files.ts). */
export { auditFileName } from '../../../shared/contract';
