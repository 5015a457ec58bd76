import { resolve } from 'node:path';
import { attachLab, startLab, stopLab } from './index';
import type { Faults } from './emulator/types';

/**
 * `npm run lab -- <command>`: run the device lab from a shell.
 *   start --devices N [--dir DIR] [--versions 1.16.9,1.1.6] [--reboot-ms MS]   start and print JSON
 *         [--auth-registry USER:PASSWORD [--anonymous-pull]]                   also a token-auth registry
 *   stop --dir DIR [--keep]                                                    tear it down
 *   status --dir DIR                                                           power and faults per device
 *   fault --dir DIR DEVICE key=value ...  (value null clears; e.g. unreachable=silent bootFails=true)
 *   reboot --dir DIR DEVICE                                                    power-cycle a device
 *   retag --dir DIR TAG FROM                                                   move a tag (e.g. stable 1.1)
 */

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

function requireDir(args: string[]): string {
  const dir = flag(args, '--dir');
  if (!dir) throw new Error('give the lab directory with --dir DIR (start prints it)');
  return resolve(dir);
}

function parseFaultValue(text: string): unknown {
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  if (text.startsWith('{')) return JSON.parse(text);
  return text;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start': {
      const count = Number(flag(args, '--devices') ?? '3');
      if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error('--devices takes a number from 1 to 500');
      const dir = flag(args, '--dir');
      const versions = flag(args, '--versions')?.split(',').map((v) => v.trim()).filter(Boolean);
      const rebootMs = flag(args, '--reboot-ms');
      const auth = flag(args, '--auth-registry');
      const colon = auth?.indexOf(':') ?? -1;
      if (auth !== undefined && colon < 1) throw new Error('--auth-registry takes USER:PASSWORD');
      const anonymousPull = args.includes('--anonymous-pull');
      const lab = await startLab({
        devices: count,
        ...(dir ? { dir: resolve(dir) } : {}),
        ...(versions ? { versions } : {}),
        ...(rebootMs ? { rebootMs: Number(rebootMs) } : {}),
        ...(auth ? { authRegistry: { user: auth.slice(0, colon), password: auth.slice(colon + 1), anonymousPull } } : {}),
        ownerPid: null,
      });
      const devices = lab.devices.map(({ name, host, port, user, key, bootcVersion, sudo, hostKeyFingerprint }) =>
        ({ name, host, port, user, key, bootcVersion, sudo, hostKeyFingerprint }));
      process.stdout.write(`${JSON.stringify({ dir: lab.dir, registry: lab.registry, authRegistry: lab.authRegistry, images: lab.images, devices }, null, 2)}\n`);
      process.stderr.write(`Lab running in ${lab.dir}. Stop it with: npm run lab -- stop --dir ${lab.dir}\n`);
      return;
    }
    case 'stop': {
      const dir = requireDir(args);
      await stopLab(dir, { keep: args.includes('--keep') });
      process.stderr.write(`Lab in ${dir} stopped.\n`);
      return;
    }
    case 'status': {
      const lab = await attachLab(requireDir(args));
      const power = await lab.power();
      for (const d of lab.devices) process.stdout.write(`${d.name}\t${d.host}\t${d.bootcVersion}\t${power[d.name] ?? '?'}\n`);
      return;
    }
    case 'fault': {
      const lab = await attachLab(requireDir(args));
      const [device, ...pairs] = args;
      if (!device || pairs.length === 0) throw new Error('usage: fault --dir DIR DEVICE key=value ...');
      const faults: Record<string, unknown> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new Error(`${pair}: write key=value`);
        faults[pair.slice(0, eq)] = parseFaultValue(pair.slice(eq + 1));
      }
      await lab.setFaults(device, faults as Faults);
      return;
    }
    case 'reboot': {
      const lab = await attachLab(requireDir(args));
      const [device] = args;
      if (!device) throw new Error('usage: reboot --dir DIR DEVICE');
      await lab.reboot(device);
      return;
    }
    case 'retag': {
      const lab = await attachLab(requireDir(args));
      const [tag, from] = args;
      if (!tag || !from) throw new Error('usage: retag --dir DIR TAG FROM');
      process.stdout.write(`${await lab.retag(tag, from)}\n`);
      return;
    }
    default:
      throw new Error(`unknown command ${command ?? '(none)'}; use start, stop, status, fault, reboot or retag`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`lab: ${(err as Error).message}\n`);
  process.exit(1);
});
