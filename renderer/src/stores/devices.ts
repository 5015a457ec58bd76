/**
 * Devices: a filtered, sorted, paged view of the inventory. Rows are fetched a page at a
 * time as the table scrolls and cached by page; `total` sizes the scroll area, so the
 * whole list is never loaded (it stays smooth at 100,000 devices).
 */
import { create } from 'zustand';
import type {
  DesiredState,
  Device,
  DeviceFilter,
  DeviceSort,
  ImportReport,
  MethodInput,
  MethodOutput,
  Reach,
} from '../../../shared/contract';
import { client } from '../lib/api';
import { downloadText } from '../lib/download';
import { plural } from '../lib/format';
import { useUi } from './ui';

/** Rows per `devices.list` call. */
export const PAGE_SIZE = 100;
/** Pages kept in memory; the ones farthest from the viewport are dropped first. */
const MAX_PAGES = 60;

/** A state filter choice: how the last contact went, or `stale` (the shown state is old). */
export type StateFilter = Reach | 'stale';

/** What the table shows. `site`: null = all sites, '' = devices without a site. */
export interface DeviceQuery {
  search: string;
  site: string | null;
  tags: string[];
  /** Any of these states (empty: every state). */
  states: StateFilter[];
  /** Only devices with a staged deployment / a rollback / an update a check saw. */
  staged: boolean;
  rollback: boolean;
  updateAvailable: boolean;
  /** Any of these standings against the desired image (empty: every one). */
  desired: DesiredState[];
  sort: DeviceSort;
  dir: 'asc' | 'desc';
}

/** The status part of a query, as the Fleet overview's counts and links set it. */
export type StatusFilter = Pick<DeviceQuery, 'states' | 'staged' | 'rollback' | 'updateAvailable' | 'desired'>;

interface CachedPage {
  gen: number;
  items: Device[];
}

interface DevicesState {
  /** The search box text (the query follows it after a short pause). */
  searchText: string;
  query: DeviceQuery;
  /** Changes whenever the query does; responses for an older key are dropped. */
  queryKey: string;
  /** Bumped when the inventory changes; cached pages from older generations are refetched. */
  gen: number;
  /** Matching devices, or null before the first page of this query arrives. */
  total: number | null;
  pages: Record<number, CachedPage>;
  tags: { name: string; count: number }[] | null;
  error: string | null;
  setSearchText(text: string): void;
  setSite(site: string | null): void;
  setTags(tags: string[]): void;
  /** Replaces the state / staged / rollback / update / desired filters (leaving the others). */
  setStatusFilter(filter: Partial<StatusFilter>): void;
  /** Clears every filter, then applies these (the Fleet overview's counts and the Desired images page link here). */
  showStatus(filter: Partial<StatusFilter & Pick<DeviceQuery, 'site' | 'tags'>>): void;
  /** Sort by a column; the same column again flips the direction. */
  toggleSort(sort: DeviceSort): void;
  clearFilters(): void;
  /** The table calls this with the visible row range; missing pages are fetched. */
  ensureRange(start: number, end: number): void;
  /** Refetch what is shown (after a change). */
  invalidate(): void;
  loadTags(): Promise<void>;
  add(input: MethodInput<'devices.add'>): Promise<Device>;
  update(device: Device, patch: MethodInput<'devices.update'>['patch']): Promise<Device>;
  remove(device: Device): Promise<void>;
  importCsv(csv: string, dryRun: boolean, fileName?: string): Promise<ImportReport>;
  exportAs(format: 'csv' | 'json'): Promise<void>;
}

const noStatusFilter: StatusFilter = { states: [], staged: false, rollback: false, updateAvailable: false, desired: [] };
const initialQuery: DeviceQuery = { search: '', site: null, tags: [], ...noStatusFilter, sort: 'name', dir: 'asc' };

/** True when a search, site, tag or status filter narrows the list. */
export function hasFilters(q: DeviceQuery): boolean {
  return q.search !== '' || q.site !== null || q.tags.length > 0 || q.states.length > 0 || q.staged || q.rollback || q.updateAvailable || q.desired.length > 0;
}

/** The device at a row index, if its page is loaded. */
export function deviceAt(pages: Record<number, CachedPage>, index: number): Device | undefined {
  return pages[Math.floor(index / PAGE_SIZE)]?.items[index % PAGE_SIZE];
}

/** The contract's filter for a query (what devices.list, devices.export and fleet.refresh take). */
export function filterInput(q: Pick<DeviceQuery, 'search' | 'site' | 'tags'> & Partial<StatusFilter>): DeviceFilter {
  return {
    ...(q.search ? { search: q.search } : {}),
    ...(q.site !== null ? { site: q.site } : {}),
    ...(q.tags.length ? { tags: q.tags } : {}),
    ...(q.states?.length ? { reach: q.states } : {}),
    ...(q.staged ? { staged: true } : {}),
    ...(q.rollback ? { rollback: true } : {}),
    ...(q.updateAvailable ? { updateAvailable: true } : {}),
    ...(q.desired?.length ? { desired: q.desired } : {}),
  };
}

let wanted = { start: 0, end: 60 };
const inflight = new Set<string>();
let pumpTimer: ReturnType<typeof setTimeout> | null = null;
let searchTimer: ReturnType<typeof setTimeout> | null = null;
let invalidateTimer: ReturnType<typeof setTimeout> | null = null;
let tagsTimer: ReturnType<typeof setTimeout> | null = null;
let statusTimer: ReturnType<typeof setTimeout> | null = null;
let statusRefetchedAt = 0;
/** While a refresh reports devices several times a second, refetch the rows at most this often. */
const STATUS_REFETCH_MS = 700;

/** The devices store. */
export const useDevices = create<DevicesState>((set, get) => {
  const setQuery = (patch: Partial<DeviceQuery>): void => {
    const query = { ...get().query, ...patch };
    wanted = { start: 0, end: 60 };
    set({ query, queryKey: JSON.stringify(query), pages: {}, total: null, error: null });
    pump();
  };

  const fetchPage = async (page: number, queryKey: string, gen: number): Promise<void> => {
    const key = `${queryKey}|${gen}|${page}`;
    inflight.add(key);
    const q = get().query;
    try {
      const res = await client.invoke('devices.list', {
        ...filterInput(q),
        sort: q.sort,
        dir: q.dir,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      const s = get();
      if (s.queryKey !== queryKey || s.gen !== gen) return;
      const pages = { ...s.pages, [page]: { gen, items: res.items } };
      evict(pages);
      set({ pages, total: res.total, error: null });
    } catch (err) {
      const s = get();
      if (s.queryKey !== queryKey || s.gen !== gen) return;
      set({ error: err instanceof Error ? err.message : String(err), total: s.total ?? 0 });
      useUi.getState().reportError(err, 'Loading devices');
    } finally {
      inflight.delete(key);
    }
  };

  const pump = (): void => {
    pumpTimer = null;
    const s = get();
    const first = Math.floor(Math.max(0, wanted.start) / PAGE_SIZE);
    const last = Math.floor(Math.max(wanted.start, wanted.end) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      if (s.total !== null && p > 0 && p * PAGE_SIZE >= s.total) break;
      const cached = s.pages[p];
      if (cached && cached.gen === s.gen) continue;
      if (inflight.has(`${s.queryKey}|${s.gen}|${p}`)) continue;
      void fetchPage(p, s.queryKey, s.gen);
    }
  };

  const evict = (pages: Record<number, CachedPage>): void => {
    const keys = Object.keys(pages).map(Number);
    if (keys.length <= MAX_PAGES) return;
    const centre = (wanted.start + wanted.end) / 2 / PAGE_SIZE;
    keys.sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const k of keys.slice(0, keys.length - MAX_PAGES)) delete pages[k];
  };

  return {
    searchText: '',
    query: initialQuery,
    queryKey: JSON.stringify(initialQuery),
    gen: 0,
    total: null,
    pages: {},
    tags: null,
    error: null,
    setSearchText(text) {
      set({ searchText: text });
      if (searchTimer) clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        const search = text.trim();
        if (search !== get().query.search) setQuery({ search });
      }, 200);
    },
    setSite(site) {
      setQuery({ site });
    },
    setTags(tags) {
      setQuery({ tags });
    },
    setStatusFilter(filter) {
      setQuery(filter);
    },
    showStatus(filter) {
      if (searchTimer) clearTimeout(searchTimer);
      set({ searchText: '' });
      setQuery({ search: '', site: null, tags: [], ...noStatusFilter, ...filter });
    },
    toggleSort(sort) {
      const q = get().query;
      setQuery(q.sort === sort ? { dir: q.dir === 'asc' ? 'desc' : 'asc' } : { sort, dir: 'asc' });
    },
    clearFilters() {
      if (searchTimer) clearTimeout(searchTimer);
      set({ searchText: '' });
      setQuery({ search: '', site: null, tags: [], ...noStatusFilter });
    },
    ensureRange(start, end) {
      wanted = { start, end };
      if (!pumpTimer) pumpTimer = setTimeout(pump, 30);
    },
    invalidate() {
      if (invalidateTimer) clearTimeout(invalidateTimer);
      invalidateTimer = setTimeout(() => {
        invalidateTimer = null;
        set((s) => ({ gen: s.gen + 1 }));
        pump();
      }, 60);
    },
    async loadTags() {
      try {
        const tags = await client.invoke('tags.list', {});
        set({ tags });
      } catch (err) {
        useUi.getState().reportError(err, 'Loading tags');
      }
    },
    async add(input) {
      const device = await client.invoke('devices.add', input);
      useUi.getState().toast('success', `Added device ${device.name}`);
      get().invalidate();
      return device;
    },
    async update(device, patch) {
      const updated = await client.invoke('devices.update', { device: device.id, patch });
      useUi.getState().toast('success', `Saved device ${updated.name}`);
      get().invalidate();
      return updated;
    },
    async remove(device) {
      const removed = await client.invoke('devices.remove', { device: device.id });
      useUi.getState().toast('success', `Deleted device ${removed.name}`);
      get().invalidate();
    },
    async importCsv(csv, dryRun, fileName) {
      const report = await client.invoke('devices.import', {
        csv,
        dryRun,
        ...(fileName ? { fileName } : {}),
      });
      if (!dryRun && report.imported > 0) {
        useUi.getState().toast('success', `Imported ${plural(report.imported, 'device')}`);
        get().invalidate();
      }
      return report;
    },
    async exportAs(format) {
      try {
        const res: MethodOutput<'devices.export'> = await client.invoke('devices.export', {
          ...filterInput(get().query),
          format,
        });
        downloadText(
          `bootfleet-devices.${res.format}`,
          res.content,
          res.format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
        );
        useUi.getState().toast('success', `Exported ${plural(res.count, 'device')} as ${res.format.toUpperCase()}`);
      } catch (err) {
        useUi.getState().reportError(err, 'Exporting devices');
      }
    },
  };
});

client.on('inventory.changed', (p) => {
  const s = useDevices.getState();
  // Site renames change the Site column; everything else may change rows.
  s.invalidate();
  if (p.entity !== 'sites') {
    if (tagsTimer) clearTimeout(tagsTimer);
    tagsTimer = setTimeout(() => void useDevices.getState().loadTags(), 150);
  }
});

client.on('fleet.statusChanged', () => {
  // Status sorts and filters can move any row, so the rows in view are refetched (throttled).
  if (statusTimer) return;
  const wait = Math.max(0, statusRefetchedAt + STATUS_REFETCH_MS - Date.now());
  statusTimer = setTimeout(() => {
    statusTimer = null;
    statusRefetchedAt = Date.now();
    useDevices.getState().invalidate();
  }, wait);
});
