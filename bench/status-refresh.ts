/**
 * Status refresh benchmark (issue 4; not a test): N lab devices (default 200), Bootfleet's refresh
 * (the real FleetService: SSH, `bootc status`, parsing, storing in SQLite) against parallel-ssh
 * (Debian's pssh) running the same bootc command with the same concurrency, key and pinned host
 * keys, in one run. Target: Bootfleet at most 0.5x parallel-ssh's time.
 *
 *   npm run bench:status -- [--devices 200] [--concurrency 32] [--runs 3] [--versions 1.16.9,1.12.0,1.1.6,0.1.15]
 *
 * Needs root (the device lab). Both sides get one untimed warm-up (Bootfleet's pins the host keys
 * on first use and reads facts, as a first contact does); then K timed runs of each side,
 * alternating, and the medians are compared. parallel-ssh runs twice per round: with OpenSSH's
 * default key exchange (sntrup761x25519, about 0.1 s of client CPU per connection here) and with
 * `KexAlgorithms=curve25519-sha256` (what ssh2 negotiates); the headline ratio is against the
 * latter, the stronger baseline. Exits non-zero if any run of either side had failures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'ssh2';
import { openCore, type BootfleetCore } from '../electron/core/app';
import { startLab, type Lab, type LabDevice } from '../e2e/lab/index';

// ---- arguments --------------------------------------------------------------------------

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('devices', '200'));
const CONCURRENCY = Number(arg('concurrency', '32'));
const RUNS = Number(arg('runs', '3'));
/** Every release here answers `--format=json --format-version=1` (0.1.15 and later), so both sides run one command. */
const VERSIONS = arg('versions', '1.16.9,1.12.0,1.1.6,0.1.15').split(',').map((v) => v.trim()).filter(Boolean);
const BOOTC_ARGV = ['bootc', 'status', '--format=json', '--format-version=1'];
const CURVE = 'KexAlgorithms=curve25519-sha256';
const TARGET = 0.5;

for (const [name, v] of [['devices', N], ['concurrency', CONCURRENCY], ['runs', RUNS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, not ${String(v)}`);
}
for (const v of VERSIONS) {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  if (a === 0 && (b < 1 || (b === 1 && c < 15))) {
    throw new Error(`--versions ${v}: releases before 0.1.15 need Bootfleet's \`--json\` fallback (a second command); parallel-ssh runs one command for all hosts, so this benchmark uses 0.1.15 or later only.`);
  }
}

// ---- measuring ---------------------------------------------------------------------------

/** CPU seconds of this process, of its reaped children, and of the whole machine (all cores). */
function cpuNow(): { self: number; children: number; machine: number } {
  const tick = 100; // USER_HZ on Linux
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, so utime/stime/cutime/cstime (14-17) are indexes 11-14.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(f[i]) / tick) as [number, number, number, number];
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = everything but idle and iowait
  const busy = cpu.reduce((s, x, i) => (i === 3 || i === 4 || i > 7 ? s : s + x), 0) / tick;
  return { self: utime + stime, children: cutime + cstime, machine: busy };
}

/**
 * CPU seconds the lab's processes used, with everything they waited for: each device's sshd is
 * PID 1 of its namespace and reaps its connection processes, so its children's time holds
 * every login, sudo and bootc. Unlike the machine's total, other processes on the machine do
 * not count.
 */
function labCpu(dir: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += [11, 12, 13, 14].reduce((t, i) => t + Number(f[i]), 0) / 100;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/**
 * labCpu once the connections of a run have ended: a connection's sshd renames itself
 * (`sshd: core [priv]`), so its time is seen only when the device's sshd has reaped it.
 */
async function settledLabCpu(dir: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  return labCpu(dir);
}

interface Run {
  seconds: number;
  ok: number;
  failures: number;
  /** CPU seconds of the client (Bootfleet: this process; pssh: pssh and its ssh children). */
  clientCpu: number;
  /** CPU seconds the lab's devices used (sshd, sudo, bootc). */
  deviceCpu: number;
  /** CPU seconds used on the whole machine during the run (client, devices, anything else running). */
  machineCpu: number;
  note: string;
}

interface Side {
  label: string;
  settings: string;
  runs: Run[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---- parallel-ssh -----------------------------------------------------------------------

let running: ChildProcess | null = null;

function sh(cmd: string, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so an interrupted benchmark can stop pssh and its ssh children.
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      running = null;
      resolve({ code, stdout, stderr });
    });
  });
}

interface PsshSetup {
  hostsFile: string;
  key: string;
  knownHosts: string;
  work: string;
  command: string;
  labDir: string;
}

/** The ssh options both parallel-ssh settings share (pssh adds its own: NumberOfPasswordPrompts=1, SendEnv=PSSH_*). */
function sshOptions(s: PsshSetup): string {
  return `-i ${s.key} -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile=${s.knownHosts} -o StrictHostKeyChecking=yes`;
}

async function runPssh(s: PsshSetup, extra: string[], tag: string): Promise<Run> {
  const outdir = join(s.work, `pssh-out-${tag}`);
  const errdir = join(s.work, `pssh-err-${tag}`);
  rmSync(outdir, { recursive: true, force: true });
  rmSync(errdir, { recursive: true, force: true });
  const argv = [
    '-p', String(CONCURRENCY), '-h', s.hostsFile,
    '-x', sshOptions(s),
    ...extra.flatMap((o) => ['-O', o]),
    '-o', outdir, '-e', errdir, s.command,
  ];
  const d0 = labCpu(s.labDir);
  const c0 = cpuNow();
  const t0 = performance.now();
  const r = await sh('parallel-ssh', argv);
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpuNow();
  const deviceCpu = (await settledLabCpu(s.labDir)) - d0;
  // Untimed check of what came back: every host must have printed a status document.
  const success = (r.stdout.match(/\[SUCCESS\]/g) ?? []).length;
  let valid = 0;
  const bad: string[] = [];
  for (const f of existsSync(outdir) ? readdirSync(outdir) : []) {
    try {
      const doc = JSON.parse(readFileSync(join(outdir, f), 'utf8')) as { status?: { booted?: unknown } };
      if (doc.status?.booted) valid++;
      else bad.push(`${f}: no status.booted`);
    } catch {
      bad.push(`${f}: not JSON`);
    }
  }
  const ok = Math.min(success, valid);
  const failures = N - ok;
  const notes: string[] = [];
  if (r.code !== 0) notes.push(`parallel-ssh exit ${r.code}`);
  if (failures > 0) {
    const failed = r.stdout.split('\n').filter((l) => /\[FAILURE\]/.test(l)).slice(0, 3);
    notes.push(...failed, ...bad.slice(0, 3));
    const firstErr = (existsSync(errdir) ? readdirSync(errdir) : []).map((f) => readFileSync(join(errdir, f), 'utf8').trim()).find(Boolean);
    if (firstErr) notes.push(`stderr: ${firstErr.split('\n')[0]}`);
  }
  return { seconds, ok, failures, clientCpu: c1.children - c0.children, deviceCpu, machineCpu: c1.machine - c0.machine, note: notes.join('; ') };
}

// ---- Bootfleet --------------------------------------------------------------------------

async function call(core: BootfleetCore, method: string, input: unknown): Promise<unknown> {
  const r = await core.call(method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.value;
}

/**
 * One refresh through a freshly opened core (as `bootfleet status --all --refresh` would), so no
 * idle pooled connection from an earlier run is reused. Only the refresh itself is timed.
 */
async function runBootfleet(dataDir: string, labDir: string): Promise<Run & { perDeviceMs: number[] }> {
  const core = openCore({ dataDir, via: 'cli', log: (m) => console.error(m), ssh: { concurrency: CONCURRENCY } });
  try {
    const before = core.db.prepare('SELECT max(id) FROM status_snapshots').pluck().get() as number | null;
    const d0 = labCpu(labDir);
    const c0 = cpuNow();
    const t0 = performance.now();
    const p = await core.fleet.refresh(core.actor, { facts: false, concurrency: CONCURRENCY });
    const seconds = (performance.now() - t0) / 1000;
    const c1 = cpuNow();
    // Untimed check: a snapshot per device was stored, each with a booted image.
    const rows = core.db
      .prepare("SELECT outcome, booted_digest, duration_ms FROM status_snapshots WHERE id > ?")
      .all(before ?? 0) as { outcome: string; booted_digest: string | null; duration_ms: number }[];
    const stored = rows.filter((r) => r.outcome === 'ok' && r.booted_digest).length;
    const ok = Math.min(p.ok, stored);
    const notes: string[] = [];
    if (p.state !== 'done') notes.push(`job ${p.state}${p.message ? `: ${p.message}` : ''}`);
    if (stored !== p.ok) notes.push(`${p.ok} answered but ${stored} good snapshots stored`);
    for (const g of p.groups) notes.push(`${g.label} x${g.count}: ${g.devices[0]?.message ?? ''}`);
    // The last connections stay pooled until the core closes; their sshd's time counts once they end.
    core.close();
    const deviceCpu = (await settledLabCpu(labDir)) - d0;
    return {
      seconds, ok, failures: N - ok, clientCpu: c1.self - c0.self, deviceCpu, machineCpu: c1.machine - c0.machine, note: notes.join('; '),
      perDeviceMs: rows.map((r) => r.duration_ms),
    };
  } finally {
    core.close();
  }
}

// ---- which algorithms each side negotiates -------------------------------------------------

/** What ssh2 negotiates with its defaults (Bootfleet passes no algorithm settings to ssh2). */
function ssh2Algorithms(d: LabDevice): Promise<string> {
  return new Promise((resolve) => {
    const c = new Client();
    c.on('handshake', (n) => {
      resolve(`kex ${n.kex}, host key ${n.serverHostKey}, cipher ${n.cs.cipher}${n.cs.mac ? `/${n.cs.mac}` : ''}`);
      c.end();
    });
    c.on('error', (e) => resolve(`(could not tell: ${e.message})`));
    c.connect({ host: d.host, port: d.port, username: d.user, privateKey: readFileSync(d.key), hostVerifier: () => true, readyTimeout: 10_000 });
  });
}

/** What OpenSSH negotiates with the same options pssh passes (from `ssh -v`). */
async function opensshAlgorithms(s: PsshSetup, d: LabDevice, extra: string[]): Promise<string> {
  const r = await sh('ssh', [
    '-v', '-i', s.key, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${s.knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
    ...extra.flatMap((o) => ['-o', o]), '-p', String(d.port), `${d.user}@${d.host}`, 'true',
  ]);
  const kex = /kex: algorithm: (\S+)/.exec(r.stderr)?.[1] ?? '?';
  const hk = /kex: host key algorithm: (\S+)/.exec(r.stderr)?.[1] ?? '?';
  const cipher = /kex: client->server cipher: (\S+) MAC: (\S+)/.exec(r.stderr);
  return `kex ${kex}, host key ${hk}, cipher ${cipher?.[1] ?? '?'}${cipher && cipher[2] !== '<implicit>' ? `/${cipher[2]}` : ''}`;
}

// ---- main ---------------------------------------------------------------------------------

let lab: Lab | null = null;
let work: string | null = null;

async function cleanup(): Promise<void> {
  if (running?.pid) {
    try {
      process.kill(-running.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const l = lab;
  lab = null;
  await l?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  work = null;
}

process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping the lab');
  void cleanup().finally(() => process.exit(130));
});

async function main(): Promise<number> {
  const ssh2Version = (createRequire(__filename)('ssh2/package.json') as { version: string }).version;
  let nativeCrypto = false;
  try {
    nativeCrypto = !!(createRequire(__filename)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable;
  } catch {
    // no such module: treat as pure JS
  }
  const psshVersion = (await sh('parallel-ssh', ['--version'])).stdout.trim() || '?';
  const sshVersion = (await sh('ssh', ['-V'])).stderr.trim();

  work = mkdtempSync(join(tmpdir(), 'bootfleet-bench-status-'));
  const t0 = performance.now();
  lab = await startLab({ devices: N, versions: VERSIONS });
  const labSeconds = (performance.now() - t0) / 1000;
  const labDir = lab.dir;
  const devices = lab.devices;
  const first = devices[0]!;
  if (devices.some((d) => d.key !== first.key || d.user !== first.user || d.sudo !== first.sudo)) {
    throw new Error('the lab devices differ in key, user or sudo; this benchmark runs one command line for all of them');
  }
  const command = (first.sudo ? ['sudo', '-n', '--', ...BOOTC_ARGV] : BOOTC_ARGV).join(' ');

  // parallel-ssh: hosts, and every host key pinned (StrictHostKeyChecking=yes), as an operator would.
  const hostOf = (d: LabDevice): string => (d.port === 22 ? d.host : `[${d.host}]:${d.port}`);
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(
    knownHosts,
    devices.map((d) => `${hostOf(d)} ${readFileSync(join(d.dir, 'etc', 'host-key-original.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`).join('\n') + '\n',
  );
  const hostsFile = join(work, 'hosts');
  writeFileSync(hostsFile, devices.map((d) => `${d.user}@${d.host}${d.port === 22 ? '' : `:${d.port}`}`).join('\n') + '\n');
  const pssh: PsshSetup = { hostsFile, key: first.key, knownHosts, work, command, labDir };

  // Bootfleet: the same devices through the CSV import (key auth with the same key file, sudo).
  const dataDir = join(work, 'bootfleet-data');
  mkdirSync(dataDir);
  {
    const core = openCore({ dataDir, via: 'cli', log: (m) => console.error(m), ssh: { concurrency: CONCURRENCY } });
    try {
      const csv = ['name,host,port,user,sudo,key', ...devices.map((d) => `${d.name},${d.host},${d.port},${d.user},${d.sudo},${d.key}`)].join('\n') + '\n';
      const rep = (await call(core, 'devices.import', { csv, dryRun: false, fileName: 'lab.csv' })) as { imported?: number; valid: number };
      if (rep.valid !== N) throw new Error(`imported ${rep.valid} of ${N} devices`);
    } finally {
      core.close();
    }
  }

  const algoBootfleet = await ssh2Algorithms(first);
  const algoDefault = await opensshAlgorithms(pssh, first, []);
  const algoCurve = await opensshAlgorithms(pssh, first, [CURVE]);

  console.log(`Bootfleet status refresh benchmark: ${N} lab devices (bootc ${VERSIONS.join(', ')}, round robin), concurrency ${CONCURRENCY}, ${RUNS} timed run${RUNS === 1 ? '' : 's'} per side`);
  console.log(`lab started in ${labSeconds.toFixed(1)} s; Node ${process.versions.node}; ssh2 ${ssh2Version} (native crypto ${nativeCrypto ? 'built' : 'NOT built: pure JS'}); parallel-ssh ${psshVersion}; ${sshVersion}`);
  console.log(`command on every device: ${command}   (user ${first.user}, key ${first.key}, host keys pinned on both sides)`);
  console.log(`parallel-ssh: -p ${CONCURRENCY} (default per-host timeout, 60 s) -x "${sshOptions(pssh)}" [-O ${CURVE}]`);
  console.log(`Bootfleet: core.fleet.refresh({facts: false, concurrency: ${CONCURRENCY}}), pool concurrency ${CONCURRENCY}, key auth with the same key; a fresh core per run (no pooled connection survives between runs); only the refresh is timed`);
  console.log(`negotiated: Bootfleet (ssh2 defaults): ${algoBootfleet}`);
  console.log(`            ssh (OpenSSH defaults):    ${algoDefault}`);
  console.log(`            ssh -o ${CURVE}: ${algoCurve}\n`);

  // Warm-ups, untimed: Bootfleet pins each host key on first use and reads facts (first contact).
  const warmB = await runBootfleet(dataDir, labDir);
  const warmP1 = await runPssh(pssh, [], 'warm-default');
  const warmP2 = await runPssh(pssh, [CURVE], 'warm-curve');
  console.log(`warm-up (untimed): Bootfleet ${warmB.seconds.toFixed(2)} s (pins host keys, reads facts), ${warmB.failures} failed; ` +
    `parallel-ssh ${warmP1.seconds.toFixed(2)} s / ${warmP2.seconds.toFixed(2)} s, ${warmP1.failures} / ${warmP2.failures} failed`);
  for (const [name, w] of [['Bootfleet', warmB], ['parallel-ssh', warmP1], ['parallel-ssh (curve25519)', warmP2]] as const) {
    if (w.note) console.log(`  ${name} warm-up: ${w.note}`);
  }

  const sides: Side[] = [
    { label: 'Bootfleet', settings: `ssh2 ${ssh2Version} defaults, parse + store (SQLite)`, runs: [] },
    { label: 'parallel-ssh', settings: 'OpenSSH defaults', runs: [] },
    { label: 'parallel-ssh', settings: `-O ${CURVE}`, runs: [] },
  ];
  const perDevice: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const b = await runBootfleet(dataDir, labDir);
    perDevice.push(...b.perDeviceMs);
    sides[0]!.runs.push(b);
    sides[1]!.runs.push(await runPssh(pssh, [], `run${i}-default`));
    sides[2]!.runs.push(await runPssh(pssh, [CURVE], `run${i}-curve`));
    console.log(`run ${i + 1}/${RUNS}: ` + sides.map((s) => `${s.label}${s.settings.startsWith('-O') ? ' (curve25519)' : ''} ${s.runs[i]!.seconds.toFixed(2)} s`).join(', '));
  }

  console.log('');
  const head = `${'side'.padEnd(13)} ${'settings'.padEnd(46)} ${'median s'.padStart(9)} ${'devices/s'.padStart(10)} ${'failures'.padStart(9)} ${'client CPU s'.padStart(13)} ${'devices CPU s'.padStart(14)} ${'machine CPU s'.padStart(14)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  let failures = 0;
  const medians: number[] = [];
  for (const s of sides) {
    const m = median(s.runs.map((r) => r.seconds));
    medians.push(m);
    const f = s.runs.reduce((n, r) => n + r.failures, 0);
    failures += f;
    console.log(
      `${s.label.padEnd(13)} ${s.settings.padEnd(46)} ${m.toFixed(2).padStart(9)} ${(N / m).toFixed(0).padStart(10)} ${String(f).padStart(9)} ` +
        `${median(s.runs.map((r) => r.clientCpu)).toFixed(2).padStart(13)} ${median(s.runs.map((r) => r.deviceCpu)).toFixed(2).padStart(14)} ` +
        `${median(s.runs.map((r) => r.machineCpu)).toFixed(2).padStart(14)}`,
    );
  }
  perDevice.sort((a, b) => a - b);
  console.log(`\nBootfleet per-device contact (connect, handshake, exec, parse; stored in batches): median ${median(perDevice).toFixed(0)} ms, ` +
    `p95 ${perDevice[Math.floor(perDevice.length * 0.95)] ?? 0} ms, max ${perDevice[perDevice.length - 1] ?? 0} ms`);
  const cores = availableParallelism();
  console.log(`CPU (medians): client = the Bootfleet process / pssh with its ssh children; devices = the lab's sshd, sudo and bootc; machine = busy time of all ${cores} cores (also counts anything else running).\n`);

  const [b, pDefault, pCurve] = medians as [number, number, number];
  console.log(`ratio bootfleet/pssh (OpenSSH defaults)        = ${(b / pDefault).toFixed(2)}`);
  const ratio = b / pCurve;
  // The devices share this machine's cores with the client: their CPU is a floor under both sides' times.
  const deviceCpu = median(sides[0]!.runs.map((r) => r.deviceCpu));
  const floor = deviceCpu / cores;
  console.log(`devices' own CPU: ${((deviceCpu / N) * 1000).toFixed(0)} ms per contact (sshd, sudo, the lab's bootc); on ${cores} cores that alone takes ${floor.toFixed(1)} s, ` +
    `a floor under both sides (${(floor / pCurve).toFixed(2)} of the curve25519 baseline)${floor > TARGET * pCurve ? `: the target (${(TARGET * pCurve).toFixed(1)} s) is below it on this machine` : ''}`);
  console.log(`ratio bootfleet/pssh = ${ratio.toFixed(2)} (target <= ${TARGET.toFixed(2)})   [vs -O ${CURVE}, the headline]   ${ratio <= TARGET ? 'MET' : 'MISSED'}`);

  if (failures > 0) {
    console.log(`\n!!! ${failures} FAILED device contact${failures === 1 ? '' : 's'} in the timed runs; the times above are not comparable !!!`);
    for (const s of sides) {
      s.runs.forEach((r, i) => {
        if (r.failures) console.log(`  ${s.label} ${s.settings} run ${i + 1}: ${r.failures} failed: ${r.note}`);
      });
    }
    return 1;
  }
  return 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanup().catch((e: unknown) => console.error(e));
    process.exit(1);
  });
