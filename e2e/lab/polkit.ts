import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * polkit for tests of the flash helper through pkexec: a system D-Bus and polkitd. Where both
 * already run (a desktop), they are used as they are; otherwise (CI, containers) this starts
 * them, and stop() ends exactly those processes by PID. Needs root, pkexec, dbus-daemon, polkitd.
 */
export interface Polkit {
  started: boolean;
  stop(): Promise<void>;
}

const SOCKET = '/run/dbus/system_bus_socket';
const POLKITD = '/usr/lib/polkit-1/polkitd';

export function polkitAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/pkexec') && existsSync('/usr/bin/dbus-daemon') && existsSync(POLKITD);
}

const listening = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** pkexec, as root, succeeds once polkitd answers on the bus. */
const pkexecWorks = (): boolean => spawnSync('pkexec', ['--disable-internal-agent', '/bin/true'], { stdio: 'ignore' }).status === 0;

async function until(f: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`${what} did not come up in ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPolkit(): Promise<Polkit> {
  if ((await listening(SOCKET)) && pkexecWorks()) return { started: false, stop: async () => undefined };
  const ours: ChildProcess[] = [];
  if (!(await listening(SOCKET))) {
    mkdirSync('/run/dbus', { recursive: true });
    rmSync(SOCKET, { force: true }); // left by a bus that is gone: nothing listens on it
    const bus = spawn('dbus-daemon', ['--system', '--nofork', '--nopidfile'], { stdio: 'ignore' });
    ours.push(bus);
    await until(() => listening(SOCKET), 'the system D-Bus');
  }
  ours.push(spawn(POLKITD, ['--no-debug'], { stdio: 'ignore' }));
  await until(pkexecWorks, 'polkitd');
  return {
    started: true,
    async stop() {
      for (const p of ours.reverse()) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await gone;
      }
      if (ours.length > 1 || !(await listening(SOCKET))) rmSync(SOCKET, { force: true });
    },
  };
}
