/**
 * The fleet overview: `app.info` (version, data directory, inventory counts) and the number
 * of devices in each state, each the total of a `devices.list` with that filter and limit 1.
 */
import { create } from 'zustand';
import type { AppInfo } from '../../../shared/contract';
import { client } from '../lib/api';
import { filterInput, type StatusFilter } from './devices';
import { useUi } from './ui';

/** One count the overview shows, and the Devices filter that lists those devices. */
export interface StateCount {
  id: 'online' | 'offline' | 'error' | 'not-bootc' | 'never' | 'stale' | 'staged' | 'rollback' | 'update' | 'behind';
  label: string;
  filter: Partial<StatusFilter>;
}

/** The counts by state, in display order. */
export const stateCounts: StateCount[] = [
  { id: 'online', label: 'Online', filter: { states: ['online'] } },
  { id: 'offline', label: 'Offline', filter: { states: ['offline'] } },
  { id: 'error', label: 'Error', filter: { states: ['error'] } },
  { id: 'not-bootc', label: 'Not bootc', filter: { states: ['not-bootc'] } },
  { id: 'never', label: 'Never contacted', filter: { states: ['never'] } },
  { id: 'stale', label: 'Stale', filter: { states: ['stale'] } },
  { id: 'staged', label: 'Update staged', filter: { staged: true } },
  { id: 'rollback', label: 'Rollback available', filter: { rollback: true } },
  { id: 'update', label: 'Update available', filter: { updateAvailable: true } },
  { id: 'behind', label: 'Behind desired', filter: { desired: ['behind'] } },
];

interface FleetState {
  info: AppInfo | null;
  loading: boolean;
  /** Devices per state (null until loaded). */
  counts: Record<StateCount['id'], number> | null;
  load(): Promise<void>;
  loadCounts(): Promise<void>;
  /** Loads the counts and keeps them current until the returned function is called (the page is left). */
  watchCounts(): () => void;
}

let timer: ReturnType<typeof setTimeout> | null = null;
let countsTimer: ReturnType<typeof setTimeout> | null = null;
let countsAt = 0;
let countsSeq = 0;
/** How many mounted views show the counts; they are recounted only while one does. */
let watchers = 0;
/** While a refresh runs, recount at most this often. */
const COUNTS_EVERY_MS = 1500;

/** App info and counts; refetched whenever the inventory or a device's status changes. */
export const useFleet = create<FleetState>((set, get) => ({
  info: null,
  loading: false,
  counts: null,
  async load() {
    set({ loading: true });
    try {
      const info = await client.invoke('app.info', {});
      set({ info, loading: false });
      // Ready marker for tests: the first successful call has gone through.
      document.body.dataset.ready = 'true';
    } catch (err) {
      set({ loading: false });
      useUi.getState().reportError(err, 'Loading app info');
    }
  },
  async loadCounts() {
    const my = ++countsSeq;
    countsAt = Date.now();
    const none = { search: '', site: null, tags: [] };
    try {
      const totals = await Promise.all(
        stateCounts.map((c) => client.invoke('devices.list', { ...filterInput({ ...none, ...c.filter }), limit: 1 }).then((r) => r.total)),
      );
      if (my !== countsSeq) return;
      set({ counts: Object.fromEntries(stateCounts.map((c, i) => [c.id, totals[i] ?? 0])) as Record<StateCount['id'], number> });
    } catch (err) {
      if (my !== countsSeq) return;
      useUi.getState().reportError(err, 'Counting devices by state');
    }
  },
  watchCounts() {
    watchers++;
    void get().loadCounts();
    return () => {
      watchers--;
    };
  },
}));

/** Recounts soon, but not more often than every COUNTS_EVERY_MS, and only while counts are shown. */
function recount(): void {
  if (watchers === 0 || countsTimer) return;
  countsTimer = setTimeout(
    () => {
      countsTimer = null;
      void useFleet.getState().loadCounts();
    },
    Math.max(150, countsAt + COUNTS_EVERY_MS - Date.now()),
  );
}

client.on('inventory.changed', () => {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void useFleet.getState().load(), 150);
  recount();
});

client.on('fleet.statusChanged', recount);
