import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rename, stat } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Drive, FlashTargetProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { FRAME_DATA, FRAME_END, FRAME_HELLO, PROTOCOL, frame, helperMessageSchema, type Hello } from './helper-protocol';
import type { WriteResult } from './writer';

/** How to start the privileged helper: a launcher (pkexec) and the helper's own command line. */
export interface HelperLaunch {
  /** `['pkexec', '--disable-internal-agent']`, or `[]` where the app is already root (tests). */
  launcher: string[];
  command: string[];
  /** Run before each start (the AppImage copies its helper out of its FUSE mount). */
  prepare?: () => Promise<void>;
}

/** The helper's file name in a desktop package's resources/flash-helper (electron/build/flash-helper.cjs). */
export const PACKAGED_HELPER = 'bootfleet-flash-helper';

/**
 * The helper a desktop package ships outside its asar archive: resources/flash-helper/
 * bootfleet-flash-helper, run by pkexec directly (the deb and rpm install a polkit action for
 * that path, so the prompt names Bootfleet). An AppImage's files sit on a FUSE mount that root
 * cannot read, so there it is copied first to a directory only this user can enter.
 */
export function packagedHelperLaunch(resourcesPath: string, env: NodeJS.ProcessEnv = process.env): HelperLaunch | null {
  const installed = join(resourcesPath, 'flash-helper', PACKAGED_HELPER);
  if (!existsSync(installed)) return null;
  if (!env.APPIMAGE) return { launcher: ['pkexec', '--disable-internal-agent'], command: [installed] };
  let copy: string | null = null;
  const launch: HelperLaunch = {
    launcher: ['pkexec', '--disable-internal-agent'],
    command: [],
    async prepare() {
      const have = copy ? await stat(copy).catch(() => null) : null;
      const want = await stat(installed);
      if (copy && have?.size === want.size) return;
      const dir = await mkdtemp(join(env.XDG_RUNTIME_DIR ?? tmpdir(), 'bootfleet-helper-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // the copy goes with the app
      await copyFile(installed, join(dir, `${PACKAGED_HELPER}.part`));
      await chmod(join(dir, `${PACKAGED_HELPER}.part`), 0o700);
      await rename(join(dir, `${PACKAGED_HELPER}.part`), join(dir, PACKAGED_HELPER));
      copy = join(dir, PACKAGED_HELPER);
      launch.command = [copy];
    },
  };
  return launch;
}

/**
 * The helper as built next to this bundle (out/main/flash-helper.js), run by the same Node.
 * Inside Electron the binary runs it as Node (pkexec clears the environment, so `env` sets it).
 */
export function defaultHelperLaunch(): HelperLaunch | null {
  // The core may sit in a chunk one level below the entry points (out/main/chunks).
  const script = [join(__dirname, 'flash-helper.js'), join(__dirname, '..', 'flash-helper.js')].find((p) => existsSync(p));
  if (!script) return null;
  const node = process.versions.electron ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', process.execPath] : [process.execPath];
  return { launcher: ['pkexec', '--disable-internal-agent'], command: [...node, script] };
}

/** Turns what pkexec says into what the user should do. */
export function launchFailure(exitCode: number | null, stderr: string, hint: string): AppError | null {
  if (/No authentication agent found/i.test(stderr)) {
    return new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Writing drives needs root, and no polkit authentication agent is running to ask for your password (a desktop session has one; an SSH session does not). ${hint}`);
  }
  if (/Error getting authority|Could not connect/i.test(stderr)) {
    return new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Writing drives needs root, and polkit is not running here (pkexec cannot ask for authorization). ${hint}`);
  }
  if (exitCode === 126 || /Not authorized|dismissed/i.test(stderr)) {
    return new AppError(ErrorCode.ACTION_NOT_POSSIBLE, 'Authorization to write the drives was refused or dismissed; nothing was written.');
  }
  return null;
}

/**
 * Writes through the privileged helper: starts it (pkexec asks the user to authorize), sends the
 * drives as listed and the content as the app reads it, relays progress, and returns the result.
 * Cancelling closes the pipe; the helper then syncs and reports each drive's condition.
 */
export async function writeViaHelper(o: {
  launch: HelperLaunch;
  content: AsyncIterable<Buffer>;
  drives: Drive[];
  confirm: string[];
  size: number | null;
  verify: boolean;
  eject: boolean;
  sha256: boolean;
  signal: AbortSignal;
  onProgress(targets: FlashTargetProgress[]): void;
  /** What to do instead when the helper cannot be started (shown with the error). */
  hint: string;
}): Promise<WriteResult> {
  await o.launch.prepare?.();
  const argv = [...o.launch.launcher, ...o.launch.command];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8192)));
  child.stdin.on('error', () => undefined); // the helper stopped reading: its answer or exit says why
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Writing drives needs root, and ${argv[0]} is not installed (on Debian and Ubuntu: apt install pkexec). ${o.hint}`)
          : e,
      ),
    );
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let answer: { type: 'result' | 'error' } & Record<string, unknown> = { type: 'error' };
  let answered = false;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let m;
    try {
      m = helperMessageSchema.parse(JSON.parse(line));
    } catch {
      return; // not ours (pkexec or a library printing): ignored
    }
    if (m.type === 'progress') o.onProgress(m.targets);
    else {
      answer = m;
      answered = true;
    }
  });
  await spawned;

  const hello: Hello = { protocol: PROTOCOL, targets: o.drives.map((d) => ({ path: d.path, size: d.size, serial: d.serial })), confirm: o.confirm, size: o.size, verify: o.verify, eject: o.eject, sha256: o.sha256 };
  const stdin = child.stdin;
  const alive = (): boolean => child.exitCode === null && !stdin.destroyed;
  const put = async (b: Buffer): Promise<void> => {
    if (!alive()) return;
    if (!stdin.write(b)) await Promise.race([once(stdin, 'drain'), exited]);
  };
  const onAbort = (): void => void stdin.destroy();
  o.signal.addEventListener('abort', onAbort, { once: true });
  let readError: unknown = null;
  try {
    await put(frame(FRAME_HELLO, Buffer.from(JSON.stringify(hello))));
    for await (const chunk of o.content) {
      if (!alive() || o.signal.aborted) break;
      const header = Buffer.allocUnsafe(5);
      header[0] = FRAME_DATA;
      header.writeUInt32BE(chunk.length, 1);
      stdin.write(header);
      await put(chunk);
    }
    if (alive() && !o.signal.aborted) stdin.end(frame(FRAME_END, Buffer.alloc(0)));
  } catch (e) {
    // The image could not be read (a corrupt compressed file): the helper is told by the pipe
    // closing. (Cancelling also ends the read, with an abort error that is no failure.)
    if (!o.signal.aborted) readError = e;
    stdin.destroy();
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  const code = await exited;
  if (answered && answer.type === 'result') {
    const r = answer as unknown as WriteResult;
    if (readError) throw Object.assign(readError instanceof AppError ? readError : new AppError(ErrorCode.INTERNAL, String((readError as Error).message)), { targets: r.targets.map((t) => (t.phase === 'canceled' ? { ...t, phase: 'failed' as const } : t)) });
    return { contentDigest: r.contentDigest, contentSha256: r.contentSha256, bytes: r.bytes, targets: r.targets };
  }
  if (answered) {
    const a = answer as unknown as { code: string; message: string; targets?: FlashTargetProgress[] };
    throw Object.assign(new AppError(a.code, a.message), a.targets ? { targets: a.targets } : {});
  }
  throw launchFailure(code, stderr, o.hint) ?? new AppError(ErrorCode.INTERNAL, `The flash helper stopped (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
}
