/** A device's status history as a timeline: runs of identical snapshots collapsed into spans. */
import type { SnapshotSummary } from '../../../shared/contract';

/** Consecutive snapshots that saw the same thing. */
export interface HistorySpan {
  outcome: SnapshotSummary['outcome'];
  /** The newest snapshot of the span (what it shows). */
  latest: SnapshotSummary;
  /** Oldest and newest times in the span. */
  from: string;
  to: string;
  count: number;
  /** What changed since the older good span; `recovered`: errors came just before. */
  changes: ('booted' | 'staged' | 'rollback' | 'recovered')[];
}

/** Two snapshots say the same thing: same outcome and digests, or the same error. */
function same(a: SnapshotSummary, b: SnapshotSummary): boolean {
  if (a.outcome !== b.outcome) return false;
  if (a.outcome === 'error') return a.error?.code === b.error?.code && a.error?.message === b.error?.message;
  return a.bootedDigest === b.bootedDigest && a.stagedDigest === b.stagedDigest && a.rollbackDigest === b.rollbackDigest && a.bootedVersion === b.bootedVersion;
}

/** Collapses a newest-first history into newest-first spans. */
export function historySpans(history: SnapshotSummary[]): HistorySpan[] {
  const spans: HistorySpan[] = [];
  for (const s of history) {
    const last = spans[spans.length - 1];
    if (last && same(last.latest, s)) {
      last.from = s.at;
      last.count++;
    } else {
      spans.push({ outcome: s.outcome, latest: s, from: s.at, to: s.at, count: 1, changes: [] });
    }
  }
  // Compare each good span with the next older good one.
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (span.outcome === 'error') continue;
    if (spans[i + 1]?.outcome === 'error') span.changes.push('recovered');
    const olderIndex = spans.findIndex((x, j) => j > i && x.outcome !== 'error');
    if (olderIndex < 0) continue;
    const older = spans[olderIndex]!.latest;
    const s = span.latest;
    if (s.bootedDigest !== older.bootedDigest) span.changes.push('booted');
    if (s.stagedDigest !== older.stagedDigest) span.changes.push('staged');
    if (s.rollbackDigest !== older.rollbackDigest) span.changes.push('rollback');
  }
  return spans;
}
