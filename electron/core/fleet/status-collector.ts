import type { BootcStatus } from '../../../shared/contract/status';
import type { DeviceFacts } from '../../../shared/contract/fleet';
import { parseEtcDiff, type EtcDiff } from '../../../shared/contract/status';
import { AppError, ErrorCode } from '../../../shared/errors';
import { parseBootcStatus } from '../bootc/status-parser';
import type { ExecResult, SshConnection } from '../ssh/connection';
import { withSudo } from '../ssh/quote';

/** The status call every bootc since v0.1.15 answers; older ones get `--json`. */
export const STATUS_ARGV = ['bootc', 'status', '--format=json', '--format-version=1'] as const;
export const LEGACY_STATUS_ARGV = ['bootc', 'status', '--json'] as const;

/** Status output is a few KiB; anything past 4 MiB is not a status document. */
const MAX_STATUS_BYTES = 4 * 1024 * 1024;

export interface StatusReading {
  status: BootcStatus;
  raw: string;
  /** The command that answered (after any fallback), as the user would type it. */
  command: string;
}

export interface CollectOptions {
  sudo: boolean;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Reads `bootc status` from a device: the current call, then `--json` for hosts older than
 * v0.1.15 (clap's exit 2 for an unknown flag, or "Unsupported format version"). A missing
 * bootc or a null `status.booted` is NOT_BOOTC_HOST; output that is not a status document is
 * BOOTC_OUTPUT_INVALID with `details.raw` holding what was printed.
 */
export async function readBootcStatus(conn: SshConnection, device: string, opts: CollectOptions): Promise<StatusReading> {
  let argv: readonly string[] = STATUS_ARGV;
  let r = await run(conn, argv, opts);
  if (r.exitCode === 2 || /Unsupported format version/i.test(r.stderr)) {
    argv = LEGACY_STATUS_ARGV;
    r = await run(conn, argv, opts);
  }
  const command = withSudo(argv, opts.sudo).join(' ');
  checkExit(r, device, command);
  const raw = r.stdout.toString('utf8');
  let status: BootcStatus;
  try {
    status = parseBootcStatus(raw);
  } catch (e) {
    if (e instanceof AppError) {
      const details = (e.details ?? {}) as Record<string, unknown>;
      throw new AppError(e.code, `${device}: \`${command}\` printed something that is not a bootc status: ${e.message}`, { ...details, raw: raw.slice(0, 64 * 1024), command });
    }
    throw e;
  }
  if (!status.bootcHost) {
    throw new AppError(ErrorCode.NOT_BOOTC_HOST, `${device}: bootc is installed but this system is not booted via bootc (status.booted is null).`, {
      bootcInstalled: true,
      raw,
      command,
    });
  }
  return { status, raw, command };
}

function run(conn: SshConnection, argv: readonly string[], opts: CollectOptions): Promise<ExecResult> {
  return conn.exec(withSudo(argv, opts.sudo), { timeoutMs: opts.timeoutMs, signal: opts.signal, maxStdout: MAX_STATUS_BYTES });
}

/** Turns a failed status command into the error a user can act on. */
function checkExit(r: ExecResult, device: string, command: string): void {
  if (r.exitCode === 0) return;
  const err = r.stderr.trim();
  if (/sudo: (a password is required|a terminal is required)/.test(err)) {
    throw new AppError(
      ErrorCode.SUDO_PASSWORD_REQUIRED,
      `${device}: sudo asks for a password. Allow the login user to run bootc without one (NOPASSWD in sudoers), or log in as root.`,
      { stderr: err },
    );
  }
  if (r.exitCode === 127 || /bootc: (command )?not found|No such file or directory/.test(err)) {
    throw new AppError(ErrorCode.NOT_BOOTC_HOST, `${device}: bootc is not installed; this is not a bootc host.`, { bootcInstalled: false, stderr: err });
  }
  if (/must be executed as the root user|requires full root privileges/.test(err)) {
    throw new AppError(
      ErrorCode.REMOTE_COMMAND_FAILED,
      `${device}: bootc needs root. Turn on "use sudo" for this device, or log in as root.`,
      { exitCode: r.exitCode, stderr: err, command },
    );
  }
  const first = err.split('\n').find((l) => l.trim()) ?? `exit status ${r.exitCode ?? r.exitSignal}`;
  throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `${device}: \`${command}\` failed: ${first}`, { exitCode: r.exitCode, stderr: err, command });
}

/** `ostree admin config-diff`: the device's /etc against its image's defaults (needs root, as bootc does). */
export const ETC_DIFF_ARGV = ['ostree', 'admin', 'config-diff'] as const;

/**
 * Reads what changed in /etc from the image (ostree's config-diff). Null when it cannot be read
 * (no ostree on the device, sudo refused, an error): the audit then says nothing about /etc.
 */
export async function readEtcDiff(conn: SshConnection, opts: CollectOptions): Promise<EtcDiff | null> {
  try {
    const r = await conn.exec(withSudo(ETC_DIFF_ARGV, opts.sudo), { timeoutMs: opts.timeoutMs, signal: opts.signal, maxStdout: 4 * 1024 * 1024 });
    return r.exitCode === 0 ? parseEtcDiff(r.stdout.toString('utf8')) : null;
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return null;
  }
}

/**
 * One fixed command line (no user input in it) that prints the facts, each after a marker
 * line. Missing tools print nothing and the fact stays null.
 */
const FACTS_SCRIPT = [
  'echo @@hostname; cat /proc/sys/kernel/hostname 2>/dev/null',
  'echo @@os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
  'echo @@kernel; uname -r',
  'echo @@arch; uname -m',
  'echo @@machine-id; cat /etc/machine-id 2>/dev/null',
  'echo @@uptime; cat /proc/uptime 2>/dev/null',
  'echo @@boot-id; cat /proc/sys/kernel/random/boot_id 2>/dev/null',
  'echo @@bootc-version; bootc --version 2>/dev/null',
  'echo @@lsblk; lsblk -J -b -o NAME,PATH,SIZE,TYPE,MODEL,SERIAL,RO,RM,TRAN,MOUNTPOINTS 2>/dev/null',
  'true',
].join('; ');

/** Hostname, OS release, kernel, architecture, machine-id, uptime, boot id, bootc version and disks. */
export async function readFacts(conn: SshConnection, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<DeviceFacts> {
  const r = await conn.exec(['sh', '-c', FACTS_SCRIPT], { timeoutMs: opts.timeoutMs, signal: opts.signal, maxStdout: 1024 * 1024 });
  return parseFacts(r.stdout.toString('utf8'));
}

/** Splits a script's output into its sections: each starts with a line `@@name`. */
export function markerSections(out: string): Map<string, string> {
  const parts = new Map<string, string>();
  let key: string | null = null;
  let buf: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^@@([a-z-]+)$/.exec(line);
    if (m) {
      if (key) parts.set(key, buf.join('\n').trim());
      key = m[1]!;
      buf = [];
    } else buf.push(line);
  }
  if (key) parts.set(key, buf.join('\n').trim());
  return parts;
}

/** Parses the marker-separated output of the facts script. */
export function parseFacts(out: string): DeviceFacts {
  const parts = markerSections(out);
  const text = (k: string): string | null => parts.get(k) || null;
  const os = parseOsRelease(parts.get('os-release') ?? '');
  const uptime = Number.parseFloat((parts.get('uptime') ?? '').split(/\s+/)[0] ?? '');
  return {
    hostname: text('hostname'),
    osName: os.PRETTY_NAME ?? os.NAME ?? null,
    osId: os.ID ?? null,
    osVersion: os.VERSION_ID ?? null,
    kernel: text('kernel'),
    architecture: text('arch'),
    machineId: text('machine-id'),
    uptimeSeconds: Number.isFinite(uptime) ? Math.round(uptime) : null,
    bootId: text('boot-id'),
    bootcVersion: (text('bootc-version') ?? '').replace(/^bootc\s+/, '') || null,
    disks: parseDisks(parts.get('lsblk') ?? ''),
  };
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$|^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

interface LsblkNode {
  name?: string;
  path?: string;
  size?: number | string;
  type?: string;
  model?: string | null;
  serial?: string | null;
  ro?: boolean | string;
  rm?: boolean | string;
  tran?: string | null;
  mountpoints?: (string | null)[];
  children?: LsblkNode[];
}

function parseDisks(json: string): DeviceFacts['disks'] {
  if (!json) return [];
  let doc: { blockdevices?: LsblkNode[] };
  try {
    doc = JSON.parse(json) as { blockdevices?: LsblkNode[] };
  } catch {
    return [];
  }
  const bool = (v: boolean | string | undefined): boolean => v === true || v === '1' || v === 'true';
  const mounts = (n: LsblkNode): string[] => [...(n.mountpoints ?? []), ...(n.children ?? []).flatMap(mounts)].filter((m): m is string => !!m);
  return (doc.blockdevices ?? [])
    .filter((n) => n.type === 'disk' || n.type === 'loop')
    .map((n) => ({
      name: n.name ?? '',
      path: n.path ?? `/dev/${n.name ?? ''}`,
      sizeBytes: Number(n.size ?? 0),
      type: n.type ?? 'disk',
      model: n.model?.trim() || null,
      serial: n.serial?.trim() || null,
      transport: n.tran ?? null,
      readOnly: bool(n.ro),
      removable: bool(n.rm),
      mountpoints: mounts(n),
    }));
}
