/** Small pieces that show a device's status: state pill, stale marker, digests, badges, desired state, times. */
import type { MouseEvent, ReactElement } from 'react';
import type { EffectiveDesired, Reach, StatusSummary } from '../../../shared/contract';
import { copyText } from '../lib/clipboard';
import { desiredLabel, desiredTitle } from '../lib/desired';
import { formatAge, formatRelative, formatTime, shortDigest } from '../lib/format';
import { useNow } from '../lib/now';
import { useUi } from '../stores/ui';
import { ClockIcon, CopyIcon } from './icons';

/** Words for each state. */
export const reachLabel: Record<Reach, string> = {
  online: 'Online',
  offline: 'Offline',
  error: 'Error',
  'not-bootc': 'Not bootc',
  never: 'Never',
};

const reachTitle: Record<Reach, string> = {
  online: 'bootc answered at the last contact',
  offline: 'No connection at the last contact',
  error: 'Connected, but the last contact failed',
  'not-bootc': 'The device answered but does not run bootc',
  never: 'Not contacted yet',
};

/** The state as a coloured pill (`data-testid="state-pill"`, `data-state`). */
export function StatePill({ summary }: { summary: StatusSummary }): ReactElement {
  const { reach, error } = summary;
  const title = error ? `${reachTitle[reach]}: ${error.message} (${error.code})` : reachTitle[reach];
  return (
    <span className={`pill pill-${reach}`} title={title} data-testid="state-pill" data-state={reach}>
      <span className="pill-dot" aria-hidden="true" />
      {reachLabel[reach]}
    </span>
  );
}

/** "stale 3 h": shown when the state is old, with the age of the last good contact. */
export function StaleMarker({ summary }: { summary: StatusSummary }): ReactElement | null {
  const now = useNow();
  if (!summary.stale || !summary.lastSeenAt) return null;
  const age = formatAge((now - Date.parse(summary.lastSeenAt)) / 1000);
  return (
    <span className="stale-marker" title={`Stale: the last good contact was ${formatTime(summary.lastSeenAt)} (${age} ago); what is shown may be out of date`} data-testid="stale-marker">
      <ClockIcon size={12} />
      {age}
    </span>
  );
}

/** A relative time ("5 min ago") with the absolute time on hover. */
export function RelativeTime({ iso, empty = '—' }: { iso: string | null; empty?: string }): ReactElement {
  const now = useNow();
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

/** A copy-to-clipboard icon button; it never triggers the row or card it sits in. */
export function CopyButton({ text, what, testId = 'copy' }: { text: string; what: string; testId?: string }): ReactElement {
  const toast = useUi((s) => s.toast);
  const copy = (e: MouseEvent): void => {
    e.stopPropagation();
    copyText(text).then(
      () => toast('success', `Copied ${what}`),
      (err: unknown) => toast('error', err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <button type="button" className="icon-button small copy-button" onClick={copy} onKeyDown={(e) => e.stopPropagation()} title={`Copy ${what}`} aria-label={`Copy ${what}`} data-testid={testId}>
      <CopyIcon size={13} />
    </button>
  );
}

/** The first 12 hex of a digest, the full one on hover, and a copy button. */
export function ShortDigest({ digest, copy = true }: { digest: string; copy?: boolean }): ReactElement {
  return (
    <span className="digest">
      <span className="mono" title={digest} data-testid="short-digest">
        {shortDigest(digest)}
      </span>
      {copy ? <CopyButton text={digest} what="digest" testId="copy-digest" /> : null}
    </span>
  );
}

/** A full digest, wrapping, with a copy button. */
export function FullDigest({ digest, testId }: { digest: string; testId?: string }): ReactElement {
  return (
    <span className="digest digest-full">
      <code data-testid={testId}>{digest}</code>
      <CopyButton text={digest} what="digest" testId="copy-digest" />
    </span>
  );
}

/**
 * Staged / rollback / update available badges of a device. An update that is already the staged
 * image shows as the staged badge only (bootc keeps reporting it as a cached update).
 */
export function StatusBadges({ summary }: { summary: StatusSummary }): ReactElement | null {
  const { staged, rollback } = summary;
  const update = summary.update && summary.update.digest !== staged?.digest ? summary.update : null;
  if (!staged && !rollback && !update) return null;
  return (
    <span className="badges">
      {staged ? (
        <span
          className="badge badge-staged"
          title={`Staged for the next boot: ${staged.version ?? 'no version'} (${staged.digest})${summary.update?.digest === staged.digest ? '; the update a check saw' : ''}`}
          data-testid="badge-staged"
        >
          staged{staged.version ? <span className="badge-detail">{staged.version}</span> : null}
        </span>
      ) : null}
      {rollback ? (
        <span className="badge badge-rollback" title={`A rollback returns to ${rollback.version ?? 'no version'} (${rollback.digest})`} data-testid="badge-rollback">
          rollback
        </span>
      ) : null}
      {update ? (
        <span className="badge badge-update" title={`A check saw a newer image: ${update.version ?? 'no version'} (${update.digest})`} data-testid="badge-update">
          update available
        </span>
      ) : null}
    </span>
  );
}

/** Text of the badges for a cell's tooltip. */
export function badgesTitle(summary: StatusSummary): string {
  const parts: string[] = [];
  if (summary.staged) parts.push(`Staged: ${summary.staged.version ?? ''} ${summary.staged.digest}`.trim());
  if (summary.rollback) parts.push(`Rollback: ${summary.rollback.version ?? ''} ${summary.rollback.digest}`.trim());
  if (summary.update) parts.push(`Update available: ${summary.update.version ?? ''} ${summary.update.digest}`.trim());
  return parts.join('\n');
}

/** How the device stands against its desired image, as a compact badge (`data-testid="desired-badge"`, `data-state`); "behind" stands out. */
export function DesiredBadge({ desired }: { desired: EffectiveDesired }): ReactElement {
  const { state } = desired;
  return (
    <span className={`badge desired-badge desired-${state}`} title={desiredTitle(desired)} data-testid="desired-badge" data-state={state}>
      {desiredLabel[state]}
    </span>
  );
}
