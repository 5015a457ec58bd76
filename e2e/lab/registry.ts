import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForPort } from './procs';

/** A Debian `docker-registry` (distribution 2.8) serving plain HTTP on one loopback address. */
export interface RunningRegistry {
  host: string;
  url: string;
  child: ChildProcess;
}

/** Starts a registry with its storage in `dir`, listening on host (e.g. `127.31.0.1:5000`). */
export async function startRegistry(dir: string, host: string): Promise<RunningRegistry> {
  await mkdir(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yml');
  await writeFile(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '',
  ].join('\n'));
  const log = await open(join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const [addr, port] = host.split(':');
  await waitForPort(addr ?? '127.0.0.1', Number(port), 10_000, () => child.exitCode === null);
  return { host, url: `http://${host}`, child };
}
