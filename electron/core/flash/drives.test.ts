import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, ok, openTestCore, tempDir } from '../test-support';
import { drivesFromLsblk, type LsblkNode } from './drives';

/** Drive listing: which drives may take an image, and why the others may not. */

const disk = (over: Partial<LsblkNode>): LsblkNode => ({ name: 'sdx', path: '/dev/sdx', type: 'disk', size: 32e9, rm: false, ro: false, hotplug: false, mountpoints: [null], ...over });
const part = (name: string, mount: string | null, over: Partial<LsblkNode> = {}): LsblkNode => ({ name, path: `/dev/${name}`, type: 'part', size: 1e9, mountpoints: [mount], fstype: 'ext4', ...over });

describe('drivesFromLsblk', () => {
  const nodes: LsblkNode[] = [
    disk({ name: 'zram0', path: '/dev/zram0', size: 0 }),
    disk({ name: 'nvme0n1', path: '/dev/nvme0n1', size: 512e9, model: 'Samsung SSD 980', tran: 'nvme', children: [part('nvme0n1p1', '/boot/efi', { fstype: 'vfat' }), part('nvme0n1p2', null, { children: [{ name: 'vg-root', path: '/dev/mapper/vg-root', type: 'lvm', size: 5e11, mountpoints: ['/'] }] })] }),
    disk({ name: 'sdb', path: '/dev/sdb', size: 32e9, model: 'Ultra', vendor: 'SanDisk ', serial: '4C5300', tran: 'usb', rm: true, hotplug: true, children: [part('sdb1', '/media/ops/STICK', { fstype: 'vfat', label: 'STICK' })] }),
    disk({ name: 'sdc', path: '/dev/sdc', size: 16e9, tran: 'usb', rm: true, ro: true, model: 'Locked' }),
    disk({ name: 'mmcblk0', path: '/dev/mmcblk0', size: 64e9, tran: null, rm: false }),
    disk({ name: 'sdd', path: '/dev/sdd', size: 0, tran: 'usb', rm: true, model: 'Card Reader' }),
    disk({ name: 'sda', path: '/dev/sda', size: 2e12, tran: 'sata', model: 'WDC WD20' }),
    { name: 'loop3', path: '/dev/loop3', type: 'loop', size: 268435456, ro: false, mountpoints: [null] },
    { name: 'sr0', path: '/dev/sr0', type: 'rom', size: 1e9, mountpoints: [null] },
  ];
  const drives = drivesFromLsblk(nodes, { imageSize: 20e9 });
  const by = Object.fromEntries(drives.map((d) => [d.name, d]));

  it('keeps whole disks and loop devices only', () => {
    expect(drives.map((d) => d.name)).toEqual(['nvme0n1', 'sdb', 'sdc', 'mmcblk0', 'sdd', 'sda', 'loop3']);
  });

  it('refuses the disk holding the running system, even through LVM', () => {
    expect(by.nvme0n1).toMatchObject({ system: true, hiddenByDefault: true, needsTypedConfirmation: true, bus: 'nvme' });
    expect(by.nvme0n1!.problems[0]!.message).toBe('holds the running system (mounted at /boot/efi, /)');
  });

  it('offers a USB stick with a mounted partition, saying it will be unmounted', () => {
    expect(by.sdb).toMatchObject({ problems: [], hiddenByDefault: false, removable: true, bus: 'usb', serial: '4C5300', mountpoints: ['/media/ops/STICK'], description: 'SanDisk Ultra 32.0 GB (USB)' });
    expect(by.sdb!.partitions).toEqual([{ path: '/dev/sdb1', size: 1e9, fstype: 'vfat', label: 'STICK', mountpoints: ['/media/ops/STICK'] }]);
  });

  it('refuses read-only, empty and too-small drives with the reason', () => {
    expect(by.sdc!.problems.map((p) => p.code)).toEqual(['read-only', 'too-small']);
    expect(by.sdc!.problems[1]!.message).toBe('is 16.0 GB, smaller than the 20.0 GB image');
    expect(by.sdd!.problems.map((p) => p.code)).toEqual(['no-medium']);
  });

  it('treats SD cards as removable and large internal disks as needing a typed confirmation', () => {
    expect(by.mmcblk0).toMatchObject({ bus: 'sd', removable: true, hiddenByDefault: false, needsTypedConfirmation: false });
    expect(by.sda).toMatchObject({ bus: 'sata', problems: [], hiddenByDefault: true, needsTypedConfirmation: true });
    expect(by.loop3).toMatchObject({ bus: 'loop', hiddenByDefault: true, needsTypedConfirmation: false });
    expect(by.loop3!.problems.map((p) => p.code)).toEqual(['too-small']);
  });
});

/** Against real loop devices (as test USB sticks). Needs root. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the drive listing tests need root for loop devices');
const suite = canRun ? describe : describe.skip;

const attached: string[] = [];
const mounted: string[] = [];
afterAll(() => {
  for (const m of mounted) execFileSync('umount', [m]);
  for (const l of attached) execFileSync('losetup', ['-d', l]);
  closeTestCores();
  cleanupTempDirs();
});

function loop(sizeMiB: number, readOnly = false): string {
  const file = join(tempDir(), 'stick.img');
  writeFileSync(file, '');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, file]);
  const dev = execFileSync('losetup', ['--find', '--show', '--partscan', ...(readOnly ? ['--read-only'] : []), file]).toString().trim();
  attached.push(dev);
  return dev;
}

suite('drives.list on this machine', () => {
  it('lists loop devices only when all drives are asked for, with their partitions, mounts and problems', async () => {
    // Partition nodes of loop devices do not appear here (machine notes): a filesystem on the whole device.
    const stick = loop(64);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'STICK', stick]); // no vfat driver in this kernel
    const mnt = join(tempDir(), 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', [stick, mnt]);
    mounted.push(mnt);
    const locked = loop(8, true);
    const core = openTestCore();

    const shown = await ok(core, 'drives.list', {});
    expect(shown.map((d) => d.path)).not.toContain(stick);
    const all = await ok(core, 'drives.list', { all: true, imageSize: 32 * 1024 * 1024 });
    const s = all.find((d) => d.path === stick)!;
    expect(s).toMatchObject({ bus: 'loop', size: 64 * 1024 * 1024, problems: [], mountpoints: [mnt], hiddenByDefault: true });
    expect(s.partitions).toEqual([]);
    expect(all.find((d) => d.path === locked)!.problems.map((p) => p.code)).toEqual(['read-only', 'too-small']);
    // Whatever holds / here is refused.
    const root = execFileSync('findmnt', ['-n', '-o', 'SOURCE', '/']).toString().trim();
    const system = all.filter((d) => d.system);
    if (root.startsWith('/dev/')) expect(system.length).toBeGreaterThan(0);
    for (const d of system) expect(d.problems[0]!.code).toBe('system');
  });
});
