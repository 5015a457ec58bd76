import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { shortDigest, type ProvisionPlan, type ProvisionRun, type ProvisionStart, type ProvisionTarget } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { formatSize } from '../../core/flash/drives';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';
import type { CliSession } from '../run';
import { collect, intOption } from './options';

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

async function readAuthorizedKeys(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => {
    throw new AppError(ErrorCode.NOT_FOUND, `No authorized_keys file at ${path}.`);
  });
}

/** Names for a batch: NAME as given for one box; for several, NAME must hold {n} (1, 2, ...) or {host}. */
export function batchNames(pattern: string, hosts: string[]): string[] {
  if (hosts.length === 1) return [pattern.replace(/\{n\}/g, '1').replace(/\{host\}/g, hosts[0]!)];
  if (!/\{n\}|\{host\}/.test(pattern)) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `--name "${pattern}" would name all ${hosts.length} boxes alike: put {n} (1, 2, ...) or {host} in it, e.g. --name edge-{n}.`);
  }
  return hosts.map((h, i) => pattern.replace(/\{n\}/g, String(i + 1)).replace(/\{host\}/g, h.replace(/[^A-Za-z0-9._-]/g, '-')));
}

function runsTable(runs: ProvisionRun[]): string {
  return table(
    ['BOX', 'NAME', 'DISK', 'STATE', 'BOOTED', 'OUTCOME'],
    runs.map((r) => [
      r.address,
      r.site ? `${r.site}/${r.name}` : r.name,
      r.disk ? `${r.disk.path}${r.disk.serial ? ` (${r.disk.serial})` : ''}` : '-',
      r.state === 'running' ? r.phase : r.state,
      r.bootedDigest ? shortDigest(r.bootedDigest) : '-',
      r.error ? `${r.error.message}${r.error.next ? ` → ${r.error.next}` : ''}` : (r.outcome ?? ''),
    ]),
    120,
  );
}

/** Starts the batch and follows it: a line per phase (with the install's own output under --log), host key questions, Ctrl-C to cancel. */
async function followBatch(s: CliSession, kit: CommandKit, o: Record<string, unknown>, input: ProvisionStart): Promise<void> {
  const core = s.open();
  const seen = new Map<string, string>();
  const names = new Map<string, string>();
  const say = (text: string) => {
    if (!o.json) kit.io.stderr(text);
  };
  const asked = new Set<string>();
  const off = core.bus.subscribe((event, payload) => {
    if (event === 'provision.updated') {
      const r = payload as ProvisionRun;
      names.set(r.id, r.name);
      if (r.phase === 'uploading' && r.transfer) {
        // Upload figures change 4 times a second: one redrawn line on a terminal, quarters otherwise.
        const quarter = Math.floor((4 * r.transfer.done) / Math.max(1, r.transfer.total));
        if (kit.io.stderrIsTty) say(`\r${r.name}: ${r.detail ?? ''}\x1b[K${r.transfer.done >= r.transfer.total ? '\n' : ''}`);
        else if (seen.get(r.id) !== `uploading/${quarter}`) say(`${r.name}: ${r.detail ?? ''}\n`);
        seen.set(r.id, `uploading/${quarter}`);
        return;
      }
      const key = `${r.state}/${r.phase}/${r.detail ?? ''}`;
      if (seen.get(r.id) !== key && r.state === 'running') say(`${r.name}: ${r.phase}${r.detail ? ` (${r.detail})` : ''}\n`);
      seen.set(r.id, key);
      if (r.phase === 'host-key' && r.hostKey && !input.acceptNewHostKey && !asked.has(r.id)) {
        asked.add(r.id);
        say(
          `${r.name}: the installed system presents a new host key ${r.hostKey.fingerprint} (${r.hostKey.keyType}).\n` +
            `  Check it on the box's console (ssh-keygen -lf /etc/ssh/ssh_host_${r.hostKey.keyType.replace(/^ssh-/, '').replace(/-.*$/, '')}_key.pub), then confirm from another terminal:\n` +
            `  bootfleet provision confirm ${r.id} ${r.hostKey.fingerprint}\n`,
        );
      }
    } else if (event === 'provision.log' && o.log) {
      const p = payload as { id: string; text: string };
      say(p.text.replace(/^(?=.)/gm, `  ${names.get(p.id) ?? ''} | `));
    }
  });
  const started = await s.call('provision.start', input);
  const onSigint = (): void => void s.call('provision.cancel', { batchId: started.batchId }).catch(() => undefined);
  process.once('SIGINT', onSigint);
  try {
    const runs = await core.provision.wait(started.batchId);
    const done = runs.filter((r) => r.state === 'done').length;
    kit.print(o, runs, () => `${runsTable(runs)}${done} of ${runs.length} provisioned and verified.\n`);
    if (done !== runs.length) kit.exitWith(1);
  } finally {
    process.off('SIGINT', onSigint);
    off();
  }
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
    .option('--image <ref>', 'the registry image to install (the installed system follows it for updates)')
    .requiredOption('--disk <dev>', 'the target disk, as `provision inspect` lists it')
    .option('--archive <file>', 'install from this OCI archive (uploaded to the box) instead of pulling --image')
    .option('--from-library <ref>', 'install this library image (sent as an archive; --image defaults to its NAME:TAG)')
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
        const source = await sourceOf(s, o);
        const p = await s.call('provision.plan', {
          target: await targetOf(kit, host!, o),
          ...source,
          disk: o.disk as string,
          wipe: !!o.wipe,
          kargs: (o.karg as string[] | undefined) ?? [],
          ...(o.confirm ? { confirm: o.confirm as string } : {}),
          ...(o.filesystem ? { filesystem: o.filesystem as 'xfs' | 'ext4' | 'btrfs' } : {}),
          ...(o.rootSize ? { rootSize: o.rootSize as string } : {}),
          ...(authorizedKeys !== undefined ? { authorizedKeys } : {}),
        });
        kit.print(o, p, () =>
          `Installs ${sourceText(source)} (${p.digest}) on ${o.disk as string} of ${p.host.address} with this command:\n\n  ${p.command}\n` +
          (p.warnings.length ? `\n${p.warnings.map((w) => `! ${w}`).join('\n')}\n` : ''),
        );
      }),
    );

  connectionOptions(provision.command('run'))
    .argument('[more...]', 'more boxes for the same image and disk (a bench), installed in parallel')
    .description('install the image on the box, reboot it, verify what it booted and enter it in the inventory')
    .option('--image <ref>', 'the registry image to install (the installed system follows it for updates)')
    .requiredOption('--disk <dev>', 'the target disk, as `provision inspect` lists it')
    .requiredOption('--name <name>', 'the inventory name (for several boxes, with {n} or {host}, e.g. edge-{n})')
    .option('--archive <file>', 'install from this OCI archive, uploaded to each box (resumable, SHA-256 checked), instead of pulling --image')
    .option('--from-library <ref>', 'install this library image, sent to each box as an archive (--image defaults to its NAME:TAG)')
    .option('--site <site>', 'the site of the new device')
    .option('--tag <tag>', 'a tag for the new device (repeat for several)', collect)
    .option('--wipe', 'erase what the disk holds (needed when it has partitions or data)')
    .option('--confirm <name>', "the disk's name (e.g. sda), to confirm erasing it")
    .option('--filesystem <fs>', 'xfs, ext4 or btrfs (default: what the image says)')
    .option('--root-size <size>', 'root partition size, e.g. 20G (default: the rest of the disk)')
    .option('--karg <arg>', 'a kernel argument (repeat for several)', collect)
    .option('--authorized-keys <file>', "an authorized_keys file for root (default: the login key's .pub)")
    .option('--login-user <name>', 'the login to use after the install', 'root')
    .option('--login-key <path>', 'the private key to log in with after the install (default: --key, else ssh-agent)')
    .option('--accept-new-host-key', 'accept the host key the installed system presents (it is shown and logged); otherwise confirm it with `provision confirm`')
    .option('--wait <seconds>', 'how long a box may take to come back after the reboot (default 900)', intOption('--wait', 10, 7200))
    .option('--parallel <n>', 'boxes installed at once (default 10)', intOption('--parallel', 1, 64))
    .option('--log', "print each box's install output as it comes")
    .option('--yes', 'go ahead; without it the plan is shown and nothing is written')
    .addHelpText('after', '\nExit status 0 only when every box booted the installed image and is in the inventory.')
    .action(
      kit.run(async (s, o, host, ...rest) => {
        const hosts = [host!, ...((rest as unknown as string[][]).flat().filter((x) => typeof x === 'string') as string[])];
        const names = batchNames(o.name as string, hosts);
        const target = await targetOf(kit, hosts[0]!, o);
        const loginKey = (o.loginKey as string | undefined) ?? target.keyPath;
        let authorizedKeys: string | undefined;
        if (o.authorizedKeys) authorizedKeys = await readAuthorizedKeys(o.authorizedKeys as string);
        else if (loginKey && existsSync(`${loginKey}.pub`)) {
          authorizedKeys = await readAuthorizedKeys(`${loginKey}.pub`);
          if (!o.json) kit.io.stderr(`Authorizing ${loginKey}.pub for root on the installed system.\n`);
        }
        const choice = {
          ...(await sourceOf(s, o)),
          kargs: (o.karg as string[] | undefined) ?? [],
          ...(o.filesystem ? { filesystem: o.filesystem as 'xfs' | 'ext4' | 'btrfs' } : {}),
          ...(o.rootSize ? { rootSize: o.rootSize as string } : {}),
          ...(authorizedKeys !== undefined ? { authorizedKeys } : {}),
        };
        const box = (h: string, i: number) => ({
          target: { ...target, host: h },
          disk: o.disk as string,
          wipe: !!o.wipe,
          ...(o.confirm ? { confirm: o.confirm as string } : {}),
          name: names[i]!,
          ...(o.site ? { site: o.site as string } : {}),
          tags: (o.tag as string[] | undefined) ?? [],
        });
        if (!o.yes) {
          // The plan of each box, checked against it; nothing is written.
          const plans: { name: string; plan: ProvisionPlan }[] = [];
          for (const [i, h] of hosts.entries()) {
            const b = box(h, i);
            plans.push({ name: b.name, plan: await s.call('provision.plan', { target: b.target, disk: b.disk, wipe: b.wipe, ...(b.confirm ? { confirm: b.confirm } : {}), ...choice }) });
          }
          kit.print(o, plans, () =>
            plans
              .map(({ name, plan: p }) =>
                `${name}: installs ${sourceText(choice)} (${p.digest}) on ${o.disk as string} of ${p.host.address} with this command:\n\n  ${p.command}\n` +
                (p.warnings.length ? `\n${p.warnings.map((w) => `! ${w}`).join('\n')}\n` : ''),
              )
              .join('\n') + '\nNothing was done. Run again with --yes to install, reboot and verify.\n',
          );
          kit.exitWith(1);
          return;
        }
        await followBatch(s, kit, o, {
          ...choice,
          boxes: hosts.map(box),
          login: { user: o.loginUser as string, ...(loginKey ? { keyPath: loginKey } : {}) },
          acceptNewHostKey: !!o.acceptNewHostKey,
          ...(o.wait ? { waitSeconds: o.wait as number } : {}),
          ...(o.parallel ? { parallel: o.parallel as number } : {}),
        });
      }),
    );

  provision
    .command('accept-key')
    .argument('<host>', 'the box')
    .argument('<fingerprint>', 'the new key it presents (SHA256:...), checked on its console')
    .option('--port <n>', 'SSH port', (v) => Number(v), 22)
    .description('accept the new host key of a box at this address (live media make a new key at each boot)')
    .action(
      kit.run(async (s, o, host, fingerprint) => {
        const r = await s.call('provision.acceptHostKey', { host: host!, port: o.port as number, fingerprint: fingerprint! });
        kit.print(o, r, () => `Accepted ${r.fingerprint} (${r.keyType}) for the box at ${r.address}.\n`);
      }),
    );

  provision
    .command('confirm')
    .argument('<run>', 'the run waiting in host-key')
    .argument('<fingerprint>', 'the fingerprint it shows (SHA256:...), checked on the box')
    .description("confirm the installed system's new host key so the run goes on (from any terminal)")
    .action(
      kit.run(async (s, o, id, fingerprint) => {
        const r = await s.call('provision.confirmHostKey', { id: id!, fingerprint: fingerprint! });
        kit.print(o, r, () => `Confirmed ${fingerprint!} for ${r.name}; the run goes on.\n`);
      }),
    );

  provision
    .command('list')
    .alias('ls')
    .option('--batch <id>', 'only this batch')
    .option('--limit <n>', 'how many (default 20)', intOption('--limit', 1, 500), 20)
    .description('recent provisioning runs, newest first')
    .action(
      kit.run(async (s, o) => {
        const runs = await s.call('provision.list', { limit: o.limit as number, ...(o.batch ? { batchId: o.batch as string } : {}) });
        kit.print(o, runs, () => (runs.length ? runsTable(runs) : 'No provisioning runs yet.\n'));
      }),
    );

  provision
    .command('show')
    .argument('<run>', 'run id')
    .option('--log', 'include what the box printed')
    .description('one run: the box, the disk, the command, each step and the result')
    .action(
      kit.run(async (s, o, id) => {
        const r = await s.call('provision.get', { id: id! });
        kit.print(o, r, () => {
          const head = keyValues([
            ['Run', `${r.id} (batch ${r.batchId}), by ${r.actor}`],
            ['Box', `${r.user}@${r.address}`],
            ['Device', `${r.site ? `${r.site}/` : ''}${r.name}${r.deviceId ? ' (in the inventory)' : ''}`],
            ['Image', `${r.image}${r.digest ? ` (${r.digest})` : ''}`],
            ['Disk', r.disk ? `${r.disk.path} ${formatSize(r.disk.sizeBytes)}${r.disk.model ? ` ${r.disk.model}` : ''}${r.disk.serial ? `, serial ${r.disk.serial}` : ''}` : '-'],
            ['Command', r.command ?? '-'],
            ['State', r.state === 'running' ? `running: ${r.phase}${r.detail ? ` (${r.detail})` : ''}` : r.state],
            ['Host key', r.hostKey ? `${r.hostKey.fingerprint} (${r.hostKey.keyType})` : '-'],
            ['Booted', r.bootedDigest ?? '-'],
            ['Outcome', r.error ? `${r.error.message} [${r.error.code}]` : (r.outcome ?? '-')],
            ...(r.error?.next ? ([['Next', r.error.next]] as [string, string][]) : []),
          ]);
          return `${head}${o.log ? `\n${r.log}` : ''}`;
        });
      }),
    );

  provision
    .command('cancel')
    .argument('<id>', 'a run id, or a batch id with --batch')
    .option('--batch', 'the id is a batch: cancel all its boxes')
    .description('cancel: a pull stops; a disk being written finishes and is not rebooted')
    .action(
      kit.run(async (s, o, id) => {
        const runs = await s.call('provision.cancel', o.batch ? { batchId: id! } : { id: id! });
        kit.print(o, runs, () => `Cancel requested for ${runs.length} run${runs.length === 1 ? '' : 's'}.\n`);
      }),
    );
}

/** What to install: `--image`, from `--archive` or `--from-library` (whose NAME:TAG is the default `--image`). */
async function sourceOf(s: CliSession, o: Record<string, unknown>): Promise<{ image: string; archive?: string; library?: string }> {
  if (o.archive && o.fromLibrary) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Give --archive or --from-library, not both.');
  let image = o.image as string | undefined;
  if (o.fromLibrary) {
    const img = await s.call('library.get', { ref: o.fromLibrary as string });
    image ??= img.reference ?? undefined;
    if (!image) throw new AppError(ErrorCode.VALIDATION_FAILED, `The library image ${img.digest} has no registry name: give --image NAME:TAG for the installed system to follow.`);
    return { image, library: img.id };
  }
  if (!image) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Give --image REF (or --from-library REF).');
  return { image, ...(o.archive ? { archive: resolve(o.archive as string) } : {}) };
}

const sourceText = (c: { image: string; archive?: string; library?: string }): string =>
  c.library ? `${c.image} from the library` : c.archive ? `${c.archive} (following ${c.image})` : c.image;
