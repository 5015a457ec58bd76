/** The Audit page's summary: what the audit is (moment, who, scope, pass or fail), counts per state, counts per site. */
import type { ReactElement } from 'react';
import { auditScopeText, auditStaleText, auditStateLabel, type AuditReport, type AuditState } from '../../../shared/contract';
import { auditChecks, auditShortLabel, auditStates, checkStatesText } from '../lib/audit';
import { formatTime } from '../lib/format';

/** "Audited … by … · scope · stale after …", what it was computed from, and the two pass/fail badges. */
export function AuditHeader({ report }: { report: AuditReport }): ReactElement {
  return (
    <div className="audit-header" data-testid="audit-header">
      <div className="audit-header-text">
        <p>
          {report.asOf ? 'As of ' : 'Audited '}
          <time dateTime={report.auditedAt} title={report.auditedAt} data-testid="audit-at">
            {formatTime(report.auditedAt)}
          </time>
          {report.asOf ? ` (each device as its stored snapshots then showed it; today's desired images), audited ${formatTime(report.generatedAt)}` : ''} by{' '}
          <strong>{report.generatedBy}</strong> · scope: {auditScopeText(report.scope)} · {auditStaleText(report)}
        </p>
        <p className="muted small">Computed from the inventory; no device was contacted.</p>
      </div>
      <div className="audit-checks">
        {auditChecks.map((c) => {
          const passed = report.passed[c.id];
          return (
            <span
              key={c.id}
              className={`badge audit-check ${passed ? 'badge-ok' : c.id === 'drift' ? 'audit-check-failed' : 'badge-warn'}`}
              title={`${passed ? 'Passed' : 'Did not pass'}: ${passed ? 'no device is' : 'some devices are'} ${checkStatesText(c.states)} (bootfleet audit --fail-on ${c.id})`}
              data-testid={`audit-passed-${c.id}`}
              data-passed={passed}
            >
              {c.label}: {passed ? 'passed' : 'did not pass'}
            </span>
          );
        })}
      </div>
    </div>
  );
}

export interface AuditCountsProps {
  report: AuditReport;
  selected: AuditState | null;
  onSelect(state: AuditState | null): void;
}

/** One tile per state with its count; a click lists those devices below (again: every device not in sync). */
export function AuditCounts({ report, selected, onSelect }: AuditCountsProps): ReactElement {
  return (
    <div className="state-tiles audit-tiles" role="group" aria-label="Devices by audit state">
      {auditStates.map((s) => {
        const n = report.counts[s];
        return (
          <button
            key={s}
            type="button"
            className={`state-tile audit-tile audit-tile-${s}${n ? '' : ' tile-zero'}${selected === s ? ' selected' : ''}`}
            aria-pressed={selected === s}
            onClick={() => onSelect(selected === s ? null : s)}
            title={selected === s ? 'Show every device not in sync again' : `Show the devices: ${auditStateLabel[s].toLowerCase()}`}
            data-testid="audit-count"
            data-state={s}
          >
            <span className="tile-value">{n.toLocaleString('en-US')}</span>
            <span className="tile-label">
              <span className="tile-dot" aria-hidden="true" />
              {auditStateLabel[s]}
            </span>
          </button>
        );
      })}
    </div>
  );
}

/** Devices per site, with a column for each state that occurs; a site name audits that site alone. */
export function AuditSites({ report, onSite }: { report: AuditReport; onSite(site: string): void }): ReactElement {
  const states = auditStates.filter((s) => report.sites.some((x) => x.counts[s] > 0));
  return (
    <div className="simple-table-wrap audit-sites-wrap">
      <table className="simple-table audit-sites-table" data-testid="audit-sites">
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col" className="num">
              Devices
            </th>
            {states.map((s) => (
              <StateHeader key={s} state={s} />
            ))}
          </tr>
        </thead>
        <tbody>
          {report.sites.map((x) => (
            <tr key={x.site ?? ''} data-testid="audit-site-row" data-site={x.site ?? ''}>
              <td>
                {x.site && report.scope.site === null ? (
                  <button type="button" className="link-button" onClick={() => onSite(x.site!)} title={`Audit site ${x.site} alone`}>
                    {x.site}
                  </button>
                ) : (
                  (x.site ?? <span className="muted">No site</span>)
                )}
              </td>
              <td className="num">{x.total.toLocaleString('en-US')}</td>
              {states.map((s) => (
                <td key={s} className={`num${x.counts[s] ? '' : ' muted'}`} data-state={s}>
                  {x.counts[s] ? x.counts[s].toLocaleString('en-US') : '—'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A table column header for one audit state: its dot and short label, the full label as its title. */
export function StateHeader({ state }: { state: AuditState }): ReactElement {
  return (
    <th scope="col" className="num" title={auditStateLabel[state]}>
      <span className={`audit-col audit-tile-${state}`}>
        <span className="tile-dot" aria-hidden="true" />
        {auditShortLabel[state]}
      </span>
    </th>
  );
}
