/**
 * Provisioning boxes booted from live media (the Provision page): the boxes typed and what
 * `provision.inspect` says of each, the disk chosen on each, the image and options, the plan of
 * each box (`provision.plan`, nothing written), the batch started (`provision.start`) and its runs
 * kept live by `provision.updated` and `provision.log`, cancelling, confirming an installed
 * system's new host key, and the recent runs (`provision.list`).
 */
import { create } from 'zustand';
import { ErrorCode, type LibraryImage, type ProvisionHost, type ProvisionPlan, type ProvisionRun } from '../../../shared/contract';
import { client } from '../lib/api';
import { asAppError, describeError } from '../lib/error-text';
import { plural } from '../lib/format';
import { askNotifyPermission } from '../lib/notify';
import {
  boxFieldErrors,
  further,
  isActive,
  loginErrors,
  nameFromPattern,
  planInput,
  startInput,
  targetKey,
  targetOf,
  type BoxDraft,
  type LiveLogin,
  type ProvisionOptions,
} from '../lib/provision';
import { useUi } from './ui';

/** Output kept per run (the newest characters win). */
export const LOG_CAP = 64 * 1024;
/** Runs listed under "Recent runs". */
export const RECENT_LIMIT = 25;

/** The steps of the guided flow. */
export type ProvisionStep = 'boxes' | 'disks' | 'options' | 'review' | 'progress';

/** One inspection of a box: running, its answer, or why it failed. */
export interface Inspection {
  /** The target it ran for (`targetKey`): the box's fields may have changed since. */
  key: string;
  state: 'busy' | 'done' | 'error';
  host: ProvisionHost | null;
  error: { code: string; message: string; details: unknown } | null;
}

/** One plan of a box: running, the exact command, or why the core refused it. */
export interface PlanCheck {
  /** The plan input it ran for (JSON). */
  key: string;
  state: 'busy' | 'done' | 'error';
  plan: ProvisionPlan | null;
  error: string | null;
}

interface ProvisionState {
  step: ProvisionStep;
  /** The login shared by every box on the bench (a box may have its own). */
  shared: LiveLogin;
  boxes: BoxDraft[];
  /** Inspections by box id. */
  inspections: Record<number, Inspection>;
  options: ProvisionOptions;
  /** The pattern names are filled from. */
  namePattern: string;
  /** Plans by box id. */
  plans: Record<number, PlanCheck>;
  starting: boolean;
  startError: string | null;
  /** The batch shown in the Progress step, and its runs in box order. */
  batchId: string | null;
  batchRuns: string[];
  /** Runs seen (started here, listed, or pushed by provision.updated), by id. */
  runs: Record<string, ProvisionRun>;
  /** Output by run id (kept for runs seen; bounded by LOG_CAP). */
  logs: Record<string, string>;
  /** Recent runs, newest first (null until listed). */
  recent: string[] | null;
  canceling: Record<string, boolean>;
  confirming: Record<string, boolean>;
  /** Why a host key confirmation failed, by run id. */
  confirmErrors: Record<string, string>;
  /** A box's changed live host key being accepted, and why accepting failed, by box id. */
  acceptingKey: Record<number, boolean>;
  acceptKeyErrors: Record<number, string>;
  /** Where the file browser was last. */
  lastDir: string | null;

  goTo(step: ProvisionStep): void;
  setShared(patch: Partial<LiveLogin>): void;
  addBox(): void;
  removeBox(id: number): void;
  updateBox(id: number, patch: Partial<BoxDraft>): void;
  /** Inspects every box whose address and login are complete, all at once. */
  inspectAll(): Promise<void>;
  inspectBox(id: number): Promise<void>;
  /** Accepts the changed host key a box's live system presents (checked on its console), then inspects it again. */
  acceptLiveHostKey(id: number, fingerprint: string): Promise<void>;
  chooseDisk(id: number, path: string): void;
  setOptions(patch: Partial<ProvisionOptions>): void;
  /**
   * Chooses the library image to install (null: none). The image field takes its NAME:TAG when
   * the choice changes, or with `prefill` (the library source chosen again); it stays editable.
   */
  chooseLibrary(img: LibraryImage | null, prefill?: boolean): void;
  setNamePattern(pattern: string): void;
  /** Fills every box's name from the pattern (`overwrite`: also names already typed). */
  fillNames(overwrite: boolean): void;
  /** Plans every box, all at once (the Review step). */
  planAll(): Promise<void>;
  /** Starts the batch; the Progress step follows it. */
  start(): Promise<void>;
  cancelRun(id: string): Promise<void>;
  cancelBatch(batchId: string): Promise<void>;
  confirmHostKey(run: ProvisionRun): Promise<void>;
  loadRecent(): Promise<void>;
  /** Loads a run with its output (to show it in full). */
  openRun(id: string): Promise<void>;
  /** Back to the first step for the next boxes: the login and options stay, boxes and names go. */
  newBatch(): void;
  rememberDir(path: string): void;
}

const emptyLogin: LiveLogin = { user: 'root', auth: 'password', password: '', keyPath: '' };

let nextBoxId = 1;
const newBox = (): BoxDraft => ({ id: nextBoxId++, host: '', port: '22', own: false, login: { ...emptyLogin }, disk: null, wipe: false, confirm: '', name: '', site: '', tags: '' });

const defaultOptions: ProvisionOptions = {
  image: '',
  source: 'registry',
  archive: '',
  library: '',
  filesystem: '',
  rootSize: '',
  kargs: '',
  authorizedKeys: '',
  loginUser: 'root',
  loginKeyPath: '',
  acceptNewHostKey: false,
  waitSeconds: '900',
  parallel: '10',
};

function capped(text: string): string {
  return text.length > LOG_CAP ? text.slice(text.length - LOG_CAP) : text;
}

let recentSeq = 0;
let recentTimer: ReturnType<typeof setTimeout> | null = null;
/** A running batch found when the page first listed runs is shown (a reload stays put) once. */
let adopted = false;

/** The provisioning store. */
export const useProvision = create<ProvisionState>((set, get) => ({
  step: 'boxes',
  shared: { ...emptyLogin },
  boxes: [newBox()],
  inspections: {},
  options: { ...defaultOptions },
  namePattern: 'edge-{nn}',
  plans: {},
  starting: false,
  startError: null,
  batchId: null,
  batchRuns: [],
  runs: {},
  logs: {},
  recent: null,
  canceling: {},
  confirming: {},
  confirmErrors: {},
  acceptingKey: {},
  acceptKeyErrors: {},
  lastDir: null,

  goTo(step) {
    set({ step });
  },
  setShared(patch) {
    set((s) => ({ shared: { ...s.shared, ...patch } }));
  },
  addBox() {
    set((s) => {
      const box = newBox();
      // A name from the pattern for the new row, when the others were named from it.
      const n = s.boxes.length + 1;
      const patterned = s.boxes.every((b, i) => !b.name || b.name === nameFromPattern(s.namePattern, i + 1));
      if (patterned && s.boxes.some((b) => b.name)) box.name = nameFromPattern(s.namePattern, n);
      return { boxes: [...s.boxes, box] };
    });
  },
  removeBox(id) {
    set((s) => (s.boxes.length > 1 ? { boxes: s.boxes.filter((b) => b.id !== id) } : s));
  },
  updateBox(id, patch) {
    set((s) => ({ boxes: s.boxes.map((b) => (b.id === id ? { ...b, ...patch } : b)) }));
  },
  async inspectAll() {
    const { boxes, shared } = get();
    const ready = boxes.filter((b) => Object.keys(boxFieldErrors(b, shared, boxes)).length === 0 && (b.own || Object.keys(loginErrors(shared)).length === 0));
    await Promise.all(ready.map((b) => get().inspectBox(b.id)));
  },
  async inspectBox(id) {
    const { boxes, shared } = get();
    const box = boxes.find((b) => b.id === id);
    if (!box) return;
    const target = targetOf(box, shared);
    const key = targetKey(target);
    set((s) => ({ inspections: { ...s.inspections, [id]: { key, state: 'busy', host: s.inspections[id]?.key === key ? s.inspections[id].host : null, error: null } } }));
    try {
      const host = await client.invoke('provision.inspect', { target });
      if (get().inspections[id]?.key !== key) return;
      set((s) => ({
        inspections: { ...s.inspections, [id]: { key, state: 'done', host, error: null } },
        // A disk chosen before stays chosen only while it can still take the install.
        boxes: s.boxes.map((b) => (b.id === id && b.disk && !host.disks.some((d) => d.path === b.disk && d.problems.length === 0) ? { ...b, disk: null, wipe: false, confirm: '' } : b)),
      }));
    } catch (err) {
      if (get().inspections[id]?.key !== key) return;
      const e = asAppError(err);
      set((s) => ({ inspections: { ...s.inspections, [id]: { key, state: 'error', host: null, error: { code: e.code, message: describeError(e), details: e.details } } } }));
    }
  },
  async acceptLiveHostKey(id, fingerprint) {
    const { boxes, shared } = get();
    const box = boxes.find((b) => b.id === id);
    if (!box) return;
    const t = targetOf(box, shared);
    set((s) => ({ acceptingKey: { ...s.acceptingKey, [id]: true }, acceptKeyErrors: withoutBox(s.acceptKeyErrors, id) }));
    try {
      const r = await client.invoke('provision.acceptHostKey', { host: t.host, port: t.port, fingerprint });
      useUi.getState().toast('success', `Accepted the new host key of ${r.address}`);
      await get().inspectBox(id);
    } catch (err) {
      set((s) => ({ acceptKeyErrors: { ...s.acceptKeyErrors, [id]: describeError(err) } }));
    } finally {
      set((s) => ({ acceptingKey: withoutBox(s.acceptingKey, id) }));
    }
  },
  chooseDisk(id, path) {
    set((s) => ({ boxes: s.boxes.map((b) => (b.id === id ? { ...b, disk: path, wipe: b.disk === path ? b.wipe : false, confirm: b.disk === path ? b.confirm : '' } : b)) }));
  },
  setOptions(patch) {
    set((s) => ({ options: { ...s.options, ...patch } }));
  },
  chooseLibrary(img, prefill = false) {
    set((s) => {
      const ref = img?.reference;
      const changed = (img?.id ?? '') !== s.options.library;
      return { options: { ...s.options, library: img?.id ?? '', ...(ref && (prefill || changed) ? { image: ref } : {}) } };
    });
  },
  setNamePattern(pattern) {
    set({ namePattern: pattern });
  },
  fillNames(overwrite) {
    set((s) => ({ boxes: s.boxes.map((b, i) => (overwrite || !b.name.trim() ? { ...b, name: nameFromPattern(s.namePattern, i + 1) } : b)) }));
  },
  async planAll() {
    const { boxes, shared, options } = get();
    await Promise.all(
      boxes.map(async (b) => {
        const input = planInput(b, shared, options);
        const key = JSON.stringify(input);
        const known = get().plans[b.id];
        if (known?.key === key && known.state !== 'error') return;
        set((s) => ({ plans: { ...s.plans, [b.id]: { key, state: 'busy', plan: null, error: null } } }));
        try {
          const plan = await client.invoke('provision.plan', input);
          if (get().plans[b.id]?.key !== key) return;
          set((s) => ({ plans: { ...s.plans, [b.id]: { key, state: 'done', plan, error: null } } }));
        } catch (err) {
          if (get().plans[b.id]?.key !== key) return;
          set((s) => ({ plans: { ...s.plans, [b.id]: { key, state: 'error', plan: null, error: describeError(err) } } }));
        }
      }),
    );
  },
  async start() {
    const { boxes, shared, options } = get();
    askNotifyPermission();
    set({ starting: true, startError: null });
    try {
      const r = await client.invoke('provision.start', startInput(boxes, shared, options));
      set((s) => {
        const runs = { ...s.runs };
        const logs = { ...s.logs };
        // Updates pushed before this answer arrived are further on: keep them.
        for (const run of r.runs) {
          runs[run.id] = further(run, runs[run.id]);
          logs[run.id] ??= '';
        }
        return { starting: false, batchId: r.batchId, batchRuns: r.runs.map((x) => x.id), runs, logs, step: 'progress' };
      });
      useUi.getState().toast('info', `Provisioning ${plural(r.runs.length, 'box', 'boxes')}: ${r.runs.map((x) => x.name).join(', ')}`);
      scheduleRecent();
    } catch (err) {
      const e = asAppError(err);
      let message = describeError(e);
      // The contract's refusals name a path such as boxes.0.name: say which box.
      const issues = (e.details as { issues?: { path?: unknown; message?: unknown }[] } | undefined)?.issues;
      if (e.code === ErrorCode.VALIDATION_FAILED && Array.isArray(issues) && issues.length) {
        message = issues
          .map((i) => {
            const path = String(i.path ?? '');
            const m = /^boxes\.(\d+)\.(.+)$/.exec(path);
            return m ? `Box ${Number(m[1]) + 1} (${m[2]}): ${String(i.message)}` : `${path ? `${path}: ` : ''}${String(i.message)}`;
          })
          .join(' · ');
      }
      set({ starting: false, startError: message });
    }
  },
  async cancelRun(id) {
    set((s) => ({ canceling: { ...s.canceling, [id]: true } }));
    try {
      const runs = await client.invoke('provision.cancel', { id });
      for (const r of runs) upsert(r, 'listed');
    } catch (err) {
      set((s) => ({ canceling: without(s.canceling, id) }));
      useUi.getState().toast('error', `Could not cancel: ${describeError(err)}`);
    }
  },
  async cancelBatch(batchId) {
    const ids = Object.values(get().runs)
      .filter((r) => r.batchId === batchId && isActive(r))
      .map((r) => r.id);
    set((s) => ({ canceling: { ...s.canceling, ...Object.fromEntries(ids.map((id) => [id, true])) } }));
    try {
      const runs = await client.invoke('provision.cancel', { batchId });
      for (const r of runs) upsert(r, 'listed');
    } catch (err) {
      set((s) => ({ canceling: ids.reduce((c, id) => without(c, id), s.canceling) }));
      useUi.getState().toast('error', `Could not cancel: ${describeError(err)}`);
    }
  },
  async confirmHostKey(run) {
    if (!run.hostKey) return;
    set((s) => ({ confirming: { ...s.confirming, [run.id]: true }, confirmErrors: without(s.confirmErrors, run.id) }));
    try {
      const r = await client.invoke('provision.confirmHostKey', { id: run.id, fingerprint: run.hostKey.fingerprint });
      // The run may have moved on (an update pushed before this answer): keep the further report.
      upsert(r, 'listed');
      useUi.getState().toast('success', `Confirmed the host key of ${r.name}`);
    } catch (err) {
      set((s) => ({ confirmErrors: { ...s.confirmErrors, [run.id]: describeError(err) } }));
    } finally {
      set((s) => ({ confirming: without(s.confirming, run.id) }));
    }
  },
  async loadRecent() {
    const my = ++recentSeq;
    try {
      const list = await client.invoke('provision.list', { limit: RECENT_LIMIT });
      if (my !== recentSeq) return;
      for (const r of list) upsert(r, 'listed');
      set({ recent: list.map((r) => r.id) });
      // A batch still running when the page is first opened (a reload, or started elsewhere) is followed.
      const s = get();
      if (!adopted && s.batchId === null && s.step === 'boxes') {
        adopted = true;
        const running = list.find(isActive);
        if (running) await followBatch(running.batchId);
      }
      adopted = true;
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the provisioning runs');
    }
  },
  async openRun(id) {
    try {
      const { log, ...run } = await client.invoke('provision.get', { id });
      upsert(run, 'listed');
      set((s) => ({ logs: { ...s.logs, [id]: log.length >= (s.logs[id]?.length ?? 0) ? capped(log) : (s.logs[id] ?? '') } }));
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the provisioning run');
    }
  },
  newBatch() {
    set({ step: 'boxes', boxes: [newBox()], inspections: {}, plans: {}, startError: null, batchId: null, batchRuns: [] });
  },
  rememberDir(path) {
    set({ lastDir: path });
  },
}));

function withoutBox<T>(map: Record<number, T>, id: number): Record<number, T> {
  const next = { ...map };
  delete next[id];
  return next;
}

function without<T>(map: Record<string, T>, id: string): Record<string, T> {
  const next = { ...map };
  delete next[id];
  return next;
}

/** Shows a batch (its runs, with their output so far) in the Progress step. */
async function followBatch(batchId: string): Promise<void> {
  const runs = await client.invoke('provision.list', { batchId, limit: 64 });
  for (const r of runs) upsert(r, 'listed');
  useProvision.setState({ batchId, batchRuns: runs.map((r) => r.id), step: 'progress' });
  await Promise.all(runs.map((r) => useProvision.getState().openRun(r.id)));
}

/**
 * Takes in a report of a run. Pushed updates are the newest word; a listed or returned one only
 * replaces what is known when it is further on (an update may have overtaken it).
 */
function upsert(run: ProvisionRun, source: 'event' | 'listed'): void {
  useProvision.setState((s) => {
    const known = s.runs[run.id];
    const next = source === 'event' ? run : further(run, known);
    const ended = !isActive(next);
    return {
      runs: { ...s.runs, [run.id]: next },
      logs: run.id in s.logs ? s.logs : { ...s.logs, [run.id]: '' },
      canceling: ended ? without(s.canceling, run.id) : s.canceling,
    };
  });
}

/** Lists the recent runs again soon (several updates in a row make one call). */
function scheduleRecent(): void {
  if (useProvision.getState().recent === null) return;
  if (recentTimer) clearTimeout(recentTimer);
  recentTimer = setTimeout(() => void useProvision.getState().loadRecent(), 300);
}

client.on('provision.updated', (run) => {
  const s = useProvision.getState();
  const listed = s.recent?.includes(run.id) ?? false;
  upsert(run, 'event');
  // A new run, or one whose state changed, moves the list; a phase within a listed run does not need it.
  if (!listed || !isActive(run)) scheduleRecent();
});

client.on('provision.log', (p) => {
  useProvision.setState((s) => (p.id in s.logs || p.id in s.runs ? { logs: { ...s.logs, [p.id]: capped((s.logs[p.id] ?? '') + p.text) } } : s));
});

// After a reconnect, what is shown may be stale: list again, and read the followed runs' output anew.
client.on('inventory.changed', (p) => {
  if (p.entity !== 'all') return;
  const s = useProvision.getState();
  if (s.recent !== null) void s.loadRecent();
  for (const id of s.batchRuns) void s.openRun(id);
});
