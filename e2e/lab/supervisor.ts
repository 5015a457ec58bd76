import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Faults } from './emulator/types';
import { REBOOT_REQUEST_FILE } from './emulator/types';
import {
  becomeInstalledSystem, etc, labVar, setBootcPresent, useHostKey, writeAuthorizedKeys, writeFaults, writeSudoers,
  type DevicePlan, type Runtime,
} from './device-files';
import { bootDevice } from './boot';
import { generateKey } from './keys';
import { signalPid, waitForPort } from './procs';

export type DevicePower = 'running' | 'offline' | 'stopped';

/** Every fault a device understands (see Faults in emulator/types.ts). */
export const FAULT_KEYS: readonly (keyof Faults)[] = [
  'unreachable', 'authRefused', 'hostKeyChanged', 'bootcMissing', 'rebootHangs', 'bootFails', 'sudoPassword',
  'failUpgrade', 'statusOutput', 'slowMs', 'dropMidCommand',
];

/**
 * Runs one emulated device: its sshd as PID 1 of a private PID + mount namespace (so killing it
 * ends every session on the device at once, as a power cut would), its reboots and its faults.
 */
export class DeviceRunner {
  faults: Faults = {};
  power: DevicePower = 'stopped';
  private child: ChildProcess | null = null;
  private silent: Server | null = null;
  private silentSockets = new Set<Socket>();
  private watcher: FSWatcher | null = null;
  private rebooting: Promise<void> | null = null;
  private bootWhenCleared = false;
  private stopping = false;

  constructor(
    readonly plan: DevicePlan,
    private readonly runtime: Runtime,
    private readonly rebootMs: number,
    private readonly log: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts sshd in the device's namespaces and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.child) return;
    if (this.faults.unreachable) return this.goUnreachable(this.faults.unreachable);
    const out = await open(join(this.plan.dir, 'namespace.log'), 'a');
    const child = spawn('unshare', [
      // No --mount-proc: boot.sh mounts /proc after its own /run, so nothing lands in the host's /run.
      '--mount', '--pid', '--fork', '--propagation', 'private', '--kill-child=SIGKILL',
      'sh', join(this.plan.dir, 'boot.sh'),
    ], { stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitForPort(this.plan.address, this.plan.port, 15_000, () => this.child === child);
    this.power = 'running';
    this.watchRebootRequests();
  }

  /**
   * Cuts the power: every process of the device dies at once. The namespace's init (sshd) is
   * killed directly and waited for, so its listening socket is gone before anything restarts.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid) {
      const inits = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => ''))
        .split(/\s+/).filter(Boolean).map(Number);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      for (const pid of inits) signalPid(pid, 'SIGKILL');
      signalPid(child.pid, 'SIGKILL');
      await exited;
      for (const pid of inits) await waitGone(pid);
    }
    this.child = null;
    if (this.power === 'running') this.power = 'offline';
  }

  private watchRebootRequests(): void {
    if (this.watcher) return;
    const dir = labVar(this.plan);
    this.watcher = watch(dir, (_event, file) => {
      if (file === REBOOT_REQUEST_FILE) void this.takeRebootRequest();
    });
  }

  private async takeRebootRequest(): Promise<void> {
    const file = labVar(this.plan, REBOOT_REQUEST_FILE);
    let by = 'device';
    try {
      by = (JSON.parse(await readFile(file, 'utf8')) as { by?: string }).by ?? by;
      await rm(file);
    } catch {
      return; // already taken
    }
    this.log(`${this.plan.name}: reboot requested by ${by}`);
    await this.reboot();
  }

  /**
   * Reboots as real hardware would: power goes, the device is offline for rebootMs, then it boots
   * the deployment bootc chose (staged, rollback, or a greenboot fallback). With rebootHangs it
   * stays offline until that fault is cleared.
   */
  reboot(): Promise<void> {
    this.rebooting ??= (async () => {
      await this.kill();
      this.power = 'offline';
      await new Promise((r) => setTimeout(r, this.rebootMs));
      if (this.stopping) return;
      if (this.faults.rebootHangs) {
        this.bootWhenCleared = true;
        this.log(`${this.plan.name}: reboot hangs (fault)`);
        return;
      }
      await this.bootAndStart();
    })().finally(() => {
      this.rebooting = null;
    });
    return this.rebooting;
  }

  private async bootAndStart(): Promise<void> {
    const { outcome, installed } = await bootDevice(labVar(this.plan), this.faults.bootFails === true);
    if (installed) await becomeInstalledSystem(this.plan, installed.rootAuthorizedKeys);
    this.log(`${this.plan.name}: booted (${outcome})`);
    await this.start();
  }

  private async goUnreachable(mode: 'refused' | 'silent'): Promise<void> {
    await this.kill();
    this.power = 'offline';
    if (mode === 'silent' && !this.silent) {
      const server = createServer((sock) => {
        this.silentSockets.add(sock);
        sock.on('close', () => this.silentSockets.delete(sock));
        sock.on('error', () => undefined);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.plan.port, this.plan.address, () => resolve());
      });
      this.silent = server;
    }
  }

  private async closeSilent(): Promise<void> {
    const server = this.silent;
    if (!server) return;
    this.silent = null;
    for (const sock of this.silentSockets) sock.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Applies a change of faults; null clears one. Network and key faults take effect at once. */
  async setFaults(patch: Faults): Promise<void> {
    const unknown = Object.keys(patch).filter((k) => !FAULT_KEYS.includes(k as keyof Faults));
    if (unknown.length) throw new Error(`unknown fault ${unknown.join(', ')}; known: ${FAULT_KEYS.join(', ')}`);
    const before = this.faults;
    const next: Faults = { ...before };
    for (const [key, value] of Object.entries(patch) as [keyof Faults, unknown][]) {
      if (value === null || value === undefined || value === false) delete next[key];
      else (next as Record<string, unknown>)[key] = value;
    }
    this.faults = next;
    await writeFaults(this.plan, next);
    if (!!before.authRefused !== !!next.authRefused) await writeAuthorizedKeys(this.plan, this.runtime.clientPub, !!next.authRefused);
    if (!!before.sudoPassword !== !!next.sudoPassword) await writeSudoers(this.plan, !!next.sudoPassword);
    if (!!before.bootcMissing !== !!next.bootcMissing) await setBootcPresent(this.plan, this.runtime.dir, !next.bootcMissing);
    if (!!before.hostKeyChanged !== !!next.hostKeyChanged) {
      const replacement = etc(this.plan, 'host-key-changed');
      if (next.hostKeyChanged && !existsSync(replacement)) await generateKey(replacement, `${this.plan.name} replacement host key`);
      await useHostKey(this.plan, !!next.hostKeyChanged);
      if (this.child) {
        await this.kill();
        await this.start();
      }
    }
    if (before.unreachable !== next.unreachable) {
      await this.closeSilent();
      if (next.unreachable) await this.goUnreachable(next.unreachable);
      else if (!this.rebooting && !this.bootWhenCleared) await this.start();
    }
    if (before.rebootHangs && !next.rebootHangs && this.bootWhenCleared) {
      this.bootWhenCleared = false;
      await this.bootAndStart();
    }
  }

  /** Stops everything of this device for good. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    this.watcher = null;
    await this.closeSilent();
    await this.kill();
    this.power = 'stopped';
  }
}

/** Resolves when a process has exited (gone, or a zombie that no longer holds anything). */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not exit`);
}

/** The device's own host key (the one the hostKeyChanged fault swaps in is made when first needed). */
export async function prepareHostKeys(plan: DevicePlan): Promise<void> {
  await mkdir(join(plan.dir, 'etc'), { recursive: true });
  await generateKey(etc(plan, 'host-key-original'), `${plan.name} host key`);
  await useHostKey(plan, false);
}

/** Records every PID the lab started, so a stop can clean up even if the daemon died. */
export async function writePids(dir: string, pids: number[]): Promise<void> {
  await writeFile(join(dir, 'pids.json'), JSON.stringify(pids.filter((p) => p > 0)));
}
