import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `npm start`: launches the Electron app, or, where the Electron runtime is not installed
 * (its binary is a separate download), says so in one line and starts `bootfleet serve`.
 * Does not `require('electron')`, which may try to download the binary.
 */
function electronBinary(): string | null {
  try {
    const pkgDir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const appRoot = join(__dirname, '..', '..');
const bin = electronBinary();
const args = process.argv.slice(2);
const child = bin
  ? spawn(bin, [appRoot, ...args], { stdio: 'inherit' })
  : (process.stdout.write('Electron runtime not installed (node_modules/electron has no binary); starting `bootfleet serve` instead.\n'),
    spawn(process.execPath, [join(__dirname, 'cli.js'), 'serve', ...args], { stdio: 'inherit' }));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
