/**
 * Test support: an EmulatorEnv made of fakes (an in-memory image source, fake disks, a temp var
 * dir) so the emulator's behaviour can be checked without a lab. Not used by the bundled
 * emulator.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBootc } from './bootc';
import type { DiskInfo, EmulatorEnv, ImageInstallConfig, InstallPlan } from './env';
import { createHash } from 'node:crypto';
import { readState, writeState, type CreateStateOptions, createState } from './state';
import { DEVICE_FILE, FAULTS_FILE, type DeviceConfig, type DeviceState, type EmulatorFaults, type ImageReference, type ImageSource, type ResolvedImage } from './types';

/** Thrown by the fake requestReboot so a test gets control back. */
export class RebootRequested extends Error {
  constructor(readonly soft: boolean) {
    super(`reboot requested (soft=${soft})`);
  }
}

/** Thrown by the fake dropConnection. */
export class ConnectionDropped extends Error {
  constructor() {
    super('connection dropped');
  }
}

/** A deterministic sha256 digest for test data. */
export function fakeDigest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

/** A ResolvedImage with `n` layers named after `seed` (shared layers: pass the same names). */
export function fakeImage(seed: string, opts: { version?: string | null; timestamp?: string | null; architecture?: string; layers?: { name: string; size: number }[] } = {}): ResolvedImage {
  const layers = opts.layers ?? [
    { name: 'base', size: 50_000_000 },
    { name: `${seed}-app`, size: 11_000_000 },
  ];
  return {
    digest: fakeDigest(`manifest:${seed}`),
    version: opts.version === undefined ? `42.${seed}` : opts.version,
    timestamp: opts.timestamp === undefined ? '2025-09-15T04:01:02Z' : opts.timestamp,
    architecture: opts.architecture ?? 'amd64',
    layers: layers.map((l) => ({ digest: fakeDigest(`layer:${l.name}`), size: l.size })),
  };
}

/** An in-memory registry: "transport:name" → image. */
export class FakeImages implements ImageSource {
  readonly images = new Map<string, ResolvedImage>();
  readonly fetched: { ref: ImageReference; layers: string[] }[] = [];
  readonly resolved: ImageReference[] = [];

  set(ref: ImageReference | string, img: ResolvedImage): void {
    this.images.set(typeof ref === 'string' ? `registry:${ref}` : `${ref.transport}:${ref.image}`, img);
  }

  async resolve(ref: ImageReference, architecture: string): Promise<ResolvedImage> {
    this.resolved.push(ref);
    const img = this.images.get(`${ref.transport}:${ref.image}`);
    if (!img) throw new Error(`Creating importer: failed to invoke method OpenImage: reading manifest in ${ref.image}: manifest unknown`);
    return { ...img, architecture };
  }

  async fetchLayers(ref: ImageReference, layers: { digest: string; size: number }[]): Promise<void> {
    this.fetched.push({ ref, layers: layers.map((l) => l.digest) });
  }
}

/** A fake disk set that records install plans. */
export class FakeDisks {
  readonly installs: { path: string; plan: InstallPlan }[] = [];
  constructor(public disks: DiskInfo[] = []) {}

  async list(): Promise<DiskInfo[]> {
    return this.disks;
  }

  async install(path: string, plan: InstallPlan): Promise<string[]> {
    this.installs.push({ path, plan });
    return [];
  }
}

/** The outcome of one fake bootc run. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  reboot: { soft: boolean } | null;
  dropped: boolean;
}

/** A fake device: a temp var dir with device.json/state.json, and a way to run bootc on it. */
export interface FakeDevice {
  dir: string;
  images: FakeImages;
  disks: FakeDisks;
  env(overrides?: Partial<EmulatorEnv>): EmulatorEnv;
  run(argv: string[], overrides?: Partial<EmulatorEnv>): Promise<RunResult>;
  state(): Promise<DeviceState | null>;
  setState(s: DeviceState): Promise<void>;
  setFaults(f: EmulatorFaults): Promise<void>;
  cleanup(): Promise<void>;
}

/** Builds a device emulating `version` with the given initial state. */
export async function makeDevice(version: string, state: CreateStateOptions | DeviceState | null, opts: { architecture?: string; installConfig?: ImageInstallConfig | null } = {}): Promise<FakeDevice> {
  const dir = await mkdtemp(join(tmpdir(), 'bootc-emu-'));
  const config: DeviceConfig = { name: 'dev1', bootcVersion: version, architecture: opts.architecture ?? 'amd64', insecureRegistries: [] };
  await writeFile(join(dir, DEVICE_FILE), JSON.stringify(config));
  if (state) await writeState(dir, 'version' in state ? state : createState(state));
  const images = new FakeImages();
  const disks = new FakeDisks();
  let out = '';
  let err = '';
  const env = (overrides: Partial<EmulatorEnv> = {}): EmulatorEnv => ({
    uid: 0,
    stdoutIsTTY: false,
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    now: () => new Date('2025-10-01T00:00:00Z'),
    varDir: dir,
    images,
    requestReboot: async (o) => {
      throw new RebootRequested(o.soft);
    },
    dropConnection: async () => {
      throw new ConnectionDropped();
    },
    sleep: async () => undefined,
    disks,
    readFile: async (p) => {
      if (p === '/root/keys') return 'ssh-ed25519 AAAA test\n';
      throw new Error('No such file or directory (os error 2)');
    },
    installConfig: async () => opts.installConfig ?? null,
    ...overrides,
  });
  return {
    dir,
    images,
    disks,
    env,
    async run(argv, overrides) {
      out = '';
      err = '';
      const result: RunResult = { code: null, stdout: '', stderr: '', reboot: null, dropped: false };
      try {
        result.code = await runBootc(argv, env(overrides));
      } catch (e) {
        if (e instanceof RebootRequested) result.reboot = { soft: e.soft };
        else if (e instanceof ConnectionDropped) result.dropped = true;
        else throw e;
      }
      result.stdout = out;
      result.stderr = err;
      return result;
    },
    state: () => readState(dir),
    setState: (s) => writeState(dir, s),
    setFaults: (f) => writeFile(join(dir, FAULTS_FILE), JSON.stringify(f)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
