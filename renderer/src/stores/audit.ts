/**
 * The Audit page: its filters, the last view of the audit (`audit.view`: computed from the
 * inventory, no device contacted; the whole fleet's counts and the first rows of the devices the
 * table lists, so a 100,000-device fleet is not sent whole), the counts over past weeks when asked
 * (a view with `timeline`: it costs one audit per week), and export as the CLI's files, made by
 * the core (`audit.export`).
 */
import { create } from 'zustand';
import type { AuditReport, AuditState, AuditView, MethodInput } from '../../../shared/contract';
import { parseAsOf, parseStaleDays } from '../lib/audit';
import { client } from '../lib/api';
import { downloadFile } from '../lib/download';
import { describeError } from '../lib/error-text';
import { formatBytes, plural } from '../lib/format';
import { useUi } from './ui';

/** Rows the device table shows at first, and how many more each "Show more" adds. */
export const AUDIT_PAGE = 200;
/** Pause after a filter change before the audit runs again. */
const DEBOUNCE_MS = 300;
/** Weeks the "Over time" chart shows at first, and the choices offered. */
export const TIMELINE_WEEKS = 8;
export const TIMELINE_CHOICES = [8, 13, 26, 52] as const;

/** The report files the core makes (`audit.export`), as the CLI writes them. */
export type AuditExportKind = 'csv' | 'json' | 'signed-json' | 'html' | 'pdf';

export type AuditTimeline = NonNullable<AuditReport['timeline']>;

/** The toolbar's values as typed: site and tag names (null: all), the date input, the days field. */
export interface AuditFilters {
  site: string | null;
  tag: string | null;
  asOf: string;
  staleDays: string;
}

interface AuditStoreState {
  filters: AuditFilters;
  /** The last view: the report's summary and the first `limit` devices the table lists. */
  report: AuditView | null;
  /** The input the shown report was audited with (the core's exports audit the same). */
  reportInput: MethodInput<'audit.run'> | null;
  /** An audit is running (the last report stays shown meanwhile). */
  running: boolean;
  /** Why the last run failed, in words; null after a success. */
  error: string | null;
  /** Only devices in this state (a count was clicked); null: see `showAll`. */
  stateFilter: AuditState | null;
  /** Every device, or (false) only those not in sync. */
  showAll: boolean;
  /** Rows asked for in the device table (more come with "Show more"). */
  limit: number;
  /** Rows are being fetched for another filter or "Show more" (the table stays shown). */
  paging: boolean;
  /** A file being made (a PDF takes a few seconds to print); null: none. */
  exporting: AuditExportKind | null;
  /** Weeks of history asked for ("Over time"); null: not shown, not computed. */
  timelineWeeks: number | null;
  /** The counts per week for the shown report's scope (oldest first); null until computed. */
  timeline: AuditTimeline | null;
  timelineLoading: boolean;
  /** Why computing the timeline failed, in words. */
  timelineError: string | null;
  /** Changes a filter; the audit runs again after a short pause when the values are valid. */
  setFilters(patch: Partial<AuditFilters>): void;
  /** Runs the audit now with the current filters (nothing when a field is invalid). */
  run(): Promise<void>;
  setStateFilter(state: AuditState | null): void;
  setShowAll(all: boolean): void;
  showMore(): void;
  exportAs(kind: AuditExportKind): Promise<void>;
  /** Shows the counts over the last `weeks` weeks (computed now, and again after each run); null hides them. */
  setTimelineWeeks(weeks: number | null): void;
  loadTimeline(): Promise<void>;
}

/** The contract's input for the filters, or the fields' errors. */
export function auditInput(f: AuditFilters): { input: MethodInput<'audit.run'> | null; errors: { asOf: string | null; staleDays: string | null } } {
  const stale = parseStaleDays(f.staleDays);
  const asOf = parseAsOf(f.asOf);
  const errors = { asOf: asOf.error, staleDays: stale.error };
  if (stale.error || asOf.error) return { input: null, errors };
  return {
    input: {
      ...(f.site ? { site: f.site } : {}),
      ...(f.tag ? { tag: f.tag } : {}),
      ...(asOf.asOf ? { asOf: asOf.asOf } : {}),
      ...(stale.staleAfter ? { staleAfter: stale.staleAfter } : {}),
    },
    errors,
  };
}

/** The most rows the table asks for ("Show more" stops there; the CSV export has them all). */
export const MAX_ROWS = 5000;

/** The view's input: the audit's scope, and which devices the table lists. */
function viewInput(input: MethodInput<'audit.run'>, s: Pick<AuditStoreState, 'stateFilter' | 'showAll' | 'limit'>): MethodInput<'audit.view'> {
  return { ...input, show: s.showAll ? 'all' : 'not-in-sync', state: s.stateFilter, limit: s.limit };
}

/** Fetches the table's rows again for the shown report's scope (another filter, more rows). */
async function page(): Promise<void> {
  const s = useAudit.getState();
  if (!s.reportInput) return;
  const my = ++seq;
  useAudit.setState({ paging: true });
  try {
    const report = await client.invoke('audit.view', viewInput(s.reportInput, s));
    if (my !== seq) return;
    useAudit.setState({ report, paging: false });
  } catch (err) {
    if (my !== seq) return;
    useAudit.setState({ paging: false });
    useUi.getState().reportError(err, 'Listing the audited devices');
  }
}

let timer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;
let timelineSeq = 0;

const kindText: Record<AuditExportKind, string> = { csv: 'CSV', json: 'JSON', 'signed-json': 'signed JSON', html: 'an HTML report', pdf: 'a PDF report' };

/** The audit store. */
export const useAudit = create<AuditStoreState>((set, get) => ({
  filters: { site: null, tag: null, asOf: '', staleDays: '' },
  report: null,
  reportInput: null,
  running: false,
  paging: false,
  error: null,
  stateFilter: null,
  showAll: false,
  limit: AUDIT_PAGE,
  exporting: null,
  timelineWeeks: null,
  timeline: null,
  timelineLoading: false,
  timelineError: null,
  setFilters(patch) {
    set((s) => ({ filters: { ...s.filters, ...patch } }));
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void get().run();
    }, DEBOUNCE_MS);
  },
  async run() {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const { input } = auditInput(get().filters);
    if (!input) return;
    const my = ++seq;
    set({ running: true, limit: AUDIT_PAGE });
    try {
      const report = await client.invoke('audit.view', viewInput(input, get()));
      if (my !== seq) return;
      set({ report, reportInput: input, running: false, error: null });
      if (get().timelineWeeks !== null) void get().loadTimeline();
    } catch (err) {
      if (my !== seq) return;
      set({ running: false, error: describeError(err) });
    }
  },
  setStateFilter(state) {
    set({ stateFilter: state, limit: AUDIT_PAGE });
    void page();
  },
  setShowAll(all) {
    set({ showAll: all, stateFilter: null, limit: AUDIT_PAGE });
    void page();
  },
  showMore() {
    set((s) => ({ limit: Math.min(s.limit + AUDIT_PAGE, MAX_ROWS) }));
    void page();
  },
  async exportAs(kind) {
    const { report, reportInput, exporting } = get();
    if (!report || !reportInput || exporting) return;
    set({ exporting: kind });
    try {
      let done = `Exported the audit of ${plural(report.total, 'device')} as ${kindText[kind]}`;
      const file = await client.invoke('audit.export', {
        ...reportInput,
        format: kind === 'signed-json' ? 'json' : kind,
        sign: kind === 'signed-json',
        weeks: get().timelineWeeks ?? TIMELINE_WEEKS,
      });
      downloadFile(file);
      done += ` (${formatBytes(file.bytes)})`;
      if (file.signedBy) done += `, signed by ${file.signedBy}`;
      useUi.getState().toast('success', done);
    } catch (err) {
      useUi.getState().reportError(err, 'Exporting the audit');
    } finally {
      set({ exporting: null });
    }
  },
  setTimelineWeeks(weeks) {
    timelineSeq++;
    // Another number of weeks keeps the last chart (dimmed) until the new one is computed.
    set(weeks === null ? { timelineWeeks: null, timeline: null, timelineLoading: false, timelineError: null } : { timelineWeeks: weeks, timelineError: null });
    if (weeks !== null) void get().loadTimeline();
  },
  async loadTimeline() {
    const { reportInput, timelineWeeks } = get();
    if (!reportInput || timelineWeeks === null) return;
    const my = ++timelineSeq;
    set({ timelineLoading: true });
    try {
      const r = await client.invoke('audit.view', { ...reportInput, timeline: timelineWeeks, limit: 1 });
      if (my !== timelineSeq) return;
      set({ timeline: r.timeline ?? [], timelineLoading: false, timelineError: null });
    } catch (err) {
      if (my !== timelineSeq) return;
      set({ timelineLoading: false, timelineError: describeError(err) });
    }
  },
}));

// After a failed run (e.g. the connection dropped), try again when the core is back: a reconnect
// announces itself as an inventory change. A report already shown is left as it is.
let retryTimer: ReturnType<typeof setTimeout> | null = null;
client.on('inventory.changed', () => {
  if (!useAudit.getState().error) return;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    void useAudit.getState().run();
  }, DEBOUNCE_MS);
});
