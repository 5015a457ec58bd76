/**
 * The headless package (issue 12), as a user on a jump host gets it: `npm pack` of the built tree,
 * `npm install -g` of that tarball into a fresh prefix (dependencies from the registry, no dev
 * dependencies, no Electron), then the installed `bootfleet`: --version, a CLI round trip on a data
 * directory of its own, and `bootfleet serve` opened in Chromium showing what the CLI added.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openApp, ROOT, startServe, stopServe, test } from './fixtures';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test.describe('the headless package', () => {
  test.setTimeout(360_000);
  let work = '';
  let bin = '';

  test.beforeAll(async () => {
    test.setTimeout(360_000);
    work = mkdtempSync(join(tmpdir(), 'bootfleet-package-'));
    // What npm publishes: the built app and the UI, never the sources or the tests.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }).toString()) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['out/main/cli.js', 'out/renderer/index.html', 'package.json', 'README.md']));
    expect(files.filter((f) => /^(electron|renderer|shared|e2e|bench)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
    const tarball = join(work, packed[0]!.filename);
    expect(packed[0]!.filename).toBe(`bootfleet-${VERSION}.tgz`);
    // A fresh prefix, as `npm install -g` on a clean machine (the registry is reachable here).
    const prefix = join(work, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel', 'error', tarball], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    bin = join(prefix, 'bin', 'bootfleet');
    const installed = join(prefix, 'lib', 'node_modules', 'bootfleet', 'node_modules');
    // No dev dependencies came with it: no Electron, no build tools, no test runners.
    for (const dev of ['electron', 'electron-vite', 'vite', 'vitest', '@playwright', 'react', 'typescript']) expect(existsSync(join(installed, dev)), dev).toBe(false);
    expect(readdirSync(installed)).toEqual(expect.arrayContaining(['better-sqlite3', 'ssh2', 'node-pty', 'ws', 'zod']));
  });

  test.afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = (args: string[]): { code: number; stdout: string; stderr: string } => {
    try {
      return { code: 0, stdout: execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString(), stderr: '' };
    } catch (e) {
      const err = e as { status: number; stdout: Buffer; stderr: Buffer };
      return { code: err.status, stdout: err.stdout.toString(), stderr: err.stderr.toString() };
    }
  };

  test('bootfleet --version, a CLI round trip, and bootfleet serve in Chromium, from the installed package', async ({ page }) => {
    expect(run(['--version']).stdout.trim()).toBe(VERSION);
    const data = join(work, 'data');
    expect(run(['--data-dir', data, 'sites', 'add', 'plant-7']).code).toBe(0);
    const added = run(['--data-dir', data, 'devices', 'add', 'plc-1', '--host', '127.0.0.9', '--site', 'plant-7', '--tag', 'line-2']);
    expect(added.code, added.stderr).toBe(0);
    const listed = JSON.parse(run(['--data-dir', data, '--json', 'devices', 'list']).stdout) as { items: { name: string; siteName: string; tags: string[] }[] };
    expect(listed.items.map((d) => [d.name, d.siteName, d.tags])).toEqual([['plc-1', 'plant-7', ['line-2']]]);
    // Every verb is there (the help lists them).
    const help = run(['--help']).stdout;
    for (const verb of ['devices', 'status', 'switch', 'rollout', 'flash', 'provision', 'images', 'audit', 'bundle', 'keys', 'ssh', 'recordings', 'serve']) expect(help).toMatch(new RegExp(`\\n  ${verb}\\b`));

    const serve = await startServe(data, null, [], [bin]);
    try {
      await openApp(page, `${serve.url}#/devices`);
      await expect(page.getByText('plc-1').first()).toBeVisible();
      await page.screenshot({ path: join(ROOT, 'e2e', '.artifacts', 'screenshots', 'package-serve.png') });
    } finally {
      await stopServe(serve);
    }
  });
});
