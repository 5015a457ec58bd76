/**
 * Desired state: the images set on sites, tags and devices (`desired.list`), asking the registries
 * what they point at (`desired.resolve`), and the registries' settings and logins. Kept current by
 * `inventory.changed` (every desired change sends one) and `fleet.statusChanged` (behind counts).
 */
import { create } from 'zustand';
import type { DesiredEntry, DesiredScope, MethodInput, Registry, Resolution } from '../../../shared/contract';
import { client } from '../lib/api';
import { plural } from '../lib/format';
import { desiredSource } from '../lib/desired';
import { useUi } from './ui';

interface DesiredStoreState {
  /** Site, tag and device entries, or null before the first load. */
  entries: DesiredEntry[] | null;
  /** Devices that set their own desired image (all of them; at most 500 are listed). */
  deviceEntries: number;
  registries: Registry[] | null;
  /** While `desired.resolve` runs. */
  resolving: boolean;
  /** What the last registry check found, for the line under the page header. */
  lastCheck: { at: string; total: number; failed: Resolution[] } | null;
  load(): Promise<void>;
  /** Throws AppError so the dialog can show field errors; toasts on success. */
  set(input: MethodInput<'desired.set'>): Promise<DesiredEntry>;
  /**
   * Removes a desired image and says what applies now; throws so a confirm dialog can show why not.
   * For a device the toast names the tag or site image it follows from then on.
   */
  clear(scope: DesiredScope, target: string, label: string): Promise<void>;
  /** Asks the registries about every desired image (or these), then refreshes. */
  resolve(refs?: string[]): Promise<void>;
  loadRegistries(): Promise<void>;
  /** Throws AppError so the dialog can show field errors. */
  setRegistry(input: MethodInput<'registries.set'>): Promise<Registry>;
  removeRegistry(host: string): Promise<void>;
  /** Device names (SITE/NAME where needed) matching a search, for the target field. */
  suggestDevices(search: string): Promise<string[]>;
}

let seq = 0;
let reloadTimer: ReturnType<typeof setTimeout> | null = null;

/** The desired-state store. */
export const useDesired = create<DesiredStoreState>((set, get) => ({
  entries: null,
  deviceEntries: 0,
  registries: null,
  resolving: false,
  lastCheck: null,
  async load() {
    const my = ++seq;
    try {
      const res = await client.invoke('desired.list', {});
      if (my !== seq) return;
      set({ entries: res.entries, deviceEntries: res.deviceEntries });
    } catch (err) {
      if (my !== seq) return;
      useUi.getState().reportError(err, 'Loading desired images');
    }
  },
  async set(input) {
    const entry = await client.invoke('desired.set', input);
    const err = entry.resolution?.error;
    if (err && !entry.pinnedDigest) {
      useUi.getState().toast('error', `Set the desired image of ${entry.scope} ${entry.targetName}, but the registry check failed: ${err.message}`);
    } else {
      useUi.getState().toast('success', `Set the desired image of ${entry.scope} ${entry.targetName} to ${entry.image}`);
    }
    void get().load();
    return entry;
  },
  async clear(scope, target, label) {
    const res = await client.invoke('desired.clear', { scope, target });
    let message = res.cleared ? `Cleared the desired image of ${scope} ${label}` : `${label} had no desired image of its own`;
    if (scope === 'device' && res.cleared) {
      // What applies now comes from the core, not from a guess here.
      const device = await client.invoke('devices.get', { device: target }).catch(() => null);
      const d = device?.desired;
      if (d?.image) message += `; it now follows the image ${desiredSource(d)}: ${d.image}`;
      else if (d?.state === 'conflict') message += `; its tags now ask for different images (${d.conflicts.map((c) => c.tag).join(', ')})`;
      else if (d) message += '; no desired image applies to it now';
    }
    useUi.getState().toast('success', message);
    void get().load();
  },
  async resolve(refs) {
    if (get().resolving) return;
    set({ resolving: true });
    try {
      const res = await client.invoke('desired.resolve', refs ? { refs } : {});
      const failed = res.filter((r) => r.error !== null);
      set({ resolving: false, lastCheck: { at: new Date().toISOString(), total: res.length, failed } });
      const ui = useUi.getState();
      if (res.length === 0) ui.toast('info', 'No desired images to check');
      else if (failed.length) ui.toast('error', `Checked ${plural(res.length, 'image')}: ${failed.length} could not be resolved`);
      else ui.toast('success', `Checked ${plural(res.length, 'image')} with the registries`);
      void get().load();
    } catch (err) {
      set({ resolving: false });
      useUi.getState().reportError(err, 'Checking the registries');
    }
  },
  async loadRegistries() {
    try {
      set({ registries: await client.invoke('registries.list', {}) });
    } catch (err) {
      useUi.getState().reportError(err, 'Loading registries');
    }
  },
  async setRegistry(input) {
    const reg = await client.invoke('registries.set', input);
    useUi.getState().toast('success', `Saved registry ${reg.host}`);
    void get().loadRegistries();
    return reg;
  },
  async removeRegistry(host) {
    const res = await client.invoke('registries.remove', { host });
    useUi.getState().toast('success', res.removed ? `Forgot registry ${res.host}` : `${res.host} had no settings`);
    void get().loadRegistries();
  },
  async suggestDevices(search) {
    const res = await client.invoke('devices.list', { search, limit: 20, sort: 'name' });
    return res.items.map((d) => (d.siteName ? `${d.siteName}/${d.name}` : d.name));
  },
}));

let reloadedAt = 0;
/** While a refresh reports devices several times a second, reload (a count per entry) at most this often. */
const RELOAD_EVERY_MS = 1500;

function reloadSoon(): void {
  // Only once something has shown the entries (they are null until then).
  if (useDesired.getState().entries === null || reloadTimer) return;
  reloadTimer = setTimeout(
    () => {
      reloadTimer = null;
      reloadedAt = Date.now();
      void useDesired.getState().load();
    },
    Math.max(150, reloadedAt + RELOAD_EVERY_MS - Date.now()),
  );
}

client.on('inventory.changed', reloadSoon);
client.on('fleet.statusChanged', reloadSoon);
