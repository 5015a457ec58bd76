/**
 * The Audit page: its filters, the last report (`audit.run`: computed from the inventory, no
 * device contacted), which devices the table shows, and export as the CLI's JSON and CSV files.
 */
import { create } from 'zustand';
import type { AuditReport, AuditState, MethodInput } from '../../../shared/contract';
import { parseAsOf, parseStaleDays } from '../lib/audit';
import { auditCsv, auditFileName, auditJson } from '../lib/audit-export';
import { client } from '../lib/api';
import { downloadText } from '../lib/download';
import { describeError } from '../lib/error-text';
import { plural } from '../lib/format';
import { useUi } from './ui';

/** Rows the device table shows at first, and how many more each "Show more" adds. */
export const AUDIT_PAGE = 200;
/** Pause after a filter change before the audit runs again. */
const DEBOUNCE_MS = 300;

/** The toolbar's values as typed: site and tag names (null: all), the date input, the days field. */
export interface AuditFilters {
  site: string | null;
  tag: string | null;
  asOf: string;
  staleDays: string;
}

interface AuditStoreState {
  filters: AuditFilters;
  report: AuditReport | null;
  /** An audit is running (the last report stays shown meanwhile). */
  running: boolean;
  /** Why the last run failed, in words; null after a success. */
  error: string | null;
  /** Only devices in this state (a count was clicked); null: see `showAll`. */
  stateFilter: AuditState | null;
  /** Every device, or (false) only those not in sync. */
  showAll: boolean;
  /** Rows shown in the device table. */
  limit: number;
  /** Changes a filter; the audit runs again after a short pause when the values are valid. */
  setFilters(patch: Partial<AuditFilters>): void;
  /** Runs the audit now with the current filters (nothing when a field is invalid). */
  run(): Promise<void>;
  setStateFilter(state: AuditState | null): void;
  setShowAll(all: boolean): void;
  showMore(): void;
  exportAs(format: 'json' | 'csv'): Promise<void>;
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

let timer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;

/** The audit store. */
export const useAudit = create<AuditStoreState>((set, get) => ({
  filters: { site: null, tag: null, asOf: '', staleDays: '' },
  report: null,
  running: false,
  error: null,
  stateFilter: null,
  showAll: false,
  limit: AUDIT_PAGE,
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
    set({ running: true });
    try {
      const report = await client.invoke('audit.run', input);
      if (my !== seq) return;
      set({ report, running: false, error: null, limit: AUDIT_PAGE });
    } catch (err) {
      if (my !== seq) return;
      set({ running: false, error: describeError(err) });
    }
  },
  setStateFilter(state) {
    set({ stateFilter: state, limit: AUDIT_PAGE });
  },
  setShowAll(all) {
    set({ showAll: all, stateFilter: null, limit: AUDIT_PAGE });
  },
  showMore() {
    set((s) => ({ limit: s.limit + AUDIT_PAGE }));
  },
  async exportAs(format) {
    const report = get().report;
    if (!report) return;
    try {
      const text = format === 'json' ? await auditJson(report) : await auditCsv(report);
      downloadText(auditFileName(report, format), text, format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json');
      useUi.getState().toast('success', `Exported the audit of ${plural(report.total, 'device')} as ${format.toUpperCase()}`);
    } catch (err) {
      useUi.getState().reportError(err, 'Exporting the audit');
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
