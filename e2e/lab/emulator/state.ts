/**
 * The persistent state of one emulated device (state.json in the lab's var dir) and the only
 * emulator module that touches files: reads and atomic writes, the state lock, and what a reboot
 * does to the deployments.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEVICE_FILE,
  FAULTS_FILE,
  REBOOT_REQUIRED_FILE,
  STATE_FILE,
  STATE_LOCK_FILE,
  type DeploymentState,
  type DeviceConfig,
  type DeviceState,
  type EmulatorFaults,
  type ImageReference,
  type ResolvedImage,
  type UsrOverlayState,
} from './types';

/** A lock older than this is considered left behind by a killed bootc and is broken. */
export const STALE_LOCK_MS = 30_000;

/**
 * The ostree commit an image becomes when deployed. Real ostree-ext builds one merge commit per
 * image, so every deployment of the same image shares it (deploySerial tells them apart); here
 * it is derived from the manifest digest so it is stable across runs.
 */
export function commitFor(digest: string): string {
  return createHash('sha256').update(`ostree-merge-commit:${digest}`).digest('hex');
}

/** Identity of an image reference (transport, name, signature), as ostree-ext keys its image refs. */
export function refKey(ref: ImageReference): string {
  const sig = ref.signature === undefined ? '' : typeof ref.signature === 'string' ? ref.signature : `ostreeRemote=${ref.signature.ostreeRemote}`;
  return `${ref.transport}:${ref.image}#${sig}`;
}

/** How a test or the lab describes one deployment to createState. */
export interface DeploymentInit {
  /** The image reference; omit (with `checksum`) for a plain ostree deployment. */
  image?: ImageReference | null;
  resolved?: ResolvedImage | null;
  /** Only for plain ostree deployments; image deployments get commitFor(digest). */
  checksum?: string;
  stateroot?: string;
  pinned?: boolean;
  downloadOnly?: boolean;
  softRebootCapable?: boolean;
  cachedUpdate?: ResolvedImage | null;
  kargs?: string[];
  incompatible?: boolean;
}

/** Options for createState. */
export interface CreateStateOptions {
  /** false = a host not booted via bootc: status shows booted null and mutating verbs refuse. */
  bootcDeployed?: boolean;
  booted?: DeploymentInit;
  staged?: DeploymentInit | null;
  rollback?: DeploymentInit | null;
  otherDeployments?: DeploymentInit[];
  rollbackQueued?: boolean;
  usrOverlay?: UsrOverlayState | null;
  softRebootSupported?: boolean;
  readOnly?: boolean;
  /** Default stateroot for the deployments above ("default"). */
  stateroot?: string;
  /** Default kernel arguments for the deployments above. */
  kargs?: string[];
}

function makeDeployment(init: DeploymentInit, defaults: { stateroot: string; kargs: string[] }, taken: DeploymentState[]): DeploymentState {
  const image = init.image ?? null;
  const resolved = image ? (init.resolved ?? null) : null;
  if (image && !resolved) throw new Error(`createState: deployment of ${image.image} needs its ResolvedImage`);
  const checksum = resolved ? commitFor(resolved.digest) : (init.checksum ?? createHash('sha256').update(`ostree:${taken.length}`).digest('hex'));
  const stateroot = init.stateroot ?? defaults.stateroot;
  return {
    image,
    resolved,
    checksum,
    deploySerial: nextSerial(taken, checksum, stateroot),
    stateroot,
    pinned: init.pinned ?? false,
    downloadOnly: init.downloadOnly ?? false,
    softRebootCapable: init.softRebootCapable ?? false,
    cachedUpdate: init.cachedUpdate ?? null,
    kargs: [...(init.kargs ?? defaults.kargs)],
    incompatible: init.incompatible ?? false,
  };
}

/** The serial a new deployment of `checksum` gets: one more than any existing deployment of it. */
export function nextSerial(existing: DeploymentState[], checksum: string, stateroot: string): number {
  let serial = 0;
  for (const d of existing) if (d.checksum === checksum && d.stateroot === stateroot) serial = Math.max(serial, d.deploySerial + 1);
  return serial;
}

/** Every deployment of a state, in ostree's list order (staged first). */
export function allDeployments(state: DeviceState): DeploymentState[] {
  return [state.staged, state.booted, state.rollback, ...state.otherDeployments].filter((d): d is DeploymentState => d !== null);
}

/**
 * Builds the initial state of a device: what `bootc install` (plus earlier upgrades) would have
 * left. The images' layers count as already stored and each reference as already imported.
 */
export function createState(opts: CreateStateOptions = {}): DeviceState {
  const defaults = { stateroot: opts.stateroot ?? 'default', kargs: opts.kargs ?? [] };
  const state: DeviceState = {
    version: 1,
    booted: null,
    staged: null,
    rollback: null,
    otherDeployments: [],
    rollbackQueued: false,
    usrOverlay: null,
    layers: [],
    imported: {},
    softRebootSupported: opts.softRebootSupported ?? false,
    readOnly: opts.readOnly ?? false,
  };
  if (opts.bootcDeployed === false) return state;
  if (!opts.booted) throw new Error('createState: a bootc host needs a booted deployment (or bootcDeployed: false)');
  const taken: DeploymentState[] = [];
  const add = (init: DeploymentInit): DeploymentState => {
    const d = makeDeployment(init, defaults, taken);
    taken.push(d);
    return d;
  };
  // Oldest first, so serials and "last imported" follow the order things happened.
  state.otherDeployments = (opts.otherDeployments ?? []).map(add);
  state.rollback = opts.rollback ? add(opts.rollback) : null;
  state.booted = add(opts.booted);
  state.staged = opts.staged ? add(opts.staged) : null;
  state.rollbackQueued = (opts.rollbackQueued ?? false) && state.rollback !== null;
  state.usrOverlay = opts.usrOverlay ?? null;
  const layers = new Set<string>();
  for (const d of taken) {
    if (!d.image || !d.resolved) continue;
    for (const l of d.resolved.layers) layers.add(l.digest);
    state.imported[refKey(d.image)] = d.resolved;
  }
  state.layers = [...layers];
  return state;
}

/** A deep copy, so callers can mutate freely. */
export function cloneState(state: DeviceState): DeviceState {
  return JSON.parse(JSON.stringify(state)) as DeviceState;
}

/**
 * What a reboot does (ostree-finalize-staged at shutdown, then the bootloader's choice):
 * - a staged deployment that is not download-only becomes booted, the old booted becomes
 *   rollback and the old rollback is dropped (kept in otherDeployments if pinned);
 * - a download-only staged deployment is discarded;
 * - otherwise a queued rollback swaps booted and rollback;
 * - a transient /usr overlay disappears; cachedUpdate stays with its deployment.
 * `healthCheckFails` models greenboot after booting a *new* deployment: its required checks fail
 * until the boot counter runs out, grub boots the previous entry and greenboot runs `bootc
 * rollback`, leaving booted = the old image, rollback = the failed one, nothing staged or queued.
 */
export function bootNext(state: DeviceState, opts: { healthCheckFails: boolean }): DeviceState {
  const s = cloneState(state);
  if (s.usrOverlay && s.usrOverlay.persistence === 'transient') s.usrOverlay = null;
  if (!s.booted) {
    s.staged = null;
    s.rollbackQueued = false;
    return s;
  }
  const staged = s.staged && !s.staged.downloadOnly ? s.staged : null;
  s.staged = null;
  if (staged) {
    const oldBooted = s.booted;
    const oldRollback = s.rollback;
    if (oldRollback?.pinned) s.otherDeployments.unshift(oldRollback);
    staged.downloadOnly = false;
    if (opts.healthCheckFails) {
      // The failed deployment was finalized (so it exists), booted N times, then fell back.
      s.booted = oldBooted;
      s.rollback = staged;
    } else {
      s.booted = staged;
      s.rollback = oldBooted;
    }
    s.rollbackQueued = false;
  } else if (s.rollbackQueued && s.rollback) {
    const b = s.booted;
    s.booted = s.rollback;
    s.rollback = b;
    s.rollbackQueued = false;
  }
  s.booted.softRebootCapable = false;
  if (s.rollback) s.rollback.softRebootCapable = s.softRebootSupported;
  return s;
}

/** Reads state.json from a var dir; null when the device has none yet. */
export async function readState(dir: string): Promise<DeviceState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as DeviceState;
  if (parsed.version !== 1) throw new Error(`${STATE_FILE}: unsupported state version ${String(parsed.version)}`);
  return parsed;
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode: 0o644 });
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes state.json atomically (temp file + rename), so a reader never sees half a state. */
export async function writeState(dir: string, state: DeviceState): Promise<void> {
  await atomicWrite(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Reads device.json (written by the lab). */
export async function readDeviceConfig(dir: string): Promise<DeviceConfig> {
  return JSON.parse(await readFile(join(dir, DEVICE_FILE), 'utf8')) as DeviceConfig;
}

/** Reads faults.json; absent = no faults. */
export async function readFaults(dir: string): Promise<EmulatorFaults> {
  try {
    return JSON.parse(await readFile(join(dir, FAULTS_FILE), 'utf8')) as EmulatorFaults;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * Writes the device's /run/reboot-required stand-in (bootc ≥ 1.9 writes
 * `bootc: Reboot required for image: sha256:…`, no trailing newline, for kured). It lives in the
 * var dir as REBOOT_REQUIRED_FILE; the lab removes it when the device boots.
 */
export async function writeRebootRequired(dir: string, digest: string): Promise<void> {
  await atomicWrite(join(dir, REBOOT_REQUIRED_FILE), `bootc: Reboot required for image: ${digest}`);
}

/**
 * Runs fn while holding an exclusive lock on the device state, so two concurrent bootc calls
 * (two SSH sessions) cannot interleave read-modify-write. The lock is a file created with 'wx';
 * one older than STALE_LOCK_MS (left by a killed process, e.g. after --apply) is broken.
 */
export async function withStateLock<T>(dir: string, fn: () => Promise<T>, opts: { pollMs?: number; staleMs?: number } = {}): Promise<T> {
  const path = join(dir, STATE_LOCK_FILE);
  const pollMs = opts.pollMs ?? 25;
  const staleMs = opts.staleMs ?? STALE_LOCK_MS;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        const st = await stat(path);
        if (Date.now() - st.mtimeMs > staleMs) {
          await unlink(path).catch(() => undefined);
          continue;
        }
      } catch (statErr) {
        if ((statErr as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw statErr;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
