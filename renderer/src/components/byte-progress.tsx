/**
 * Bytes moving: a bar and "12 MiB of 40 MiB · 3.1 MiB/s · about 9 s left" (a pull, a transfer to
 * a device). Without numbers (an import or export reports none) the bar is busy, not measured.
 */
import type { ReactElement, ReactNode } from 'react';
import { formatBytes, formatDuration } from '../lib/format';
import { etaSeconds } from '../lib/library';

export interface ByteCounts {
  done: number;
  total: number;
  bytesPerSecond: number;
}

export interface ByteProgressProps {
  /** Null: the work is under way but tells no numbers (an indeterminate bar). */
  progress: ByteCounts | null;
  /** What is counted, for screen readers and the line: "downloaded", "sent". */
  verb: string;
  /** For screen readers: "Pulling 127.0.0.1:5000/os:2.0". */
  label: string;
  /** Shown instead of the numbers while there are none. */
  busyText?: ReactNode;
  /** Ended (the bar stops moving). */
  state?: 'running' | 'done' | 'failed' | 'canceled';
  testId?: string;
}

/** The bar and its line (`data-testid` on the wrapper; the line is `${testId}-line`). */
export function ByteProgress({ progress, verb, label, busyText, state = 'running', testId }: ByteProgressProps): ReactElement {
  const measured = progress !== null && progress.total > 0;
  const pct = measured ? Math.min(100, (100 * progress.done) / progress.total) : 0;
  const eta = progress && state === 'running' ? etaSeconds(progress) : null;
  return (
    <div className={`byte-progress byte-progress-${state}`} data-testid={testId} data-measured={measured || undefined}>
      <div
        className={`progress progress-thin${measured ? '' : ' progress-indeterminate'}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={measured ? 0 : undefined}
        aria-valuemax={measured ? progress.total : undefined}
        aria-valuenow={measured ? progress.done : undefined}
        aria-valuetext={measured ? `${formatBytes(progress.done)} of ${formatBytes(progress.total)} ${verb}` : 'busy'}
      >
        {measured ? (
          <span className={state === 'running' ? 'progress-running' : state === 'done' ? 'progress-ok' : 'progress-failed'} style={{ width: `${pct}%` }} />
        ) : state === 'running' ? (
          <span className="progress-running" style={{ width: '100%' }} />
        ) : null}
      </div>
      <p className="progress-line" data-testid={testId ? `${testId}-line` : undefined}>
        {measured ? (
          <>
            <span>
              <strong>{formatBytes(progress.done)}</strong> of {formatBytes(progress.total)} {verb}
            </span>
            {state === 'running' && progress.bytesPerSecond > 0 ? <span className="muted">{formatBytes(progress.bytesPerSecond)}/s</span> : null}
            {eta !== null ? <span className="muted">about {formatDuration(Math.max(1, eta))} left</span> : null}
          </>
        ) : progress && progress.total === 0 && state === 'running' ? (
          <span className="muted">Nothing to {verb === 'sent' ? 'send' : 'download'}: every blob is already there.</span>
        ) : (
          <span className="muted">{busyText}</span>
        )}
      </p>
    </div>
  );
}
