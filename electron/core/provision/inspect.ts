import { readFileSync } from 'node:fs';
import type { ProvisionHost, ProvisionTarget } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { markerSections, parseOsRelease } from '../fleet/status-collector';
import { drivesFromLsblk, LSBLK_COLUMNS, type LsblkNode } from '../flash/drives';
import { expandHome } from '../paths';
import type { SshAuth, SshTarget } from '../ssh/connection';

/** Where a box being provisioned has its host key pinned (it is not a device yet). */
export const provisionPin = (host: string, port: number): string => `provision:${host.toLowerCase()}:${port}`;

/** The SSH target of a box that is not in the inventory, from what the technician typed. */
export function provisionTarget(t: ProvisionTarget, agentSocket: string | undefined): SshTarget {
  const label = `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;
  let auth: SshAuth;
  if (t.password !== undefined) auth = { kind: 'password', password: t.password };
  else if (t.keyPath) {
    let privateKey: Buffer;
    try {
      privateKey = readFileSync(expandHome(t.keyPath));
    } catch (e) {
      throw new AppError(ErrorCode.SSH_KEY_UNUSABLE, `${label}: the key file ${t.keyPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { keyPath: t.keyPath });
    }
    auth = { kind: 'key', keyPath: t.keyPath, privateKey, passphrase: undefined, agentSocket };
  } else auth = { kind: 'agent', agentSocket };
  return { jumps: [], device: { pinId: provisionPin(t.host, t.port), label, host: t.host, port: t.port, user: t.user, auth } };
}

/**
 * One round trip that tells what a live system is: sections separated by `@@name` lines. bootc
 * and podman may live in sbin directories a plain login's PATH lacks.
 */
export const INSPECT_SCRIPT = [
  'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"',
  'echo @@arch; uname -m',
  'echo @@kernel; uname -r',
  'echo @@os-release; cat /etc/os-release 2>/dev/null',
  'echo @@bootc; bootc --version 2>/dev/null',
  'echo @@podman; podman --version 2>/dev/null',
  'echo @@uid; id -u',
  'echo @@sudo; if sudo -n true 2>/dev/null; then echo yes; else echo no; fi',
  'echo @@mem; grep MemTotal /proc/meminfo 2>/dev/null',
  `echo @@lsblk; lsblk --json --bytes --tree --output ${LSBLK_COLUMNS}`,
  // What is on each disk, read from the disk itself (lsblk knows only what udev told it).
  'if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi',
  'echo @@wipefs; for d in $(lsblk --nodeps --noheadings --paths --output NAME); do echo "==$d"; $SUDO wipefs --no-act --json "$d" 2>/dev/null; done',
].join('\n');

/** `==DEV` then wipefs's JSON, per disk: the signature types found (gpt, PMBR, ext4, ...). */
export function parseSignatures(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(/^==/m).filter(Boolean)) {
    const nl = part.indexOf('\n');
    const dev = (nl < 0 ? part : part.slice(0, nl)).trim();
    const body = nl < 0 ? '' : part.slice(nl + 1).trim();
    let types: string[];
    try {
      types = body ? ((JSON.parse(body) as { signatures?: { type?: string }[] }).signatures?.map((x) => x.type ?? '?') ?? []) : [];
    } catch {
      types = []; // unreadable: nothing claimed (bootc itself refuses a disk with partitions)
    }
    out.set(dev, [...new Set(types)]);
  }
  return out;
}

/** Disks of a box to be provisioned: anything mounted belongs to the live system and is refused. */
export function provisionDisks(nodes: LsblkNode[], signatures: Map<string, string[]> = new Map()): ProvisionHost['disks'] {
  return drivesFromLsblk(nodes).map((d) => {
    const found = signatures.get(d.path) ?? [];
    const problems = [...d.problems];
    if (!d.system && d.mountpoints.length) problems.push({ code: 'mounted', message: `has mounted filesystems (${d.mountpoints.join(', ')}): the live system is using it` });
    // Installing wipes the disk: one that holds partitions or data needs its name typed (and --wipe).
    return { ...d, problems, signatures: found, hiddenByDefault: false, needsTypedConfirmation: d.partitions.length > 0 || found.length > 0 };
  });
}

/** Reads what the inspect script printed. */
export function parseInspect(out: string, address: string, hostKey: ProvisionHost['hostKey']): ProvisionHost {
  const s = markerSections(out);
  const text = (k: string): string | null => s.get(k) || null;
  const release = parseOsRelease(s.get('os-release') ?? '');
  const os = release.PRETTY_NAME ?? release.NAME ?? null;
  const mem = /MemTotal:\s+(\d+)\s*kB/.exec(s.get('mem') ?? '');
  let nodes: LsblkNode[];
  try {
    nodes = (JSON.parse(s.get('lsblk') || '{"blockdevices":[]}') as { blockdevices: LsblkNode[] }).blockdevices;
  } catch {
    nodes = []; // an lsblk too old for JSON: no disks shown, and the problem says so
  }
  const disks = provisionDisks(nodes, parseSignatures(s.get('wipefs') ?? ''));
  const bootcVersion = (text('bootc') ?? '').replace(/^bootc\s+/, '') || null;
  const podmanVersion = /podman version (\S+)/.exec(s.get('podman') ?? '')?.[1] ?? null;
  const privileged = text('uid') === '0' ? 'root' : text('sudo') === 'yes' ? 'sudo' : 'no';
  const method = privileged === 'no' ? 'none' : podmanVersion ? 'podman' : bootcVersion ? 'bootc' : 'none';
  const problems: string[] = [];
  if (privileged === 'no') problems.push('The login is not root and cannot use sudo without a password: log in as root (live media usually allows it with a password).');
  if (!podmanVersion && !bootcVersion) problems.push('This system has neither podman nor bootc: boot live media that has podman (a Fedora or CentOS Stream live image, Fedora CoreOS) or bootc.');
  if (!disks.some((d) => d.problems.length === 0)) problems.push(disks.length ? 'No disk can take the install: every disk is in use by the live system, read-only or empty.' : 'No disk was found.');
  return {
    address,
    hostKey,
    architecture: text('arch'),
    os,
    kernel: text('kernel'),
    bootcVersion,
    podmanVersion,
    memoryBytes: mem ? Number(mem[1]) * 1024 : null,
    privileged,
    disks,
    method,
    problems,
  };
}
