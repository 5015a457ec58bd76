/** A progress bar in segments: done (green), failed (red) and running (accent) shares of a total. */
import type { ReactElement } from 'react';

export interface ProgressCounts {
  total: number;
  done: number;
  failed: number;
  running?: number;
}

export interface SegmentBarProps {
  counts: ProgressCounts;
  /** What is counted, for screen readers: "Devices contacted". */
  label: string;
  /** Ended with nothing to count shows full (an empty job is finished, not stuck). */
  ended?: boolean;
  /** Adds `progress-<state>` (e.g. running, done, halted). */
  state?: string;
  size?: 'normal' | 'thin';
  testId?: string;
}

/** The bar (`role="progressbar"`; aria-valuenow is done + failed). */
export function SegmentBar({ counts, label, ended = false, state, size = 'normal', testId }: SegmentBarProps): ReactElement {
  const { total, done, failed, running = 0 } = counts;
  const finished = done + failed;
  const pct = (n: number): string => `${total > 0 ? (100 * n) / total : ended ? 100 : 0}%`;
  return (
    <div
      className={`progress${state ? ` progress-${state}` : ''}${size === 'thin' ? ' progress-thin' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={finished}
      aria-valuetext={`${finished} of ${total}${failed ? `, ${failed} failed` : ''}${running ? `, ${running} running` : ''}`}
      data-testid={testId}
    >
      <span className="progress-ok" style={{ width: pct(done) }} />
      <span className="progress-failed" style={{ width: pct(failed) }} />
      {running ? <span className="progress-running" style={{ width: `${total > 0 ? (100 * running) / total : 0}%` }} /> : null}
    </div>
  );
}
