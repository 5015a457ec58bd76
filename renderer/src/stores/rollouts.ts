/**
 * Rollouts: the list (`rollouts.list`), one rollout with every device (`rollouts.get`), the plan
 * and start from the wizard, and pause / resume / cancel. Kept live by `rollout.updated` (the
 * rollout and its batches; the open one's devices are refetched) and `job.updated` (the phase
 * of each device acting now, from its batch's job).
 */
import { create } from 'zustand';
import type { DeviceFilter, Job, MethodOutput, Rollout, RolloutInput, RolloutPlan } from '../../../shared/contract';
import { client } from '../lib/api';
import { describeError } from '../lib/error-text';
import { plural } from '../lib/format';
import { askNotifyPermission } from '../lib/notify';
import { useUi } from './ui';

/** One rollout with every device. */
export type RolloutDetail = MethodOutput<'rollouts.get'>;

/** Rollouts listed on the Rollouts page. */
export const ROLLOUTS_LIMIT = 100;

interface RolloutsState {
  /** Newest first; null before the first load. */
  list: Rollout[] | null;
  /** Rollouts opened on their page, by id. */
  details: Record<string, RolloutDetail>;
  /** Why a rollout could not be shown (unknown id), by id. */
  errors: Record<string, { code: string; message: string }>;
  load(): Promise<void>;
  /** Loads one rollout with its devices (and keeps it current while it stays open). */
  open(id: string): Promise<void>;
  close(id: string): void;
  /** How many devices a filter selects, and the first few by name (the wizard's count). */
  preview(filter: DeviceFilter): Promise<{ total: number; names: string[] }>;
  /** The batches a rollout would run; throws (VALIDATION_FAILED with details.issues) for the wizard. */
  plan(input: RolloutInput): Promise<RolloutPlan>;
  /** Records and starts a rollout; throws for the wizard. */
  create(input: RolloutInput): Promise<Rollout>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Throws, so the confirm dialog can say why not. */
  cancel(id: string): Promise<void>;
}

/** The newer of two reports of one rollout. */
function newer(a: Rollout, b: Rollout | undefined): Rollout {
  return b && b.updatedAt > a.updatedAt ? b : a;
}

let listSeq = 0;
const detailSeq: Record<string, number> = {};
const refetchTimers = new Map<string, ReturnType<typeof setTimeout>>();
/** The devices of an open rollout are refetched at most this often while it moves. */
const DETAIL_REFETCH_MS = 400;

/** The rollouts store. */
export const useRollouts = create<RolloutsState>((set) => {
  const report = (err: unknown, what: string): void => {
    useUi.getState().toast('error', `${what}: ${describeError(err)}`);
  };

  return {
    list: null,
    details: {},
    errors: {},
    async load() {
      const my = ++listSeq;
      try {
        const list = await client.invoke('rollouts.list', { limit: ROLLOUTS_LIMIT });
        if (my !== listSeq) return;
        set((s) => ({ list: list.map((r) => newer(r, s.list?.find((x) => x.id === r.id))) }));
      } catch (err) {
        useUi.getState().reportError(err, 'Loading rollouts');
      }
    },
    async open(id) {
      const my = (detailSeq[id] = (detailSeq[id] ?? 0) + 1);
      try {
        const detail = await client.invoke('rollouts.get', { id });
        if (my !== detailSeq[id]) return;
        set((s) => {
          const errors = { ...s.errors };
          delete errors[id];
          // A rollout.updated that overtook this answer keeps its (newer) state and counts.
          return { details: { ...s.details, [id]: { ...detail, ...newer(detail, s.details[id]), devices: detail.devices } }, errors };
        });
      } catch (err) {
        if (my !== detailSeq[id]) return;
        const e = err as { code?: string; message?: string };
        if (e.code === 'NOT_FOUND') set((s) => ({ errors: { ...s.errors, [id]: { code: e.code!, message: e.message ?? 'Not found' } } }));
        else useUi.getState().reportError(err, 'Loading the rollout');
      }
    },
    close(id) {
      detailSeq[id] = (detailSeq[id] ?? 0) + 1;
      const t = refetchTimers.get(id);
      if (t) clearTimeout(t);
      refetchTimers.delete(id);
      set((s) => {
        const details = { ...s.details };
        delete details[id];
        return { details };
      });
    },
    async preview(filter) {
      const page = await client.invoke('devices.list', { ...filter, sort: 'name', limit: 5 });
      return { total: page.total, names: page.items.map((d) => (d.siteName ? `${d.siteName}/${d.name}` : d.name)) };
    },
    plan(input) {
      return client.invoke('rollouts.plan', input);
    },
    async create(input) {
      askNotifyPermission();
      const r = await client.invoke('rollouts.create', input);
      upsert(r);
      useUi.getState().toast('info', `Started rollout ${r.name} on ${plural(r.counts.total, 'device')}`);
      return r;
    },
    async pause(id) {
      try {
        upsert(await client.invoke('rollouts.pause', { id }));
      } catch (err) {
        report(err, 'Could not pause');
      }
    },
    async resume(id) {
      askNotifyPermission();
      try {
        upsert(await client.invoke('rollouts.resume', { id }));
      } catch (err) {
        report(err, 'Could not resume');
      }
    },
    async cancel(id) {
      upsert(await client.invoke('rollouts.cancel', { id }));
    },
  };
});

/** Refetches an open rollout's devices soon (a burst of updates costs one call). */
function refetchSoon(id: string): void {
  if (refetchTimers.has(id)) return;
  refetchTimers.set(
    id,
    setTimeout(() => {
      refetchTimers.delete(id);
      if (useRollouts.getState().details[id]) void useRollouts.getState().open(id);
    }, DETAIL_REFETCH_MS),
  );
}

/** Takes in a report of a rollout: the list and the open rollout keep the newest. */
function upsert(r: Rollout): void {
  useRollouts.setState((s) => {
    const list = s.list === null ? null : s.list.some((x) => x.id === r.id) ? s.list.map((x) => (x.id === r.id ? newer(r, x) : x)) : [r, ...s.list];
    const known = s.details[r.id];
    return { list, details: known ? { ...s.details, [r.id]: { ...known, ...newer(r, known) } } : s.details };
  });
}

client.on('rollout.updated', (r) => {
  upsert(r);
  if (useRollouts.getState().details[r.id]) refetchSoon(r.id);
});

/** A batch's job moved on: the devices it acts on show their phase, bytes sent, digests and outcome at once. */
client.on('job.updated', (job: Job) => {
  if (job.kind !== 'rollout') return;
  const { details } = useRollouts.getState();
  for (const [id, detail] of Object.entries(details)) {
    if (!detail.devices.some((d) => d.jobId === job.id)) {
      // A batch that started before its devices were refetched.
      if (detail.state === 'running') refetchSoon(id);
      continue;
    }
    const byId = new Map(job.devices.map((d) => [d.deviceId, d]));
    const devices = detail.devices.map((d) => {
      const j = d.jobId === job.id ? byId.get(d.deviceId) : undefined;
      if (!j) return d;
      return { ...d, phase: j.phase, fromDigest: j.fromDigest, resultDigest: j.resultDigest, outcome: j.outcome, transfer: j.transfer, error: j.error };
    });
    useRollouts.setState((s) => (s.details[id] ? { details: { ...s.details, [id]: { ...s.details[id]!, devices } } } : {}));
  }
});

// After a reconnect, or a change by another process (a rollout the CLI drives), what is shown may be stale.
client.on('inventory.changed', (p) => {
  if (p.entity !== 'all') return;
  const s = useRollouts.getState();
  if (s.list !== null && useUi.getState().route.page === 'rollouts') void s.load();
  for (const id of Object.keys(s.details)) void s.open(id);
});
