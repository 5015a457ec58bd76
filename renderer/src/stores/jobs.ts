/**
 * Device action jobs (check, upgrade, apply, switch, rollback) as the device page shows them:
 * the plan before anything runs (`actions.plan`), the job started (`actions.start`), kept live by
 * `job.updated` and `job.log`, and the device's recent jobs (`jobs.list`).
 */
import { create } from 'zustand';
import type { ActionInput, ActionPlan, Job } from '../../../shared/contract';
import { client } from '../lib/api';
import { useUi } from './ui';

/** Output kept per device of a job (the newest characters win). */
export const LOG_CAP = 64 * 1024;
/** Jobs shown in "Recent jobs". */
export const RECENT_LIMIT = 10;

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
}

function capped(text: string): string {
  return text.length > LOG_CAP ? text.slice(text.length - LOG_CAP) : text;
}

let listSeq = 0;

/** The jobs store. */
export const useJobs = create<JobsState>((set, get) => ({
  jobs: {},
  logs: {},
  device: null,
  recent: [],
  shown: {},
  plan(input) {
    return client.invoke('actions.plan', input);
  },
  async start(input) {
    const job = await client.invoke('actions.start', input);
    set((s) => {
      const shown = { ...s.shown };
      for (const d of job.devices) shown[d.deviceId] = job.id;
      const touches = s.device !== null && job.devices.some((d) => d.deviceId === s.device);
      return {
        jobs: { ...s.jobs, [job.id]: s.jobs[job.id] ?? job },
        shown,
        recent: touches && !s.recent.includes(job.id) ? [job.id, ...s.recent].slice(0, RECENT_LIMIT) : s.recent,
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
}));

function upsert(job: Job): void {
  useJobs.setState((s) => {
    const touches = s.device !== null && job.devices.some((d) => d.deviceId === s.device);
    return {
      jobs: { ...s.jobs, [job.id]: job },
      recent: touches && !s.recent.includes(job.id) ? [job.id, ...s.recent].slice(0, RECENT_LIMIT) : s.recent,
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
