import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Drive, FlashTargetProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';

const run = promisify(execFile);

/** One node of `lsblk --json` output (a disk, partition, loop device, or a holder such as LVM). */
export interface LsblkNode {
  name: string;
  path: string;
  type: string;
  size: number | string | null;
  model?: string | null;
  vendor?: string | null;
  serial?: string | null;
  tran?: string | null;
  rm?: boolean | string | null;
  ro?: boolean | string | null;
  hotplug?: boolean | string | null;
  mountpoints?: (string | null)[] | null;
  mountpoint?: string | null;
  fstype?: string | null;
  label?: string | null;
  children?: LsblkNode[];
}

export const LSBLK_COLUMNS = 'NAME,PATH,TYPE,SIZE,MODEL,VENDOR,SERIAL,TRAN,RM,RO,HOTPLUG,MOUNTPOINTS,FSTYPE,LABEL';

/** Mount points that mean "the running system is on this drive". */
const SYSTEM_MOUNTS = new Set(['/', '/boot', '/boot/efi', '/efi', '/usr', '/var', '/home', '/sysroot', '[SWAP]']);

/** Reads the block devices with lsblk (util-linux), bytes and JSON, no shell. */
export async function readLsblk(): Promise<LsblkNode[]> {
  try {
    const { stdout } = await run('lsblk', ['--json', '--bytes', '--tree', '--output', LSBLK_COLUMNS], { maxBuffer: 16 * 1024 * 1024 });
    return (JSON.parse(stdout) as { blockdevices: LsblkNode[] }).blockdevices;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new AppError(ErrorCode.INTERNAL, 'lsblk is not installed; install util-linux to list drives.');
    throw new AppError(ErrorCode.INTERNAL, `lsblk failed: ${err.stderr?.trim() || err.message}`);
  }
}

const bool = (v: boolean | string | null | undefined): boolean => v === true || v === '1' || v === 'true';
const num = (v: number | string | null | undefined): number => (typeof v === 'number' ? v : Number(v ?? 0));
const clean = (v: string | null | undefined): string | null => (v && v.trim() ? v.trim() : null);

function mountsOf(n: LsblkNode): string[] {
  const list = n.mountpoints ?? (n.mountpoint !== undefined ? [n.mountpoint] : []);
  return list.filter((m): m is string => !!m);
}

/** Every mount point in a subtree (partitions, and holders such as LVM or LUKS under them). */
function allMounts(n: LsblkNode): string[] {
  return [...mountsOf(n), ...(n.children ?? []).flatMap(allMounts)];
}

/** The bus a drive hangs off, from lsblk's transport and the device name. */
function busOf(n: LsblkNode): string | null {
  if (n.type === 'loop') return 'loop';
  const tran = clean(n.tran);
  if (tran === 'mmc' || n.name.startsWith('mmcblk')) return 'sd';
  if (tran) return tran;
  if (n.name.startsWith('vd')) return 'virtio';
  if (n.name.startsWith('nvme')) return 'nvme';
  return null;
}

/** "1.2 GB of 3.4 GB, 85.0 MB/s, about 30 s left" (the time left while it is known). */
export function formatTransfer(t: { done: number; total: number; bytesPerSecond: number }): string {
  const left = t.bytesPerSecond > 0 ? Math.ceil((t.total - t.done) / t.bytesPerSecond) : null;
  const eta = left === null || t.done >= t.total ? '' : `, about ${left >= 120 ? `${Math.round(left / 60)} min` : `${left} s`} left`;
  return `${formatSize(t.done)} of ${formatSize(t.total)}${t.bytesPerSecond ? `, ${formatSize(t.bytesPerSecond)}/s` : ''}${eta}`;
}

export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * Turns lsblk's tree into drives with their problems. Only whole disks and loop devices are
 * candidates (partitions, RAM disks, zram, optical and device-mapper nodes are not).
 */
export function drivesFromLsblk(nodes: LsblkNode[], opts: { imageSize?: number | undefined } = {}): Drive[] {
  const drives: Drive[] = [];
  for (const n of nodes) {
    if (n.type !== 'disk' && n.type !== 'loop') continue;
    if (/^(zram|ram)\d+$/.test(n.name)) continue;
    const size = num(n.size);
    const bus = busOf(n);
    const mounts = allMounts(n);
    const system = mounts.some((m) => SYSTEM_MOUNTS.has(m) || m.startsWith('/boot/'));
    const removable = bool(n.rm) || bool(n.hotplug) || bus === 'usb' || bus === 'sd';
    const readOnly = bool(n.ro);
    const problems: Drive['problems'] = [];
    if (system) problems.push({ code: 'system', message: `holds the running system (mounted at ${mounts.filter((m) => SYSTEM_MOUNTS.has(m) || m.startsWith('/boot/')).join(', ')})` });
    if (readOnly) problems.push({ code: 'read-only', message: 'is read-only (a write-protect switch, or the kernel set it so)' });
    if (size === 0) problems.push({ code: 'no-medium', message: 'has no medium (an empty card reader or an unattached loop device)' });
    else if (opts.imageSize !== undefined && opts.imageSize > size) {
      problems.push({ code: 'too-small', message: `is ${formatSize(size)}, smaller than the ${formatSize(opts.imageSize)} image` });
    }
    const internal = !removable && bus !== 'loop';
    const model = clean(n.model);
    const vendor = clean(n.vendor);
    const label = [vendor && !/^0x/.test(vendor) ? vendor : null, model].filter(Boolean).join(' ') || (bus === 'loop' ? 'Loop device' : 'Disk');
    drives.push({
      path: n.path,
      name: n.name,
      size,
      model,
      vendor,
      serial: clean(n.serial),
      bus,
      removable,
      readOnly,
      system,
      mountpoints: mounts,
      partitions: (n.children ?? [])
        .filter((c) => c.type === 'part')
        .map((c) => ({ path: c.path, size: num(c.size), fstype: clean(c.fstype), label: clean(c.label), mountpoints: allMounts(c) })),
      problems,
      hiddenByDefault: system || internal || bus === 'loop' || size === 0,
      needsTypedConfirmation: internal,
      description: `${label} ${formatSize(size)}${bus ? ` (${bus.toUpperCase()})` : ''}`,
    });
  }
  return drives;
}

/** The drives to show: removable media that could take an image, or with `all` every drive. */
export async function listDrives(opts: { all: boolean; imageSize?: number | undefined }): Promise<Drive[]> {
  const drives = drivesFromLsblk(await readLsblk(), { imageSize: opts.imageSize });
  return opts.all ? drives : drives.filter((d) => !d.hiddenByDefault);
}

/**
 * The drives a flash may write, by path, checked against a fresh enumeration: each must be listed,
 * have nothing in its way, and (an internal disk) have its name typed to confirm. With `expect`,
 * each must also still be the drive the user chose (same size and serial), so a stick swapped
 * between choosing and writing is refused.
 */
export async function chooseDrives(paths: string[], opts: { confirm: string[]; imageSize?: number | undefined; expect?: { path: string; size: number; serial: string | null }[] }): Promise<Drive[]> {
  const drives = await listDrives({ all: true, imageSize: opts.imageSize });
  return [...new Set(paths)].map((path) => {
    const d = drives.find((x) => x.path === path);
    if (!d) throw new AppError(ErrorCode.NOT_FOUND, `${path} is not a drive Bootfleet lists; refresh the drive list and choose again.`);
    if (d.problems.length) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${d.path} cannot be written: it ${d.problems.map((p) => p.message).join('; ')}.`);
    if (d.needsTypedConfirmation && !opts.confirm.includes(d.name)) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${d.path} is an internal disk (${d.description}); type its name "${d.name}" to confirm writing it.`);
    }
    const was = opts.expect?.find((e) => e.path === path);
    if (opts.expect && (!was || was.size !== d.size || was.serial !== d.serial)) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${d.path} is not the drive that was chosen (it is now ${d.description}${d.serial ? `, serial ${d.serial}` : ''}); choose again.`);
    }
    return d;
  });
}

/** Unmounts everything mounted from a drive (deepest first), or says what holds it. */
export async function unmountDrive(d: Drive): Promise<void> {
  for (const m of [...d.mountpoints].reverse()) {
    try {
      await run('umount', [m]);
    } catch (e) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${d.path} is mounted at ${m} and could not be unmounted (${((e as { stderr?: string }).stderr ?? '').trim() || 'busy'}); close what uses it and try again.`);
    }
  }
}

/**
 * Ejects the drives that were written well and can be removed (USB sticks, SD cards; not loop
 * devices or internal disks), so the user may pull them out; says so in each one's condition.
 */
export async function ejectWritten(targets: FlashTargetProgress[], drives: Drive[]): Promise<void> {
  await Promise.all(
    targets.map(async (t) => {
      const d = drives.find((x) => x.path === t.path);
      if (t.phase !== 'done' || !d || !d.removable || d.bus === 'loop') return;
      try {
        await run('eject', [t.path]);
        t.condition = `${t.condition ?? 'written'}; ejected, safe to remove`;
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'eject is not installed' : ((e as { stderr?: string }).stderr ?? '').trim() || 'eject failed';
        t.condition = `${t.condition ?? 'written'}; not ejected (${why})`;
      }
    }),
  );
}
