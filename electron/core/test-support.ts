/**
 * Helpers for the Vitest suites: temporary data directories and typed contract calls
 * against a real core. Test-only; nothing in the app imports this module.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppErrorShape, EventName, EventPayload, MethodInput, MethodName, MethodOutput, Via } from '../../shared/contract';
import { openCore, type AppOptions, type BootfleetCore } from './app';
import type { FlashOptions } from './flash/flash-service';
import type { Clock } from './clock';
import type { SecretCipher } from './secrets/cipher';

/** Temporary directories made by `tempDir`, removed by `cleanupTempDirs`. */
const made: string[] = [];

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'bf-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Loop devices made by `loopDevice`, detached by `cleanupTempDirs`. */
const loops: string[] = [];

/** A loop device (a test's USB stick) backed by a sparse file of `sizeMiB` in a temp directory. Needs root. */
export function loopDevice(sizeMiB: number): string {
  const backing = join(tempDir('bf-stick-'), 'stick.img');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, backing]);
  const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
  loops.push(dev);
  return dev;
}

/** Detaches the loop devices made by `loopDevice` and removes every directory made by `tempDir` (call from afterEach/afterAll). */
export function cleanupTempDirs(): void {
  while (loops.length) execFileSync('losetup', ['-d', loops.pop()!]);
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
}

/** Open cores made by `openTestCore`, closed by `closeTestCores`. */
const cores: BootfleetCore[] = [];

/** A core on a data directory (a new temp one unless given). */
export function openTestCore(
  opts: { dataDir?: string; via?: Via; clock?: Clock; cipher?: SecretCipher; flash?: FlashOptions; actions?: AppOptions['actions']; localShell?: boolean } = {},
): BootfleetCore {
  const core = openCore({
    dataDir: opts.dataDir ?? tempDir(),
    via: opts.via ?? 'desktop',
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.cipher ? { cipher: opts.cipher } : {}),
    ...(opts.flash ? { flash: opts.flash } : {}),
    ...(opts.actions ? { actions: opts.actions } : {}),
    ...(opts.localShell ? { localShell: true } : {}),
    log: () => {},
  });
  cores.push(core);
  return core;
}

export function closeTestCores(): void {
  while (cores.length) cores.pop()!.close();
}

/** A clock that advances one millisecond per reading, so timestamps are distinct and ordered. */
export function steppingClock(start = Date.UTC(2025, 0, 1)): Clock {
  let t = start;
  return { now: () => new Date(t++).toISOString() };
}

/** Calls a method and returns its value; fails the test with the error when the call fails. */
export async function ok<M extends MethodName>(core: BootfleetCore, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const r = await core.call(method, input);
  if (!r.ok) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
  return r.value as MethodOutput<M>;
}

/** Calls a method that must fail and returns its error; the input is unchecked so bad input can be sent. */
export async function fails(core: BootfleetCore, method: string, input: unknown): Promise<AppErrorShape> {
  const r = await core.call(method, input);
  if (r.ok) throw new Error(`${method} succeeded but was expected to fail: ${JSON.stringify(r.value)}`);
  return r.error;
}

/** Records every event the core's bus emits. */
export function recordEvents(core: BootfleetCore): { events: { name: EventName; payload: EventPayload<EventName> }[]; stop: () => void } {
  const events: { name: EventName; payload: EventPayload<EventName> }[] = [];
  const stop = core.bus.subscribe((name, payload) => {
    events.push({ name, payload });
  });
  return { events, stop };
}

/** Counts rows of a table straight from SQLite. */
export function countRows(core: BootfleetCore, table: 'devices' | 'sites' | 'activity' | 'secrets' | 'tags' | 'device_tags'): number {
  return (core.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Resolves once a running flash has written more than `bytes` to its first drive. */
export function flashWritten(core: BootfleetCore, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const off = core.bus.subscribe((event, p) => {
      if (event === 'flash.progress' && (p as EventPayload<'flash.progress'>).targets[0]!.written > bytes) {
        off();
        resolve();
      }
    });
  });
}
