/**
 * Flashing benchmark (issue 6; not a test): one image (default 1 GiB of random data) written to a
 * loop device and verified by reading it back, in one run, by:
 *   - dd:       `dd bs=4M oflag=direct conv=fsync`, then `openssl dgst -sha256` of the device
 *               (the fastest hash on this machine; `sha256sum` is 5x slower and would flatter us);
 *   - bootfleet: the real FlashService (flash.start: image check, unmount, write, flush, verify, record);
 *   - etcher-sdk: `multiWrite.decompressThenFlash` with verify (what balenaEtcher runs), plus the
 *               `sync` it leaves undone (it never fsyncs the device; until then "written" means cached).
 * Caches are dropped before each tool's turn, so each reads its source from disk and reads back
 * from the drive. Each side's result is checked (the device's hash equals the image's). K runs,
 * alternating; medians compared. Targets: Bootfleet at most 1.1x dd+openssl, and faster than etcher-sdk.
 *
 *   npm run bench:flash -- [--size-mib 1024] [--runs 3] [--no-etcher] [--direct-io] [--keep]
 *
 * Needs root (loop devices, drop_caches). etcher-sdk is not a dependency of Bootfleet (about 100 MB
 * with native modules): it is installed on first use into bench/.etcher (from the npm registry).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCore, type BootfleetCore } from '../electron/core/app';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const SIZE_MIB = Number(arg('size-mib', '1024'));
const RUNS = Number(arg('runs', '3'));
const WITH_ETCHER = !process.argv.includes('--no-etcher');
/** The loop device reads and writes its backing file with direct I/O: no host page cache, closer to a stick. */
const DIRECT_IO = process.argv.includes('--direct-io');
const TARGET_VS_DD = 1.1;

if (process.getuid?.() !== 0) {
  console.error('bench:flash needs root (loop devices and dropping the page cache).');
  process.exit(2);
}

const dropCaches = (): void => {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function deviceSha256(dev: string, bytes: number): string {
  // openssl reads the whole device; compare only the image's length.
  const out = execFileSync('sh', ['-c', 'head -c "$1" "$2" | openssl dgst -sha256 -r', 'sh', String(bytes), dev]).toString();
  return out.split(' ')[0]!;
}

/** The part of etcher-sdk's API the benchmark uses (it is not a dependency, so has no types here). */
interface EtcherSdk {
  sourceDestination: {
    File: new (o: { path: string }) => object;
    BlockDevice: new (o: { drive: object; write: boolean; direct: boolean; unmountOnSuccess: boolean }) => object;
  };
  multiWrite: {
    decompressThenFlash(o: { source: object; destinations: object[]; verify: boolean; onFail: (d: object, e: Error) => void; onProgress: () => void }): Promise<{ failures: Map<object, Error> }>;
  };
}

/** etcher-sdk from bench/.etcher, installed there on first use. */
function loadEtcher(): EtcherSdk | null {
  const dir = join(__dirname, '.etcher');
  const req = createRequire(join(dir, 'package.json'));
  try {
    return req('etcher-sdk') as EtcherSdk;
  } catch {
    console.log('Installing etcher-sdk into bench/.etcher (once; about 100 MB)...');
    mkdirSync(dir, { recursive: true });
    // etcher-sdk 10.2 pins unbzip2-stream to a git URL that cannot be fetched: use the registry's release.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-etcher', private: true, dependencies: { 'etcher-sdk': '10.2.x' }, overrides: { 'unbzip2-stream': '1.4.3' } }, null, 2));
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) return null;
    return req('etcher-sdk') as EtcherSdk;
  }
}

interface Run {
  tool: string;
  ms: number;
  detail: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync('/var/tmp/bootfleet-bench-flash-');
  const image = join(dir, 'image.raw');
  const bytes = SIZE_MIB * 1024 * 1024;
  console.log(`Image: ${SIZE_MIB} MiB of random data (${image})`);
  const fd = openSync(image, 'w');
  const h = createHash('sha256');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    const b = left >= chunk.length ? chunk : chunk.subarray(0, left);
    randomFillSync(b);
    h.update(b);
    writeSync(fd, b);
  }
  closeSync(fd);
  const want = h.digest('hex');
  const backing = join(dir, 'stick.img');
  execFileSync('truncate', ['-s', `${SIZE_MIB + 16}M`, backing]);
  const dev = execFileSync('losetup', ['--find', '--show', ...(DIRECT_IO ? ['--direct-io=on'] : []), backing]).toString().trim();
  console.log(`Target: ${dev} (a loop device over ${backing}${DIRECT_IO ? ', direct I/O' : ''})`);
  const etcher = WITH_ETCHER ? loadEtcher() : null;
  if (WITH_ETCHER && !etcher) console.log('etcher-sdk could not be installed: its column is left out.');
  const dataDir = join(dir, 'data');
  const core: BootfleetCore = openCore({ dataDir, via: 'cli' });
  const results: Run[] = [];
  let failures = 0;
  const check = (tool: string, ok: boolean, what: string): void => {
    if (!ok) {
      failures++;
      console.log(`  !! ${tool}: ${what}`);
    }
  };
  const wipe = (): void => {
    // Start every turn from a blank stick, so no tool gets credit for bytes already there.
    execFileSync('blkdiscard', ['-f', dev], { stdio: 'ignore' });
  };

  const tools: Record<string, () => Promise<string>> = {
    'dd+openssl': async () => {
      execFileSync('dd', [`if=${image}`, `of=${dev}`, 'bs=4M', 'oflag=direct', 'conv=fsync', 'status=none']);
      const got = deviceSha256(dev, bytes);
      check('dd+openssl', got === want, `read back ${got}, want ${want}`);
      return 'dd, then openssl dgst -sha256';
    },
    bootfleet: async () => {
      const started = await core.call('flash.start', { image, drives: [dev], verify: true });
      if (!started.ok) throw new Error(started.error.message);
      const f = await core.flash.wait((started.value as { id: string }).id);
      check('bootfleet', f.state === 'done' && f.targets[0]?.condition === 'written and verified', `state ${f.state}: ${f.targets[0]?.condition} ${f.targets[0]?.error?.message ?? ''}`);
      check('bootfleet', f.imageSha256 === want, `image hash ${f.imageSha256}`);
      return f.targets[0]?.condition ?? f.state;
    },
  };
  if (etcher) {
    tools['etcher-sdk'] = async () => {
      const { multiWrite, sourceDestination } = etcher;
      const source = new sourceDestination.File({ path: image });
      // drivelist never lists loop devices: its drive object is built by hand, as Etcher would get it for a stick.
      const drive = { device: dev, raw: dev, devicePath: null, description: 'loop', size: (SIZE_MIB + 16) * 1024 * 1024, mountpoints: [], isReadOnly: false, isSystem: false, isRemovable: true, isUSB: true, isVirtual: false, isSCSI: false, isUAS: false, isCard: false, busType: 'USB', busVersion: null, blockSize: 512, logicalBlockSize: 512, enumerator: 'loop', error: null, partitionTableType: null, displayName: dev };
      const target = new sourceDestination.BlockDevice({ drive, write: true, direct: true, unmountOnSuccess: false });
      const r = await multiWrite.decompressThenFlash({ source, destinations: [target], verify: true, onFail: (_d, e) => check('etcher-sdk', false, e.message), onProgress: () => undefined });
      check('etcher-sdk', r.failures.size === 0, `${r.failures.size} failures`);
      const t = performance.now();
      execFileSync('sync');
      return `then sync ${((performance.now() - t) / 1000).toFixed(2)} s (included)`;
    };
  }

  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const [tool, f] of Object.entries(tools)) {
        wipe();
        dropCaches();
        const t = performance.now();
        const detail = await f();
        const ms = performance.now() - t;
        if (tool !== 'dd+openssl') {
          const got = deviceSha256(dev, bytes); // untimed: the drive must hold the image whatever the tool said
          check(tool, got === want, `device holds ${got} after the run, want ${want}`);
        }
        results.push({ tool, ms, detail });
        console.log(`run ${run}  ${tool.padEnd(11)} ${secs(ms).padStart(8)}  ${detail}`);
      }
    }
  } finally {
    core.close();
    execFileSync('losetup', ['-d', dev]);
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }

  const med = (tool: string): number => median(results.filter((r) => r.tool === tool).map((r) => r.ms));
  const dd = med('dd+openssl');
  const bf = med('bootfleet');
  console.log(`\nMedians of ${RUNS} runs, ${SIZE_MIB} MiB, write + verify:`);
  console.log(`  dd+openssl  ${secs(dd)}`);
  console.log(`  bootfleet   ${secs(bf)}   ${(bf / dd).toFixed(2)}x dd+openssl (target <= ${TARGET_VS_DD}x: ${bf / dd <= TARGET_VS_DD ? 'MET' : 'MISSED'})`);
  if (tools['etcher-sdk']) {
    const et = med('etcher-sdk');
    console.log(`  etcher-sdk  ${secs(et)}   bootfleet is ${(et / bf).toFixed(2)}x as fast (target > 1: ${bf < et ? 'MET' : 'MISSED'})`);
  }
  if (failures) {
    console.log(`\n${failures} check(s) failed: the numbers above do not count.`);
    process.exit(1);
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
