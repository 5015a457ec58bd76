import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

export const ROOT = resolve(__dirname, '..');
export const CLI = join(ROOT, 'out', 'main', 'cli.js');

/** A running `bootfleet serve` with its own temp data directory. */
export interface ServeHandle {
  url: string;
  origin: string;
  dataDir: string;
  /** The server's HOME when the test asked for one of its own (`isolatedHome`); else null. */
  home: string | null;
  process: ChildProcess;
  /** Run the CLI against the same data directory. */
  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

export function runCli(dataDir: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [CLI, ...args, '--data-dir', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/**
 * Starts `bootfleet serve --port 0` and waits for the URL it prints. With `home`, the server
 * runs with that HOME (so what it reads from ~/.ssh is the test's, not the user's); `extraArgs`
 * go to serve (e.g. --allow-local-shell); `bootfleet` is the command to run (default: this
 * checkout's build; the package test gives the installed one).
 */
export async function startServe(dataDir: string, home: string | null = null, extraArgs: string[] = [], bootfleet: string[] = [process.execPath, CLI]): Promise<ServeHandle> {
  const env = home ? { ...process.env, HOME: home } : process.env;
  const child = spawn(bootfleet[0]!, [...bootfleet.slice(1), 'serve', '--port', '0', '--json', ...extraArgs, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`bootfleet serve printed no URL in 15 s. stderr: ${err}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        ok((JSON.parse(line) as { url: string }).url);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => fail(new Error(`bootfleet serve exited with ${code}: ${err}`)));
  });
  return { url, origin: new URL(url).origin, dataDir, home, process: child, cli: (args, input) => runCli(dataDir, args, input) };
}

/** Stops the server by its PID and waits for it to exit. */
export async function stopServe(h: ServeHandle): Promise<void> {
  if (h.process.exitCode !== null) return;
  const exited = new Promise((ok) => h.process.once('exit', ok));
  h.process.kill('SIGTERM');
  await exited;
}

/** Opens the app and waits for its ready marker. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
}

export const test = base.extend<{ serve: ServeHandle; isolatedHome: boolean }>({
  /** `test.use({ isolatedHome: true })`: the server gets an empty HOME of its own (`serve.home`). */
  isolatedHome: [false, { option: true }],
  serve: async ({ isolatedHome }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bootfleet-e2e-'));
    let home: string | null = null;
    if (isolatedHome) {
      home = join(dataDir, 'home');
      mkdirSync(home);
    }
    const h = await startServe(dataDir, home);
    try {
      await use(h);
    } finally {
      await stopServe(h);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});
export { expect };
