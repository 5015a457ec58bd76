import { spawn } from 'node:child_process';
import { CONTAINER_ENV } from '../emulator/types';

/**
 * `podman` on an emulated device, just enough for the documented install invocation:
 *   podman run --rm --privileged --pid=host [--ipc=host] -v /dev:/dev -v /var/lib/containers:/var/lib/containers
 *     --security-opt label=type:unconfined_t IMAGE bootc install to-disk [...] DEVICE
 * It runs the device's bootc with the container context (image, --privileged, --pid=host, rootless)
 * so the emulator applies real bootc's in-container checks and installs IMAGE. `podman --version`
 * answers as Debian 12's podman. Other commands are refused with exit 125, as podman does for errors.
 */

const VERSION = 'podman version 4.3.1';

/** Options of `podman run` that take a value (so the image is the first word after them). */
const VALUE_OPTIONS = new Set(['-v', '--volume', '--security-opt', '--pid', '--ipc', '--net', '--network', '-e', '--env', '--name', '--entrypoint', '--user', '-u']);

function fail(message: string): never {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(125);
}

function main(argv: string[]): void {
  const [verb, ...rest] = argv;
  if (verb === '--version' || verb === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (verb !== 'run') fail(`the device lab's podman only emulates "podman run IMAGE bootc ..." (got "${verb ?? ''}")`);
  let privileged = false;
  let pidHost = false;
  let i = 0;
  for (; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (!arg.startsWith('-')) break;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    let value = inline;
    if (value === undefined && VALUE_OPTIONS.has(name)) value = rest[++i];
    if (name === '--privileged') privileged = true;
    if (name === '--pid' && value === 'host') pidHost = true;
  }
  const image = rest[i];
  const command = rest.slice(i + 1);
  if (!image) fail('must provide a non-empty image name');
  if (command[0] !== 'bootc') fail(`the device lab's podman only runs bootc inside an image (got "${command[0] ?? ''}")`);
  // IMAGE may name a transport (`oci-archive:/path`), as podman's pull accepts; else a registry.
  const transport = /^(oci-archive|oci|docker-archive|containers-storage):(.+)$/.exec(image);
  const context = {
    image: transport ? { image: transport[2], transport: transport[1] } : { image: image.replace(/^docker:\/\//, ''), transport: 'registry' },
    privileged,
    pidHost,
    rootless: (process.getuid?.() ?? 0) !== 0,
  };
  const child = spawn('/usr/local/sbin/bootc', command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, [CONTAINER_ENV]: JSON.stringify(context) },
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 : 1);
  });
}

main(process.argv.slice(2));
