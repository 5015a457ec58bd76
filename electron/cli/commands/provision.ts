import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ProvisionTarget } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { formatSize } from '../../core/flash/drives';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';
import { collect } from './options';

/** The connection options every `provision` verb takes. */
function connectionOptions(c: Command): Command {
  return c
    .argument('<host>', 'the box, booted from live media: an address or name')
    .option('--port <n>', 'SSH port', (v) => Number(v), 22)
    .option('--user <name>', 'login (live media usually allows root with a password)', 'root')
    .option('--password-stdin', 'read the login password from standard input')
    .option('--key <path>', 'a private key file (default: the SSH agent)');
}

async function targetOf(kit: CommandKit, host: string, o: Record<string, unknown>): Promise<ProvisionTarget> {
  let password: string | undefined;
  if (o.passwordStdin) {
    password = (await kit.io.readStdin()).split(/\r?\n/)[0];
    if (!password) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Standard input was empty; pipe the password in, e.g. `printf %s "$PW" | bootfleet provision inspect HOST --password-stdin`.');
  }
  return { host, port: o.port as number, user: o.user as string, ...(password !== undefined ? { password } : {}), ...(o.key ? { keyPath: o.key as string } : {}) };
}

export function registerProvision(program: Command, kit: CommandKit): void {
  const provision = program.command('provision').description('install a bootc image onto a new box booted from live media, over SSH');
  connectionOptions(provision.command('inspect'))
    .description('what the box is: architecture, bootc and podman, memory, and which disks can take the install')
    .addHelpText('after', "\nThe box's host key is pinned on first contact and shown; a different key later is refused.")
    .action(
      kit.run(async (s, o, host) => {
        const h = await s.call('provision.inspect', { target: await targetOf(kit, host!, o) });
        kit.print(o, h, () => {
          const head = keyValues([
            ['Address', h.address],
            ['Host key', h.hostKey ? `${h.hostKey.fingerprint} (${h.hostKey.keyType}), pinned` : '-'],
            ['System', `${h.os ?? 'unknown OS'}, ${h.architecture ?? '?'}, kernel ${h.kernel ?? '?'}`],
            ['Memory', h.memoryBytes ? formatSize(h.memoryBytes) : '-'],
            ['bootc', h.bootcVersion ?? 'not installed'],
            ['podman', h.podmanVersion ?? 'not installed'],
            ['Privileges', h.privileged === 'root' ? 'root' : h.privileged === 'sudo' ? 'sudo without a password' : 'none (cannot install)'],
            ['Install with', h.method === 'podman' ? 'podman run ... bootc install to-disk (the documented way)' : h.method === 'bootc' ? 'bootc install to-disk (the live system has bootc)' : 'nothing: see below'],
          ]);
          const disks = h.disks.length
            ? table(
                ['DISK', 'SIZE', 'MODEL', 'SERIAL', 'HOLDS', 'CAN INSTALL'],
                h.disks.map((d) => [
                  d.path,
                  formatSize(d.size),
                  d.description.replace(/ [\d.]+ [kMGT]?B( \(.*\))?$/, ''),
                  d.serial ?? '-',
                  [...d.signatures, ...d.partitions.map((p) => `${p.path.replace(/^\/dev\//, '')}${p.fstype ? ` ${p.fstype}` : ''}`)].join(', ') || 'nothing',
                  d.problems.length ? `no: it ${d.problems.map((p) => p.message).join('; ')}` : d.needsTypedConfirmation ? 'yes, wiping what it holds' : 'yes',
                ]),
                60,
              )
            : 'No disks found.\n';
          return `${head}${head.endsWith('\n') ? '' : '\n'}\n${disks}${h.problems.length ? `\n${h.problems.map((p) => `! ${p}`).join('\n')}\n` : ''}`;
        });
        if (h.problems.length) kit.exitWith(1);
      }),
    );

  connectionOptions(provision.command('plan'))
    .description('check an install against the box and print the exact command it would run (nothing is written)')
    .requiredOption('--image <ref>', 'the registry image to install (the installed system follows it for updates)')
    .requiredOption('--disk <dev>', 'the target disk, as `provision inspect` lists it')
    .option('--wipe', 'erase what the disk holds (needed when it has partitions or data)')
    .option('--confirm <name>', "the disk's name (e.g. sda), to confirm erasing it")
    .option('--filesystem <fs>', 'xfs, ext4 or btrfs (default: what the image says)')
    .option('--root-size <size>', 'root partition size, e.g. 20G (default: the rest of the disk)')
    .option('--karg <arg>', 'a kernel argument (repeat for several)', collect)
    .option('--authorized-keys <file>', 'an authorized_keys file to install for root')
    .action(
      kit.run(async (s, o, host) => {
        const authorizedKeys = o.authorizedKeys ? await readFile(o.authorizedKeys as string, 'utf8').catch(() => {
          throw new AppError(ErrorCode.NOT_FOUND, `No authorized_keys file at ${o.authorizedKeys as string}.`);
        }) : undefined;
        const p = await s.call('provision.plan', {
          target: await targetOf(kit, host!, o),
          image: o.image as string,
          disk: o.disk as string,
          wipe: !!o.wipe,
          kargs: (o.karg as string[] | undefined) ?? [],
          ...(o.confirm ? { confirm: o.confirm as string } : {}),
          ...(o.filesystem ? { filesystem: o.filesystem as 'xfs' | 'ext4' | 'btrfs' } : {}),
          ...(o.rootSize ? { rootSize: o.rootSize as string } : {}),
          ...(authorizedKeys !== undefined ? { authorizedKeys } : {}),
        });
        kit.print(o, p, () =>
          `Installs ${o.image as string} (${p.digest}) on ${o.disk as string} of ${p.host.address} with this command:\n\n  ${p.command}\n` +
          (p.warnings.length ? `\n${p.warnings.map((w) => `! ${w}`).join('\n')}\n` : ''),
        );
      }),
    );
}
