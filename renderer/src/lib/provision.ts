/**
 * Words and rules for provisioning boxes (the Provision page): what a technician types turned into
 * the contract's inputs, what is missing at each step (in words), and how a run's phase and state
 * read. The field rules are the contract's own (shared/contract/fields.ts), so the page judges a
 * name or an image the same way the core does.
 */
import {
  authorizedKeysProblem,
  hostSchema,
  imageRefSchema,
  keyPathSchema,
  nameSchema,
  portSchema,
  sshUserSchema,
  tagsSchema,
  type LibraryImage,
  type MethodInput,
  type ProvisionHost,
  type ProvisionPhase,
  type ProvisionRun,
  type ProvisionTarget,
} from '../../../shared/contract';
import { fieldMessage } from './form';
import { splitTags } from './format';

/** How the technician logs in to a box's live system. */
export type LiveAuth = 'password' | 'key' | 'agent';

/** A login to a live system as typed. */
export interface LiveLogin {
  user: string;
  auth: LiveAuth;
  password: string;
  keyPath: string;
}

/** One box as typed on the page. */
export interface BoxDraft {
  /** A local id (rows keep their identity while others are removed). */
  id: number;
  host: string;
  port: string;
  /** Use `login` instead of the bench's shared login. */
  own: boolean;
  login: LiveLogin;
  /** The disk chosen (its path). */
  disk: string | null;
  wipe: boolean;
  /** The disk's name, typed to confirm erasing it. */
  confirm: string;
  /** The inventory entry it becomes. */
  name: string;
  /** A site name, or '' for none. */
  site: string;
  tags: string;
}

/** The image and options shared by every box of a batch, as typed. */
export interface ProvisionOptions {
  image: string;
  /**
   * Where the image comes from: each box pulls it from its registry, or an archive of this machine
   * is uploaded to it, or a library image is (written as an archive once, then uploaded the same way).
   */
  source: 'registry' | 'archive' | 'library';
  /** An OCI archive on the machine Bootfleet runs on. */
  archive: string;
  /** The library image's id ('' until one is chosen). */
  library: string;
  filesystem: '' | 'xfs' | 'ext4' | 'btrfs';
  rootSize: string;
  /** One kernel argument per line. */
  kargs: string;
  authorizedKeys: string;
  loginUser: string;
  loginKeyPath: string;
  acceptNewHostKey: boolean;
  waitSeconds: string;
  parallel: string;
}

/** Every phase a run goes through, in order. */
export const PHASES: ProvisionPhase[] = ['checking', 'keys', 'uploading', 'pulling', 'installing', 'rebooting', 'waiting', 'host-key', 'verifying', 'recording', 'finished'];

/** The phases of one run, as its stepper shows them: uploading only for an archive. */
export function phasesOf(r: ProvisionRun): ProvisionPhase[] {
  return PHASES.filter((p) => (p !== 'uploading' || r.archive) && (p !== 'keys' || r.keysAuthorized));
}

/** A phase of a run, in words (reading the image from an uploaded archive is not a pull). */
export function runPhaseLabel(r: ProvisionRun, p: ProvisionPhase): string {
  return p === 'pulling' && r.archive ? 'Reading' : phaseLabel[p];
}

/** A phase, in words (short: the stepper). */
export const phaseLabel: Record<ProvisionPhase, string> = {
  queued: 'Queued',
  checking: 'Checking',
  keys: 'Keys',
  uploading: 'Uploading',
  pulling: 'Pulling',
  installing: 'Installing',
  rebooting: 'Rebooting',
  waiting: 'Waiting',
  'host-key': 'Host key',
  verifying: 'Verifying',
  recording: 'Recording',
  finished: 'Done',
};

/** What a phase means, for a tooltip and the line under the stepper. */
export const phaseHint: Record<ProvisionPhase, string> = {
  queued: 'Waiting for a free slot (the batch installs a few boxes at once).',
  checking: 'Connecting to the live system and checking the disk and the image against it again.',
  keys: 'Writing the SSH keys to authorize for root onto the box.',
  uploading: 'Sending the image archive to the box and checking its SHA-256 there. Nothing is written to the disk yet.',
  pulling: 'The box pulls the image. Nothing is written to the disk yet.',
  installing: 'bootc is writing the disk: partitions, filesystems, the image, the bootloader.',
  rebooting: 'The box reboots into the installed system.',
  waiting: 'Waiting for the box to come back on its installed system.',
  'host-key': 'The installed system presents a new SSH host key: confirm it to go on.',
  verifying: 'Reading bootc status and comparing the booted digest with the installed one.',
  recording: 'Entering the device in the inventory.',
  finished: 'Finished.',
};

/** A run's state, in words. */
export const runStateLabel: Record<ProvisionRun['state'], string> = {
  pending: 'Queued',
  running: 'Running',
  done: 'Provisioned',
  failed: 'Failed',
  canceled: 'Cancelled',
  interrupted: 'Interrupted',
};

export const isActive = (r: ProvisionRun): boolean => r.state === 'running' || r.state === 'pending';

/** The run waits for the technician to confirm the installed system's host key. */
export const awaitsHostKey = (r: ProvisionRun): boolean => r.state === 'running' && r.phase === 'host-key' && !!r.hostKey && r.hostKeyConfirmation === 'ask';

/** Where the stepper stands: the index in `phases` (a box back to waiting after its key was accepted is past the key). */
export function phaseIndex(r: ProvisionRun, phases: ProvisionPhase[] = PHASES): number {
  if (r.phase === 'queued') return -1;
  if (r.phase === 'waiting' && r.hostKey) return phases.indexOf('host-key');
  return phases.indexOf(r.phase);
}

/** Of two reports of one run, the later one (a method's answer may arrive after a newer event). */
export function further(a: ProvisionRun, b: ProvisionRun | undefined): ProvisionRun {
  if (!b) return a;
  return b.updatedAt > a.updatedAt ? b : a;
}

/** What cancelling does now, in words (and the button's label). */
export function cancelEffect(r: ProvisionRun): { label: string; effect: string } {
  switch (r.phase) {
    case 'queued':
    case 'checking':
    case 'keys':
    case 'pulling':
      return { label: 'Cancel', effect: 'Cancelling now is safe: nothing has been written to the disk yet.' };
    case 'uploading':
      return { label: 'Cancel', effect: 'Cancelling now is safe: the disk is untouched, and the next run resumes the upload where it stopped.' };
    case 'installing':
      return { label: 'Cancel', effect: 'The disk is being written: a cancel lets the install finish (stopping it would leave the disk half-written), and the box is not rebooted.' };
    default:
      return { label: 'Stop waiting', effect: 'The box already runs the installed system: if you stop waiting, it is neither verified nor entered in the inventory.' };
  }
}

/** The command that shows a box's host key fingerprint on its console. */
export const HOST_KEY_COMMAND = 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub';

/** The login a box uses: its own, or the bench's. */
export const loginOf = (box: BoxDraft, shared: LiveLogin): LiveLogin => (box.own ? box.login : shared);

/** The port as typed, as a number (22 when empty or not a number: the field says so). */
export function portOf(box: BoxDraft): number {
  const r = portSchema.safeParse(box.port.trim() || '22');
  return r.success ? r.data : 22;
}

/** How to reach a box, as the contract takes it. */
export function targetOf(box: BoxDraft, shared: LiveLogin): ProvisionTarget {
  const login = loginOf(box, shared);
  const host = box.host.trim().replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port: portOf(box),
    user: login.user.trim() || 'root',
    ...(login.auth === 'password' ? { password: login.password } : {}),
    ...(login.auth === 'key' && login.keyPath.trim() ? { keyPath: login.keyPath.trim() } : {}),
  };
}

/** `host:port` (IPv6 in brackets), as the core names a box. */
export function addressOf(t: Pick<ProvisionTarget, 'host' | 'port'>): string {
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** What identifies an inspection: a change of any of it means inspecting again. */
export const targetKey = (t: ProvisionTarget): string => JSON.stringify([t.host.toLowerCase(), t.port, t.user, t.password ?? null, t.keyPath ?? null]);

/** Problems with a box's address and login, by field (`host`, `port`, `user`, `password`, `keyPath`). */
export function boxFieldErrors(box: BoxDraft, shared: LiveLogin, all: BoxDraft[]): Record<string, string> {
  const out: Record<string, string> = {};
  const host = hostSchema.safeParse(box.host);
  if (!host.success) out.host = fieldMessage('Address', host.error.issues[0]!.message);
  const port = portSchema.safeParse(box.port.trim() || '22');
  if (!port.success) out.port = fieldMessage('Port', port.error.issues[0]!.message);
  if (!out.host && !out.port) {
    const t = targetOf(box, shared);
    const first = all.find((b) => b.host.trim() && targetOf(b, shared).host.toLowerCase() === t.host.toLowerCase() && portOf(b) === t.port);
    if (first && first.id !== box.id) out.host = `${addressOf(t)} is already box ${all.indexOf(first) + 1}`;
  }
  if (box.own) Object.assign(out, loginErrors(box.login));
  return out;
}

/** A file on the machine Bootfleet runs on, for provisioning (`~/` is the user's home there). */
function localFileError(label: string, path: string): string | null {
  const r = keyPathSchema.safeParse(path);
  return r.success ? null : fieldMessage(label, r.error.issues[0]!.message);
}

/** Problems with a login, by field. */
export function loginErrors(login: LiveLogin): Record<string, string> {
  const out: Record<string, string> = {};
  const user = sshUserSchema.safeParse(login.user);
  if (!user.success) out.user = fieldMessage('User', user.error.issues[0]!.message);
  if (login.auth === 'password' && !login.password) out.password = 'Enter the live system’s password';
  if (login.auth === 'key') {
    const key = localFileError('Key file', login.keyPath);
    if (key) out.keyPath = key;
  }
  return out;
}

/** The disk of a box's inspection that the box has chosen. */
export function chosenDisk(box: BoxDraft, host: ProvisionHost | null): ProvisionHost['disks'][number] | null {
  return host?.disks.find((d) => d.path === box.disk) ?? null;
}

/** What keeps a box's disk choice from being complete, in words (null when it is). */
export function diskProblem(box: BoxDraft, host: ProvisionHost | null): string | null {
  const d = chosenDisk(box, host);
  if (!d) return 'Choose a disk.';
  if (d.problems.length) return `${d.name} cannot take the install.`;
  if (d.needsTypedConfirmation && !box.wipe) return `Tick “Wipe ${d.name}”: it holds data that installing erases.`;
  if (d.needsTypedConfirmation && box.confirm.trim() !== d.name) return `Type “${d.name}” to confirm erasing it.`;
  return null;
}

/** What a disk holds now, in words: "gpt, PMBR · /dev/sda1 ext4 “data”". */
export function diskContents(d: ProvisionHost['disks'][number]): string {
  const parts = d.partitions.map((p) => [p.path, p.fstype, p.label ? `“${p.label}”` : null].filter(Boolean).join(' '));
  const all = [d.signatures.join(', '), parts.join(', ')].filter(Boolean);
  return all.join(' · ');
}

/** The kernel arguments as typed, one per line (blank lines ignored). */
export const kargsOf = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Problems with the image and options, by field. */
export function optionErrors(o: ProvisionOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const image = imageRefSchema.safeParse(o.image);
  if (!image.success) out.image = o.image.trim() ? fieldMessage('Image', image.error.issues[0]!.message) : 'Enter the image to install';
  if (o.source === 'archive') {
    const archive = localFileError('Archive', o.archive);
    if (archive) out.archive = o.archive.trim() ? archive : 'Choose the archive to upload';
  }
  if (o.source === 'library' && !o.library) out.library = 'Choose a library image';
  if (o.rootSize.trim() && !/^\d+[MGT]?$/.test(o.rootSize.trim())) out.rootSize = 'Give a number with M, G or T (e.g. 20G)';
  const bad = kargsOf(o.kargs).find((k) => /\s/.test(k));
  if (bad !== undefined) out.kargs = `“${bad}” has spaces: put each argument on a line of its own`;
  // The core's own rule, as typed: a clean review means a clean start.
  const keysProblem = o.authorizedKeys.trim() ? authorizedKeysProblem(o.authorizedKeys) : null;
  if (keysProblem) out.authorizedKeys = keysProblem;
  const user = sshUserSchema.safeParse(o.loginUser);
  if (!user.success) out.loginUser = fieldMessage('User', user.error.issues[0]!.message);
  if (o.loginKeyPath.trim()) {
    const key = localFileError('Key file', o.loginKeyPath);
    if (key) out.loginKeyPath = key;
  }
  const wait = Number(o.waitSeconds);
  if (!Number.isInteger(wait) || wait < 10 || wait > 7200) out.waitSeconds = 'Between 10 and 7200 seconds';
  const parallel = Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) out.parallel = 'Between 1 and 64';
  return out;
}

/** Problems with a box's inventory entry, by field (`name`, `tags`). */
export function entryErrors(box: BoxDraft, all: BoxDraft[]): Record<string, string> {
  const out: Record<string, string> = {};
  const name = nameSchema.safeParse(box.name);
  if (!name.success) out.name = fieldMessage('Name', name.error.issues[0]!.message);
  else {
    const first = all.find((b) => b.name.trim() === box.name.trim() && b.site === box.site);
    if (first && first.id !== box.id) out.name = `“${box.name.trim()}” is already box ${all.indexOf(first) + 1}’s name`;
  }
  const tags = tagsSchema.safeParse(splitTags(box.tags));
  if (!tags.success) out.tags = fieldMessage('Tag', tags.error.issues[0]!.message);
  return out;
}

/** A name from a pattern: `{n}` is the box's number, `{nn}` with two digits (`edge-{nn}` → edge-01). */
export function nameFromPattern(pattern: string, n: number): string {
  return pattern.replace(/\{(n+)\}/g, (_, digits: string) => String(n).padStart(digits.length, '0'));
}

/** The inputs of provision.plan for one box. */
export function planInput(box: BoxDraft, shared: LiveLogin, o: ProvisionOptions): MethodInput<'provision.plan'> {
  return {
    target: targetOf(box, shared),
    disk: box.disk ?? '',
    wipe: box.wipe,
    ...(box.wipe && box.confirm.trim() ? { confirm: box.confirm.trim() } : {}),
    ...choiceOf(o),
  };
}

/** The image and options as the contract takes them (empty ones left out). */
function choiceOf(o: ProvisionOptions) {
  return {
    image: o.image.trim(),
    ...(o.source === 'archive' && o.archive.trim() ? { archive: o.archive.trim() } : {}),
    ...(o.source === 'library' && o.library ? { library: o.library } : {}),
    ...(o.filesystem ? { filesystem: o.filesystem } : {}),
    ...(o.rootSize.trim() ? { rootSize: o.rootSize.trim() } : {}),
    kargs: kargsOf(o.kargs),
    ...(o.authorizedKeys.trim() ? { authorizedKeys: o.authorizedKeys.trim() } : {}),
  };
}

/** The inputs of provision.start for the batch. */
export function startInput(boxes: BoxDraft[], shared: LiveLogin, o: ProvisionOptions): MethodInput<'provision.start'> {
  return {
    ...choiceOf(o),
    boxes: boxes.map((b) => ({
      target: targetOf(b, shared),
      disk: b.disk ?? '',
      wipe: b.wipe,
      ...(b.wipe && b.confirm.trim() ? { confirm: b.confirm.trim() } : {}),
      name: b.name.trim(),
      ...(b.site ? { site: b.site } : {}),
      tags: splitTags(b.tags),
    })),
    login: { user: o.loginUser.trim() || 'root', ...(o.loginKeyPath.trim() ? { keyPath: o.loginKeyPath.trim() } : {}) },
    acceptNewHostKey: o.acceptNewHostKey,
    waitSeconds: Number(o.waitSeconds),
    parallel: Number(o.parallel),
  };
}

/** `uname -m` as OCI names architectures (x86_64 → amd64), as the core compares them. */
export function ociArchitecture(machine: string): string {
  return ({ x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm' } as Record<string, string>)[machine] ?? machine;
}

/** A library image has a build for every one of these architectures (OCI names); one that names none is not judged. */
export function fitsArchitectures(img: Pick<LibraryImage, 'architectures'>, architectures: readonly string[]): boolean {
  return img.architectures.length === 0 || architectures.every((a) => img.architectures.includes(a));
}

/**
 * The core sends a library image as an archive it writes into the library's own cache
 * (`library/archives/DIGEST.oci.tar`): such a run's `archive` is that file, whose name says nothing.
 */
export function isLibraryArchive(path: string): boolean {
  return /[/\\]library[/\\]archives[/\\][0-9a-f]{64}\.oci\.tar$/.test(path);
}

/** "Fedora Linux 41 · x86_64 · 7.6 GiB RAM", the live system in one line. */
export function systemLine(h: ProvisionHost, formatBytes: (n: number) => string): string {
  return [h.os ?? 'Unknown system', h.architecture, h.memoryBytes !== null ? `${formatBytes(h.memoryBytes)} RAM` : null].filter(Boolean).join(' · ');
}
