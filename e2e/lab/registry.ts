import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabAuthRegistry } from './config';
import { waitForPort } from './procs';
import { createSigningCert, startTokenServer, type RunningTokenServer } from './token-server';

/** A Debian `docker-registry` (distribution 2.8) serving plain HTTP on one loopback address. */
export interface RunningRegistry {
  host: string;
  url: string;
  child: ChildProcess;
}

export interface RegistryOptions {
  /** Where blobs and tags live. Default `<dir>/storage`; two registries may share one. */
  storageDir?: string;
  /** Require bearer tokens from this token server (`auth: token:` in config.yml). */
  auth?: { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };
}

/** Starts a registry with its config in `dir`, listening on host (e.g. `127.31.0.1:5000`). */
export async function startRegistry(dir: string, host: string, options: RegistryOptions = {}): Promise<RunningRegistry> {
  const storage = options.storageDir ?? join(dir, 'storage');
  await mkdir(storage, { recursive: true });
  const token = options.auth?.token;
  const config = join(dir, 'config.yml');
  await writeFile(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    // JSON strings are valid YAML scalars, whatever colons or slashes they hold.
    ...(token ? [
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(token.realm)}`,
      `    service: ${JSON.stringify(token.service)}`,
      `    issuer: ${JSON.stringify(token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(token.rootCertBundle)}`,
    ] : []),
    '',
  ].join('\n'));
  const log = await open(join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const [addr, port] = host.split(':');
  await waitForPort(addr ?? '127.0.0.1', Number(port), 10_000, () => child.exitCode === null);
  return { host, url: `http://${host}`, child };
}

export interface AuthRegistryOptions {
  /** Registry address, `127.X.Y.Z:PORT`. */
  host: string;
  /** Token server address. */
  tokenHost: string;
  /** Storage to serve (e.g. the anonymous registry's, for the same images and digests). */
  storageDir: string;
  user: string;
  password: string;
  anonymousPull?: boolean;
}

export interface RunningAuthRegistry {
  registry: RunningRegistry;
  tokenServer: RunningTokenServer;
  info: LabAuthRegistry;
}

/** Starts a token server (in this process) and a registry that trusts only its tokens; config and keys go in dir. */
export async function startAuthRegistry(dir: string, options: AuthRegistryOptions): Promise<RunningAuthRegistry> {
  await mkdir(dir, { recursive: true });
  const { keyPath, certPath } = await createSigningCert(dir);
  const service = options.host;
  const issuer = 'bootfleet-lab-token-server';
  const anonymousPull = options.anonymousPull === true;
  const tokenServer = await startTokenServer({
    host: options.tokenHost, service, issuer, user: options.user, password: options.password, anonymousPull, keyPath, certPath,
  });
  try {
    const registry = await startRegistry(dir, options.host, {
      storageDir: options.storageDir,
      auth: { token: { realm: tokenServer.url, service, issuer, rootCertBundle: certPath } },
    });
    return {
      registry,
      tokenServer,
      info: { host: options.host, url: registry.url, user: options.user, password: options.password, tokenUrl: tokenServer.url, service, anonymousPull },
    };
  } catch (err) {
    await tokenServer.close();
    throw err;
  }
}
