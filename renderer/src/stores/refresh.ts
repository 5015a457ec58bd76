/**
 * Status refresh jobs (`fleet.refresh`): the fleet-wide one the Fleet and Devices pages show
 * (Refresh all / Refresh filtered) and one per device page. Progress arrives as
 * `fleet.progress` events; keeping it here means it survives moving between pages.
 */
import { create } from 'zustand';
import type { DeviceFilter, RefreshProgress } from '../../../shared/contract';
import { client } from '../lib/api';
import { useUi } from './ui';

/** One job as the UI follows it. */
export interface RefreshJob {
  progress: RefreshProgress;
  /** What was asked, in words: "all devices", "12 filtered devices", "dev-001". */
  scope: string;
}

interface RefreshState {
  /** The fleet-wide job shown on the Fleet and Devices pages (the last one, until dismissed). */
  fleet: RefreshJob | null;
  /** Per device id: the last refresh started from its page. */
  device: Record<string, RefreshJob>;
  /** True while a fleet.refresh call is on its way. */
  starting: boolean;
  /** Refreshes every device matching `filter` (every device without one). */
  refreshFleet(filter: DeviceFilter | null, scope: string): Promise<void>;
  /** Refreshes one device, with its facts, from its page. */
  refreshDevice(deviceId: string, name: string): Promise<void>;
  cancel(jobId: string): Promise<void>;
  /** Hides the fleet job's result. */
  dismissFleet(): void;
}

/** True while a job has devices left to contact. */
export function isRunning(job: RefreshJob | null | undefined): boolean {
  return job?.progress.state === 'running';
}

/** Progress events that arrived before the call that started their job answered. */
const early = new Map<string, RefreshProgress>();

/** Whichever of two reports of the same job is further along. */
function newer(a: RefreshProgress, b: RefreshProgress | undefined): RefreshProgress {
  if (!b) return a;
  if (a.state !== 'running') return a;
  if (b.state !== 'running') return b;
  return b.done >= a.done ? b : a;
}

/** The refresh store. */
export const useRefresh = create<RefreshState>((set, get) => ({
  fleet: null,
  device: {},
  starting: false,
  async refreshFleet(filter, scope) {
    if (isRunning(get().fleet) || get().starting) return;
    set({ starting: true });
    try {
      const started = await client.invoke('fleet.refresh', { ...(filter ? { filter } : {}), facts: false });
      const progress = newer(started, early.get(started.jobId));
      early.delete(started.jobId);
      set({ fleet: { progress, scope }, starting: false });
      if (progress.total === 0) useUi.getState().toast('info', 'No devices to refresh.');
    } catch (err) {
      set({ starting: false });
      useUi.getState().reportError(err, 'Starting a refresh');
    }
  },
  async refreshDevice(deviceId, name) {
    if (isRunning(get().device[deviceId])) return;
    try {
      const started = await client.invoke('fleet.refresh', { devices: [deviceId], facts: true });
      const progress = newer(started, early.get(started.jobId));
      early.delete(started.jobId);
      set((s) => ({ device: { ...s.device, [deviceId]: { progress, scope: name } } }));
    } catch (err) {
      useUi.getState().reportError(err, `Refreshing ${name}`);
    }
  },
  async cancel(jobId) {
    try {
      apply(await client.invoke('fleet.cancel', { jobId }));
    } catch (err) {
      useUi.getState().reportError(err, 'Cancelling the refresh');
    }
  },
  dismissFleet() {
    if (!isRunning(get().fleet)) set({ fleet: null });
  },
}));

/** Stores a progress report on the job it belongs to; returns whether one did. */
function apply(p: RefreshProgress): boolean {
  const s = useRefresh.getState();
  if (s.fleet?.progress.jobId === p.jobId) {
    useRefresh.setState({ fleet: { ...s.fleet, progress: newer(s.fleet.progress, p) } });
    return true;
  }
  for (const [id, job] of Object.entries(s.device)) {
    if (job.progress.jobId !== p.jobId) continue;
    useRefresh.setState({ device: { ...s.device, [id]: { ...job, progress: newer(job.progress, p) } } });
    return true;
  }
  return false;
}

client.on('fleet.progress', (p) => {
  if (apply(p)) return;
  // Possibly ours, answered after this event: keep a few until the call returns.
  early.set(p.jobId, newer(p, early.get(p.jobId)));
  if (early.size > 20) early.delete(early.keys().next().value!);
});

// After a reconnect, events may have been missed: ask where running jobs stand.
client.on('inventory.changed', (p) => {
  if (p.entity !== 'all') return;
  const s = useRefresh.getState();
  const running = [s.fleet, ...Object.values(s.device)].filter(isRunning);
  for (const job of running) {
    const progress = job!.progress;
    client.invoke('fleet.job', { jobId: progress.jobId }).then(apply, () => {
      // The job is gone (Bootfleet restarted): stop showing it as running.
      apply({ ...progress, state: 'failed', message: 'The refresh was interrupted: Bootfleet restarted. Start it again.' });
    });
  }
});
