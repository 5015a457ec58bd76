/**
 * The device page: one device with its last bootc status, facts, pinned host key and status
 * history (`fleet.device`), kept current by `fleet.statusChanged` and `inventory.changed`.
 */
import { create } from 'zustand';
import type { DeviceDetail, MethodOutput } from '../../../shared/contract';
import { client } from '../lib/api';
import { asAppError } from '../lib/error-text';
import { useUi } from './ui';

/** Snapshots of the history the page asks for. */
export const HISTORY_LIMIT = 200;

/** A stored snapshot with what bootc printed. */
export type SnapshotDetail = MethodOutput<'fleet.snapshot'>;

interface DeviceDetailState {
  /** The device shown (an id, or NAME / SITE/NAME typed into the URL). */
  ref: string | null;
  detail: DeviceDetail | null;
  loading: boolean;
  /** Why the device cannot be shown (deleted, unknown name). */
  error: { code: string; message: string } | null;
  /** Shows a device; a different one than before starts empty. */
  open(ref: string): void;
  close(): void;
  /** Refetches the device shown. */
  load(): Promise<void>;
  /** Pins the changed host key the device (the one shown, or `device`) offered; throws so a dialog can show why not. */
  acceptHostKey(fingerprint: string, device?: { id: string; name: string }): Promise<void>;
  /** One snapshot with its raw output (for the history's "Output" view). */
  loadSnapshot(id: number): Promise<SnapshotDetail>;
}

let seq = 0;
let reloadTimer: ReturnType<typeof setTimeout> | null = null;

/** The device detail store. */
export const useDeviceDetail = create<DeviceDetailState>((set, get) => ({
  ref: null,
  detail: null,
  loading: false,
  error: null,
  open(ref) {
    if (get().ref !== ref) set({ ref, detail: null, error: null });
    void get().load();
  },
  close() {
    seq++;
    set({ ref: null, detail: null, error: null, loading: false });
  },
  async load() {
    const ref = get().ref;
    if (!ref) return;
    const my = ++seq;
    set({ loading: true });
    try {
      const detail = await client.invoke('fleet.device', { device: ref, historyLimit: HISTORY_LIMIT });
      if (my !== seq) return;
      set({ detail, loading: false, error: null });
    } catch (err) {
      if (my !== seq) return;
      const e = asAppError(err);
      if (e.code === 'NOT_FOUND' || e.code === 'AMBIGUOUS' || e.code === 'VALIDATION_FAILED') {
        set({ loading: false, detail: null, error: { code: e.code, message: e.message } });
      } else {
        set({ loading: false });
        useUi.getState().reportError(err, 'Loading the device');
      }
    }
  },
  async acceptHostKey(fingerprint, device) {
    const target = device ?? get().detail?.device;
    if (!target) return;
    const key = await client.invoke('hostkeys.accept', { device: target.id, fingerprint });
    useUi.getState().toast('success', `Accepted the new host key of ${target.name} (${key.fingerprint}); recorded in the activity log.`);
    if (get().detail?.device.id === target.id) await get().load();
  },
  loadSnapshot(id) {
    return client.invoke('fleet.snapshot', { id });
  },
}));

function reloadSoon(): void {
  if (reloadTimer) clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    void useDeviceDetail.getState().load();
  }, 120);
}

client.on('fleet.statusChanged', (p) => {
  const d = useDeviceDetail.getState().detail;
  if (d && p.ids.includes(d.device.id)) reloadSoon();
});

client.on('inventory.changed', (p) => {
  const s = useDeviceDetail.getState();
  if (!s.ref) return;
  const id = s.detail?.device.id;
  if (p.entity === 'tags') return;
  if (p.entity === 'devices' && p.ids && id && !p.ids.includes(id)) return;
  reloadSoon();
});
