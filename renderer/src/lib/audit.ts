/** The Audit page's words and checks: state order, short labels, the toolbar's inputs. */
import { DRIFT_STATES, STALE_STATES, auditStateLabel, type AuditState } from '../../../shared/contract';

/** The states in the order the summary shows them: good, then drift, then what cannot be vouched for. */
export const auditStates: AuditState[] = [
  'in-sync',
  'drifted',
  'fallen-back',
  'staged',
  'unsigned',
  'usr-modified',
  'etc-modified',
  'conflict',
  'unresolved',
  'stale',
  'never-contacted',
  'no-desired',
];

/** Short words for narrow places (the per-site table's columns); the full label is the title. */
export const auditShortLabel: Record<AuditState, string> = {
  'in-sync': 'In sync',
  drifted: 'Drifted',
  staged: 'Staged',
  'fallen-back': 'Fell back',
  unsigned: 'Unsigned',
  'usr-modified': '/usr modified',
  'etc-modified': '/etc changed',
  stale: 'Stale',
  'never-contacted': 'Never contacted',
  'no-desired': 'No desired',
  conflict: 'Conflict',
  unresolved: 'Unresolved',
};

/** The two pass/fail checks (`bootfleet audit --fail-on drift|stale`), worded as the HTML report words them. */
export const auditChecks = [
  { id: 'drift', label: 'Drift', states: DRIFT_STATES },
  { id: 'stale', label: 'Freshness', states: STALE_STATES },
] as const;

/** What a check fails on, in words: "drifted, update staged, not booted, …". */
export function checkStatesText(states: AuditState[]): string {
  return states.map((s) => auditStateLabel[s].toLowerCase()).join(', ');
}

/** The "Stale after" field (days) as the contract's duration (`7d`), or why it is not one. Empty: each site's own threshold. */
export function parseStaleDays(text: string): { staleAfter: string | null; error: string | null } {
  const t = text.trim();
  if (!t) return { staleAfter: null, error: null };
  if (!/^\d+(\.\d+)?$/.test(t)) return { staleAfter: null, error: 'Enter a number of days, e.g. 7.' };
  const days = Number(t);
  if (days <= 0) return { staleAfter: null, error: 'Enter more than 0 days.' };
  if (days > 3650) return { staleAfter: null, error: 'Enter at most 3650 days.' };
  return { staleAfter: `${t}d`, error: null };
}

/** Today in the local time zone as YYYY-MM-DD (what a date input shows). */
export function localDay(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The "As of" field (a date input's YYYY-MM-DD) as the audit's `asOf`: empty or today is now
 * (no asOf: the core reads a day as its end in UTC, which for today is still to come).
 */
export function parseAsOf(text: string, today = localDay()): { asOf: string | null; error: string | null } {
  const t = text.trim();
  if (!t) return { asOf: null, error: null };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t) || Number.isNaN(Date.parse(t))) return { asOf: null, error: 'Enter a date like 2026-11-01.' };
  if (t > today) return { asOf: null, error: 'Pick today or an earlier day.' };
  return { asOf: t === today ? null : t, error: null };
}
