import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DRIFT_STATES, STALE_STATES, auditHeader, auditStateLabel, shortDigest, type AuditReport } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { htmlToPdf } from '../../core/audit/pdf';
import { auditCsv, auditHtml, auditJson } from '../../core/audit/render';
import { table } from '../output';
import type { CommandKit } from '../program';
import { collect, intOption } from './options';

const FORMATS = ['table', 'json', 'csv', 'html', 'pdf'] as const;

function tableText(r: AuditReport): string {
  const lines = auditHeader(r).map((l) => `${l}\n`);
  const sites = r.sites.length > 1 || r.sites[0]?.site ? `\n${table(
    ['SITE', 'DEVICES', ...Object.keys(r.counts).filter((s) => r.sites.some((x) => x.counts[s as keyof typeof r.counts] > 0)).map((s) => s.toUpperCase())],
    r.sites.map((x) => [x.site ?? '(no site)', String(x.total), ...Object.keys(r.counts).filter((s) => r.sites.some((y) => y.counts[s as keyof typeof r.counts] > 0)).map((s) => String(x.counts[s as keyof typeof r.counts]))]),
  )}` : '';
  const off = r.devices.filter((d) => d.state !== 'in-sync');
  const devices = off.length
    ? `\nNot in sync (${off.length}):\n${table(
        ['DEVICE', 'STATE', 'BOOTED', 'DESIRED', 'LAST SEEN', 'REASON'],
        off.map((d) => [
          d.site ? `${d.site}/${d.name}` : d.name,
          d.state,
          d.booted ? `${d.booted.version ?? ''} ${shortDigest(d.booted.digest)}`.trim() : '-',
          d.desired?.digest ? shortDigest(d.desired.digest) : (d.desired?.image ?? '-'),
          d.lastSeenAt ? d.lastSeenAt.slice(0, 16).replace('T', ' ') : 'never',
          d.reason,
        ]),
        200,
      )}`
    : `\nEvery device in scope is in sync.\n`;
  return lines.join('') + sites + devices;
}

/** `bootfleet audit`: the offline drift audit, from the inventory alone. */
export function registerAudit(program: Command, kit: CommandKit): void {
  program
    .command('audit')
    .argument('[names...]', 'only these devices (NAME or SITE/NAME)')
    .option('--site <site>', 'only devices of this site')
    .option('--tag <tag>', 'only devices with this tag')
    .option('--as-of <date>', 'audit a past moment, from the stored snapshots (2026-11-01 or a date-time)')
    .option('--stale-after <age>', "data older than this cannot vouch for a device: 7d, 36h, 90m (default: each site's own threshold, else 7d)")
    .option('--format <f>', 'table (default), json, csv, html (self-contained, with charts) or pdf (the HTML printed by Chromium; needs -o)', 'table')
    .option('--weeks <n>', 'html and pdf: the chart of states over time covers this many weeks (default 8)', intOption('--weeks', 2, 52))
    .option('-o, --output <file>', 'write the report to this file (the summary still goes to the terminal)')
    .option('--sign', "json: sign the report with this installation's key (see bootfleet keys show)")
    .option('--fail-on <what>', 'exit with status 2 when any device has drifted (drift) or cannot be vouched for (stale); repeat for both', collect)
    .description('audit the fleet offline: which devices run exactly their desired image, which drifted, which cannot be vouched for')
    .addHelpText(
      'after',
      `
Nothing is contacted: the audit reads the inventory (last statuses, desired state, jobs).
Exit status: 0 when the fleet passed every --fail-on check, 2 when it did not, 1 on an error.
drift fails on: ${DRIFT_STATES.join(', ')}; stale fails on: ${STALE_STATES.join(', ')}.`,
    )
    .action(
      kit.run(async (s, o, ...rest) => {
        const names = ((rest as unknown[]).flat() as unknown[]).filter((x): x is string => typeof x === 'string' && x !== '');
        const format = (o.json ? 'json' : (o.format as string)) as (typeof FORMATS)[number];
        if (!FORMATS.includes(format)) throw new AppError(ErrorCode.VALIDATION_FAILED, `--format must be one of ${FORMATS.join(', ')}.`);
        const failOn = (o.failOn as string[] | undefined) ?? [];
        for (const f of failOn) if (f !== 'drift' && f !== 'stale') throw new AppError(ErrorCode.VALIDATION_FAILED, `--fail-on takes drift or stale, not "${f}".`);
        if (format === 'pdf' && !o.output) throw new AppError(ErrorCode.VALIDATION_FAILED, 'A PDF report goes to a file: give -o FILE.pdf.');
        const charts = format === 'html' || format === 'pdf';
        const r = await s.call('audit.run', {
          ...(o.site ? { site: o.site as string } : {}),
          ...(o.tag ? { tag: o.tag as string } : {}),
          ...(names.length ? { devices: names } : {}),
          ...(o.asOf ? { asOf: o.asOf as string } : {}),
          ...(o.staleAfter ? { staleAfter: o.staleAfter as string } : {}),
          ...(charts ? { timeline: (o.weeks as number | undefined) ?? 8 } : {}),
        });
        if (o.sign && format !== 'json') throw new AppError(ErrorCode.VALIDATION_FAILED, '--sign is for the JSON report (--format json).');
        const core = o.sign ? s.open() : null;
        const text = format === 'json' ? auditJson(r, core ? (body) => core.keys.sign(body) : undefined) : format === 'csv' ? auditCsv(r) : charts ? auditHtml(r) : tableText(r);
        if (o.output) {
          const path = resolve(o.output as string);
          if (format === 'pdf') await htmlToPdf(text, path);
          else await writeFile(path, text);
          kit.io.stderr(`Wrote ${path} (${format}).\n`);
          kit.io.stdout(auditHeader(r).at(-1)! + '\n');
        } else kit.io.stdout(text);
        const failed = failOn.filter((f) => !r.passed[f as 'drift' | 'stale']);
        if (failed.length) {
          const bad = r.devices.filter((d) => failed.some((f) => (f === 'drift' ? DRIFT_STATES : STALE_STATES).includes(d.state)));
          kit.io.stderr(`The fleet did not pass (${failed.join(', ')}): ${bad.length} device${bad.length === 1 ? '' : 's'} ${[...new Set(bad.map((d) => auditStateLabel[d.state].toLowerCase()))].join(', ')}.\n`);
          kit.exitWith(2);
        }
      }),
    );
}
