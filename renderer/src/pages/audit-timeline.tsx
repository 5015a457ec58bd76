/**
 * The Audit page's "Over time": devices not in sync at each of the last N weeks (an as-of audit
 * per week against today's desired images), as stacked columns per state, with the counts as a
 * table for screen readers and for reading exact numbers. Computed only when asked: it costs one
 * audit per week.
 */
import { useId, type ReactElement } from 'react';
import { auditStateLabel, type AuditState } from '../../../shared/contract';
import { AlertIcon } from '../components/icons';
import { auditStates } from '../lib/audit';
import { plural } from '../lib/format';
import { TIMELINE_CHOICES, TIMELINE_WEEKS, useAudit, type AuditTimeline as Timeline } from '../stores/audit';
import { StateHeader } from './audit-summary';

/** The states the chart stacks, bottom up: every state but in sync, in the summary's order. */
const offStates = auditStates.filter((s) => s !== 'in-sync');

const W = 720;
const H = 200;
const LEFT = 34;
const TOP = 18;
const BOTTOM = 24;

/** The smallest of 1, 2, 5 × 10^k at or above n (the chart's top line). */
export function niceCeil(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p;
}

const day = (iso: string): string => new Date(iso).toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
const notInSync = (p: Timeline[number]): number => p.total - p.counts['in-sync'];
const breakdown = (p: Timeline[number], states: AuditState[]): string =>
  states
    .filter((s) => p.counts[s] > 0)
    .map((s) => `${p.counts[s]} ${auditStateLabel[s].toLowerCase()}`)
    .join(', ');

function Chart({ points, states }: { points: Timeline; states: AuditState[] }): ReactElement {
  const top = niceCeil(Math.max(...points.map(notInSync)));
  const plotW = W - LEFT;
  const plotH = H - TOP - BOTTOM;
  const colW = plotW / points.length;
  const barW = Math.min(colW * 0.68, 44);
  const every = Math.ceil(points.length / 13);
  const y = (n: number): number => TOP + plotH - (plotH * n) / top;
  const label = `Devices not in sync per week, ${day(points[0]!.at)} to ${day(points.at(-1)!.at)}: ${points.map((p) => `${day(p.at)} ${notInSync(p)}`).join('; ')}.`;
  return (
    <svg className="audit-timeline-chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label} data-testid="audit-timeline-chart">
      {[0, top / 2, top]
        .filter((t) => Number.isInteger(t))
        .map((t) => (
          <g key={t} className="chart-grid">
            <line x1={LEFT} x2={W} y1={y(t)} y2={y(t)} />
            <text x={LEFT - 6} y={y(t) + 4} textAnchor="end">
              {t.toLocaleString('en-US')}
            </text>
          </g>
        ))}
      {points.map((p, i) => {
        const x = LEFT + i * colW + (colW - barW) / 2;
        let base = 0;
        const off = notInSync(p);
        return (
          <g key={p.at} data-testid="audit-timeline-week" data-at={p.at} data-not-in-sync={off}>
            <title>{`Week of ${day(p.at)}: ${off} of ${plural(p.total, 'device')} not in sync${off ? ` (${breakdown(p, states)})` : ''}`}</title>
            <rect className="chart-hit" x={LEFT + i * colW} y={TOP} width={colW} height={plotH} />
            {states.map((s) => {
              const n = p.counts[s];
              if (!n) return null;
              const y0 = y(base + n);
              const h = y(base) - y0;
              base += n;
              return <rect key={s} className={`audit-bar audit-bar-${s}`} x={x} y={y0} width={barW} height={h} data-state={s} />;
            })}
            {points.length <= 26 ? (
              <text className="chart-value" x={x + barW / 2} y={y(off) - 5} textAnchor="middle">
                {off.toLocaleString('en-US')}
              </text>
            ) : null}
            {i % every === (points.length - 1) % every ? (
              <text className="chart-axis" x={x + barW / 2} y={H - 6} textAnchor="middle">
                {i === points.length - 1 ? 'Now' : day(p.at)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

function CountsTable({ points, states }: { points: Timeline; states: AuditState[] }): ReactElement {
  return (
    <details className="audit-timeline-counts">
      <summary>Counts per week</summary>
      <div className="simple-table-wrap">
        <table className="simple-table audit-sites-table" data-testid="audit-timeline-table">
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col" className="num">
                Devices
              </th>
              <th scope="col" className="num">
                Not in sync
              </th>
              {states.map((s) => (
                <StateHeader key={s} state={s} />
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.at}>
                <th scope="row">
                  <time dateTime={p.at} title={p.at}>
                    {day(p.at)}
                  </time>
                </th>
                <td className="num">{p.total.toLocaleString('en-US')}</td>
                <td className="num">{notInSync(p).toLocaleString('en-US')}</td>
                {states.map((s) => (
                  <td key={s} className={`num${p.counts[s] ? '' : ' muted'}`}>
                    {p.counts[s] ? p.counts[s].toLocaleString('en-US') : '—'}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** The "Over time" panel (`data-testid="audit-timeline"`): a button to compute it, then the chart. */
export function AuditTimeline(): ReactElement {
  const weeks = useAudit((s) => s.timelineWeeks);
  const points = useAudit((s) => s.timeline);
  const loading = useAudit((s) => s.timelineLoading);
  const error = useAudit((s) => s.timelineError);
  const { setTimelineWeeks, loadTimeline } = useAudit.getState();
  const headingId = useId();
  // The states that occur in some week, so the legend and table stay short; drift first.
  const states = points ? offStates.filter((s) => points.some((p) => p.counts[s] > 0)) : [];
  return (
    <section className="panel audit-timeline" aria-labelledby={headingId} aria-busy={loading} data-testid="audit-timeline">
      <div className="audit-timeline-head">
        <div className="audit-timeline-title">
          <h2 className="panel-title" id={headingId}>
            Over time
          </h2>
          <p className="muted small">Devices not in sync each week, as the stored snapshots then showed them, against today&apos;s desired images.</p>
        </div>
        {weeks === null ? (
          <button type="button" className="button" onClick={() => setTimelineWeeks(TIMELINE_WEEKS)} data-testid="audit-timeline-show" title="Audit the same scope at each of the last weeks (one audit per week)">
            Show last {TIMELINE_WEEKS} weeks
          </button>
        ) : (
          <div className="audit-timeline-controls">
            {loading ? <span className="spinner" role="status" aria-label="Computing the weeks" /> : null}
            <div className="toggle-group" role="group" aria-label="Weeks shown">
              {TIMELINE_CHOICES.map((n) => (
                <button key={n} type="button" className={`toggle${weeks === n ? ' on' : ''}`} aria-pressed={weeks === n} onClick={() => setTimelineWeeks(n)} data-testid="audit-timeline-weeks" data-weeks={n}>
                  {n} weeks
                </button>
              ))}
            </div>
            <button type="button" className="button button-ghost small" onClick={() => setTimelineWeeks(null)} data-testid="audit-timeline-hide">
              Hide
            </button>
          </div>
        )}
      </div>
      {weeks === null ? null : error ? (
        <div className="alert alert-danger" role="alert" data-testid="audit-timeline-error">
          <AlertIcon size={18} />
          <div className="alert-body">
            <p>Computing the weeks failed: {error}</p>
            <div className="alert-actions">
              <button type="button" className="button" onClick={() => void loadTimeline()}>
                Try again
              </button>
            </div>
          </div>
        </div>
      ) : !points ? (
        <div className="loading-line">Auditing each of the last {weeks} weeks…</div>
      ) : points.length === 0 ? (
        <p className="muted small">No weeks to show.</p>
      ) : (
        <div className={`audit-timeline-body${loading ? ' audit-running' : ''}`}>
          <div className="audit-timeline-chart-wrap">
            <Chart points={points} states={states} />
          </div>
          {states.length ? (
            <ul className="audit-timeline-legend" aria-label="States">
              {states.map((s) => (
                <li key={s} className={`audit-col audit-tile-${s}`}>
                  <span className="tile-dot" aria-hidden="true" />
                  {auditStateLabel[s]}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">Every device was in sync each week.</p>
          )}
          <CountsTable points={points} states={states} />
        </div>
      )}
    </section>
  );
}
