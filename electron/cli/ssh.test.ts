import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../e2e/lab';
import type { BootfleetCore } from '../core/app';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore } from '../core/test-support';
import { parseAsciicast } from '../core/terminals/asciicast';
import type { TerminalExit, TerminalSession } from '../core/terminals/terminal-service';
import { runCli } from './program';

/** Terminals on devices: `bootfleet ssh` and the core's sessions, against the device lab (needs root). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the terminal tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;

/** What runs on the device now, seen from a separate plain OpenSSH login (one without a terminal). */
function deviceProcesses(d: LabDevice): string[] {
  const out = execFileSync('ssh', ['-i', d.key, '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${d.user}@${d.host}`, 'ps -e -o args=']).toString();
  return out.split('\n').filter(Boolean);
}

/** Runs the CLI with pipes as its terminal: @input on stdin; stderr holds the stream's text, then the CLI's messages. */
async function cli(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  let msg = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(input);
  const code = await runCli(['--data-dir', core.dataDir, ...args], {
    stdout: (x) => (out += x),
    stderr: (x) => (msg += x),
    readStdin: async () => '',
    terminal: { stdin, stdout, stderr },
  });
  return { code, stdout: out, stderr: err + msg };
}

const ssh = (args: string[], input = '') => cli(['ssh', ...args], input);

/** Opens a PTY session and collects what it prints. */
async function openPty(name: string, cols: number, rows: number): Promise<{ s: TerminalSession; text: () => string; exit: Promise<TerminalExit> }> {
  let text = '';
  let done!: (e: TerminalExit) => void;
  const exit = new Promise<TerminalExit>((r) => (done = r));
  const s = await core.terminals.open(core.actor, name, { pty: { cols, rows }, onData: (d) => (text += d.toString('utf8')), onExit: done });
  return { s, text: () => text, exit };
}

async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ devices: [{ name: 'edge-1' }, { name: 'edge-2', rootLogin: true }, { name: 'rec-1' }] });
  core = openTestCore();
  // The "audited" site records terminal sessions (set through the CLI).
  const site = await runCli(['--data-dir', core.dataDir, 'sites', 'add', 'audited', '--record-terminals'], { stdout: () => undefined, stderr: () => undefined, readStdin: async () => '' });
  expect(site).toBe(0);
  for (const d of lab.devices) {
    await ok(core, 'devices.add', { name: d.name, host: d.host, port: d.port, user: d.user, keyPath: d.key, sudo: d.sudo, ...(d.name === 'rec-1' ? { site: 'audited' } : {}) });
  }
}, 120_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('terminals', () => {
  it('bootfleet ssh NAME -- COMMAND: the remote output on stdout and stderr, and its exit status as ours', async () => {
    const r = await ssh(['edge-1', '--', 'sh', '-c', 'echo "out $((6*7))"; echo err >&2; exit 7']);
    expect(r.stdout).toBe('out 42\n');
    expect(r.stderr).toBe('err\n');
    expect(r.code).toBe(7);
    // Arguments are quoted for the remote shell, not re-split by it.
    const q = await ssh(['edge-1', '--', 'printf', '%s|', 'two words', '$HOME', "it's"]);
    expect(q.stdout).toBe("two words|$HOME|it's|");
    expect(q.code).toBe(0);
    const status = await ssh(['edge-1', '--', 'sudo', '-n', 'bootc', 'status', '--format=json']);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { status: { booted: unknown } }).status.booted).toBeTruthy();
  });

  it('bootfleet ssh with piped input: the login shell reads it to its end', async () => {
    const r = await ssh(['-T', 'edge-2'], 'echo "hello $(id -un)"\nexit 3\n');
    expect(r.stdout).toContain('hello root');
    expect(r.code).toBe(3);
  });

  it('a session with a remote terminal: output, resize seen by stty on the device, and closing leaves nothing running', async () => {
    const t = await openPty('edge-1', 100, 30);
    t.s.write('stty size; echo "TERM=$TERM"\r');
    await until('stty size', () => /30 100/.test(t.text()));
    expect(t.text()).toContain('TERM=xterm-256color');
    t.s.resize(120, 40);
    t.s.write('stty size\r');
    await until('the new size', () => /40 120/.test(t.text()));
    t.s.write('sudo -n bootc status\r');
    await until('bootc status', () => /Booted image:|booted/i.test(t.text()));
    // The session's shell is on a pts of the device while open...
    expect(deviceProcesses(dev('edge-1')).some((p) => /pts\//.test(p))).toBe(true);
    t.s.close();
    const exit = await t.exit;
    expect(exit.reason).toBe('closed');
    // ...and gone once closed: no process on a terminal is left on the device.
    await until('the remote shell to go', () => !deviceProcesses(dev('edge-1')).some((p) => /pts\//.test(p)));
    const log = await ok(core, 'activity.list', { limit: 10 });
    expect(log.items.map((e) => e.action)).toEqual(expect.arrayContaining(['terminal.opened', 'terminal.closed']));
    expect(log.items.find((e) => e.action === 'terminal.opened')!.summary).toBe('Opened a shell on edge-1 (terminal 100x30)');
  });

  it('a shell that exits ends the session with its status', async () => {
    const t = await openPty('edge-2', 80, 24);
    t.s.write('exit 5\r');
    const exit = await t.exit;
    expect(exit).toMatchObject({ code: 5, reason: 'exited' });
    expect(t.s.closed).toBe(true);
  });

  it('terminals for a viewer: output as events, acknowledged flow control holds a flood back, and the session ends with its client', async () => {
    let output = '';
    let received = 0;
    const exits: { id: string; reason: string }[] = [];
    const off = core.bus.subscribe((name, payload) => {
      if (name === 'terminal.output') {
        output += (payload as { data: string }).data;
        received += (payload as { bytes: number }).bytes;
      }
      if (name === 'terminal.exit') exits.push(payload as { id: string; reason: string });
    });
    const closers: (() => void)[] = [];
    const client = { id: 'test-client', onClose: (l: () => void) => void closers.push(l) };
    try {
      const r = await core.call('terminals.open', { device: 'edge-1', cols: 90, rows: 20 }, { actor: core.actor, client });
      if (!r.ok) throw new Error(r.error.message);
      const t = r.value as { id: string; device: string };
      expect(t.device).toBe('edge-1');
      expect((await ok(core, 'terminals.list', {})).map((x) => x.id)).toEqual([t.id]);
      const ctx = { actor: core.actor, client };
      const send = async (data: string) => expect((await core.call('terminals.input', { id: t.id, data }, ctx)).ok).toBe(true);
      // Another client (or none) may not type into it.
      const foreign = await core.call('terminals.input', { id: t.id, data: 'x' });
      expect(foreign.ok).toBe(false);
      if (!foreign.ok) expect(foreign.error.code).toBe('UNAUTHORIZED');
      await send('stty size\r');
      await until('stty size', () => /20 90/.test(output));
      await core.call('terminals.ack', { id: t.id, bytes: received }, ctx);
      // A flood: 8 MB of "y". Without acknowledgements the core stops reading once about
      // 256 KiB wait (plus what was in flight), and the device's shell blocks on a full pipe.
      const before = received;
      await send('yes | head -c 8000000; echo FLOOD-$((40+2))\r');
      await new Promise((r) => setTimeout(r, 1500));
      const held = received - before;
      expect(held).toBeGreaterThan(100 * 1024);
      expect(held).toBeLessThan(1024 * 1024);
      await new Promise((r) => setTimeout(r, 500));
      expect(received - before).toBe(held); // nothing more while nothing is acknowledged
      // The viewer draws and acknowledges: the rest flows.
      const deadline = Date.now() + 60_000;
      while (!output.includes('FLOOD-42') && Date.now() < deadline) {
        await core.call('terminals.ack', { id: t.id, bytes: received }, ctx);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(received - before).toBeGreaterThan(8_000_000);
      // The client goes away (a tab closed): its terminal ends, and nothing stays on the device.
      for (const c of closers) c();
      await until('the exit event', () => exits.some((e) => e.id === t.id));
      await until('the remote shell to go', () => !deviceProcesses(dev('edge-1')).some((p) => /pts\//.test(p)));
      expect((await ok(core, 'terminals.list', {})).length).toBe(0);
      expect((await core.call('terminals.ack', { id: t.id, bytes: 1 }, ctx)).ok).toBe(true);
      expect((await core.call('terminals.input', { id: t.id, data: 'x' }, ctx)).ok).toBe(false);
    } finally {
      off();
    }
  }, 90_000);

  it('records sessions on a site that asks for it: asciicast v2 of the output, never the keystrokes, listed and played back', async () => {
    const t = await openPty('rec-1', 80, 24);
    // A password typed at a prompt with echo off must not end up in the recording.
    t.s.write('stty -echo; read -r secret; stty echo; echo "got ${#secret} chars"\r');
    await new Promise((r) => setTimeout(r, 300));
    t.s.write('hunter2-secret\r');
    await until('the read', () => t.text().includes('got 14 chars'));
    t.s.resize(100, 30);
    t.s.write('sudo -n bootc status\r');
    await until('bootc status', () => /Booted image/.test(t.text()));
    t.s.write('exit\r');
    expect((await t.exit).code).toBe(0);
    expect(t.text()).not.toContain('hunter2-secret');

    const list = await ok(core, 'recordings.list', { device: 'rec-1' });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ device: 'audited/rec-1', actor: core.actor.user, cols: 80, rows: 24, exitCode: 0, command: null });
    expect(list[0]!.endedAt).not.toBeNull();
    const { cast, recording } = await ok(core, 'recordings.get', { id: list[0]!.id });
    expect(recording.bytes).toBe(Buffer.byteLength(cast));
    const { header, events } = parseAsciicast(cast);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, env: { TERM: 'xterm-256color' } });
    expect(header.title).toContain('audited/rec-1');
    expect(events.every(([, type]) => type === 'o' || type === 'r')).toBe(true);
    expect(events.filter(([, type]) => type === 'r').map(([, , d]) => d)).toEqual(['100x30']);
    const output = events.filter(([, type]) => type === 'o').map(([, , d]) => d).join('');
    expect(output).toContain('got 14 chars');
    expect(output).toContain('Booted image');
    expect(cast).not.toContain('hunter2');
    // asciinema itself plays it (in a pseudo-terminal from script(1): asciinema wants a tty).
    const file = core.terminals.recordingPath(list[0]!.id);
    const shown = execFileSync('script', ['-qec', `asciinema play --speed 100 --idle-time-limit 0.01 ${file}`, '/dev/null'], { env: { ...process.env, HOME: core.dataDir } }).toString();
    expect(shown).toContain('got 14 chars');
    // The CLI lists and replays it.
    const listed = await cli(['recordings', 'list', '--device', 'rec-1']);
    expect(listed.stdout).toContain(list[0]!.id);
    expect(listed.stdout).toContain('exit 0');
    const played = await cli(['recordings', 'play', list[0]!.id, '--speed', '100', '--idle-limit', '0']);
    expect(played.code).toBe(0);
    expect(played.stdout).toContain('got 14 chars');
    // The activity log says it was recorded; sessions elsewhere are not.
    const log = await ok(core, 'activity.list', { limit: 20 });
    expect(log.items.find((e) => e.action === 'terminal.closed' && e.entityName === 'audited/rec-1')!.summary).toMatch(/\(exit status 0, recorded\)$/);
    expect(await ok(core, 'recordings.list', { device: 'edge-1' })).toEqual([]);
    // Removing the device from the inventory keeps its recordings (an audit trail outlives it).
    await ok(core, 'devices.remove', { device: 'rec-1' });
    const kept = (await ok(core, 'recordings.list', {})).find((r) => r.id === list[0]!.id);
    expect(kept).toMatchObject({ deviceId: null, device: 'audited/rec-1' });
    expect((await ok(core, 'recordings.get', { id: list[0]!.id })).cast).toBe(cast);

    // A signed site bundle carries it to an auditor's installation, file and all, once.
    const id = list[0]!.id;
    const usb = join(core.dataDir, 'site-bundle');
    await ok(core, 'bundle.export', { site: 'audited', path: usb });
    expect(readFileSync(join(usb, 'SHA256SUMS'), 'utf8')).toContain(`  recordings/${id}.cast`);
    const auditor = openTestCore();
    const key = await ok(core, 'keys.show', {});
    await ok(auditor, 'keys.trust', { publicKey: key.publicKey, fingerprint: key.fingerprint, name: 'site laptop' });
    // A recording altered on the way is refused, and nothing of the bundle is written.
    const altered = join(core.dataDir, 'altered-bundle');
    cpSync(usb, altered, { recursive: true });
    writeFileSync(join(altered, 'recordings', `${id}.cast`), cast.replace('got 14 chars', 'got 99 chars'));
    expect((await fails(auditor, 'bundle.import', { path: altered })).message).toContain(`recordings/${id}.cast was altered`);
    expect(await ok(auditor, 'recordings.list', {})).toEqual([]);
    expect((await ok(auditor, 'bundle.import', { path: usb })).site).toMatchObject({ site: 'audited', recordingsAdded: 1 });
    expect(await ok(auditor, 'recordings.list', {})).toEqual([expect.objectContaining({ id, device: 'audited/rec-1', deviceId: null, exitCode: 0 })]);
    expect((await ok(auditor, 'recordings.get', { id })).cast).toBe(cast);
    expect((await ok(auditor, 'bundle.import', { path: usb })).site).toMatchObject({ recordingsAdded: 0 });
  }, 60_000);

  it('a changed host key refuses the session, as everywhere else', async () => {
    // The key is pinned by now (earlier sessions); the device then presents another one.
    await lab.setFaults('edge-2', { hostKeyChanged: true });
    try {
      const r = await ssh(['edge-2', '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/host key/i);
      await expect(core.terminals.open(core.actor, 'edge-2', { onData: () => undefined, onExit: () => undefined })).rejects.toMatchObject({ code: 'SSH_HOST_KEY_CHANGED' });
    } finally {
      await lab.setFaults('edge-2', { hostKeyChanged: null });
    }
  });
});
