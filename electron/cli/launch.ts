import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { electronBinary } from './electron-binary';

/**
 * `npm start`: launches the Electron app, or, where the Electron runtime is not installed
 * (its binary is a separate download), says so in one line and starts `bootfleet serve`.
 */
const appRoot = join(__dirname, '..', '..');
const bin = electronBinary();
const args = process.argv.slice(2);
const child = bin
  ? spawn(bin, [appRoot, ...args], { stdio: 'inherit' })
  : (process.stdout.write('Electron runtime not installed (node_modules/electron has no binary); starting `bootfleet serve` instead.\n'),
    spawn(process.execPath, [join(__dirname, 'cli.js'), 'serve', ...args], { stdio: 'inherit' }));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
