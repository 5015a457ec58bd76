import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import {
  CONTROL_SOCKET, DAEMON_LOG, MANIFEST_FILE, OPTIONS_FILE,
  type LabManifest, type LabOptions,
} from './config';
import type { Faults } from './emulator/types';
import { LAB_VAR_DIR, STATE_FILE } from './emulator/types';
import type { DevicePower } from './supervisor';
import { detachDisks } from './disks';
import { signalPid } from './procs';

export type { LabAuthRegistry, LabDevice, LabDeviceSpec, LabImage, LabManifest, LabOptions } from './config';
export type { Faults } from './emulator/types';
export type { DevicePower } from './supervisor';

/** A running lab, as a test holds it. */
export interface Lab extends LabManifest {
  /** Sets faults on a device (merged with its current ones; null clears one). */
  setFaults(device: string, faults: Faults): Promise<void>;
  /** Clears every fault of a device. */
  clearFaults(device: string): Promise<void>;
  /** Power-cycles a device (as if someone pulled the plug); resolves when it is back or hung. */
  reboot(device: string): Promise<void>;
  /** Moves a tag of the lab repository to what another tag names; returns the index digest. */
  retag(tag: string, from: string): Promise<string>;
  /** Each device's power state. */
  power(): Promise<Record<string, DevicePower>>;
  /**
   * Changes files in a device's /etc (the lab's model that `ostree admin config-diff` reads):
   * text writes a file, null removes it. Paths are relative to /etc.
   */
  editEtc(device: string, files: Record<string, string | null>): Promise<void>;
  /** The emulator's state file of a device, parsed (for assertions). */
  deviceState(device: string): Promise<unknown>;
  /** Stops every process, detaches loop devices and removes the lab directory. */
  stop(): Promise<void>;
}

function controlCall<T>(dir: string, method: string, path: string, payload?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dir, CONTROL_SOCKET), method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => {
        const parsed = text ? (JSON.parse(text) as T & { error?: string }) : ({} as T & { error?: string });
        if (res.statusCode !== 200) reject(new Error(parsed.error ?? `lab control ${path}: HTTP ${res.statusCode}`));
        else resolve(parsed);
      });
    });
    req.on('error', reject);
    req.end(payload === undefined ? undefined : JSON.stringify(payload));
  });
}

/** Bundles the daemon and the device-side bootc into `<dir>/runtime` (esbuild, one file each). */
async function bundleRuntime(dir: string): Promise<void> {
  await build({
    entryPoints: { daemon: join(__dirname, 'daemon.ts'), 'bootc': join(__dirname, 'device-runtime', 'main.ts'),
      podman: join(__dirname, 'device-runtime', 'podman.ts') },
    outdir: join(dir, 'runtime'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);" },
  });
}

/** A client for a lab that is already running in `dir`. */
export async function attachLab(dir: string): Promise<Lab> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as LabManifest;
  return {
    ...manifest,
    setFaults: (device, faults) => controlCall(dir, 'POST', '/faults', { device, faults }),
    clearFaults: async (device) => {
      const status = await controlCall<{ faults: Record<string, Faults> }>(dir, 'GET', '/status');
      const current = status.faults[device] ?? {};
      await controlCall(dir, 'POST', '/faults', { device, faults: Object.fromEntries(Object.keys(current).map((k) => [k, null])) });
    },
    reboot: (device) => controlCall(dir, 'POST', '/reboot', { device }),
    retag: async (tag, from) => (await controlCall<{ digest: string }>(dir, 'POST', '/retag', { tag, from })).digest,
    power: async () => (await controlCall<{ power: Record<string, DevicePower> }>(dir, 'GET', '/status')).power,
    editEtc: async (device, files) => {
      const found = manifest.devices.find((d) => d.name === device);
      if (!found) throw new Error(`no device named ${device} in this lab`);
      for (const [file, text] of Object.entries(files)) {
        if (file.split('/').includes('..') || isAbsolute(file)) throw new Error(`editEtc: ${file} is not a path under /etc`);
        const path = join(found.dir, LAB_VAR_DIR, 'etc', file);
        if (text === null) await rm(path, { recursive: true, force: true });
        else {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, text);
        }
      }
    },
    deviceState: async (device) => {
      const found = manifest.devices.find((d) => d.name === device);
      if (!found) throw new Error(`no device named ${device} in this lab`);
      return JSON.parse(await readFile(join(found.dir, LAB_VAR_DIR, STATE_FILE), 'utf8'));
    },
    stop: () => stopLab(dir),
  };
}

/**
 * Starts a lab: builds its runtime, starts a detached daemon that owns every process, and waits
 * until all devices answer. By default the lab stops by itself when the calling process exits.
 */
export async function startLab(options: LabOptions): Promise<Lab> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'bootfleet-lab-')));
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new Error(`${dir} is not empty; give the lab a new or empty directory`);
  // Device users (not root) read their authorized_keys and run the shims from here.
  await chmod(dir, 0o755);
  await bundleRuntime(dir);
  const ownerPid = options.ownerPid === undefined ? process.pid : options.ownerPid;
  await writeFile(join(dir, OPTIONS_FILE), JSON.stringify({ ...options, dir, ownerPid }, null, 2));
  const log = await open(join(dir, DAEMON_LOG), 'a');
  const daemon = spawn(process.execPath, [join(dir, 'runtime', 'daemon.mjs'), dir], {
    detached: true,
    stdio: ['ignore', 'pipe', log.fd],
  });
  await log.close();
  const first = await new Promise<string>((resolve) => {
    const lines = createInterface({ input: daemon.stdout! });
    lines.once('line', (line) => { lines.close(); resolve(line); });
    daemon.once('exit', (code) => resolve(JSON.stringify({ error: `lab daemon exited (${code})` })));
  });
  daemon.stdout?.destroy();
  daemon.unref();
  const answer = JSON.parse(first) as { ready?: boolean; error?: string };
  if (!answer.ready) {
    const tail = (await readFile(join(dir, DAEMON_LOG), 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    await stopLab(dir).catch(() => undefined);
    throw new Error(`the lab did not start: ${answer.error ?? 'unknown error'}\n${tail}`);
  }
  return attachLab(dir);
}

/**
 * Stops the lab in `dir`: asks its daemon, or (if the daemon died) kills the PIDs it recorded and
 * detaches its loop devices; then removes the directory.
 */
export async function stopLab(dir: string, opts: { keep?: boolean } = {}): Promise<void> {
  const manifest = await readFile(join(dir, MANIFEST_FILE), 'utf8').then((t) => JSON.parse(t) as LabManifest).catch(() => null);
  let asked = false;
  if (existsSync(join(dir, CONTROL_SOCKET))) {
    asked = await controlCall(dir, 'POST', '/stop').then(() => true, () => false);
  }
  if (manifest?.pid) {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        process.kill(manifest.pid, 0);
      } catch {
        break;
      }
      if (!asked) signalPid(manifest.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const pids = await readFile(join(dir, 'pids.json'), 'utf8').then((t) => JSON.parse(t) as number[]).catch(() => []);
  for (const pid of pids) {
    // Only a process that is still one of this lab's (its command line names the lab directory).
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) signalPid(pid, 'SIGKILL');
  }
  if (manifest) await detachDisks(manifest.devices.flatMap((d) => d.disks));
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
}
