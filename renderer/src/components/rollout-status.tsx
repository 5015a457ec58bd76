/** Small pieces that show a rollout: its state badge, batch labels, progress bar and counts. */
import type { ReactElement } from 'react';
import type { Rollout, RolloutState } from '../../../shared/contract';
import { imageWithTransport, rolloutActionLabel } from '../lib/jobs';
import { SegmentBar } from './progress-bar';

type Counts = Rollout['counts'];

export const rolloutStateLabel: Record<RolloutState, string> = {
  running: 'running',
  paused: 'paused',
  halted: 'halted',
  done: 'done',
  canceled: 'cancelled',
  interrupted: 'interrupted',
};

/**
 * The state as a chip (`data-testid="rollout-state"`, `data-state`); a pause or cancel asked for
 * and not yet carried out reads "pausing…" / "cancelling…". The reason is its tooltip.
 */
export function RolloutStateBadge({ rollout }: { rollout: Pick<Rollout, 'state' | 'requested' | 'reason'> }): ReactElement {
  const { state, requested, reason } = rollout;
  const asked = state === 'running' && requested ? (requested === 'pause' ? 'pausing…' : 'cancelling…') : null;
  return (
    <span
      className={`job-state job-state-${asked ? 'requested' : state}`}
      title={reason ?? undefined}
      data-testid="rollout-state"
      data-state={state}
      data-requested={requested ?? undefined}
    >
      {asked ?? rolloutStateLabel[state]}
    </span>
  );
}

/** What a rollout does, in one line: "Upgrade, reboot and verify", "Switch to registry.local/os:2.0, stage only". */
export function rolloutWhat(r: Pick<Rollout, 'action' | 'image' | 'transport' | 'policy'>): string {
  const what = r.action === 'switch' && r.image ? `Switch to ${imageWithTransport(r.image, r.transport)}` : rolloutActionLabel[r.action];
  return r.policy.apply ? `${what}, reboot and verify` : `${what}, stage only`;
}

/** "Canary", or "Batch N" counted after the canary (as the core's halt reasons count them). */
export function batchLabel(index: number, canary: boolean, hasCanary: boolean): string {
  return canary ? 'Canary' : `Batch ${index + (hasCanary ? 0 : 1)}`;
}

/** The bar of a rollout or a batch: done, failed and running shares. */
export function RolloutBar({ counts, state, size = 'normal', testId }: { counts: Counts; state: string; size?: 'normal' | 'thin'; testId?: string }): ReactElement {
  return (
    <SegmentBar
      counts={{ total: counts.total, done: counts.done, failed: counts.failed, running: counts.running }}
      label="Devices finished"
      ended={state !== 'running' && state !== 'pending'}
      state={state}
      size={size}
      testId={testId}
    />
  );
}

/** "2 of 4 done · 1 failed · 1 running" (zero counts left out, except done). */
export function CountsLine({ counts, testId }: { counts: Counts; testId?: string }): ReactElement {
  return (
    <span className="counts-line" data-testid={testId}>
      <span>
        <strong>{counts.done.toLocaleString('en-US')}</strong> of {counts.total.toLocaleString('en-US')} done
      </span>
      {counts.failed ? <span className="progress-failed-text">{counts.failed.toLocaleString('en-US')} failed</span> : null}
      {counts.running ? <span className="counts-running">{counts.running.toLocaleString('en-US')} running</span> : null}
      {counts.pending ? <span className="muted">{counts.pending.toLocaleString('en-US')} pending</span> : null}
      {counts.skipped ? <span className="muted">{counts.skipped.toLocaleString('en-US')} skipped</span> : null}
    </span>
  );
}
