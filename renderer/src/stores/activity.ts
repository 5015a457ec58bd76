/** The activity log: newest first, filtered, paged backwards with "Load more". */
import { create } from 'zustand';
import type { ActivityEntry, MethodInput } from '../../../shared/contract';
import { client } from '../lib/api';
import { useUi } from './ui';

/** Entity filter choices offered on the Activity page. */
export const activityKinds = [
  { id: '', label: 'All entities' },
  { id: 'device', label: 'Devices' },
  { id: 'site', label: 'Sites' },
  { id: 'import', label: 'Device imports' },
] as const;
export type ActivityKind = (typeof activityKinds)[number]['id'];

const PAGE = 100;

interface ActivityState {
  searchText: string;
  search: string;
  kind: ActivityKind;
  items: ActivityEntry[];
  nextBefore: number | null;
  loading: boolean;
  loaded: boolean;
  setSearchText(text: string): void;
  setKind(kind: ActivityKind): void;
  /** Reloads from the newest entry, keeping as many rows as are shown (up to 1000). */
  refresh(): Promise<void>;
  loadMore(): Promise<void>;
}

function filterInput(search: string, kind: ActivityKind): MethodInput<'activity.list'> {
  const f: { search?: string; entityType?: string; action?: string } = {};
  if (search) f.search = search;
  if (kind) f.entityType = kind;
  return f;
}

let searchTimer: ReturnType<typeof setTimeout> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;

/** The activity store. */
export const useActivity = create<ActivityState>((set, get) => ({
  searchText: '',
  search: '',
  kind: '',
  items: [],
  nextBefore: null,
  loading: false,
  loaded: false,
  setSearchText(text) {
    set({ searchText: text });
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      set({ search: text.trim(), items: [], nextBefore: null, loaded: false });
      void get().refresh();
    }, 200);
  },
  setKind(kind) {
    set({ kind, items: [], nextBefore: null, loaded: false });
    void get().refresh();
  },
  async refresh() {
    const my = ++seq;
    const { search, kind, items } = get();
    set({ loading: true });
    try {
      const limit = Math.min(1000, Math.max(PAGE, items.length));
      const res = await client.invoke('activity.list', { ...filterInput(search, kind), limit });
      if (my !== seq) return;
      set({ items: res.items, nextBefore: res.nextBefore, loading: false, loaded: true });
    } catch (err) {
      if (my !== seq) return;
      set({ loading: false, loaded: true });
      useUi.getState().reportError(err, 'Loading activity');
    }
  },
  async loadMore() {
    const { search, kind, nextBefore } = get();
    if (nextBefore === null) return;
    const my = ++seq;
    set({ loading: true });
    try {
      const res = await client.invoke('activity.list', { ...filterInput(search, kind), before: nextBefore, limit: PAGE });
      if (my !== seq) return;
      set((s) => ({ items: [...s.items, ...res.items], nextBefore: res.nextBefore, loading: false }));
    } catch (err) {
      if (my !== seq) return;
      set({ loading: false });
      useUi.getState().reportError(err, 'Loading activity');
    }
  },
}));

client.on('activity.appended', () => {
  if (!useActivity.getState().loaded) return;
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void useActivity.getState().refresh(), 150);
});
