/** The fleet overview: `app.info` (version, data directory, inventory counts). */
import { create } from 'zustand';
import type { AppInfo } from '../../../shared/contract';
import { client } from '../lib/api';
import { useUi } from './ui';

interface FleetState {
  info: AppInfo | null;
  loading: boolean;
  load(): Promise<void>;
}

let timer: ReturnType<typeof setTimeout> | null = null;

/** App info and counts; refetched whenever the inventory changes. */
export const useFleet = create<FleetState>((set) => ({
  info: null,
  loading: false,
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
}));

client.on('inventory.changed', () => {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void useFleet.getState().load(), 150);
});
