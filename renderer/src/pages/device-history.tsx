/** A device's status history as a timeline of digests: runs of identical snapshots shown as one span. */
import { useMemo, type ReactElement } from 'react';
import type { SnapshotSummary } from '../../../shared/contract';
import { ShortDigest } from '../components/status';
import { errorHint } from '../lib/error-text';
import { formatTime, plural } from '../lib/format';
import { historySpans, type HistorySpan } from '../lib/history';

const changeText: Record<HistorySpan['changes'][number], string> = {
  booted: 'booted changed',
  staged: 'staged changed',
  rollback: 'rollback changed',
  recovered: 'answered again',
};

function When({ span }: { span: HistorySpan }): ReactElement {
  if (span.count === 1) return <time dateTime={span.to}>{formatTime(span.to)}</time>;
  return (
    <span>
      <time dateTime={span.from}>{formatTime(span.from)}</time> – <time dateTime={span.to}>{formatTime(span.to)}</time>
      <span className="muted"> · {plural(span.count, 'check')}</span>
    </span>
  );
}

function Digests({ s }: { s: SnapshotSummary }): ReactElement {
  return (
    <dl className="timeline-digests">
      <dt>booted</dt>
      <dd>
        {s.bootedDigest ? <ShortDigest digest={s.bootedDigest} copy={false} /> : <span className="muted">—</span>}
        {s.bootedVersion ? <span className="muted"> {s.bootedVersion}</span> : null}
      </dd>
      {s.stagedDigest ? (
        <>
          <dt>staged</dt>
          <dd>
            <ShortDigest digest={s.stagedDigest} copy={false} />
          </dd>
        </>
      ) : null}
      {s.rollbackDigest ? (
        <>
          <dt>rollback</dt>
          <dd>
            <ShortDigest digest={s.rollbackDigest} copy={false} />
          </dd>
        </>
      ) : null}
    </dl>
  );
}

export interface DeviceHistoryProps {
  /** Newest first. */
  history: SnapshotSummary[];
  onShowOutput(snapshotId: number): void;
}

/** The history panel (`data-testid="device-history"`, one `history-span` per span). */
export function DeviceHistory({ history, onShowOutput }: DeviceHistoryProps): ReactElement {
  const spans = useMemo(() => historySpans(history), [history]);
  return (
    <section className="panel" data-testid="device-history">
      <div className="panel-head">
        <h2 className="panel-title">History</h2>
        {history.length ? <span className="muted small">{plural(history.length, 'contact')}, newest first</span> : null}
      </div>
      {spans.length === 0 ? (
        <p className="muted">No contacts yet.</p>
      ) : (
        <ol className="timeline">
          {spans.map((span) => {
            const s = span.latest;
            return (
              <li key={s.id} className={`timeline-item outcome-${span.outcome}`} data-testid="history-span" data-outcome={span.outcome} data-count={span.count}>
                <span className="timeline-dot" aria-hidden="true" />
                <div className="timeline-body">
                  <div className="timeline-when">
                    <When span={span} />
                    <button type="button" className="link-button small" onClick={() => onShowOutput(s.id)} title="What bootc printed at the latest contact of this span" data-testid="history-output">
                      Output
                    </button>
                  </div>
                  {span.outcome === 'error' ? (
                    <div className="timeline-error" title={[s.error?.message, errorHint(s.error?.code ?? '')].filter(Boolean).join('\n\n')}>
                      <code className="error-code">{s.error?.code ?? 'ERROR'}</code> {s.error?.message}
                    </div>
                  ) : span.outcome === 'not-bootc' ? (
                    <div className="muted">Answered, but not a bootc host.</div>
                  ) : (
                    <>
                      {span.changes.length ? (
                        <div className="badges">
                          {span.changes.map((c) => (
                            <span key={c} className={`badge ${c === 'recovered' ? 'badge-ok' : 'badge-staged'}`}>
                              {changeText[c]}
                            </span>
                          ))}
                        </div>
                      ) : null}
                      <Digests s={s} />
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
