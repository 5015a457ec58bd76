/** The progress of a status refresh: a bar, counts, rate and ETA, and the errors grouped by cause. */
import type { ReactElement } from 'react';
import type { RefreshGroup, RefreshProgress } from '../../../shared/contract';
import { errorHint } from '../lib/error-text';
import { formatDuration, plural } from '../lib/format';
import { routeHref } from '../stores/ui';
import { AlertIcon, CheckIcon, CloseIcon } from './icons';
import { SegmentBar } from './progress-bar';

/** The bar: answered (green) and failed (red) shares of the total. */
export function ProgressBar({ progress }: { progress: RefreshProgress }): ReactElement {
  const { total, ok, failed, state } = progress;
  return <SegmentBar counts={{ total, done: ok, failed }} label="Devices contacted" ended={state !== 'running'} state={state} testId="refresh-bar" />;
}

/** "3 of 40 · 2 answered · 1 failed · 3.2/s · about 12 s left". */
export function ProgressLine({ progress }: { progress: RefreshProgress }): ReactElement {
  const { total, done, ok, failed, rate, etaSeconds, state, startedAt, finishedAt } = progress;
  const took = finishedAt ? (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 : null;
  return (
    <p className="progress-line" data-testid="refresh-counts">
      <span>
        <strong>{done.toLocaleString('en-US')}</strong> of {total.toLocaleString('en-US')}
      </span>
      <span className="progress-ok-text">{ok.toLocaleString('en-US')} answered</span>
      <span className={failed > 0 ? 'progress-failed-text' : 'muted'}>{failed.toLocaleString('en-US')} failed</span>
      {state === 'running' && rate ? <span className="muted">{rate >= 10 ? Math.round(rate) : rate.toFixed(1)} devices/s</span> : null}
      {state === 'running' && etaSeconds !== null ? <span className="muted">about {formatDuration(etaSeconds)} left</span> : null}
      {state !== 'running' && took !== null && !Number.isNaN(took) ? <span className="muted">took {formatDuration(Math.max(took, 1))}</span> : null}
    </p>
  );
}

/** One cause of failure with the devices it hit (each a link to its page). */
function Group({ group, open }: { group: RefreshGroup; open: boolean }): ReactElement {
  const hint = errorHint(group.code);
  const more = group.count - group.devices.length;
  return (
    <details className="refresh-group" open={open} data-testid="refresh-group" data-code={group.code}>
      <summary>
        <span className="refresh-group-label">{group.label}</span>
        <span className="count-chip">{group.count.toLocaleString('en-US')}</span>
        {hint ? <span className="refresh-group-hint">{hint}</span> : null}
      </summary>
      <ul className="refresh-group-devices">
        {group.devices.map((d) => (
          <li key={d.id} data-testid="refresh-group-device" data-name={d.name}>
            <a href={routeHref('devices', d.id)} className="cell-strong">
              {d.siteName ? `${d.siteName}/${d.name}` : d.name}
            </a>
            <span className="muted refresh-group-message" title={d.message}>
              {d.message}
            </span>
          </li>
        ))}
        {more > 0 ? <li className="muted">and {plural(more, 'more device')}</li> : null}
      </ul>
    </details>
  );
}

export interface RefreshProgressPanelProps {
  progress: RefreshProgress;
  /** "all 40 devices", "12 filtered devices". */
  scope: string;
  onCancel(): void;
  onDismiss(): void;
}

/** The panel the Fleet and Devices pages show for a fleet refresh (`data-testid="refresh-panel"`). */
export function RefreshProgressPanel({ progress, scope, onCancel, onDismiss }: RefreshProgressPanelProps): ReactElement {
  const { state, groups, failed, message } = progress;
  const title =
    state === 'running'
      ? `Refreshing ${scope}…`
      : state === 'done'
        ? `Refreshed ${scope}`
        : state === 'canceled'
          ? `Refresh of ${scope} cancelled`
          : `Refresh of ${scope} failed`;
  const Icon = state === 'running' ? null : state === 'done' && failed === 0 ? CheckIcon : AlertIcon;
  return (
    <section className={`refresh-panel refresh-${state}${failed > 0 ? ' has-failures' : ''}`} data-testid="refresh-panel" data-state={state} aria-live="polite">
      <header className="refresh-head">
        <h2>
          {Icon ? <Icon size={15} /> : <span className="spinner" aria-hidden="true" />}
          {title}
        </h2>
        {state === 'running' ? (
          <button type="button" className="button small" onClick={onCancel} data-testid="refresh-cancel">
            Cancel
          </button>
        ) : (
          <button type="button" className="icon-button small" onClick={onDismiss} aria-label="Dismiss" title="Dismiss" data-testid="refresh-dismiss">
            <CloseIcon size={14} />
          </button>
        )}
      </header>
      <ProgressBar progress={progress} />
      <ProgressLine progress={progress} />
      {message ? <p className="refresh-message">{message}</p> : null}
      {groups.length > 0 ? (
        <div className="refresh-groups" data-testid="refresh-groups">
          {groups.map((g) => (
            <Group key={g.label} group={g} open={groups.length <= 3} />
          ))}
        </div>
      ) : null}
    </section>
  );
}
