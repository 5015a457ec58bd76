import { appendFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { arch } from 'node:os';
import { join } from 'node:path';
import {
  CONTROL_SOCKET, DAEMON_LOG, MANIFEST_FILE, OPTIONS_FILE,
  type LabDevice, type LabDeviceSpec, type LabImage, type LabManifest, type LabOptions,
} from './config';
import { writeDeviceFiles, shimScripts, type DevicePlan, type Runtime } from './device-files';
import type { Faults } from './emulator/types';
import { buildAndPushImages, retag, LAB_REPOSITORY, STABLE_TAG } from './images';
import { fingerprint, generateKey } from './keys';
import { mapLimit, stopChild } from './procs';
import { startAuthRegistry, startRegistry, type RunningAuthRegistry, type RunningRegistry } from './registry';
import { DeviceRunner, prepareHostKeys, writePids } from './supervisor';
import { initialDeviceState } from './boot';
import { createDisks, detachDisks } from './disks';

/**
 * The lab daemon: started detached by startLab() or `npm run lab -- start`, it owns every process
 * of one lab (a registry and one sshd namespace per device), reboots devices when they ask, applies
 * faults, and answers a small HTTP API on a unix socket in the lab directory.
 */

const dirArg = process.argv[2];
if (!dirArg) throw new Error('usage: daemon.mjs LAB_DIR');
const dir: string = dirArg;
const logFile = join(dir, DAEMON_LOG);
const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);

const DEFAULT_VERSION = '1.16.9';
const HOST_ARCH = arch() === 'arm64' ? 'arm64' : 'amd64';

let registry: RunningRegistry | null = null;
let authRegistry: RunningAuthRegistry | null = null;
let runners: DeviceRunner[] = [];
const loopDevices: string[] = [];
let manifest: LabManifest | null = null;
let stopping: Promise<void> | null = null;

async function pickBaseOctet(): Promise<number> {
  const start = 20 + Math.floor(Math.random() * 200);
  for (let i = 0; i < 230; i++) {
    const octet = 20 + ((start - 20 + i) % 230);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(5000, `127.${octet}.0.1`, () => probe.close(() => resolve(true)));
    });
    if (free) return octet;
  }
  throw new Error('no free 127.x.0.0/16 range for the lab');
}

function deviceSpecs(options: LabOptions): LabDeviceSpec[] {
  const specs = typeof options.devices === 'number'
    ? Array.from({ length: options.devices }, () => ({}))
    : options.devices;
  if (specs.length < 1 || specs.length > 1000) throw new Error(`a lab has 1 to 1000 devices, not ${specs.length}`);
  return specs;
}

async function boot(options: LabOptions): Promise<LabManifest> {
  const t0 = Date.now();
  const octet = await pickBaseOctet();
  const specs = deviceSpecs(options);
  const versions = options.versions?.length ? options.versions : [DEFAULT_VERSION];
  const runtimeDir = join(dir, 'runtime');
  const keyPath = join(dir, 'keys', 'id_ed25519');
  await mkdir(join(dir, 'keys'), { recursive: true });
  await generateKey(keyPath, 'bootfleet-lab');
  const runtime: Runtime = {
    dir: runtimeDir,
    node: process.execPath,
    bootcJs: join(runtimeDir, 'bootc.mjs'),
    clientPub: await readFile(`${keyPath}.pub`, 'utf8'),
  };
  for (const program of ['bootc', 'podman']) {
    await writeFile(join(runtimeDir, program), `#!/bin/sh\nexec ${runtime.node} --no-warnings ${join(runtimeDir, `${program}.mjs`)} "$@"\n`);
    await chmod(join(runtimeDir, program), 0o755);
  }
  for (const [name, text] of Object.entries(shimScripts())) {
    await writeFile(join(runtimeDir, name), text);
    await chmod(join(runtimeDir, name), 0o755);
  }

  const registryHost = `127.${octet}.0.1:5000`;
  if (options.authRegistry && options.noImages) throw new Error('authRegistry serves the lab images; it cannot go with noImages');
  const registryPids = () => [registry?.child.pid ?? 0, authRegistry?.registry.child.pid ?? 0];
  const registryReady = options.noImages
    ? Promise.resolve<LabImage[]>([])
    : (async () => {
        registry = await startRegistry(join(dir, 'registry'), registryHost);
        if (options.authRegistry) {
          // Reads the same storage, so every push and retag shows up on both with the same digests.
          authRegistry = await startAuthRegistry(join(dir, 'auth-registry'), {
            ...options.authRegistry,
            host: `127.${octet}.0.1:5001`,
            tokenHost: `127.${octet}.0.1:5002`,
            storageDir: join(dir, 'registry', 'storage'),
          });
        }
        await writePids(dir, registryPids());
        return buildAndPushImages(join(dir, 'images'), registryHost);
      })();

  const names = new Set<string>();
  const plans: { plan: DevicePlan; spec: LabDeviceSpec }[] = specs.map((spec, i) => {
    const name = spec.name ?? `dev-${String(i + 1).padStart(3, '0')}`;
    if (names.has(name)) throw new Error(`two devices are named ${name}`);
    names.add(name);
    const rootLogin = spec.rootLogin === true;
    return {
      spec,
      plan: {
        name,
        dir: join(dir, 'devices', name),
        address: `127.${octet}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
        port: 22,
        user: rootLogin ? 'root' : (spec.user ?? 'core'),
        rootLogin,
        password: spec.password ?? null,
        podman: spec.podman === true,
        config: {
          name,
          bootcVersion: spec.bootcVersion ?? versions[i % versions.length] ?? DEFAULT_VERSION,
          architecture: spec.architecture ?? HOST_ARCH,
          insecureRegistries: [registryHost],
        },
      },
    };
  });
  await mapLimit(plans, 8, ({ plan }) => prepareHostKeys(plan));
  log(`keys ready in ${Date.now() - t0} ms`);
  const images = await registryReady;
  log(`registry and images ready in ${Date.now() - t0} ms`);

  runners = plans.map(({ plan }) => new DeviceRunner(plan, runtime, options.rebootMs ?? 1500, log));
  const devices: LabDevice[] = await mapLimit(plans, 16, async ({ plan, spec }, i) => {
    const faults: Faults = { ...spec.faults, ...options.faults?.[plan.name] };
    await writeDeviceFiles(plan, runtime, faults);
    const image = spec.image === undefined ? STABLE_TAG : spec.image;
    await initialDeviceState(plan, images.length ? registryHost : null, image, spec.rollbackImage ?? null);
    const disks = spec.disks?.length ? await createDisks(plan, spec.disks) : [];
    loopDevices.push(...disks);
    const runner = runners[i] as DeviceRunner;
    await runner.setFaults(faults);
    return {
      name: plan.name,
      host: plan.address,
      port: plan.port,
      user: plan.user,
      key: keyPath,
      bootcVersion: plan.config.bootcVersion,
      architecture: plan.config.architecture,
      sudo: plan.user !== 'root',
      password: plan.password,
      hostKeyFingerprint: await fingerprint(join(plan.dir, 'etc', 'host-key-original.pub')),
      dir: plan.dir,
      disks,
    };
  });
  log(`device files ready in ${Date.now() - t0} ms`);
  await mapLimit(runners, 32, (r) => r.start());
  await writePids(dir, [...registryPids(), ...runners.map((r) => r.pid ?? 0)]);
  log(`${runners.length} devices running in ${Date.now() - t0} ms`);
  return {
    dir,
    pid: process.pid,
    control: join(dir, CONTROL_SOCKET),
    registry: images.length ? { url: `http://${registryHost}`, host: registryHost, repository: LAB_REPOSITORY } : null,
    ...(authRegistry ? { authRegistry: authRegistry.info } : {}),
    images,
    devices,
  };
}

async function teardown(): Promise<void> {
  stopping ??= (async () => {
    log('stopping');
    await Promise.all(runners.map((r) => r.stop()));
    await stopChild(registry?.child);
    await stopChild(authRegistry?.registry.child);
    await authRegistry?.tokenServer.close();
    await detachDisks(loopDevices);
    log('stopped');
  })();
  return stopping;
}

function runnerFor(name: unknown): DeviceRunner {
  const runner = runners.find((r) => r.plan.name === name);
  if (!runner) throw new Error(`no device named ${String(name)} in this lab`);
  return runner;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The control API: POST /faults, /reboot, /retag, /stop; GET /status. */
function serveControl(): Promise<void> {
  const server = createHttpServer((req, res) => {
    void (async () => {
      try {
        const input = await body(req);
        let result: unknown = { ok: true };
        switch (`${req.method} ${req.url}`) {
          case 'GET /status':
            result = { ...manifest, power: Object.fromEntries(runners.map((r) => [r.plan.name, r.power])), faults: Object.fromEntries(runners.map((r) => [r.plan.name, r.faults])) };
            break;
          case 'POST /faults':
            await runnerFor(input.device).setFaults((input.faults ?? {}) as Faults);
            break;
          case 'POST /reboot':
            await runnerFor(input.device).reboot();
            break;
          case 'POST /retag': {
            if (!manifest?.registry) throw new Error('this lab has no registry');
            result = { digest: await retag(manifest.registry.host, String(input.tag), String(input.from)) };
            break;
          }
          case 'POST /stop':
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
            await teardown();
            server.close();
            process.exit(0);
            return;
          default:
            res.writeHead(404).end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }));
            return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
      }
    })();
  });
  const socket = join(dir, CONTROL_SOCKET);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
}

function watchOwner(pid: number): void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      log(`owner ${pid} is gone`);
      // Nobody is left to call stop: clean up everything, the directory too (unless asked to keep it).
      void teardown()
        .then(() => (process.env.BOOTFLEET_LAB_KEEP ? undefined : rm(dir, { recursive: true, force: true })))
        .then(() => process.exit(0));
    }
  }, 1000);
}

async function main(): Promise<void> {
  const options = JSON.parse(await readFile(join(dir, OPTIONS_FILE), 'utf8')) as LabOptions;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => void teardown().then(() => process.exit(0)));
  }
  try {
    manifest = await boot(options);
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    await teardown();
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    process.exit(1);
  }
  await rm(join(dir, CONTROL_SOCKET), { force: true });
  await serveControl();
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  if (options.ownerPid) watchOwner(options.ownerPid);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

void main();
