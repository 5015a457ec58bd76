import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevicePlan } from './device-files';
import { labVar } from './device-files';
import { run } from './procs';

/** The file, inside the device's lab dir, that lists the loop devices that are its disks. */
export { DISKS_FILE } from './device-runtime/disk-ops';
import { DISKS_FILE } from './device-runtime/disk-ops';

/**
 * Creates a device's target disks: sparse files attached as loop devices, so `bootc install to-disk`
 * writes a real partition table and real filesystems. Returns the loop device paths.
 */
export async function createDisks(plan: DevicePlan, disks: { sizeMiB: number }[]): Promise<string[]> {
  await mkdir(join(plan.dir, 'disks'), { recursive: true });
  const paths: string[] = [];
  try {
    for (const [i, disk] of disks.entries()) {
      if (!Number.isInteger(disk.sizeMiB) || disk.sizeMiB < 64) throw new Error(`${plan.name}: a disk needs at least 64 MiB, not ${disk.sizeMiB}`);
      const file = join(plan.dir, 'disks', `disk${i}.img`);
      await writeFile(file, '');
      await truncate(file, disk.sizeMiB * 1024 * 1024);
      paths.push((await run('losetup', ['--find', '--show', file])).trim());
    }
  } catch (err) {
    await detachDisks(paths);
    throw err;
  }
  await writeFile(labVar(plan, DISKS_FILE), JSON.stringify(paths));
  return paths;
}

/** Detaches loop devices the lab attached (ignoring ones already gone). */
export async function detachDisks(paths: string[]): Promise<void> {
  for (const path of paths) {
    await run('losetup', ['--detach', path]).catch(() => undefined);
  }
}
