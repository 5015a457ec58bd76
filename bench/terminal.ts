/**
 * Terminal benchmark (issue 11; not a test): 200 MB of text printed on a lab device, once through
 * Bootfleet's terminal path and once through OpenSSH to /dev/null, one run each.
 *
 *   Bootfleet: `cat FILE` in a session with a remote PTY (terminals.open's path: ssh2, UTF-8
 *              decoding, `terminal.output` events on the core's bus, acknowledged flow control),
 *              each event written into a headless xterm.js (@xterm/headless) that parses it as
 *              the UI's terminal would, and acknowledged once written;
 *   baseline:  `ssh DEVICE cat FILE > /dev/null` (OpenSSH, curve25519-sha256 as ssh2 negotiates;
 *              no terminal emulator at all, so it is the upper bound of the wire).
 *
 * Prints MB/s for both, the ratio, and the Node process's peak RSS during Bootfleet's flood
 * (flow control is what keeps it bounded). Needs root (the device lab).
 *
 *   npm run bench:terminal -- [--mb 200]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Terminal } from '@xterm/headless';
import { openCore } from '../electron/core/app';
import { startLab } from '../e2e/lab/index';

const i = process.argv.indexOf('--mb');
const MB = i > 0 ? Number(process.argv[i + 1]) : 200;
const BYTES = MB * 1_000_000;

async function main(): Promise<void> {
  const lab = await startLab({ devices: [{ name: 'flood-1' }] });
  const dataDir = mkdtempSync(join(tmpdir(), 'bootfleet-bench-terminal-'));
  const core = openCore({ dataDir, via: 'cli', log: () => {} });
  try {
    const d = lab.devices[0]!;
    await core.call('devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo });
    const sshArgs = ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'KexAlgorithms=curve25519-sha256', `${d.user}@${d.host}`];
    // Text like a log: base64 of random bytes, 76 columns a line.
    const file = '/var/tmp/flood.txt';
    execFileSync('ssh', [...sshArgs, `head -c ${Math.ceil((BYTES * 3) / 4)} /dev/urandom | base64 > ${file}; wc -c < ${file}`]);
    const size = Number(execFileSync('ssh', [...sshArgs, `wc -c < ${file}`]).toString().trim());
    console.log(`Terminal benchmark: ${(size / 1e6).toFixed(0)} MB of text from a lab device, Node ${process.versions.node}\n`);

    // OpenSSH to /dev/null.
    let t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn('ssh', [...sshArgs, `cat ${file}`], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh exited ${code}`))));
    });
    const sshSecs = (performance.now() - t0) / 1000;
    // The same through a remote PTY (ssh -tt), as a terminal session is: the tty layer costs too.
    t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn('ssh', ['-tt', ...sshArgs, `stty -echo; cat ${file}`], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh -tt exited ${code}`))));
    });
    const sshTtySecs = (performance.now() - t0) / 1000;

    // Bootfleet's terminal path, with the viewer a headless xterm.js (as the UI), or none (the transport alone).
    const viaBootfleet = async (emulate: boolean): Promise<{ secs: number; received: number; peak: number }> => {
      const term = emulate ? new Terminal({ cols: 120, rows: 40, scrollback: 5000, allowProposedApi: true }) : null;
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      let received = 0;
      let id = '';
      let pendingAck = 0;
      let done!: () => void;
      const ended = new Promise<void>((r) => (done = r));
      const drawn = (bytes: number) => {
        pendingAck += bytes;
        // The UI acknowledges in steps, not per event.
        if (pendingAck >= 32 * 1024 && id) {
          void core.call('terminals.ack', { id, bytes: pendingAck });
          pendingAck = 0;
        }
      };
      const off = core.bus.subscribe((name, payload) => {
        if (name === 'terminal.output') {
          const p = payload as { id: string; data: string; bytes: number };
          received += p.bytes;
          if (term) term.write(p.data, () => drawn(p.bytes));
          else drawn(p.bytes);
        } else if (name === 'terminal.exit') done();
      });
      const t = performance.now();
      const opened = await core.call('terminals.open', { device: d.name, cols: 120, rows: 40 });
      if (!opened.ok) throw new Error(opened.error.message);
      id = (opened.value as { id: string }).id;
      await core.call('terminals.input', { id, data: `stty -echo; cat ${file}; exit\r` });
      await ended;
      if (term) await new Promise<void>((r) => term.write('', r));
      const secs = (performance.now() - t) / 1000;
      clearInterval(sampler);
      off();
      term?.dispose();
      return { secs, received, peak };
    };
    const bare = await viaBootfleet(false);
    const full = await viaBootfleet(true);

    const mbps = (secs: number) => size / 1e6 / secs;
    const row = (name: string, secs: number, extra = '') => console.log(`${name.padEnd(46)} ${secs.toFixed(1).padStart(6)} s ${mbps(secs).toFixed(1).padStart(7)} MB/s  ${extra}`);
    row('OpenSSH: ssh DEVICE cat FILE > /dev/null', sshSecs);
    row('OpenSSH with a remote PTY: ssh -tt, same', sshTtySecs);
    row('Bootfleet: terminal path, no emulator', bare.secs, `(${(bare.received / 1e6).toFixed(0)} MB received, peak RSS ${(bare.peak / 1048576).toFixed(0)} MiB)`);
    row('Bootfleet: terminal path into headless xterm.js', full.secs, `(${(full.received / 1e6).toFixed(0)} MB received, peak RSS ${(full.peak / 1048576).toFixed(0)} MiB)`);
    console.log(`\nBootfleet / OpenSSH throughput: ${(mbps(full.secs) / mbps(sshSecs)).toFixed(2)}x with xterm.js parsing in the same process (the app parses in its renderer), ${(mbps(bare.secs) / mbps(sshSecs)).toFixed(2)}x for the transport alone`);
    console.log(`Peak RSS of this Node process during the flood: ${(Math.max(bare.peak, full.peak) / 1048576).toFixed(0)} MiB`);
  } finally {
    core.close();
    await lab.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
