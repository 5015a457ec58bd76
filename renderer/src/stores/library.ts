/**
 * The image library (`#/images`): the images and what they take on disk (`library.list`), one
 * image's platforms and devices (`library.get`), and the long operations started here: pull (with
 * `library.progress`), import and export (no progress: busy until they end), each cancellable
 * (`library.cancel`); remove and clean up. Kept current by `library.changed`, `activity.appended`,
 * `fleet.statusChanged` (where images are deployed) and a reconnect.
 */
import { create } from 'zustand';
import type { LibraryImage } from '../../../shared/contract';
import { client } from '../lib/api';
import { asAppError, describeError } from '../lib/error-text';
import { formatBytes, plural } from '../lib/format';
import { freedBytes, imageLabel, type LibraryDetail } from '../lib/library';
import { askNotifyPermission } from '../lib/notify';
import { useUi } from './ui';

export type LibraryOpKind = 'pull' | 'import' | 'export';

/** One long operation started from this window. */
export interface LibraryOp {
  /** `pull REF`, `import PATH`, `export REF`: as the core names it (and as `library.cancel` takes it). */
  key: string;
  op: LibraryOpKind;
  /** The reference (pull, export) or the path (import), as sent. */
  ref: string;
  /** What it does, in words: "Pull 127.0.0.1:5000/os:2.0 (linux/amd64)". */
  title: string;
  state: 'running' | 'done' | 'failed' | 'canceled';
  /** Pull only: bytes done of total and the speed (null until the manifests are read). */
  progress: { done: number; total: number; bytesPerSecond: number } | null;
  startedAt: number;
  finishedAt: number | null;
  cancelling: boolean;
  /** The end in one line: what was added or written, or why it failed. */
  outcome: string | null;
  errorCode: string | null;
}

interface LibraryState {
  images: LibraryImage[] | null;
  /** On disk (each blob once). */
  bytes: number;
  blobs: number;
  loadError: string | null;
  /** One image's detail by the ref it was asked for (the id, from the route). */
  details: Record<string, { data: LibraryDetail | null; error: string | null; code: string | null }>;
  /** Operations started here, newest first (finished ones stay until dismissed). */
  ops: LibraryOp[];
  /** While a clean-up runs. */
  collecting: boolean;
  load(): Promise<void>;
  loadDetail(ref: string): Promise<void>;
  pull(input: { ref: string; platform?: string }): void;
  import(input: { path: string; name?: string; tag?: string }): void;
  export(image: LibraryImage, input: { ref: string; path: string; format: 'oci-archive' | 'oci' }): void;
  cancel(key: string): Promise<void>;
  dismiss(key: string): void;
  /** Removes an image; throws for the confirm dialog. */
  remove(image: LibraryImage, ref: string): Promise<void>;
  /** The bytes removing an image would free (its blobs no other image uses). */
  estimateFreed(id: string): Promise<number>;
  gc(): Promise<void>;
}

let listSeq = 0;
const onImages = (): boolean => useUi.getState().route.page === 'images';
let reloadTimer: ReturnType<typeof setTimeout> | null = null;

/** The library store. */
export const useLibrary = create<LibraryState>((set, get) => {
  const update = (key: string, patch: Partial<LibraryOp>): void =>
    set((s) => ({ ops: s.ops.map((o) => (o.key === key ? { ...o, ...patch } : o)) }));

  /** Runs one operation to its end, recording how it ended. */
  const run = (op: LibraryOpKind, ref: string, title: string, work: () => Promise<string>): void => {
    const key = `${op} ${ref}`;
    const existing = get().ops.find((o) => o.key === key);
    if (existing?.state === 'running') {
      useUi.getState().toast('info', `${title} is already running.`);
      return;
    }
    askNotifyPermission();
    const entry: LibraryOp = { key, op, ref, title, state: 'running', progress: null, startedAt: Date.now(), finishedAt: null, cancelling: false, outcome: null, errorCode: null };
    set((s) => ({ ops: [entry, ...s.ops.filter((o) => o.key !== key)] }));
    work().then(
      (outcome) => {
        update(key, { state: 'done', outcome, finishedAt: Date.now(), cancelling: false });
        // The Images page shows the end in the operation's card; elsewhere a toast tells it.
        if (!onImages()) useUi.getState().toast('success', outcome);
        if (op !== 'export') void get().load();
      },
      (err: unknown) => {
        const e = asAppError(err);
        const canceled = e.code === 'CANCELED';
        update(key, {
          state: canceled ? 'canceled' : 'failed',
          outcome: canceled ? (op === 'pull' ? 'Cancelled: what was downloaded is kept, and pulling again resumes it.' : 'Cancelled: nothing was kept.') : describeError(err),
          errorCode: canceled ? null : e.code,
          finishedAt: Date.now(),
          cancelling: false,
        });
        if (!canceled && !onImages()) useUi.getState().toast('error', `${title} failed: ${describeError(err)}`);
        // An import or pull that failed may have left blobs (a pull keeps them to resume).
        void get().load();
      },
    );
  };

  return {
    images: null,
    bytes: 0,
    blobs: 0,
    loadError: null,
    details: {},
    ops: [],
    collecting: false,
    async load() {
      const my = ++listSeq;
      try {
        const l = await client.invoke('library.list', {});
        if (my !== listSeq) return;
        set({ images: l.images, bytes: l.bytes, blobs: l.blobs, loadError: null });
      } catch (err) {
        if (my !== listSeq) return;
        set({ loadError: describeError(err) });
      }
      // An image shown in detail follows the list (its devices, or its removal).
      for (const ref of Object.keys(get().details)) void get().loadDetail(ref);
    },
    async loadDetail(ref) {
      try {
        const data = await client.invoke('library.get', { ref });
        set((s) => ({ details: { ...s.details, [ref]: { data, error: null, code: null } } }));
      } catch (err) {
        const e = asAppError(err);
        set((s) => ({ details: { ...s.details, [ref]: { data: null, error: describeError(err), code: e.code } } }));
      }
    },
    pull({ ref, platform }) {
      const r = ref.trim();
      const p = platform?.trim() || undefined;
      run('pull', r, `Pull ${r}${p ? ` (${p})` : ''}`, async () => {
        const img = await client.invoke('library.pull', { ref: r, ...(p ? { platform: p } : {}) });
        return `Pulled ${imageLabel(img)} (${img.architectures.join(', ') || 'no platform'}, ${formatBytes(img.size)}; ${formatBytes(img.downloaded)} downloaded)`;
      });
    },
    import({ path, name, tag }) {
      const p = path.trim();
      run('import', p, `Import ${p}`, async () => {
        const added = await client.invoke('library.import', { path: p, ...(name?.trim() ? { name: name.trim() } : {}), ...(tag?.trim() ? { tag: tag.trim() } : {}) });
        return added.length === 1
          ? `Imported ${imageLabel(added[0]!)} (${added[0]!.architectures.join(', ') || 'no platform'}, ${formatBytes(added[0]!.size)})`
          : `Imported ${plural(added.length, 'image')}: ${added.map(imageLabel).join(', ')}`;
      });
    },
    export(image, { ref, path, format }) {
      const p = path.trim();
      run('export', ref, `Export ${imageLabel(image)} to ${p}`, async () => {
        const r = await client.invoke('library.export', { ref, path: p, format });
        return `Wrote ${r.path} (${format}, ${formatBytes(r.bytes)})`;
      });
    },
    async cancel(key) {
      const op = get().ops.find((o) => o.key === key);
      if (!op || op.state !== 'running') return;
      update(key, { cancelling: true });
      try {
        const { cancelled } = await client.invoke('library.cancel', { op: op.op, ref: op.ref });
        if (!cancelled) update(key, { cancelling: false });
      } catch (err) {
        update(key, { cancelling: false });
        useUi.getState().toast('error', `Could not cancel: ${describeError(err)}`);
      }
    },
    dismiss(key) {
      set((s) => ({ ops: s.ops.filter((o) => o.key !== key || o.state === 'running') }));
    },
    async remove(image, ref) {
      const r = await client.invoke('library.remove', { ref });
      useUi.getState().toast('success', `Removed ${imageLabel(image)} from the library; ${formatBytes(r.freedBytes)} freed`);
      set((s) => {
        const details = { ...s.details };
        delete details[image.id];
        return { details, images: s.images?.filter((i) => i.id !== image.id) ?? null };
      });
      await get().load();
    },
    async estimateFreed(id) {
      const images = get().images ?? [];
      const details = await Promise.all(images.map((i) => client.invoke('library.get', { ref: i.id })));
      const target = details.find((d) => d.id === id);
      if (!target) throw new Error('The image is no longer in the library.');
      return freedBytes(target, details);
    },
    async gc() {
      set({ collecting: true });
      try {
        const r = await client.invoke('library.gc', {});
        useUi
          .getState()
          .toast('success', r.removed ? `Cleaned up: ${plural(r.removed, 'unused blob')} deleted, ${formatBytes(r.freedBytes)} freed` : 'Nothing to clean up: every blob on disk belongs to an image');
        await get().load();
      } catch (err) {
        useUi.getState().reportError(err, 'Cleaning up the library');
      } finally {
        set({ collecting: false });
      }
    },
  };
});

client.on('library.progress', (p) => {
  if (p.op === 'push') return;
  const key = `${p.op} ${p.ref}`;
  const op = useLibrary.getState().ops.find((o) => o.key === key);
  if (!op || op.state !== 'running') return;
  useLibrary.setState((s) => ({ ops: s.ops.map((o) => (o.key === key ? { ...o, progress: { done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond } } : o)) }));
});

/** Reloads what is shown, at most once a second while changes keep coming. */
function reloadSoon(): void {
  if (!onImages() || useLibrary.getState().images === null) return;
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    void useLibrary.getState().load();
  }, 1000);
}

// Every library change is logged (another window, the CLI through the same data dir on reconnect).
client.on('activity.appended', reloadSoon);
client.on('library.changed', reloadSoon);
// Where images are deployed follows the devices' status.
client.on('fleet.statusChanged', reloadSoon);
client.on('inventory.changed', (p) => {
  if (p.entity === 'all') reloadSoon();
});
