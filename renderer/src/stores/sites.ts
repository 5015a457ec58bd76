/** Sites: the list with device counts, and add / rename / remove. */
import { create } from 'zustand';
import type { MethodInput, Site } from '../../../shared/contract';
import { client } from '../lib/api';
import { useUi } from './ui';

interface SitesState {
  sites: Site[] | null;
  loading: boolean;
  load(): Promise<void>;
  /** These throw AppError so the dialog can show field errors; they toast on success. */
  add(input: MethodInput<'sites.add'>): Promise<Site>;
  rename(site: Site, name: string): Promise<Site>;
  /** Changes notes and jump hosts (no toast: the dialog's save says it once). */
  update(site: Site, patch: Omit<MethodInput<'sites.update'>, 'site'>): Promise<Site>;
  remove(site: Site): Promise<void>;
}

let timer: ReturnType<typeof setTimeout> | null = null;

/** The sites store. */
export const useSites = create<SitesState>((set, get) => ({
  sites: null,
  loading: false,
  async load() {
    set({ loading: true });
    try {
      const sites = await client.invoke('sites.list', {});
      set({ sites, loading: false });
    } catch (err) {
      set({ loading: false });
      useUi.getState().reportError(err, 'Loading sites');
    }
  },
  async add(input) {
    const site = await client.invoke('sites.add', input);
    useUi.getState().toast('success', `Added site ${site.name}`);
    void get().load();
    return site;
  },
  async rename(site, name) {
    const renamed = await client.invoke('sites.rename', { site: site.id, name });
    useUi.getState().toast('success', `Renamed site ${site.name} to ${renamed.name}`);
    void get().load();
    return renamed;
  },
  async update(site, patch) {
    const updated = await client.invoke('sites.update', { site: site.id, ...patch });
    void get().load();
    return updated;
  },
  async remove(site) {
    const removed = await client.invoke('sites.remove', { site: site.id });
    useUi.getState().toast('success', `Deleted site ${removed.name}`);
    void get().load();
  },
}));

client.on('inventory.changed', (p) => {
  // Device changes move device counts too.
  if (p.entity === 'tags') return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void useSites.getState().load(), 120);
});
