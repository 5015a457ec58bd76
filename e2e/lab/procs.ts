import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createConnection } from 'node:net';

/** Runs a command to completion; rejects with its stderr when it fails. */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim() || out.trim()}`));
    });
    child.stdin?.on('error', () => undefined); // a command that does not read stdin may exit first
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs async jobs with at most `limit` at a time, in order of the input. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Resolves when a TCP connect to host:port succeeds, or rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host, port });
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (alive && !alive()) throw new Error(`${host}:${port}: the process exited before it listened`);
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not start listening within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends a signal to a process by PID, ignoring one that is already gone. */
export function signalPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Kills a child by PID and waits for it to exit (SIGTERM, then SIGKILL after graceMs). */
export async function stopChild(child: ChildProcess | null | undefined, graceMs = 2000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalPid(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalPid(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
