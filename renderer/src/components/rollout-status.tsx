/** Small pieces that show a rollout: its state badge, batch labels, progress bar and counts. */
import type { ReactElement } from 'react';
import type { Rollout, RolloutDevice, RolloutState } from '../../../shared/contract';
import { formatBytes, plural } from '../lib/format';
import { imageWithTransport, rolloutActionLabel } from '../lib/jobs';
import { libraryFormatOf, sendingNow, sendText } from '../lib/via-library';
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

/**
 * What a rollout does, in one line: "Upgrade, reboot and verify", "Switch to registry.local/os:2.0
 * from the library, stage only".
 */
export function rolloutWhat(r: Pick<Rollout, 'action' | 'image' | 'transport' | 'via' | 'policy'>): string {
  const library = r.via === 'library';
  const what = r.action === 'switch' && r.image ? `Switch to ${library ? r.image : imageWithTransport(r.image, r.transport)}` : rolloutActionLabel[r.action];
  const from = library ? ' from the library' : '';
  return r.policy.apply ? `${what}${from}, reboot and verify` : `${what}${from}, stage only`;
}

/**
 * How a rollout gets its image to the devices (`data-testid="rollout-source"`): "from the image
 * library, over SSH", its form on the device and the rate limit; and while devices are being
 * sent to, how many and their speed together. Nothing when the devices pull it.
 */
export function RolloutSource({ rollout: r, devices }: { rollout: Pick<Rollout, 'via' | 'transport' | 'maxBytesPerSecond'>; devices?: readonly RolloutDevice[] | undefined }): ReactElement | null {
  const text = sendText(r, true);
  if (!text) return null;
  const now = devices ? sendingNow(devices) : null;
  return (
    <p className="rollout-source small" data-testid="rollout-source" data-via={r.via} data-transport={libraryFormatOf(r.transport)} data-max-rate={r.maxBytesPerSecond ?? undefined}>
      <span className="badge badge-staged">from the image library, over SSH</span>
      <span>{text}</span>
      {now && now.devices ? (
        <span className="muted" data-testid="rollout-sending">
          sending to {plural(now.devices, 'device')}
          {now.bytesPerSecond > 0 ? `, ${formatBytes(now.bytesPerSecond)}/s together` : ''}
        </span>
      ) : null}
    </p>
  );
}

/** A switch with `--enforce-container-sigpolicy` (`data-testid="rollout-signatures"`); nothing otherwise. */
export function RolloutSignatures({ rollout: r }: { rollout: Pick<Rollout, 'enforceSignatures'> }): ReactElement | null {
  if (!r.enforceSignatures) return null;
  return (
    <p className="rollout-source small" data-testid="rollout-signatures">
      <span className="badge badge-ok">signature policy enforced</span>
      <span>
        <code>bootc switch --enforce-container-sigpolicy</code>: each device refuses the image unless its containers-policy.json verifies the signature
      </span>
    </p>
  );
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
