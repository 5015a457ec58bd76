import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFileName, type AuditExport, type MethodArgs } from '../../../shared/contract';
import type { Actor } from '../activity/activity-repo';
import type { KeysService } from '../keys/keys-service';
import type { AuditService } from './audit-service';
import { htmlToPdf } from './pdf';
import { auditCsv, auditHtml, auditJson, auditJsonParts, reportSha256 } from './render';

/** Turns the HTML report into PDF bytes: headless Chromium by default; the desktop app prints with its own window. */
export type PdfPrinter = (html: string) => Promise<Buffer>;

export const chromiumPdfPrinter: PdfPrinter = async (html) => {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-report-'));
  try {
    const out = join(dir, 'report.pdf');
    await htmlToPdf(html, out);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * A report file for the UI, the same bytes `bootfleet audit --format html|pdf|json|csv` writes:
 * HTML and PDF carry the "over time" chart (`weeks` of as-of audits), JSON can be signed.
 */
export async function exportAudit(
  d: { audit: AuditService; keys: KeysService; printPdf: PdfPrinter },
  actor: Actor,
  input: MethodArgs<'audit.export'>,
): Promise<AuditExport> {
  const { format, sign, weeks, ...scope } = input;
  const report = await d.audit.run(actor, format === 'json' || format === 'csv' ? scope : { ...scope, timeline: weeks });
  const fileName = auditFileName(report, format);
  if (format === 'csv') {
    const text = auditCsv(report);
    return { fileName, mediaType: 'text/csv;charset=utf-8', encoding: 'utf8', content: text, bytes: Buffer.byteLength(text), reportSha256: reportSha256(report), signedBy: null };
  }
  if (format === 'json') {
    const text = auditJson(report, sign ? (body) => d.keys.sign(body) : undefined);
    const parts = auditJsonParts(text);
    return {
      fileName,
      mediaType: 'application/json',
      encoding: 'utf8',
      content: text,
      bytes: Buffer.byteLength(text),
      reportSha256: parts.sha256!,
      signedBy: parts.signature?.keyFingerprint ?? null,
    };
  }
  const html = auditHtml(report);
  const sum = reportSha256(report);
  if (format === 'html') {
    return { fileName, mediaType: 'text/html;charset=utf-8', encoding: 'utf8', content: html, bytes: Buffer.byteLength(html), reportSha256: sum, signedBy: null };
  }
  const pdf = await d.printPdf(html);
  return { fileName, mediaType: 'application/pdf', encoding: 'base64', content: pdf.toString('base64'), bytes: pdf.length, reportSha256: sum, signedBy: null };
}
