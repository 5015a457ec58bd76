/**
 * Air-gapped update benchmark (issue 9; not a test): N lab devices (default 20) go from v1 to v2
 * of an image whose base layer (48 MiB, incompressible) stays the same and whose release layer
 * (1 MiB) changes. Two ways, same concurrency, one run each:
 *
 *   Bootfleet: `switch --via library` (the blobs the device lacks, over SFTP, into its OCI layout,
 *              then `bootc switch --transport oci`), as the real ActionService runs it;
 *   baseline:  `scp` of the whole v2 oci-archive to each device, then
 *              `ssh DEVICE sudo -n bootc switch --transport oci-archive FILE:v2` (OpenSSH, with
 *              `KexAlgorithms=curve25519-sha256`, what ssh2 negotiates: the stronger baseline).
 *
 * Both sides start from devices already on v1 by their own method (untimed). Neither reboots:
 * both stage v2. Prints bytes sent and times, and the ratios. Targets: Bootfleet sends at most
 * 1.1x the bytes of the changed blobs, and takes at most 0.5x the baseline's time.
 *
 *   npm run bench:airgap -- [--devices 20] [--concurrency 8]
 *
 * Needs root (the device lab), umoci and skopeo.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCore, type BootfleetCore } from '../electron/core/app';
import { startLab, type LabDevice } from '../e2e/lab/index';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('devices', '20'));
const CONCURRENCY = Number(arg('concurrency', '8'));
const MiB = 1024 * 1024;

/** A random, incompressible file of `bytes`. */
function noise(path: string, bytes: number): void {
  writeFileSync(path, randomBytes(bytes));
}

/** v1 and v2 as oci-archives: the same base layer, a different release layer. */
function buildImages(dir: string): { v1: string; v2: string } {
  const layout = join(dir, 'layout');
  execFileSync('umoci', ['init', '--layout', layout]);
  const base = join(dir, 'base', 'usr', 'share', 'base');
  mkdirSync(base, { recursive: true });
  noise(join(base, 'blob'), 48 * MiB);
  const out: Record<string, string> = {};
  for (const v of ['v1', 'v2']) {
    const rel = join(dir, v, 'usr', 'share', 'release');
    mkdirSync(rel, { recursive: true });
    noise(join(rel, 'blob'), 1 * MiB);
    const image = `${layout}:${v}`;
    execFileSync('umoci', ['new', '--image', image]);
    execFileSync('umoci', ['config', '--image', image, '--architecture', 'amd64', '--os', 'linux', '--config.label', `org.opencontainers.image.version=${v}`, '--config.label', 'containers.bootc=1']);
    execFileSync('umoci', ['insert', '--image', image, join(dir, 'base'), '/']);
    execFileSync('umoci', ['insert', '--image', image, join(dir, v), '/']);
    out[v] = join(dir, `${v}.oci.tar`);
    execFileSync('skopeo', ['copy', '--quiet', `oci:${image}`, `oci-archive:${out[v]}:${v}`]);
  }
  return { v1: out.v1!, v2: out.v2! };
}

async function pool<T>(items: T[], n: number, work: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.slice(-1)[0]}: exit ${code}: ${err.trim()}`))));
  });
}

const sshOpts = (d: LabDevice) => ['-i', d.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'KexAlgorithms=curve25519-sha256'];

/** The baseline on one device: scp the archive, then bootc switch from it. */
async function scpSwitch(d: LabDevice, archive: string, tag: string): Promise<void> {
  const remote = `/var/tmp/${tag}.oci.tar`;
  await run('scp', ['-q', ...sshOpts(d), '-P', String(d.port), archive, `${d.user}@${d.host}:${remote}`]);
  await run('ssh', [...sshOpts(d), '-p', String(d.port), `${d.user}@${d.host}`, `sudo -n bootc switch --transport oci-archive ${remote}:${tag}`]);
}

async function libSwitch(core: BootfleetCore, devices: string[], image: string): Promise<number> {
  const job = await core.actions.wait(core.actions.start(core.actor, { action: 'switch', devices, image, via: 'library', apply: false, downloadOnly: false, transport: 'registry', enforceSignatures: false, waitSeconds: 600, parallel: CONCURRENCY }).id);
  const failed = job.devices.filter((d) => d.state !== 'done');
  if (failed.length) throw new Error(`Bootfleet: ${failed.length} devices failed: ${failed[0]!.error?.message}`);
  const logs = core.jobs.logs(job.id);
  return Object.values(logs).reduce((n, l) => n + Number(/\((\d+) bytes\), .* already there\./.exec(l)?.[1] ?? NaN), 0);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the air-gap benchmark needs root (the device lab)');
  const work = mkdtempSync(join(tmpdir(), 'bf-bench-airgap-'));
  const lab = await startLab({ devices: 2 * N, rebootMs: 300 });
  try {
    console.log(`Building v1 and v2 (48 MiB shared base layer, 1 MiB release layer each)...`);
    const { v1, v2 } = buildImages(work);
    const core = openCore({ dataDir: join(work, 'data'), via: 'cli', log: () => {}, ssh: { concurrency: 64 } });
    const mine = lab.devices.slice(0, N);
    const theirs = lab.devices.slice(N);
    for (const d of mine) await core.call('devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo });
    for (const a of [v1, v2]) {
      const r = await core.call('library.import', { path: a, name: 'bench/os' });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    }
    const changed = ((await core.call('library.get', { ref: 'bench/os:v2' })) as { ok: true; value: { manifests: { layers: { digest: string; size: number }[]; configDigest: string; digest: string }[] } }).value.manifests[0]!;
    const v1m = ((await core.call('library.get', { ref: 'bench/os:v1' })) as { ok: true; value: { manifests: { layers: { digest: string }[] }[] } }).value.manifests[0]!;
    const shared = new Set(v1m.layers.map((l) => l.digest));
    const blobSize = (digest: string) => statSync(join(work, 'data', 'library', 'blobs', 'sha256', digest.slice(7))).size;
    const changedBytes = blobSize(changed.digest) + blobSize(changed.configDigest) + changed.layers.filter((l) => !shared.has(l.digest)).reduce((n, l) => n + l.size, 0);

    console.log(`Bringing ${N} + ${N} devices to v1 (untimed)...`);
    await libSwitch(core, mine.map((d) => d.name), 'bench/os:v1');
    await pool(theirs, CONCURRENCY, (d) => scpSwitch(d, v1, 'v1'));

    console.log(`Updating to v2, concurrency ${CONCURRENCY}...`);
    let t = performance.now();
    const sent = await libSwitch(core, mine.map((d) => d.name), 'bench/os:v2');
    const ours = (performance.now() - t) / 1000;
    t = performance.now();
    await pool(theirs, CONCURRENCY, (d) => scpSwitch(d, v2, 'v2'));
    const baseline = (performance.now() - t) / 1000;
    const scpBytes = statSync(v2).size * N;
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    console.log('');
    console.log(`changed blobs (manifest, config, release layer) x ${N}: ${mb(changedBytes * N)}`);
    console.log(`Bootfleet (--via library):        ${ours.toFixed(2)} s, ${mb(sent)} sent`);
    console.log(`scp + bootc switch oci-archive:   ${baseline.toFixed(2)} s, ${mb(scpBytes)} sent`);
    const byteRatio = sent / (changedBytes * N);
    const timeRatio = ours / baseline;
    console.log(`bytes: ${byteRatio.toFixed(2)}x the changed blobs (target <= 1.1x); ${(sent / scpBytes).toFixed(3)}x scp's`);
    console.log(`time:  ${timeRatio.toFixed(2)}x the baseline (target <= 0.5x)`);
    core.close();
    if (byteRatio > 1.1 || timeRatio > 0.5) process.exitCode = 2;
  } finally {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
