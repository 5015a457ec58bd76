/**
 * Device action jobs (check, upgrade, apply, switch, rollback) as the device page shows them:
 * the plan before anything runs (`actions.plan`), the job started (`actions.start`), kept live by
 * `job.updated` and `job.log`, and the device's recent jobs (`jobs.list`); and the jobs across all
 * devices (a rollout's batches too) that the Rollouts page lists.
 */
import { create } from 'zustand';
import type { ActionInput, ActionPlan, Job } from '../../../shared/contract';
import { client } from '../lib/api';
import { askNotifyPermission } from '../lib/notify';
import { useUi } from './ui';

/** Output kept per device of a job (the newest characters win). */
export const LOG_CAP = 64 * 1024;
/** Jobs shown in "Recent jobs". */
export const RECENT_LIMIT = 10;
/** Jobs across all devices shown on the Rollouts page. */
export const FLEET_JOBS_LIMIT = 50;

interface JobsState {
  /** Jobs seen (started here, listed, or pushed by job.updated), by id. */
  jobs: Record<string, Job>;
  /** Output by job id, then device id. */
  logs: Record<string, Record<string, string>>;
  /** The device whose recent jobs are listed, and their ids, newest first. */
  device: string | null;
  recent: string[];
  /** The job shown in the device page's job panel, by device id. */
  shown: Record<string, string>;
  /** Jobs across all devices, newest first (null until listed); new ones are added as they start. */
  fleet: string[] | null;
  /** Reads what an action would do (changes nothing). */
  plan(input: ActionInput): Promise<ActionPlan[]>;
  /** Starts an action; the job becomes the one shown for its devices. */
  start(input: ActionInput): Promise<Job>;
  cancel(jobId: string): Promise<void>;
  /** Lists a device's recent jobs; a running one (or none shown yet) is shown in its panel. */
  loadRecent(deviceId: string): Promise<void>;
  /** Shows a job (with its output) in a device's panel. */
  show(deviceId: string, jobId: string): Promise<void>;
  /** Hides a device's job panel. */
  dismiss(deviceId: string): void;
  /** Forgets the device listed (leaving its page). */
  clearDevice(): void;
  /** Lists the newest jobs across all devices. */
  loadFleet(): Promise<void>;
}

function capped(text: string): string {
  return text.length > LOG_CAP ? text.slice(text.length - LOG_CAP) : text;
}

let listSeq = 0;
let fleetSeq = 0;

/** The jobs store. */
export const useJobs = create<JobsState>((set, get) => ({
  jobs: {},
  logs: {},
  device: null,
  recent: [],
  shown: {},
  fleet: null,
  plan(input) {
    return client.invoke('actions.plan', input);
  },
  async start(input) {
    askNotifyPermission();
    const job = await client.invoke('actions.start', input);
    set((s) => {
      const shown = { ...s.shown };
      for (const d of job.devices) shown[d.deviceId] = job.id;
      const touches = s.device !== null && job.devices.some((d) => d.deviceId === s.device);
      return {
        jobs: { ...s.jobs, [job.id]: s.jobs[job.id] ?? job },
        shown,
        recent: touches && !s.recent.includes(job.id) ? [job.id, ...s.recent].slice(0, RECENT_LIMIT) : s.recent,
        fleet: withNew(s.fleet, job.id),
      };
    });
    return job;
  },
  async cancel(jobId) {
    try {
      const job = await client.invoke('jobs.cancel', { id: jobId });
      upsert(job);
      useUi.getState().toast('info', 'Cancelling: devices not yet rebooting stop; a device already rebooting is still verified.');
    } catch (err) {
      useUi.getState().reportError(err, 'Cancelling the job');
    }
  },
  async loadRecent(deviceId) {
    const my = ++listSeq;
    if (get().device !== deviceId) set({ device: deviceId, recent: [] });
    try {
      const list = await client.invoke('jobs.list', { device: deviceId, limit: RECENT_LIMIT });
      if (my !== listSeq) return;
      set((s) => {
        const jobs = { ...s.jobs };
        // A pushed update may be newer than the listed row: keep whichever has more news.
        for (const j of list) if (!jobs[j.id] || jobs[j.id]!.state === 'running') jobs[j.id] = j;
        return { jobs, recent: list.map((j) => j.id) };
      });
      const running = list.find((j) => j.state === 'running');
      if (running && get().shown[deviceId] !== running.id) await get().show(deviceId, running.id);
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the recent jobs');
    }
  },
  async show(deviceId, jobId) {
    set((s) => ({ shown: { ...s.shown, [deviceId]: jobId } }));
    try {
      const { logs, ...job } = await client.invoke('jobs.get', { id: jobId });
      set((s) => {
        const mine = { ...(s.logs[jobId] ?? {}) };
        // Stored output is complete up to now; lines pushed meanwhile are already part of it.
        for (const [dev, text] of Object.entries(logs)) if (text.length >= (mine[dev]?.length ?? 0)) mine[dev] = capped(text);
        const known = s.jobs[jobId];
        return { jobs: { ...s.jobs, [jobId]: known && known.state !== 'running' ? known : job }, logs: { ...s.logs, [jobId]: mine } };
      });
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the job');
    }
  },
  dismiss(deviceId) {
    set((s) => {
      const shown = { ...s.shown };
      delete shown[deviceId];
      return { shown };
    });
  },
  clearDevice() {
    listSeq++;
    set({ device: null, recent: [] });
  },
  async loadFleet() {
    const my = ++fleetSeq;
    try {
      const list = await client.invoke('jobs.list', { limit: FLEET_JOBS_LIMIT });
      if (my !== fleetSeq) return;
      set((s) => {
        const jobs = { ...s.jobs };
        for (const j of list) if (!jobs[j.id] || jobs[j.id]!.state === 'running') jobs[j.id] = j;
        // Jobs pushed while the list was on its way stay on top.
        const listed = list.map((j) => j.id);
        const pushed = (s.fleet ?? []).filter((id) => !listed.includes(id) && jobs[id] && jobs[id]!.createdAt >= (list[0]?.createdAt ?? ''));
        return { jobs, fleet: [...pushed, ...listed].slice(0, FLEET_JOBS_LIMIT) };
      });
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the jobs');
    }
  },
}));


/** The fleet list with a job added on top (once it has been listed). */
function withNew(fleet: string[] | null, id: string): string[] | null {
  if (fleet === null || fleet.includes(id)) return fleet;
  return [id, ...fleet].slice(0, FLEET_JOBS_LIMIT);
}

function upsert(job: Job): void {
  useJobs.setState((s) => {
    const touches = s.device !== null && job.devices.some((d) => d.deviceId === s.device);
    return {
      jobs: { ...s.jobs, [job.id]: job },
      recent: touches && !s.recent.includes(job.id) ? [job.id, ...s.recent].slice(0, RECENT_LIMIT) : s.recent,
      fleet: withNew(s.fleet, job.id),
    };
  });
}

client.on('job.updated', (job) => upsert(job));

client.on('job.log', (p) => {
  useJobs.setState((s) => {
    const mine = s.logs[p.jobId] ?? {};
    return { logs: { ...s.logs, [p.jobId]: { ...mine, [p.deviceId]: capped((mine[p.deviceId] ?? '') + p.text) } } };
  });
});

// After a reconnect, or a change by another process, the jobs the Rollouts page lists may be stale.
client.on('inventory.changed', (p) => {
  if (p.entity === 'all' && useJobs.getState().fleet !== null && useUi.getState().route.page === 'rollouts') void useJobs.getState().loadFleet();
});
