import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevicePlan } from './device-files';
import { labVar } from './device-files';
import { INSTALLED_FILE, type InstalledRecord } from './device-runtime/disk-ops';
import { bootNext, createState, readState, withStateLock, writeState } from './emulator/state';
import { REBOOT_REQUIRED_FILE, STATE_LOCK_FILE, type ResolvedImage } from './emulator/types';
import { LAB_REPOSITORY } from './images';
import { registryStore, resolveFromStore } from './oci/image-reader';

/**
 * Writes a new device's bootc state: booted on a tag of the lab repository (resolved in the
 * registry for the device's architecture, so digests are real), an optional rollback, or a host
 * not deployed with bootc at all.
 */
const resolved = new Map<string, Promise<ResolvedImage>>();

export async function initialDeviceState(plan: DevicePlan, registryHost: string | null, tag: string | null, rollbackTag: string | null): Promise<void> {
  const varDir = labVar(plan);
  if (tag === null || registryHost === null) {
    await writeState(varDir, createState({ bootcDeployed: false }));
    return;
  }
  const resolveTag = async (t: string) => {
    const image = `${registryHost}/${LAB_REPOSITORY}:${t}`;
    const key = `${image} ${plan.config.architecture}`;
    // Many devices boot the same image: ask the registry once per image and architecture.
    if (!resolved.has(key)) resolved.set(key, resolveFromStore(registryStore(image, { insecure: () => true }), plan.config.architecture));
    return { image: { image, transport: 'registry' }, resolved: await (resolved.get(key) as Promise<ResolvedImage>) };
  };
  const booted = await resolveTag(tag);
  const rollback = rollbackTag ? await resolveTag(rollbackTag) : null;
  await writeState(varDir, createState({ booted, rollback }));
}

/**
 * What happens to bootc's state while a device is off: a fresh install takes over the disk; else
 * the bootloader boots the next deployment (staged, queued rollback) and greenboot may fall back.
 * Returns a few words for the lab log, and the install record when this boot is an installed system's first.
 */
export async function bootDevice(varDir: string, bootFails: boolean): Promise<{ outcome: string; installed: InstalledRecord | null }> {
  // Nothing survives a power cut: no process holds the lock any more, /run is gone.
  await rm(join(varDir, STATE_LOCK_FILE), { force: true });
  await rm(join(varDir, REBOOT_REQUIRED_FILE), { force: true });
  return withStateLock(varDir, async () => {
    const installed = await readFile(join(varDir, INSTALLED_FILE), 'utf8').then((t) => JSON.parse(t) as InstalledRecord, () => null);
    if (installed) {
      await writeState(varDir, createState({
        booted: { image: installed.ref, resolved: installed.image, kargs: installed.kargs, stateroot: installed.stateroot },
        stateroot: installed.stateroot,
      }));
      await rm(join(varDir, INSTALLED_FILE));
      return { outcome: `installed system ${installed.image.digest}`, installed };
    }
    const state = await readState(varDir);
    const said = (outcome: string) => ({ outcome, installed: null });
    if (!state) return said('no bootc state');
    const stagedBoots = !!state.staged && !state.staged.downloadOnly;
    const next = bootNext(state, { healthCheckFails: bootFails && stagedBoots });
    await writeState(varDir, next);
    if (bootFails && stagedBoots) return said('health checks failed, greenboot fell back');
    if (stagedBoots) return said('staged deployment');
    if (state.rollbackQueued) return said('rollback deployment');
    return said('same deployment');
  });
}
