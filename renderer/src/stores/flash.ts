/**
 * Flashing install media: the image chosen and what `images.inspect` says of it (format, label,
 * the bootc image it installs, and its SHA-256 against the published one), the drives that could
 * take it (`drives.list`, refetched on `drives.changed`), the drives chosen, `flash.start` and
 * `flash.cancel`, the flashes running (kept live by `flash.progress`), read-backs of a drive
 * (`flash.verify`) and the history (`flash.list`).
 */
import { create } from 'zustand';
import type { Drive, Flash, ImageInfo, MethodOutput } from '../../../shared/contract';
import { client } from '../lib/api';
import { describeError } from '../lib/error-text';
import { baseName, sha256Problem } from '../lib/flash';
import { plural } from '../lib/format';
import { askNotifyPermission } from '../lib/notify';
import { useUi } from './ui';

/** Past flashes listed in the history. */
export const HISTORY_LIMIT = 50;

/** What the checksum fields and the image path were when an inspection ran. */
export interface CheckInput {
  path: string;
  sha256: string;
  sumsFile: string;
}

/** One inspection of the image: running, its answer, or why it failed. */
export interface ImageCheck {
  input: CheckInput;
  state: 'busy' | 'done' | 'error';
  info: ImageInfo | null;
  error: string | null;
}

/** A read-back of one drive against an image. */
export interface DriveVerification {
  image: string;
  state: 'busy' | 'done' | 'error';
  result: MethodOutput<'flash.verify'> | null;
  error: string | null;
}

interface FlashState {
  /** The image path as typed or chosen. */
  image: string;
  /** A SHA-256 the user pasted. */
  sha256: string;
  /** A SHA256SUMS-style file the user chose. */
  sumsFile: string;
  /** The last inspection (it may be of other inputs than those shown now: see `isCurrent`). */
  check: ImageCheck | null;
  /** Null before the first listing. */
  drives: Drive[] | null;
  drivesLoading: boolean;
  drivesError: string | null;
  /** Also loop devices, internal disks and the system disk. */
  showAll: boolean;
  /** Drive paths chosen to be written. */
  selected: string[];
  /** Read every drive back after writing. */
  verify: boolean;
  /** Eject removable drives once written. */
  eject: boolean;
  /** Flashes shown with their progress (started here, or seen running), newest first. */
  active: Flash[];
  /** Flashes whose cancel was asked for. */
  canceling: Record<string, boolean>;
  history: Flash[] | null;
  /** Read-backs by drive path. */
  verifications: Record<string, DriveVerification>;
  /** Where the file browser was last. */
  lastDir: string | null;

  setImage(path: string): void;
  /** Another image chosen in the browser: a SHA-256 or checksum file given for the last one is dropped; then it is inspected. */
  chooseImage(path: string): void;
  setSha256(text: string): void;
  setSumsFile(path: string): void;
  /** Inspects the image with the checksum fields as they are. */
  inspect(): Promise<void>;
  loadDrives(): Promise<void>;
  setShowAll(all: boolean): void;
  toggleDrive(path: string, on: boolean): void;
  setVerify(on: boolean): void;
  setEject(on: boolean): void;
  /** Starts writing the chosen drives; throws (for the confirm dialog) when the core refuses. */
  start(confirm: string[]): Promise<Flash>;
  cancel(id: string): Promise<void>;
  /** Hides a finished flash's progress (it stays in the history). */
  dismiss(id: string): void;
  loadHistory(): Promise<void>;
  /** Reads a drive back and compares it with the inspected image. */
  verifyDrive(path: string): Promise<void>;
  browse(path: string | null, all: boolean): Promise<MethodOutput<'files.browse'>>;
  rememberDir(path: string): void;
}

/** The checksum fields as the core takes them (empty ones left out). */
export function checkArgs(input: CheckInput): { path: string; sha256?: string; sumsFile?: string } {
  return {
    path: input.path.trim(),
    ...(input.sha256.trim() ? { sha256: input.sha256.trim() } : {}),
    ...(input.sumsFile.trim() ? { sumsFile: input.sumsFile.trim() } : {}),
  };
}

const sameInput = (a: CheckInput, b: CheckInput): boolean => a.path.trim() === b.path.trim() && a.sha256.trim() === b.sha256.trim() && a.sumsFile.trim() === b.sumsFile.trim();

/** Whether the inspection shown is of the image and checksum as they are now. */
export function isCurrent(s: Pick<FlashState, 'check' | 'image' | 'sha256' | 'sumsFile'>): boolean {
  return !!s.check && sameInput(s.check.input, { path: s.image, sha256: s.sha256, sumsFile: s.sumsFile });
}

/** Of two reports of one flash, the one further on (an ended one over a running one, then the most bytes). */
function further(a: Flash, b: Flash | undefined): Flash {
  if (!b) return a;
  if ((a.state === 'running') !== (b.state === 'running')) return a.state === 'running' ? b : a;
  const bytes = (f: Flash): number => f.targets.reduce((n, t) => n + t.written + t.verified, 0) + (f.finishedAt ? 1 : 0);
  return bytes(b) > bytes(a) ? b : a;
}

let checkSeq = 0;
let drivesSeq = 0;
let historySeq = 0;

/** The flash store. */
export const useFlash = create<FlashState>((set, get) => ({
  image: '',
  sha256: '',
  sumsFile: '',
  check: null,
  drives: null,
  drivesLoading: false,
  drivesError: null,
  showAll: false,
  selected: [],
  verify: true,
  eject: true,
  active: [],
  canceling: {},
  history: null,
  verifications: {},
  lastDir: null,

  setImage(path) {
    set({ image: path });
  },
  chooseImage(path) {
    if (path !== get().image.trim()) set({ image: path, sha256: '', sumsFile: '' });
    void get().inspect();
  },
  setSha256(text) {
    set({ sha256: text });
  },
  setSumsFile(path) {
    set({ sumsFile: path });
  },
  async inspect() {
    const { image, sha256, sumsFile } = get();
    const input = { path: image, sha256, sumsFile };
    if (!image.trim() || sha256Problem(sha256)) return;
    const my = ++checkSeq;
    const previous = get().check;
    // The drives' "too small" marks follow the image; keep the old answer's info until the new one is in.
    set({ check: { input, state: 'busy', info: previous?.input.path.trim() === image.trim() ? previous.info : null, error: null } });
    try {
      const info = await client.invoke('images.inspect', checkArgs(input));
      if (my !== checkSeq) return;
      const sizeChanged = previous?.info?.size !== info.size;
      set({ check: { input, state: 'done', info, error: null } });
      if (sizeChanged) void get().loadDrives();
    } catch (err) {
      if (my !== checkSeq) return;
      set({ check: { input, state: 'error', info: null, error: describeError(err) } });
    }
  },
  async loadDrives() {
    const my = ++drivesSeq;
    const { showAll, check } = get();
    const size = check?.info?.size;
    set({ drivesLoading: true });
    try {
      const drives = await client.invoke('drives.list', { all: showAll, ...(size ? { imageSize: size } : {}) });
      if (my !== drivesSeq) return;
      // A chosen drive that went away, or can no longer be written, is no longer chosen.
      const ok = new Set(drives.filter((d) => d.problems.length === 0).map((d) => d.path));
      set((s) => ({ drives, drivesLoading: false, drivesError: null, selected: s.selected.filter((p) => ok.has(p)) }));
    } catch (err) {
      if (my !== drivesSeq) return;
      set({ drivesLoading: false, drivesError: describeError(err) });
    }
  },
  setShowAll(all) {
    set({ showAll: all });
    void get().loadDrives();
  },
  toggleDrive(path, on) {
    set((s) => ({ selected: on ? [...new Set([...s.selected, path])] : s.selected.filter((p) => p !== path) }));
  },
  setVerify(on) {
    set({ verify: on });
  },
  setEject(on) {
    set({ eject: on });
  },
  async start(confirm) {
    const s = get();
    const info = s.check?.info;
    if (!info || !isCurrent(s)) throw new Error('Check the image first.');
    askNotifyPermission();
    const args = checkArgs({ path: info.path, sha256: s.sha256, sumsFile: s.sumsFile });
    const flash = await client.invoke('flash.start', {
      image: info.path,
      drives: s.selected,
      ...(args.sha256 ? { sha256: args.sha256 } : {}),
      ...(args.sumsFile ? { sumsFile: args.sumsFile } : {}),
      verify: s.verify,
      eject: s.eject,
      confirm,
    });
    upsert(flash);
    set({ selected: [] });
    useUi.getState().toast('info', `Writing ${baseName(flash.image)} to ${plural(flash.targets.length, 'drive')}`);
    return flash;
  },
  async cancel(id) {
    set((s) => ({ canceling: { ...s.canceling, [id]: true } }));
    try {
      await client.invoke('flash.cancel', { id });
    } catch (err) {
      set((s) => {
        const canceling = { ...s.canceling };
        delete canceling[id];
        return { canceling };
      });
      useUi.getState().toast('error', `Could not cancel: ${describeError(err)}`);
    }
  },
  dismiss(id) {
    set((s) => ({ active: s.active.filter((f) => f.id !== id) }));
  },
  async loadHistory() {
    const my = ++historySeq;
    try {
      const history = await client.invoke('flash.list', { limit: HISTORY_LIMIT });
      if (my !== historySeq) return;
      set({ history });
      // A flash still running (started before this page was opened, or by the CLI) shows its progress.
      for (const f of history) if (f.state === 'running') upsert(f);
    } catch (err) {
      useUi.getState().reportError(err, 'Loading the flash history');
    }
  },
  async verifyDrive(path) {
    const info = get().check?.info;
    if (!info) return;
    const image = info.path;
    set((s) => ({ verifications: { ...s.verifications, [path]: { image, state: 'busy', result: null, error: null } } }));
    try {
      const result = await client.invoke('flash.verify', { image, drive: path });
      set((s) => ({ verifications: { ...s.verifications, [path]: { image, state: 'done', result, error: null } } }));
    } catch (err) {
      set((s) => ({ verifications: { ...s.verifications, [path]: { image, state: 'error', result: null, error: describeError(err) } } }));
    }
  },
  browse(path, all) {
    return client.invoke('files.browse', { ...(path ? { path } : {}), show: all ? 'all' : 'images' });
  },
  rememberDir(path) {
    set({ lastDir: path });
  },
}));

/** Takes in a report of a flash: the progress shown keeps the furthest. */
function upsert(f: Flash): void {
  useFlash.setState((s) => {
    const known = s.active.find((x) => x.id === f.id);
    const active = known ? s.active.map((x) => (x.id === f.id ? further(f, x) : x)) : [f, ...s.active];
    const history = s.history?.some((x) => x.id === f.id) ? s.history.map((x) => (x.id === f.id ? further(f, x) : x)) : s.history;
    return { active, history };
  });
}

const onFlashPage = (): boolean => useUi.getState().route.page === 'flash';

client.on('flash.progress', (f) => {
  const s = useFlash.getState();
  // Flashes this UI follows, and any that runs (another window, the CLI through the same core).
  if (f.state === 'running' || s.active.some((x) => x.id === f.id)) upsert(f);
  if (f.state !== 'running') {
    useFlash.setState((x) => {
      const canceling = { ...x.canceling };
      delete canceling[f.id];
      return { canceling };
    });
    if (s.history !== null) void s.loadHistory();
    // The drives written now hold other partitions (and may have been unmounted).
    if (s.drives !== null && onFlashPage()) void s.loadDrives();
  }
});

client.on('drives.changed', () => {
  const s = useFlash.getState();
  if (s.drives !== null && onFlashPage()) void s.loadDrives();
});

// After a reconnect what is shown may be stale.
client.on('inventory.changed', (p) => {
  if (p.entity !== 'all' || !onFlashPage()) return;
  const s = useFlash.getState();
  void s.loadHistory();
  void s.loadDrives();
});

/**
 * An image opened from outside the app (a file manager's "Open with", a path given at launch,
 * `bootfleet serve --open`): the Flash page shows it and reads it at once. Asked for on start (the
 * image may have been opened before this window was ready) and whenever the core announces one.
 */
export async function showOpenedImage(): Promise<void> {
  const { path } = await client.invoke('flash.takeOpened', {});
  if (!path) return;
  useUi.getState().navigate('flash');
  useFlash.getState().chooseImage(path);
}

client.on('flash.opened', () => void showOpenedImage().catch(() => undefined));
