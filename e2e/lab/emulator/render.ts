/**
 * Renders a device state the way a given bootc release prints `bootc status`: the Host document
 * as JSON (serde_json before 1.5.0, canonical JSON after), YAML (serde_yaml 0.9) and the
 * human-readable styles, plus the small formatters the other verbs share (image reference
 * display, glib::format_size, chrono timestamps).
 */
import type { BootcFeatures } from './versions';
import type { DeploymentState, DeviceState, ImageReference, ResolvedImage, UsrOverlayState } from './types';

// ---------------------------------------------------------------------------------------------
// Timestamps (chrono)

/** A timestamp parsed like chrono::DateTime::parse_from_rfc3339 and converted to UTC. */
export interface UtcTimestamp {
  /** Seconds since the epoch (UTC). */
  epochSeconds: number;
  /** Nanoseconds within the second. */
  nanos: number;
}

/** Parses an RFC 3339 timestamp; null (bootc: "Invalid timestamp in image", field null) when it is not one. */
export function parseRfc3339(text: string): UtcTimestamp | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const frac = (m[7] ?? '').slice(0, 9).padEnd(9, '0');
  let offset = 0;
  const tz = m[8] ?? 'Z';
  if (tz !== 'Z' && tz !== 'z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = sign * (oh * 3600 + om * 60);
  }
  const epochSeconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset;
  return { epochSeconds, nanos: Number(frac) };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function utcParts(t: UtcTimestamp): string[] {
  const d = new Date(t.epochSeconds * 1000);
  return [pad(d.getUTCFullYear(), 4), pad(d.getUTCMonth() + 1, 2), pad(d.getUTCDate(), 2), pad(d.getUTCHours(), 2), pad(d.getUTCMinutes(), 2), pad(d.getUTCSeconds(), 2)];
}

/** chrono's fraction: none, 3, 6 or 9 digits, whichever is exact. */
function chronoFraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${pad(nanos / 1_000_000, 3)}`;
  if (nanos % 1_000 === 0) return `.${pad(nanos / 1_000, 6)}`;
  return `.${pad(nanos, 9)}`;
}

/** How serde serializes a chrono DateTime<Utc>: "2023-10-14T19:22:15.420Z". */
export function chronoSerde(t: UtcTimestamp): string {
  const [y, mo, d, h, mi, s] = utcParts(t);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${chronoFraction(t.nanos)}Z`;
}

/** Human output from 1.1.7 on: `%Y-%m-%dT%H:%M:%SZ` (fraction dropped). */
export function humanTimestamp(t: UtcTimestamp): string {
  const [y, mo, d, h, mi, s] = utcParts(t);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/** chrono Display of DateTime<Utc> (human output 1.1.0–1.1.6): "2023-10-14 19:22:15.420 UTC". */
export function chronoDisplay(t: UtcTimestamp): string {
  const [y, mo, d, h, mi, s] = utcParts(t);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}${chronoFraction(t.nanos)} UTC`;
}

/** The status `timestamp` of an image: normalized to chrono's form, or null when missing/invalid. */
export function statusTimestamp(raw: string | null): string | null {
  if (raw === null) return null;
  const t = parseRfc3339(raw);
  return t ? chronoSerde(t) : null;
}

// ---------------------------------------------------------------------------------------------
// Sizes and image references

/**
 * glib::format_size (G_FORMAT_SIZE_DEFAULT, C locale): "N byte(s)" below 1 kB, else one decimal
 * and a decimal unit. Since GLib 2.59 the separator before kB/MB/… is a NO-BREAK SPACE (U+00A0).
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  while (i < units.length - 1 && bytes >= 1000 ** (i + 2)) i++;
  return `${(bytes / 1000 ** (i + 1)).toFixed(1)}\u00a0${units[i]}`;
}

const TRANSPORT_PREFIX: Record<string, string> = {
  registry: 'docker://',
  oci: 'oci:',
  'oci-archive': 'oci-archive:',
  'docker-archive': 'docker-archive:',
  'containers-storage': 'containers-storage:',
  dir: 'dir:',
  'docker-daemon': 'docker-daemon:',
};

function proxyImageRef(ref: ImageReference): string {
  return `${TRANSPORT_PREFIX[ref.transport] ?? `${ref.transport}:`}${ref.image}`;
}

function sigverifyPrefix(ref: ImageReference): string {
  const s = ref.signature;
  if (s === undefined || s === 'insecure') return 'ostree-unverified-image';
  if (s === 'containerPolicy') return 'ostree-image-signed';
  return `ostree-remote-image:${s.ostreeRemote}`;
}

/**
 * `{:#}` of ostree-ext's OstreeImageReference (upgrade --check): "docker://quay.io/x" for an
 * unverified registry image, else "<sigverify>:<transport-ref>".
 */
export function ostreeRefAlternate(ref: ImageReference): string {
  const insecure = ref.signature === undefined || ref.signature === 'insecure';
  if (insecure && ref.transport === 'registry') return proxyImageRef(ref);
  return `${sigverifyPrefix(ref)}:${proxyImageRef(ref)}`;
}

/**
 * `{:#}` of bootc's spec ImageReference ("Queued for next boot:", "No changes in … =>"): the bare
 * name for a registry image without signature policy, else the ostree form above.
 */
export function specRefAlternate(ref: ImageReference): string {
  if (ref.signature === undefined && ref.transport === 'registry') return ref.image;
  return ostreeRefAlternate(ref);
}

// ---------------------------------------------------------------------------------------------
// The Host document

/** serde_yaml writes externally tagged newtype variants as YAML tags (`!ostreeRemote fedora`). */
export class Tagged {
  constructor(
    readonly tag: string,
    readonly value: string,
  ) {}
}

/** A value of the rendered document tree. */
export type DocValue = string | number | boolean | null | Tagged | DocValue[] | { [key: string]: DocValue };
type DocObject = { [key: string]: DocValue };

function imageRefDoc(ref: ImageReference): DocObject {
  const o: DocObject = { image: ref.image, transport: ref.transport };
  if (ref.signature !== undefined) o.signature = typeof ref.signature === 'string' ? ref.signature : new Tagged('ostreeRemote', ref.signature.ostreeRemote);
  return o;
}

function imageStatusDoc(ref: ImageReference, img: ResolvedImage, f: BootcFeatures): DocObject {
  const o: DocObject = {
    image: imageRefDoc(ref),
    version: img.version,
    timestamp: statusTimestamp(img.timestamp),
    imageDigest: img.digest,
  };
  if (f.architecture) o.architecture = img.architecture;
  return o;
}

/** Whether bootc shows the entry's image (an incompatible origin shows as a plain ostree entry). */
function shownImage(d: DeploymentState): { ref: ImageReference; img: ResolvedImage } | null {
  return d.image && d.resolved && !d.incompatible ? { ref: d.image, img: d.resolved } : null;
}

function bootEntryDoc(d: DeploymentState, f: BootcFeatures): DocObject {
  const shown = shownImage(d);
  const o: DocObject = {
    image: shown ? imageStatusDoc(shown.ref, shown.img, f) : null,
    cachedUpdate: shown && d.cachedUpdate ? imageStatusDoc(shown.ref, d.cachedUpdate, f) : null,
    incompatible: d.incompatible,
    pinned: d.pinned,
  };
  if (f.softReboot) o.softRebootCapable = d.softRebootCapable;
  if (f.downloadOnly) o.downloadOnly = d.downloadOnly;
  if (f.storeField) o.store = f.storeAlways || shown ? 'ostreeContainer' : null;
  const ostree: DocObject = {};
  if (f.stateroot) ostree.stateroot = d.stateroot;
  ostree.checksum = d.checksum;
  ostree.deploySerial = d.deploySerial;
  o.ostree = ostree;
  if (f.composefsField) o.composefs = null;
  return o;
}

function usrOverlayDoc(u: UsrOverlayState | null): DocValue {
  return u ? { accessMode: u.accessMode, persistence: u.persistence } : null;
}

/** Options for building the status document. */
export interface StatusOptions {
  /** `status --booted`: staged and rollback become null (only effective from 1.1.7). */
  bootedOnly?: boolean;
}

/**
 * Builds the Host document bootc would serialize, with keys in Rust declaration order and only
 * the fields the release emits. `state` null or without a booted deployment = a host not booted
 * via bootc (Host::default()).
 */
export function hostDocument(state: DeviceState | null, f: BootcFeatures, opts: StatusOptions = {}): DocObject {
  const booted = state?.booted ?? null;
  const stagedD = booted ? (state?.staged ?? null) : null;
  const rollbackD = booted ? (state?.rollback ?? null) : null;
  const others = booted ? (state?.otherDeployments ?? []) : [];
  const specSource = stagedD ?? booted;
  const specShown = specSource ? shownImage(specSource) : null;
  const rollbackQueued = booted !== null && (state?.rollbackQueued ?? false) && rollbackD !== null;
  const spec: DocObject = specShown
    ? { image: imageRefDoc(specShown.ref), bootOrder: rollbackQueued ? 'rollback' : 'default' }
    : { image: null, bootOrder: 'default' };
  const filter = opts.bootedOnly === true && f.statusBootedEffective;
  const status: DocObject = {
    staged: stagedD && !filter ? bootEntryDoc(stagedD, f) : null,
    booted: booted ? bootEntryDoc(booted, f) : null,
    rollback: rollbackD && !filter ? bootEntryDoc(rollbackD, f) : null,
  };
  if (f.otherDeployments && others.length > 0) status.otherDeployments = others.map((d) => bootEntryDoc(d, f));
  status.rollbackQueued = rollbackQueued;
  status.type = booted && shownImage(booted) ? 'bootcHost' : null;
  if (f.usrOverlayField) status.usrOverlay = booted ? usrOverlayDoc(state?.usrOverlay ?? null) : null;
  if (f.readOnlyField) status.readOnly = booted ? (state?.readOnly ?? false) : false;
  return {
    apiVersion: f.apiVersion,
    kind: 'BootcHost',
    metadata: { name: 'host' },
    spec,
    status,
  };
}

function sortKeys(v: DocValue): DocValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v instanceof Tagged) return { [v.tag]: v.value };
  if (v !== null && typeof v === 'object') {
    const out: DocObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as DocObject)[k] as DocValue);
    return out;
  }
  return v;
}

function untag(v: DocValue): DocValue {
  if (Array.isArray(v)) return v.map(untag);
  if (v instanceof Tagged) return { [v.tag]: v.value };
  if (v !== null && typeof v === 'object') {
    const out: DocObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = untag(x);
    return out;
  }
  return v;
}

/**
 * JSON as bootc writes it: one compact line, no trailing newline; keys in declaration order
 * (serde_json::to_writer) before 1.5.0, sorted at every level (canonical JSON) from 1.5.0.
 */
export function toJson(doc: DocValue, sorted: boolean): string {
  return JSON.stringify(sorted ? sortKeys(doc) : untag(doc));
}

// ---------------------------------------------------------------------------------------------
// YAML (serde_yaml 0.9 / libyaml emitter)

/** Rust's f64 FromStr grammar (finite values only matter to serde_yaml). */
const RUST_FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

function looksLikeInt(s: string): boolean {
  const u = s.replace(/^\+/, '');
  if (/^0x[0-9a-fA-F]+$/.test(u) || /^0o[0-7]+$/.test(u) || /^0b[01]+$/.test(u)) return true;
  if (/^-0x[0-9a-fA-F]+$/.test(s) || /^-0o[0-7]+$/.test(s) || /^-0b[01]+$/.test(s)) return true;
  if (digitsButNotNumber(s)) return false;
  return /^[+-]?\d+$/.test(s) && !/^[+-][+-]/.test(s);
}

function digitsButNotNumber(s: string): boolean {
  const t = s.replace(/^[-+]/, '');
  return t.length > 1 && t.startsWith('0') && /^\d+$/.test(t.slice(1));
}

/** serde_yaml quotes a string that would read back as null, a bool, a number, or a 0-prefixed digit string. */
function needsQuotesForType(s: string): boolean {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return true;
  if (['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].includes(s)) return true;
  if (looksLikeInt(s)) return true;
  if (digitsButNotNumber(s)) return true;
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '.nan', '.NaN', '.NAN'].includes(s)) return true;
  if (RUST_FLOAT.test(s) && !/^[+-]?(inf|infinity|nan)$/i.test(s)) return Number.isFinite(Number(s));
  return false;
}

/** libyaml's yaml_emitter_analyze_scalar, reduced to "may this be a plain scalar in block context". */
function plainAllowed(s: string): boolean {
  if (s.length === 0) return false;
  if (s.startsWith('---') || s.startsWith('...')) return false;
  if (/^\s|\s$/.test(s)) return false;
  if (/[\n\r\u0085\u2028\u2029]/.test(s)) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff]/.test(s)) return false;
  const first = s[0] as string;
  const followedByBlank = (i: number): boolean => i + 1 >= s.length || s[i + 1] === ' ' || s[i + 1] === '\t';
  if ('#,[]{}&*!|>\'"%@`'.includes(first)) return false;
  if ((first === '?' || first === ':' || first === '-') && followedByBlank(0)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === ':' && followedByBlank(i)) return false;
    if (c === '#' && (s[i - 1] === ' ' || s[i - 1] === '\t')) return false;
  }
  return true;
}

function yamlString(s: string): string {
  if (!needsQuotesForType(s) && plainAllowed(s)) return s;
  if (!/[\n\r]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

function yamlScalar(v: string | number | boolean | null | Tagged): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (v instanceof Tagged) return `!${v.tag} ${yamlString(v.value)}`;
  return yamlString(v);
}

function isScalar(v: DocValue): v is string | number | boolean | null | Tagged {
  return v === null || typeof v !== 'object' || v instanceof Tagged;
}

function emitMap(o: DocObject, indent: number, out: string[], firstPrefix?: string): void {
  const keys = Object.keys(o);
  keys.forEach((k, i) => {
    const lead = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
    const v = o[k] as DocValue;
    if (isScalar(v)) out.push(`${lead}${k}: ${yamlScalar(v)}`);
    else if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${lead}${k}: []`);
      else {
        out.push(`${lead}${k}:`);
        emitSeq(v, indent, out);
      }
    } else if (Object.keys(v).length === 0) out.push(`${lead}${k}: {}`);
    else {
      out.push(`${lead}${k}:`);
      emitMap(v, indent + 2, out);
    }
  });
}

function emitSeq(items: DocValue[], indent: number, out: string[]): void {
  const dash = `${' '.repeat(indent)}- `;
  for (const item of items) {
    if (isScalar(item)) out.push(`${dash}${yamlScalar(item)}`);
    else if (Array.isArray(item)) {
      if (item.length === 0) out.push(`${dash}[]`);
      else {
        out.push(`${' '.repeat(indent)}-`);
        emitSeq(item, indent + 2, out);
      }
    } else if (Object.keys(item).length === 0) out.push(`${dash}{}`);
    else emitMap(item, indent + 2, out, dash);
  }
}

/**
 * YAML the way serde_yaml 0.9 writes it: no document marker, block style, 2-space indentation,
 * sequences in a mapping not indented ("key:\n- item"), strings quoted with single quotes only
 * when they would read back as another type or cannot be plain, `!tag value` for tagged
 * variants, a trailing newline.
 */
export function toYaml(doc: DocValue): string {
  if (isScalar(doc)) return `${yamlScalar(doc)}\n`;
  const out: string[] = [];
  if (Array.isArray(doc)) {
    if (doc.length === 0) return '[]\n';
    emitSeq(doc, 0, out);
  } else if (Object.keys(doc).length === 0) return '{}\n';
  else emitMap(doc, 0, out);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Human-readable

/** Options for the human renderer. */
export interface HumanOptions extends StatusOptions {
  /** `status -v` (1.5.0+). */
  verbose?: boolean;
}

type Slot = 'staged' | 'booted' | 'rollback' | null;

function rowName(name: string, width: number): string {
  return `${' '.repeat(Math.max(0, width - [...name].length))}${name}: `;
}

function humanTs(raw: string | null, f: BootcFeatures): string | null {
  if (raw === null) return null;
  const t = parseRfc3339(raw);
  if (!t) return null;
  return f.humanChronoTimestamps ? chronoDisplay(t) : humanTimestamp(t);
}

function imageRefHuman(ref: ImageReference): string {
  return ref.transport === 'registry' ? ref.image : `${ref.transport}:${ref.image}`;
}

function overlayHuman(u: UsrOverlayState): string {
  return `${u.persistence}, ${u.accessMode === 'readWrite' ? 'read/write' : 'read-only'}`;
}

function renderSlotImage(lines: string[], slot: Slot, d: DeploymentState, ref: ImageReference, img: ResolvedImage, state: DeviceState, f: BootcFeatures, verbose: boolean): void {
  const prefix = slot === 'staged' ? '  Staged image' : slot === 'booted' ? '\u25cf Booted image' : slot === 'rollback' ? '  Rollback image' : '   Other image';
  const w = [...prefix].length;
  lines.push(`${prefix}: ${imageRefHuman(ref)}`);
  lines.push(`${rowName('Digest', w)}${img.digest}${f.architecture ? ` (${img.architecture})` : ''}`);
  const ts = humanTs(img.timestamp, f);
  if (img.version !== null) lines.push(`${rowName('Version', w)}${img.version}${ts !== null ? ` (${ts})` : ''}`);
  else if (ts !== null) lines.push(`${rowName('Timestamp', w)}${ts}`);
  if (f.humanPinned && d.pinned) lines.push(`${rowName('Pinned', w)}yes`);
  if (f.humanUpdateLines && d.cachedUpdate && d.cachedUpdate.digest !== img.digest) {
    const c = d.cachedUpdate;
    if (c.version !== null) {
      const cts = c.timestamp !== null ? parseRfc3339(c.timestamp) : null;
      lines.push(`${rowName('UpdateVersion', w)}${c.version}${cts ? ` (${humanTimestamp(cts)})` : ''}`);
    } else lines.push(`${rowName('Update', w)}Available`);
    lines.push(`${rowName('UpdateDigest', w)}${c.digest}`);
  }
  if (f.usrOverlayField && slot === 'booted' && state.usrOverlay) lines.push(`${rowName('/usr overlay', w)}${overlayHuman(state.usrOverlay)}`);
  if (verbose) {
    lines.push(`${rowName('StateRoot', w)}${d.stateroot}`);
    lines.push(`${rowName('Deploy serial', w)}${d.deploySerial}`);
    lines.push(`${rowName('Staged', w)}${slot === 'staged' ? 'yes' : 'no'}`);
    lines.push(`${rowName('Commit', w)}${d.checksum}`);
    const s = ref.signature;
    if (s !== undefined) lines.push(`${rowName('Signature', w)}${s === 'containerPolicy' ? 'container-policy' : s === 'insecure' ? 'insecure' : `ostree-remote:${s.ostreeRemote}`}`);
    if (f.softReboot) lines.push(`${rowName('Soft-reboot', w)}${d.softRebootCapable ? 'yes' : 'no'}`);
    if (f.downloadOnly && slot === 'staged') lines.push(`${rowName('Download-only', w)}${d.downloadOnly ? 'yes' : 'no'}`);
  }
}

function renderSlotOstree(lines: string[], slot: Slot, d: DeploymentState, state: DeviceState, f: BootcFeatures, verbose: boolean): void {
  const prefix = slot === 'staged' ? '  Staged ostree' : slot === 'booted' ? '\u25cf Booted ostree' : slot === 'rollback' ? '  Rollback ostree' : ' Other ostree';
  // Quirk kept from bootc: this width is the UTF-8 byte length, so "●" counts 3.
  const w = new TextEncoder().encode(prefix).length;
  lines.push(prefix);
  lines.push(`${rowName('Commit', w)}${d.checksum}`);
  if (f.humanPinned && d.pinned) lines.push(`${rowName('Pinned', w)}yes`);
  if (f.usrOverlayField && slot === 'booted' && state.usrOverlay) lines.push(`${rowName('/usr overlay', w)}${overlayHuman(state.usrOverlay)}`);
  if (verbose) {
    lines.push(`${rowName('StateRoot', w)}${d.stateroot}`);
    lines.push(`${rowName('Deploy serial', w)}${d.deploySerial}`);
    lines.push(`${rowName('Staged', w)}${slot === 'staged' ? 'yes' : 'no'}`);
    if (f.softReboot) lines.push(`${rowName('Soft-reboot', w)}${d.softRebootCapable ? 'yes' : 'no'}`);
    if (f.downloadOnly && slot === 'staged') lines.push(`${rowName('Download-only', w)}${d.downloadOnly ? 'yes' : 'no'}`);
  }
}

function renderOldStyle(state: DeviceState, f: BootcFeatures, filter: boolean): string {
  const lines: string[] = [];
  const slots: [string, DeploymentState | null][] = [
    ['staged', filter ? null : state.staged],
    ['booted', state.booted],
    ['rollback', filter ? null : state.rollback],
  ];
  for (const [name, d] of slots) {
    if (!d) {
      lines.push(`No ${name} image present`);
      continue;
    }
    const shown = shownImage(d);
    if (shown) {
      lines.push(`Current ${name} image: ${imageRefHuman(shown.ref)}`);
      const t = shown.img.timestamp !== null ? parseRfc3339(shown.img.timestamp) : null;
      lines.push(`    Image version: ${shown.img.version ?? 'No image version defined'} (${t ? chronoDisplay(t) : 'No timestamp present'})`);
      lines.push(`    Image digest: ${shown.img.digest}`);
    } else lines.push(`Current ${name} state is native ostree`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `bootc status --format=humanreadable` for the release's style: the old "Current booted image:"
 * lines (1.1.0–1.1.2) or the current aligned rows (1.1.3+), with the per-release additions
 * (arch suffix, Pinned, -v rows, soft-reboot, download-only, /usr overlay, UpdateVersion).
 */
export function renderHuman(state: DeviceState | null, f: BootcFeatures, opts: HumanOptions = {}): string {
  if (!state?.booted) return 'System is not deployed via bootc.\n';
  const filter = opts.bootedOnly === true && f.statusBootedEffective;
  if (f.humanStyle === 'old') return renderOldStyle(state, f, filter);
  const verbose = (opts.verbose ?? false) && f.statusVerbose;
  const lines: string[] = [];
  let first = true;
  const slots: [Slot, DeploymentState | null][] = [
    ['staged', filter ? null : state.staged],
    ['booted', state.booted],
    ['rollback', filter ? null : state.rollback],
  ];
  for (const [slot, d] of slots) {
    if (!d) continue;
    if (!first) lines.push('');
    first = false;
    const shown = shownImage(d);
    if (shown) renderSlotImage(lines, slot, d, shown.ref, shown.img, state, f, verbose);
    else renderSlotOstree(lines, slot, d, state, f, verbose);
  }
  if (f.otherDeployments) {
    for (const d of state.otherDeployments) {
      lines.push('');
      const shown = shownImage(d);
      if (shown) renderSlotImage(lines, null, d, shown.ref, shown.img, state, f, verbose);
      else renderSlotOstree(lines, null, d, state, f, verbose);
    }
  }
  return `${lines.join('\n')}\n`;
}
