import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab } from '../e2e/lab/index';

/**
 * How big a device lab this machine runs: start N devices (default 200), report the time until
 * every sshd answers and the memory the lab's processes use (sum of PSS, so shared pages count
 * once), then ask every device for `bootc status` with parallel-ssh to show they all serve.
 * Targets from issue 3: 200 devices in under 15 s and under 1 GiB.
 *
 *   npm run bench:lab -- [devices]
 */

function pssOf(dir: string): { processes: number; bytes: number } {
  let processes = 0;
  let bytes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) continue;
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8');
      const kb = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      processes++;
      bytes += kb * 1024;
    } catch {
      // the process ended while we looked
    }
  }
  return { processes, bytes };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const t0 = performance.now();
  const lab = await startLab({ devices: count, versions: ['1.16.9', '1.12.0', '1.1.6', '0.1.14'] });
  const startMs = performance.now() - t0;
  try {
    const mem = pssOf(lab.dir);
    const hosts = join(lab.dir, 'bench-hosts');
    writeFileSync(hosts, lab.devices.map((d) => `${d.user}@${d.host}`).join('\n'));
    const p0 = performance.now();
    const pssh = spawnSync('parallel-ssh', [
      '-h', hosts, '-p', '32', '-t', '60', '-i',
      '-x', `-i ${lab.devices[0]?.key} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256`,
      'sudo -n bootc status --json', // works on every release (0.1.14 has no --format-version=1)
    ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const fanMs = performance.now() - p0;
    const ok = (pssh.stdout.match(/\[SUCCESS\]/g) ?? []).length;
    const mib = mem.bytes / 1024 / 1024;
    console.log(`devices                 ${count}`);
    console.log(`start (all sshd answer) ${(startMs / 1000).toFixed(1)} s   target < 15 s for 200   ${startMs < 15_000 || count > 200 ? 'ok' : 'OVER'}`);
    console.log(`memory (PSS, ${mem.processes} processes) ${mib.toFixed(0)} MiB   target < 1024 MiB for 200   ${mib < 1024 || count > 200 ? 'ok' : 'OVER'}`);
    console.log(`bootc status on every device (parallel-ssh -p 32, curve25519, --json): ${ok}/${count} ok in ${(fanMs / 1000).toFixed(1)} s`);
  } finally {
    await lab.stop();
  }
}

void main();
