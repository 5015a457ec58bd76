/**
 * The bootc emulator: runs one `bootc …` invocation against a device's state the way the
 * configured bootc release would, printing the same texts and returning the same exit code.
 * Sources for every text and branch: reference/bootc-cli.md and the bootc sources by tag
 * (lib/src/cli.rs, deploy.rs, status.rs, install.rs, install/baseline.rs).
 */
import { randomUUID } from 'node:crypto';
import { isNotEmulated, parseBootcArgs, type ParsedArgs } from './args';
import type { EmulatorEnv, InstallPlan } from './env';
import { formatSize, hostDocument, ostreeRefAlternate, renderHuman, specRefAlternate, toJson, toYaml, type DocValue } from './render';
import {
  allDeployments,
  commitFor,
  nextSerial,
  readDeviceConfig,
  readFaults,
  readState,
  refKey,
  withStateLock,
  writeRebootRequired,
  writeState,
} from './state';
import type { DeploymentState, DeviceConfig, DeviceState, EmulatorFaults, ImageReference, ResolvedImage } from './types';
import { featuresFor, type BootcFeatures } from './versions';

/** An anyhow-style error: printed as `error: <message>`, exit 1. */
class BootcError extends Error {}

/** Output collected during one invocation, flushed (or cut, for dropMidCommand) at the end. */
interface Io {
  stdout: string;
  stderr: string;
}

interface Ctx {
  env: EmulatorEnv;
  f: BootcFeatures;
  config: DeviceConfig;
  faults: EmulatorFaults;
  io: Io;
  args: ParsedArgs;
  state: DeviceState | null;
  /** State changed and must be written (also when the verb fails afterwards). */
  dirty: boolean;
}

interface VerbResult {
  code: number;
  reboot?: { soft: boolean };
}

function println(ctx: Ctx, line = ''): void {
  ctx.io.stdout += `${line}\n`;
}

function fail(...chain: (string | null | undefined)[]): never {
  throw new BootcError(chain.filter((c): c is string => typeof c === 'string' && c.length > 0).join(': '));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/**
 * The storage/privilege preamble of upgrade/switch/rollback (get_storage → prepare_for_write →
 * require_root). Before 1.11 the verb context wraps "Initializing storage: Acquiring sysroot",
 * the "ostree-booted" check comes before the root check, and upgrade's context is outside;
 * from 1.11 upgrade calls get_storage before entering its "Upgrading" context.
 */
function requireStorage(ctx: Ctx, verb: 'upgrade' | 'switch' | 'rollback'): DeviceState & { booted: DeploymentState } {
  const { f, env } = ctx;
  const verbCtx = verb === 'upgrade' ? 'Upgrading' : verb === 'switch' ? 'Switching' : 'Rollback';
  const bootcHost = ctx.state?.booted != null;
  if (!f.newStorage) {
    const chain = [verbCtx, 'Initializing storage', 'Acquiring sysroot', 'Preparing for write'];
    if (!bootcHost) fail(...chain, 'This command requires an ostree-booted host system');
    if (env.uid !== 0) fail(...chain, 'Querying root privilege', f.rootMessage);
  } else {
    const outer = verb === 'upgrade' ? null : verbCtx;
    if (env.uid !== 0) fail(outer, 'Initializing storage', 'Preparing for write', 'Querying root privilege', f.rootMessage);
    if (!bootcHost) fail(outer, 'Initializing storage', 'System not booted via bootc');
  }
  return ctx.state as DeviceState & { booted: DeploymentState };
}

/** The image bootc's spec tracks: the staged entry's image if staged, else the booted one. */
function specImage(state: DeviceState): ImageReference | null {
  const d = state.staged ?? state.booted;
  return d && d.image && !d.incompatible ? d.image : null;
}

const TRANSPORTS: Record<string, string> = {
  registry: 'registry',
  docker: 'registry',
  oci: 'oci',
  'oci-archive': 'oci-archive',
  'docker-archive': 'docker-archive',
  'containers-storage': 'containers-storage',
  dir: 'dir',
};

/** containers-image-proxy's Transport::try_from, returning the spec's transport name. */
function parseTransport(f: BootcFeatures, name: string): string | null {
  if (name === 'docker-daemon' && f.downloadOnly) return 'docker-daemon';
  return TRANSPORTS[name] ?? null;
}

/** Parses "docker://x", "oci:/p", "containers-storage:x" … (install --source-imgref). */
function parseTransportRef(f: BootcFeatures, text: string): ImageReference {
  const idx = text.indexOf(':');
  if (idx < 0) throw new Error(`Missing ':' in ${text}`);
  const tname = text.slice(0, idx);
  let name = text.slice(idx + 1);
  const transport = parseTransport(f, tname);
  if (!transport) throw new Error(`Unknown transport '${tname}'`);
  if (name === '') throw new Error(`Invalid empty name in ${text}`);
  if (tname === 'docker') {
    if (!name.startsWith('//')) throw new Error(`Missing // in docker:// in ${text}`);
    name = name.slice(2);
  }
  return { image: name, transport };
}

/** ImageReference::with_tag (upgrade --tag). */
function withTag(ref: ImageReference, tag: string): ImageReference {
  const noDigest = ref.image.split('@')[0] ?? ref.image;
  const lastSlash = noDigest.lastIndexOf('/');
  const lastColon = noDigest.lastIndexOf(':');
  const base = lastColon > lastSlash ? noDigest.slice(0, lastColon) : noDigest;
  return { ...ref, image: `${base}:${tag}` };
}

function sameRef(a: ImageReference | null, b: ImageReference | null): boolean {
  if (a === null || b === null) return a === b;
  return refKey(a) === refKey(b);
}

/** ostree-ext cache_pending: the new manifest is stored on the commit of the image last imported for the reference. */
function cachePending(state: DeviceState, previous: ResolvedImage | undefined, fetched: ResolvedImage): void {
  if (!previous || previous.digest === fetched.digest) return;
  for (const d of allDeployments(state)) if (d.resolved?.digest === previous.digest) d.cachedUpdate = fetched;
}

/** ManifestDiff::print (ostree-ext): unique layers by digest, sizes via glib::format_size. */
function printManifestDiff(ctx: Ctx, from: ResolvedImage, to: ResolvedImage): void {
  const src = new Map(from.layers.map((l) => [l.digest, l.size]));
  const dst = new Map(to.layers.map((l) => [l.digest, l.size]));
  const removed = [...src].filter(([d]) => !dst.has(d));
  const added = [...dst].filter(([d]) => !src.has(d));
  const sum = (xs: [string, number][]): number => xs.reduce((a, [, s]) => a + s, 0);
  const totalSize = to.layers.reduce((a, l) => a + l.size, 0);
  println(ctx, `Total new layers: ${String(dst.size).padEnd(4)}  Size: ${formatSize(totalSize)}`);
  println(ctx, `Removed layers:   ${String(removed.length).padEnd(4)}  Size: ${formatSize(sum(removed))}`);
  println(ctx, `Added layers:     ${String(added.length).padEnd(4)}  Size: ${formatSize(sum(added))}`);
}

async function resolveImage(ctx: Ctx, ref: ImageReference, chain: string[]): Promise<ResolvedImage> {
  try {
    return await ctx.env.images.resolve(ref, ctx.config.architecture);
  } catch (err) {
    fail(...chain, messageOf(err));
  }
}

/** The failUpgrade fault: the source answered, then the operation fails. */
function applyFailUpgrade(ctx: Ctx, chain: string[]): void {
  const fu = ctx.faults.failUpgrade;
  if (fu) fail(...chain, fu.message);
}

/**
 * deploy::pull: "No changes in X => digest" when the reference's image is already imported,
 * else "layers already present: N; layers needed: M (SIZE)" (only if something must be
 * fetched), the fetch, and the import.
 */
async function pullImage(ctx: Ctx, state: DeviceState, ref: ImageReference, fetched: ResolvedImage, chain: string[]): Promise<void> {
  const key = refKey(ref);
  const previous = state.imported[key];
  if (previous?.digest === fetched.digest) {
    println(ctx, `No changes in ${specRefAlternate(ref)} => ${fetched.digest}`);
    return;
  }
  cachePending(state, previous, fetched);
  ctx.dirty = true;
  const have = new Set(state.layers);
  const missing = fetched.layers.filter((l) => !have.has(l.digest));
  if (missing.length > 0) {
    const size = missing.reduce((a, l) => a + l.size, 0);
    println(ctx, `layers already present: ${fetched.layers.length - missing.length}; layers needed: ${missing.length} (${formatSize(size)})`);
    const start = ctx.env.now().getTime();
    try {
      await ctx.env.images.fetchLayers(ref, missing);
    } catch (err) {
      fail(...chain, 'Pulling', messageOf(err));
    }
    const elapsedMs = Math.max(0, ctx.env.now().getTime() - start);
    if (!ctx.args.flags.has('quiet')) {
      const rate = elapsedMs === 0 ? Number.MAX_SAFE_INTEGER * 2048 : (size * 1000) / elapsedMs;
      const line = `Fetched layers: ${humanBytes(size)} in ${humanDuration(elapsedMs)} (${humanBytes(rate)}/s)`;
      if (ctx.f.fetchedLayersStdout) println(ctx, line);
      else if (ctx.env.stderrIsTTY ?? ctx.env.stdoutIsTTY) ctx.io.stderr += `${line}\n`;
    }
    for (const l of missing) if (!have.has(l.digest)) have.add(l.digest);
    state.layers = [...have];
  }
  state.imported[key] = fetched;
}

/** indicatif::HumanBytes: binary prefixes, two decimals ("61.00 MiB"), plain bytes below 1 KiB. */
export function humanBytes(n: number): string {
  // u64 arithmetic in Rust: an infinite rate (zero elapsed time) saturates to u64::MAX.
  const v0 = Math.min(n, 2 ** 64 - 1);
  if (v0 < 1024) return `${Math.round(v0)} B`;
  const prefixes = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];
  let v = v0;
  let i = -1;
  while (v >= 1024 && i < prefixes.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)} ${prefixes[i]}B`;
}

/** indicatif::HumanDuration: rounded, never "1 unit" except seconds ("89 seconds", "2 minutes"). */
export function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [365 * 86_400_000, 'year'],
    [7 * 86_400_000, 'week'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  let idx = 0;
  for (let i = 0; i < units.length; i++) {
    idx = i;
    const next = units[i + 1];
    const cur = (units[i] as [number, string])[0];
    if (next && ms + next[0] / 2 >= cur + cur / 2) break;
  }
  const [unit, name] = units[idx] as [number, string];
  let t = Math.round(ms / unit);
  if (idx < units.length - 1) t = Math.max(t, 2);
  return t === 1 ? `${t} ${name}` : `${t} ${name}s`;
}

/** deploy::stage: a new staged deployment, the "Queued for next boot" block, /run/reboot-required. */
async function stage(ctx: Ctx, state: DeviceState & { booted: DeploymentState }, spec: ImageReference, img: ResolvedImage, downloadOnly: boolean): Promise<void> {
  const checksum = commitFor(img.digest);
  const others = [state.booted, state.rollback, ...state.otherDeployments].filter((d): d is DeploymentState => d !== null);
  const sameImage = allDeployments(state).find((d) => d.resolved?.digest === img.digest && d.cachedUpdate);
  state.staged = {
    image: spec,
    resolved: img,
    checksum,
    deploySerial: nextSerial(others, checksum, state.booted.stateroot),
    stateroot: state.booted.stateroot,
    pinned: false,
    downloadOnly,
    softRebootCapable: state.softRebootSupported,
    cachedUpdate: sameImage?.cachedUpdate ?? null,
    kargs: [...state.booted.kargs],
    incompatible: false,
  };
  ctx.dirty = true;
  println(ctx, `Queued for next boot: ${specRefAlternate(spec)}`);
  if (img.version !== null) println(ctx, `  Version: ${img.version}`);
  println(ctx, `  Digest: ${img.digest}`);
  if (ctx.f.rebootRequired) await writeRebootRequired(ctx.env.varDir, img.digest);
}

/** handle_soft_reboot: with --soft-reboot, prepare a soft reboot or (required) refuse. */
function softRebootStep(ctx: Ctx, entry: DeploymentState | null, kind: 'staged' | 'rollback', chain: string[]): boolean {
  const mode = ctx.args.values.get('soft_reboot');
  if (!mode) return false;
  const capable = entry?.softRebootCapable ?? false;
  const handling = kind === 'staged' ? ['Handling staged soft reboot', 'Handling soft reboot'] : ['Handling soft reboot'];
  if (!capable) {
    if (mode === 'required') fail(...chain, ...handling, `Soft reboot was required but ${kind} deployment is not soft-reboot capable`);
    return false;
  }
  println(ctx, kind === 'staged' ? 'Staged deployment is soft-reboot capable, preparing for soft-reboot...' : 'Rollback deployment is soft-reboot capable, preparing for soft-reboot...');
  return true;
}

// ---------------------------------------------------------------------------------------------
// Verbs

async function statusVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, args, env } = ctx;
  const fv = args.values.get('format_version');
  if (fv !== undefined) {
    const n = Number(fv);
    if (!(n === 0 || (n === 1 && f.formatVersionOne))) fail('Status', `Unsupported format version: ${fv}`);
  }
  const state = ctx.state;
  if (state?.booted && env.uid !== 0) {
    if (f.newStorage) fail('Status', 'Preparing for write', 'Querying root privilege', f.rootMessage);
    fail('Status', 'Initializing storage', 'Acquiring sysroot', 'Preparing for write', 'Querying root privilege', f.rootMessage);
  }
  const legacy = args.flags.has('json') ? 'json' : env.stdoutIsTTY && f.humanStyle !== 'none' ? 'humanreadable' : 'yaml';
  const format = args.values.get('format') ?? legacy;
  const bootedOnly = args.flags.has('booted');
  if (format === 'humanreadable') {
    ctx.io.stdout += renderHuman(state, f, { bootedOnly, verbose: args.flags.has('verbose') });
    return { code: 0 };
  }
  const doc = hostDocument(state, f, { bootedOnly });
  const fault = ctx.faults.statusOutput ?? null;
  const serialize = (d: DocValue): string => (format === 'json' ? toJson(d, f.sortedJson) : toYaml(d));
  if (fault === 'huge') {
    ctx.io.stdout += serialize(hugeDocument(doc));
    return { code: 0 };
  }
  const text = serialize(doc);
  if (fault === 'truncated') ctx.io.stdout += text.slice(0, Math.floor(text.length / 2));
  else if (fault === 'malformed') {
    ctx.io.stdout += format === 'json' ? `${text.slice(0, Math.floor(text.length / 2))},,}` : `${text.slice(0, Math.floor(text.length / 2))}\n: - ]{\n`;
  } else ctx.io.stdout += text;
  return { code: 0 };
}

/** Target size of the `huge` status fault. */
export const HUGE_STATUS_BYTES = 16 * 1024 * 1024;

/**
 * The `huge` fault: a valid document of about HUGE_STATUS_BYTES, made by repeating the booted
 * entry as pinned otherDeployments (the field is emitted even by releases before 1.3.0, which
 * never had it; parsers must tolerate unknown keys anyway).
 */
function hugeDocument(doc: { [key: string]: DocValue }): DocValue {
  const status = doc.status as { [key: string]: DocValue };
  const entry = status.booted ?? { image: null, cachedUpdate: null, incompatible: false, pinned: true, ostree: null };
  const one = JSON.stringify(entry).length + 1;
  const n = Math.ceil(HUGE_STATUS_BYTES / one);
  const copy: { [key: string]: DocValue } = {};
  for (const [k, v] of Object.entries(status)) {
    if (k === 'rollbackQueued') copy.otherDeployments = new Array<DocValue>(n).fill(entry);
    if (k !== 'otherDeployments') copy[k] = v;
  }
  return { ...doc, status: copy };
}

async function upgradeVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, args } = ctx;
  const state = requireStorage(ctx, 'upgrade');
  const chain = ['Upgrading'];
  const current = specImage(state);
  const tag = args.values.get('tag');
  let target = current;
  if (tag !== undefined) {
    if (!current) fail(...chain, '--tag requires a booted image with a specified source');
    target = withTag(current, tag);
  }
  if (!target) {
    if (state.booted.incompatible || state.staged?.incompatible) {
      fail(...chain, 'Deployment contains local rpm-ostree modifications; cannot upgrade via bootc. You can run `rpm-ostree reset` to undo the modifications.');
    }
    fail(...chain, f.upgradeTag ? 'No image source specified' : 'Missing image in specification');
  }
  const apply = args.flags.has('apply');
  if (args.flags.has('from_downloaded')) {
    const staged = state.staged;
    if (!staged) fail(...chain, 'No staged deployment found');
    if (staged.downloadOnly) {
      staged.downloadOnly = false;
      ctx.dirty = true;
      println(ctx, 'Staged deployment will now be applied on reboot');
    } else println(ctx, 'Staged deployment is already set to apply on reboot');
    const soft = softRebootStep(ctx, state.staged, 'staged', chain);
    return apply ? { code: 0, reboot: { soft } } : { code: 0 };
  }
  const fetched = await resolveImage(ctx, target, chain);
  applyFailUpgrade(ctx, chain);
  const previous = state.imported[refKey(target)];
  const bootedImage = state.booted.image && !state.booted.incompatible ? state.booted.resolved : null;
  if (args.flags.has('check')) {
    if (previous?.digest === fetched.digest) {
      println(ctx, `No changes in: ${ostreeRefAlternate(target)}`);
    } else {
      cachePending(state, previous, fetched);
      ctx.dirty = true;
      println(ctx, `Update available for: ${ostreeRefAlternate(target)}`);
      if (fetched.version !== null) println(ctx, `  Version: ${fetched.version}`);
      println(ctx, `  Digest: ${fetched.digest}`);
      if (bootedImage) printManifestDiff(ctx, bootedImage, fetched);
    }
    return { code: 0 };
  }
  await pullImage(ctx, state, target, fetched, chain);
  const stagedImage = state.staged && state.staged.image && !state.staged.incompatible ? state.staged.resolved : null;
  const downloadOnly = args.flags.has('download_only');
  if (stagedImage?.digest === fetched.digest) {
    let changedLock = false;
    const staged = state.staged as DeploymentState;
    if (f.downloadOnly) {
      if (downloadOnly && !staged.downloadOnly) {
        staged.downloadOnly = true;
        println(ctx, 'Image downloaded, but will not be applied on reboot');
        changedLock = true;
      } else if (!downloadOnly && staged.downloadOnly) {
        staged.downloadOnly = false;
        println(ctx, 'Staged deployment will now be applied on reboot');
        changedLock = true;
      }
      if (changedLock) ctx.dirty = true;
    }
    if (!changedLock) println(ctx, f.downloadOnly ? 'Staged update present, not changed' : 'Staged update present, not changed.');
    const soft = softRebootStep(ctx, staged, 'staged', chain);
    return apply ? { code: 0, reboot: { soft } } : { code: 0 };
  }
  if (bootedImage?.digest === fetched.digest) {
    println(ctx, 'No update available.');
    return { code: 0 };
  }
  await stage(ctx, state, target, fetched, downloadOnly);
  if (bootedImage) printManifestDiff(ctx, bootedImage, fetched);
  const soft = softRebootStep(ctx, state.staged, 'staged', chain);
  return apply ? { code: 0, reboot: { soft } } : { code: 0 };
}

async function switchVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, args } = ctx;
  const transportArg = args.values.get('transport') ?? 'registry';
  let transport: string | null = null;
  if (!f.newStorage) {
    transport = parseTransport(f, transportArg);
    if (!transport) fail('Switching', `Unknown transport '${transportArg}'`);
  }
  const state = requireStorage(ctx, 'switch');
  const chain = f.newStorage ? ['Switching', 'Switching (ostree)'] : ['Switching'];
  if (transport === null) {
    transport = parseTransport(f, transportArg);
    if (!transport) fail(...chain, `Unknown transport '${transportArg}'`);
  }
  const remote = args.values.get('ostree_remote');
  const target: ImageReference = { image: args.values.get('target') ?? '', transport };
  if (remote !== undefined) target.signature = { ostreeRemote: remote };
  else if (args.flags.has('enforce_container_sigpolicy')) target.signature = 'containerPolicy';
  const apply = args.flags.has('apply');
  if (sameRef(specImage(state), target)) {
    println(ctx, 'Image specification is unchanged.');
    if (f.switchUnchangedApplies && apply && state.staged) return { code: 0, reboot: { soft: false } };
    return { code: 0 };
  }
  const fetched = await resolveImage(ctx, target, chain);
  applyFailUpgrade(ctx, chain);
  await pullImage(ctx, state, target, fetched, chain);
  await stage(ctx, state, target, fetched, false);
  const soft = softRebootStep(ctx, state.staged, 'staged', chain);
  return apply ? { code: 0, reboot: { soft } } : { code: 0 };
}

async function rollbackVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, args } = ctx;
  const state = requireStorage(ctx, 'rollback');
  const chain = f.newStorage ? ['Rollback', 'Rollback (ostree)'] : ['Rollback'];
  const reverting = state.rollbackQueued;
  if (reverting) println(ctx, 'notice: Reverting queued rollback state');
  const rollback = state.rollback;
  if (!rollback) fail(...chain, 'No rollback available');
  if (!rollback.image || !rollback.resolved || rollback.incompatible) fail(...chain, 'Rollback is not container image based');
  state.staged = null;
  state.rollbackQueued = !reverting;
  ctx.dirty = true;
  println(ctx, reverting ? 'Next boot: current deployment' : 'Next boot: rollback deployment');
  if (f.rebootRequired) await writeRebootRequired(ctx.env.varDir, rollback.resolved.digest);
  const soft = softRebootStep(ctx, state.rollback, 'rollback', chain);
  return args.flags.has('apply') ? { code: 0, reboot: { soft } } : { code: 0 };
}

const UNLOCK_NAMES: Record<string, string> = {
  'readWrite/transient': 'development',
  'readOnly/transient': 'transient',
  'readWrite/persistent': 'hotfix',
};

/** `bootc usr-overlay`: an exec of `ostree admin unlock [--transient]`, so the texts are ostree's. */
async function usrOverlayVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, env, args } = ctx;
  const state = ctx.state;
  if (!state?.booted) {
    if (f.newStorage) fail('usroverlay only applies on booted hosts');
    fail('Not currently booted into an OSTree system');
  }
  if (env.uid !== 0) fail('You must be root to perform this command');
  if (state.usrOverlay) fail(`Deployment is already in unlocked state: ${UNLOCK_NAMES[`${state.usrOverlay.accessMode}/${state.usrOverlay.persistence}`] ?? 'development'}`);
  const readOnly = args.flags.has('read_only');
  state.usrOverlay = { accessMode: readOnly ? 'readOnly' : 'readWrite', persistence: 'transient' };
  ctx.dirty = true;
  if (readOnly) {
    println(ctx, 'A writable overlayfs is prepared for /usr, but is mounted read-only by default.');
  } else {
    println(ctx, 'Development mode enabled.  A writable overlayfs is now mounted on /usr.');
  }
  println(ctx, 'All changes there will be discarded on reboot.');
  return { code: 0 };
}

// ---------------------------------------------------------------------------------------------
// install to-disk

const MIB = 1024 * 1024;

/** bootc_blockdev::parse_size_mib: NUM[M|G|T], default M. */
function parseSizeMib(text: string): number {
  const m = /^(\d+)([MGT]?)$/.exec(text);
  if (!m) throw new Error(`invalid digit found in string`);
  const n = Number(m[1]);
  const mult = m[2] === 'G' ? 1024 : m[2] === 'T' ? 1024 * 1024 : 1;
  return n * mult;
}

function partitionPath(dev: string, n: number): string {
  return /\d$/.test(dev) ? `${dev}p${n}` : `${dev}${n}`;
}

/** util-linux size_to_human_string (as in `fstrim -v`): IEC units, one decimal unless it is zero. */
function humanIec(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${bytes} B`;
  const rounded = Math.round(v * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[i]}`;
}

async function installToDiskVerb(ctx: Ctx): Promise<VerbResult> {
  const { f, env, args } = ctx;
  const chain = ['Installing to disk'];
  const device = args.values.get('device') ?? '';
  const viaLoopback = args.flags.has('via_loopback');
  const disks = await env.disks.list();
  const info = disks.find((d) => d.path === device);
  if (!info) fail(...chain, `Querying ${device}: No such file or directory (os error 2)`);
  const kind = info.kind ?? 'block';
  if (viaLoopback) {
    if (kind !== 'file') fail(...chain, `Not a regular file (to be used via loopback): ${device}`);
  } else if (kind !== 'block') fail(...chain, `Not a block device: ${device}`);

  // prepare_install: the source image and the privilege checks.
  const sourceArg = args.values.get('source_imgref');
  let source: ImageReference;
  if (sourceArg !== undefined) {
    if (env.uid !== 0) fail(...chain, 'Querying root privilege', f.rootMessage);
    try {
      source = parseTransportRef(f, sourceArg);
    } catch (err) {
      fail(...chain, messageOf(err));
    }
  } else if (env.container) {
    const inContainer = f.install.containerRootMessages;
    if (env.uid !== 0) fail(...chain, 'Querying root privilege', inContainer ? 'The user inside the container from which you are running this command must be root' : f.rootMessage);
    if (!env.container.privileged) {
      fail(...chain, 'Querying root privilege', inContainer ? 'The container must be executed with full privileges (e.g. --privileged flag)' : 'This command requires full root privileges (CAP_SYS_ADMIN)');
    }
    if (!env.container.pidHost) fail(...chain, 'This command must be run with the podman --pid=host flag');
    if (env.container.rootless) fail(...chain, 'Cannot install from rootless podman; this command must be run as root');
    source = env.container.image;
  } else {
    const fallback = ctx.state ? specImage(ctx.state) : null;
    if (env.requirePodman || !fallback) fail(...chain, 'Either --source-imgref must be defined or this command must be executed inside a podman container.');
    if (env.uid !== 0) fail(...chain, 'Querying root privilege', f.rootMessage);
    source = fallback;
  }
  const targetTransportArg = args.values.get('target_transport') ?? 'registry';
  const targetTransport = parseTransport(f, targetTransportArg);
  if (!targetTransport) fail(...chain, `Unknown transport '${targetTransportArg}'`);
  const target: ImageReference = { image: args.values.get('target_imgref') ?? source.image, transport: targetTransport };
  if (args.flags.has('enforce_container_sigpolicy')) target.signature = 'containerPolicy';
  const image = await resolveImage(ctx, source, chain);
  const fetchCheck = f.install.runFetchCheck ? args.flags.has('run_fetch_check') : !args.flags.has('skip_fetch_check');
  if (fetchCheck) {
    try {
      await env.images.resolve(target, ctx.config.architecture);
    } catch (err) {
      fail(...chain, 'Verifying fetch', messageOf(err));
    }
  }
  println(ctx, `Installing image: ${ostreeRefAlternate(target)}`);
  println(ctx, `Digest: ${image.digest}`);
  const keysPath = args.values.get('root_ssh_authorized_keys');
  let authorizedKeys: string | null = null;
  if (keysPath !== undefined) {
    try {
      authorizedKeys = await env.readFile(keysPath);
    } catch (err) {
      fail(...chain, `Reading ${keysPath}`, messageOf(err));
    }
  }
  const config = env.installConfig ? await env.installConfig(source, image) : null;
  const fsArg = args.values.get('filesystem') as InstallPlan['filesystem'] | undefined;
  const filesystem = fsArg ?? config?.rootFsType ?? null;
  if (!filesystem && f.installEarlyFsCheck) fail(...chain, 'No root filesystem specified');

  // baseline::install_create_rootfs
  const rootfsChain = [...chain, 'Creating rootfs'];
  if (!filesystem) fail(...rootfsChain, 'No root filesystem specified');
  if (info.mounted) fail(...rootfsChain, `Device ${device} is mounted`);
  const wipe = args.flags.has('wipe');
  if (wipe) {
    for (const part of info.partitions ?? []) {
      println(ctx, `Wiping ${part}`);
      println(ctx, `Wiping device ${part}`);
    }
    println(ctx, `Wiping ${device}`);
    println(ctx, `Wiping device ${device}`);
  } else if (info.hasPartitions) {
    fail(...rootfsChain, `Detected existing partitions on ${device}; use e.g. \`wipefs\` or --wipe if you intend to overwrite`);
  }
  const blockSetup = args.values.get('block_setup') ?? 'direct';
  println(ctx, `Block setup: ${blockSetup}`);
  println(ctx, `       Size: ${info.size}`);
  println(ctx, `     Serial: ${info.serial ?? '<unknown>'}`);
  println(ctx, `      Model: ${info.model ?? '<unknown>'}`);
  if (f.install.partitionsLine) println(ctx, ' Partitions: UUID');
  const rootSizeArg = args.values.get('root_size');
  let rootSize: number | null = null;
  if (rootSizeArg !== undefined) {
    try {
      rootSize = parseSizeMib(rootSizeArg) * MIB;
    } catch (err) {
      fail(...rootfsChain, 'Parsing root size', messageOf(err));
    }
  }
  const arch = ctx.config.architecture;
  const usesEfi = arch === 'amd64' || arch === 'arm64';
  let partno = 0;
  let overhead = 2 * MIB; // GPT, alignment
  if (arch === 'amd64' || arch === 'ppc64le') {
    partno++;
    overhead += arch === 'amd64' ? MIB : 4 * MIB;
  }
  let esp: string | null = null;
  if (usesEfi) {
    partno++;
    esp = partitionPath(device, partno);
    overhead += 512 * MIB;
  }
  if (blockSetup === 'tpm2-luks') {
    partno++;
    overhead += 510 * MIB;
  }
  const root = partitionPath(device, partno + 1);
  const rootBytes = rootSize ?? Math.max(0, info.size - overhead);
  const rootUuid = randomUUID();
  const deleted = new Set(args.lists.get('karg_delete') ?? []);
  const kargs = [`root=UUID=${rootUuid}`, 'rw', ...(args.lists.get('karg') ?? [])].filter((k) => !deleted.has(k) && !deleted.has(k.split('=')[0] ?? k));
  const bootloaderArg = args.values.get('bootloader') as InstallPlan['bootloader'] | undefined;
  const plan: InstallPlan = {
    device,
    wipe,
    filesystem,
    rootSize,
    kargs,
    image: { ref: target, resolved: image },
    authorizedKeys,
    stateroot: args.values.get('stateroot') ?? 'default',
    bootloader: bootloaderArg ?? 'grub',
    partitions: { esp, root },
    rootUuid,
    viaLoopback,
    genericImage: args.flags.has('generic_image') || viaLoopback,
  };
  let toolLines: string[];
  try {
    toolLines = await env.disks.install(device, plan);
  } catch (err) {
    fail(...chain, messageOf(err));
  }
  for (const l of toolLines) println(ctx, l);
  println(ctx, `Creating root filesystem (${filesystem}) on device ${root} (size=${formatSize(rootBytes)})`);
  const mkfsArgs = filesystem === 'xfs' ? [...(wipe ? ['-f'] : []), '-m', `uuid=${rootUuid}`] : ['-U', rootUuid];
  const ext4Verity = filesystem === 'ext4' && f.install.ext4Verity ? ['-O', 'verity'] : [];
  println(ctx, `> mkfs.${filesystem} ${[...mkfsArgs, '-L', 'root', ...ext4Verity, root].join(' ')}`);
  if (esp) {
    println(ctx, 'Creating ESP filesystem');
    println(ctx, `> mkfs.fat ${esp} -n EFI-SYSTEM`);
  }
  println(ctx, 'Initializing ostree layout');
  const layerBytes = image.layers.reduce((a, l) => a + l.size, 0);
  if (image.layers.length > 0) println(ctx, `layers already present: 0; layers needed: ${image.layers.length} (${formatSize(layerBytes)})`);
  if (authorizedKeys !== null) println(ctx, 'Injected: etc/tmpfiles.d/bootc-root-ssh.conf');
  if (f.install.bootloaderLine) println(ctx, `Bootloader: ${plan.bootloader}`);
  if (plan.bootloader !== 'none') {
    if (plan.bootloader === 'systemd') println(ctx, 'Installing bootloader via systemd-boot');
    else if (f.install.bootupdLine) println(ctx, 'Installing bootloader via bootupd');
    else {
      println(ctx, 'Running bootupctl to install bootloader');
      const fw = plan.genericImage ? [] : ['--update-firmware', '--auto'];
      println(ctx, `> ${['bootupctl', 'backend', 'install', '--write-uuid', ...fw, '--device', device, '/run/bootc/mounts/rootfs'].join(' ')}`);
    }
  }
  println(ctx, 'Trimming root');
  const trimmed = Math.max(0, rootBytes - layerBytes);
  println(ctx, `.: ${humanIec(trimmed)} (${trimmed} bytes) trimmed`);
  println(ctx, 'Finalizing filesystem root');
  println(ctx, 'Unmounting filesystems');
  println(ctx, 'Installation complete!');
  return { code: 0 };
}

// ---------------------------------------------------------------------------------------------
// Entry point

function cutForDrop(text: string): string {
  const nl = text.indexOf('\n');
  if (nl >= 0 && nl < text.length - 1) return text.slice(0, nl + 1);
  return text.slice(0, Math.floor(text.length / 2));
}

async function dispatch(ctx: Ctx): Promise<VerbResult> {
  const verb = ctx.args.path.join(' ');
  const mutating = verb === 'upgrade' || verb === 'switch' || verb === 'rollback' || verb === 'usr-overlay';
  const run = async (): Promise<VerbResult> => {
    ctx.state = await readState(ctx.env.varDir);
    try {
      switch (verb) {
        case 'status':
          return await statusVerb(ctx);
        case 'upgrade':
          return await upgradeVerb(ctx);
        case 'switch':
          return await switchVerb(ctx);
        case 'rollback':
          return await rollbackVerb(ctx);
        case 'usr-overlay':
          return await usrOverlayVerb(ctx);
        case 'install to-disk':
          return await installToDiskVerb(ctx);
        default:
          fail(`bootc emulator: '${verb}' is not emulated`);
      }
    } finally {
      if (ctx.dirty && ctx.state) await writeState(ctx.env.varDir, ctx.state);
    }
  };
  try {
    return mutating ? await withStateLock(ctx.env.varDir, run) : await run();
  } catch (err) {
    if (err instanceof BootcError) {
      ctx.io.stderr += `error: ${err.message}\n`;
      return { code: 1 };
    }
    throw err;
  }
}

/**
 * Runs one bootc invocation. `argv` is what follows the program name (`bootc status --json` →
 * ['status', '--json']). Returns the exit code; with --apply (and something to apply) it never
 * returns, because env.requestReboot never resolves; with the dropMidCommand fault it prints the
 * first line (or, for one-line output, the first half) and calls env.dropConnection.
 */
export async function runBootc(argv: string[], env: EmulatorEnv): Promise<number> {
  const config = await readDeviceConfig(env.varDir);
  const faults = await readFaults(env.varDir);
  if (faults.slowMs && faults.slowMs > 0) await env.sleep(faults.slowMs);
  const f = featuresFor(config.bootcVersion);
  const io: Io = { stdout: '', stderr: '' };
  let result: VerbResult;
  const parsed = parseBootcArgs(argv, f);
  if (parsed.kind === 'exit') {
    io.stdout = parsed.stdout;
    io.stderr = parsed.stderr;
    result = { code: parsed.code };
  } else if (isNotEmulated(parsed.args, f)) {
    io.stderr = `error: bootc emulator: '${parsed.args.path.join(' ')}' is not emulated\n`;
    result = { code: 1 };
  } else {
    const ctx: Ctx = { env, f, config, faults, io, args: parsed.args, state: null, dirty: false };
    result = await dispatch(ctx);
  }
  if (faults.dropMidCommand) {
    const partial = cutForDrop(io.stdout !== '' ? io.stdout : io.stderr);
    if (io.stdout !== '') env.out(partial);
    else env.err(partial);
    // The device side finished (state is written); with --apply it still reboots, but the
    // client only sees the connection go away.
    if (result.reboot) env.requestReboot(result.reboot).catch(() => undefined);
    return env.dropConnection();
  }
  if (io.stdout) env.out(io.stdout);
  if (io.stderr) env.err(io.stderr);
  if (result.reboot) return env.requestReboot(result.reboot);
  return result.code;
}
