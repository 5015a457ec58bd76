import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { formatHostPort, type Device, type DeviceAdd, type DevicePatch, type ImportReport } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';
import { addFilterOptions, collect, intOption } from './options';

/** Options shared by `devices add` and `devices edit`. */
function addDeviceOptions(cmd: Command, edit: boolean): Command {
  return cmd
    .option('--host <host>', 'host name or IP address to reach the device over SSH')
    .option('--port <port>', 'SSH port (default 22)', intOption('--port', 1, 65535))
    .option('--user <user>', 'SSH login user (default: your SSH default)')
    .addOption(new Option('--auth <method>', 'how to authenticate').choices(['agent', 'key', 'password']))
    .option('--key <path>', 'private key file (implies --auth key)')
    .option('--password-stdin', 'read the SSH password from standard input (stored encrypted)')
    .option('--passphrase-stdin', 'read the private key passphrase from standard input (stored encrypted)')
    .option('--site <site>', edit ? 'move the device to this site' : 'the site the device belongs to (must exist)')
    .option('--tag <tag>', edit ? 'replace the tags with these (repeatable)' : 'a tag for selecting groups of devices (repeatable)', collect)
    .option('--sudo', 'bootc commands need `sudo -n` on this device')
    .option('--image <ref>', 'the desired bootc image reference for this device')
    .option('--proxy-jump <hops>', 'jump hosts, first hop first, as ssh -J takes them: [user@]host[:port],... ("none" clears)')
    .option('--notes <text>', 'free-form notes');
}

async function readSecret(opts: Record<string, unknown>, kit: CommandKit): Promise<string | undefined> {
  if (!opts.passwordStdin && !opts.passphraseStdin) return undefined;
  if (opts.passwordStdin && opts.passphraseStdin) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'Use only one of --password-stdin and --passphrase-stdin.');
  }
  const text = (await kit.io.readStdin()).replace(/\r?\n$/, '');
  if (!text) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Standard input was empty; pipe the secret in, e.g. `printf %s "$PW" | bootfleet ...`.');
  return text.split(/\r?\n/)[0];
}

function deviceRows(items: Device[]): string[][] {
  return items.map((d) => [
    d.name,
    d.siteName ?? '-',
    `${d.user ? d.user + '@' : ''}${d.host.includes(':') ? `[${d.host}]` : d.host}${d.port === 22 ? '' : ':' + d.port}`,
    d.tags.join(',') || '-',
    d.desiredImage ?? '-',
  ]);
}

function showDevice(d: Device): string {
  return keyValues([
    ['name', d.name],
    ['site', d.siteName ?? '(none)'],
    ['host', d.host],
    ['port', String(d.port)],
    ['user', d.user ?? '(SSH default)'],
    ['auth', d.auth + (d.auth === 'key' ? ` (${d.keyPath})` : '')],
    ['secret stored', d.hasSecret ? 'yes (encrypted)' : 'no'],
    ['sudo', d.sudo ? 'yes (sudo -n)' : 'no'],
    ['tags', d.tags.join(', ') || '(none)'],
    ['desired image', d.desiredImage ?? '(none at device level)'],
    ['jump hosts', d.proxyJump ?? '(none at device level)'],
    ['state', `${d.status.reach}${d.status.stale ? ' (stale)' : ''}${d.status.error ? `: ${d.status.error.message}` : ''}`],
    ['notes', d.notes || ''],
    ['id', d.id],
    ['created', d.createdAt],
    ['updated', d.updatedAt],
  ]);
}

function importSummary(r: ImportReport, dryRun: boolean): string {
  const lines = [
    dryRun
      ? `Checked ${r.total} row${r.total === 1 ? '' : 's'}: ${r.valid} valid, ${r.invalidCount} with errors.${r.invalidCount ? ' Nothing would be imported until they are fixed.' : ' Nothing was written (dry run).'}`
      : `Imported ${r.imported} device${r.imported === 1 ? '' : 's'}.`,
  ];
  if (r.newSites.length) lines.push(`${dryRun ? 'Would create' : 'Created'} site${r.newSites.length === 1 ? '' : 's'}: ${r.newSites.join(', ')}`);
  return lines.join('\n') + '\n' + rowErrors(r);
}

function rowErrors(r: ImportReport): string {
  const out = r.invalidRows.flatMap((row) => row.errors.map((e) => `  line ${row.line}${row.name ? ` (${row.name})` : ''}: ${e.column === '*' ? '' : e.column + ': '}${e.message}`));
  if (r.invalidCount > r.invalidRows.length) out.push(`  ... and ${r.invalidCount - r.invalidRows.length} more rows with errors`);
  return out.length ? out.join('\n') + '\n' : '';
}

export function registerDevices(program: Command, kit: CommandKit): void {
  const devices = program.command('devices').description('the device inventory: add, list, show, edit, remove, import, export');

  addDeviceOptions(
    devices.command('add').argument('<name>', 'device name, unique within its site').description('add a device to the inventory'),
    false,
  ).action(
    kit.run(async (s, o, name) => {
      if (!o.host) throw new AppError(ErrorCode.VALIDATION_FAILED, 'devices add needs --host HOST (the address to reach the device over SSH).');
      const secret = await readSecret(o, kit);
      const input: DeviceAdd = {
        name: name!,
        host: o.host as string,
        port: o.port as number | undefined,
        user: o.user as string | undefined,
        auth: (o.auth as DeviceAdd['auth']) ?? (o.passwordStdin ? 'password' : undefined),
        keyPath: o.key as string | undefined,
        secret,
        site: o.site as string | undefined,
        tags: (o.tag as string[] | undefined) ?? [],
        sudo: !!o.sudo,
        desiredImage: o.image as string | undefined,
        proxyJump: o.proxyJump as string | undefined,
        notes: (o.notes as string | undefined) ?? '',
      };
      const d = await s.call('devices.add', input);
      kit.print(o, d, () => `Added ${d.siteName ? d.siteName + '/' : ''}${d.name} (${formatHostPort(d.host, d.port)}).\n`);
    }),
  );

  addFilterOptions(devices.command('list').description('list devices (all matching, sorted by name)'))
    .addOption(new Option('--sort <field>', 'sort by').choices(['name', 'site', 'host', 'updatedAt', 'createdAt']).default('name'))
    .option('--desc', 'sort descending')
    .option('--limit <n>', 'at most this many devices', intOption('--limit', 1, 10_000_000))
    .option('--offset <n>', 'skip this many devices first', intOption('--offset', 0, 10_000_000))
    .action(
      kit.run(async (s, o) => {
        const limit = (o.limit as number | undefined) ?? Infinity;
        let offset = (o.offset as number | undefined) ?? 0;
        const items: Device[] = [];
        let total = 0;
        for (;;) {
          const page = await s.call('devices.list', {
            site: o.site as string | undefined,
            tags: o.tag as string[] | undefined,
            search: o.search as string | undefined,
            sort: o.sort as 'name',
            dir: o.desc ? 'desc' : 'asc',
            offset,
            limit: Math.min(1000, limit - items.length),
          });
          total = page.total;
          items.push(...page.items);
          offset += page.items.length;
          if (page.items.length === 0 || items.length >= limit || offset >= total) break;
        }
        kit.print(o, { total, items }, () =>
          items.length
            ? table(['NAME', 'SITE', 'HOST', 'TAGS', 'DESIRED IMAGE'], deviceRows(items)) + (items.length < total ? `(${items.length} of ${total} shown)\n` : '')
            : total
              ? `No devices in this range (${total} match).\n`
              : 'No devices match. Add one with `bootfleet devices add NAME --host HOST` or import a CSV.\n',
        );
      }),
    );

  devices
    .command('show')
    .argument('<device>', 'NAME, SITE/NAME or id')
    .description('show one device')
    .action(
      kit.run(async (s, o, ref) => {
        const d = await s.call('devices.get', { device: ref! });
        kit.print(o, d, () => showDevice(d));
      }),
    );

  addDeviceOptions(devices.command('edit').argument('<device>', 'NAME, SITE/NAME or id').description('change fields of a device'), true)
    .option('--name <name>', 'rename the device')
    .option('--no-site', 'take the device out of its site')
    .option('--add-tag <tag>', 'add a tag (repeatable)', collect)
    .option('--remove-tag <tag>', 'remove a tag (repeatable)', collect)
    .option('--no-sudo', 'bootc commands run without sudo')
    .option('--clear-user', 'use the SSH default user')
    .option('--clear-image', 'remove the device-level desired image')
    .option('--clear-secret', 'forget the stored password or passphrase')
    .action(
      kit.run(async (s, o, ref) => {
        const secret = await readSecret(o, kit);
        const patch: DevicePatch = {};
        if (o.name !== undefined) patch.name = o.name as string;
        if (o.host !== undefined) patch.host = o.host as string;
        if (o.port !== undefined) patch.port = o.port as number;
        if (o.user !== undefined) patch.user = o.user as string;
        if (o.clearUser) patch.user = null;
        if (o.auth !== undefined) patch.auth = o.auth as DevicePatch['auth'];
        else if (o.passwordStdin) patch.auth = 'password';
        if (o.key !== undefined) patch.keyPath = o.key as string;
        if (secret !== undefined) patch.secret = secret;
        if (o.clearSecret) patch.clearSecret = true;
        if (o.site === false) patch.site = null;
        else if (typeof o.site === 'string') patch.site = o.site;
        if (o.sudo !== undefined) patch.sudo = !!o.sudo;
        if (o.image !== undefined) patch.desiredImage = o.image as string;
        if (o.clearImage) patch.desiredImage = null;
        if (o.proxyJump !== undefined) patch.proxyJump = o.proxyJump as string;
        if (o.notes !== undefined) patch.notes = o.notes as string;
        const add = (o.addTag as string[] | undefined) ?? [];
        const remove = ((o.removeTag as string[] | undefined) ?? []).map((t) => t.toLowerCase());
        if (o.tag || add.length || remove.length) {
          const current = o.tag ? (o.tag as string[]) : (await s.call('devices.get', { device: ref! })).tags;
          patch.tags = [...current, ...add].filter((t) => !remove.includes(t.toLowerCase()));
        }
        if (!Object.keys(patch).length) {
          throw new AppError(ErrorCode.VALIDATION_FAILED, 'Nothing to change: give at least one option (see bootfleet devices edit --help).');
        }
        const d = await s.call('devices.update', { device: ref!, patch });
        kit.print(o, d, () => `Updated ${d.siteName ? d.siteName + '/' : ''}${d.name}.\n`);
      }),
    );

  devices
    .command('rm')
    .alias('remove')
    .argument('<device>', 'NAME, SITE/NAME or id')
    .option('-y, --yes', 'confirm the deletion (required)')
    .description('delete a device from the inventory (nothing is changed on the device)')
    .action(
      kit.run(async (s, o, ref) => {
        if (!o.yes) throw new AppError(ErrorCode.VALIDATION_FAILED, `Not deleted: add --yes to confirm deleting ${ref} from the inventory.`);
        const r = await s.call('devices.remove', { device: ref! });
        kit.print(o, r, () => `Deleted ${r.siteName ? r.siteName + '/' : ''}${r.name}.\n`);
      }),
    );

  devices
    .command('import-ssh-config')
    .argument('[file]', 'an ssh config file (default ~/.ssh/config)')
    .option('--site <site>', 'the site new devices go to (must exist)')
    .option('--dry-run', 'show what would be added or updated; write nothing')
    .description('add devices from ssh config Host entries (HostName, User, Port, IdentityFile, ProxyJump); same-named devices are updated')
    .action(
      kit.run(async (s, o, file) => {
        const r = await s.call('ssh.importConfig', { ...(file ? { path: file } : {}), site: o.site as string | undefined, dryRun: !!o.dryRun });
        kit.print(o, r, () => {
          const verb = r.dryRun ? 'Would add' : 'Added';
          const lines = [`${verb} ${r.added}, ${r.dryRun ? 'would update' : 'updated'} ${r.updated}, unchanged ${r.unchanged}, skipped ${r.skipped} (from ${r.source}).`];
          for (const h of r.hosts) {
            if (h.action === 'skip') lines.push(`  skipped ${h.alias}: ${h.reason}`);
            for (const w of h.warnings) lines.push(`  note ${h.alias}: ${w}`);
          }
          return lines.join('\n') + '\n';
        });
      }),
    );
  devices
    .command('import')
    .argument('<file>', 'a CSV file ("-" reads standard input)')
    .option('--dry-run', 'check every row and report, without writing anything')
    .description('import devices from CSV (all rows or none)')
    .addHelpText(
      'after',
      `
CSV format: a header row, then one device per row. Columns (any order): name, host, port, user, site,
tags (separated by ";"), sudo (true/false), key (private key path), image (desired bootc image), notes.
Only name and host are required;
an unknown column is an error. Sites named in the file are created. If any row has an error, nothing is imported.`,
    )
    .action(
      kit.run(async (s, o, file) => {
        let csv: string;
        try {
          csv = file === '-' ? await kit.io.readStdin() : readFileSync(file!, 'utf8');
        } catch (err) {
          throw new AppError(ErrorCode.NOT_FOUND, `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`);
        }
        const dryRun = !!o.dryRun;
        try {
          const r = await s.call('devices.import', { csv, dryRun, fileName: file === '-' ? undefined : basename(file!) });
          kit.print(o, r, () => importSummary(r, dryRun));
          if (r.invalidCount > 0) {
            throw new AppError(ErrorCode.CSV_INVALID, `${r.invalidCount} of ${r.total} rows have errors; fix them and import again.`);
          }
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.CSV_INVALID && isReport(err.details) && !o.json) {
            kit.io.stdout(rowErrors(err.details));
          }
          throw err;
        }
      }),
    );

  addFilterOptions(devices.command('export').description('export devices as CSV (re-importable), JSON or an Ansible inventory'))
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json', 'ansible']).default('csv'))
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(
      kit.run(async (s, o) => {
        const r = await s.call('devices.export', {
          format: o.format as 'csv' | 'json' | 'ansible',
          site: o.site as string | undefined,
          tags: o.tag as string[] | undefined,
          search: o.search as string | undefined,
        });
        if (o.output) {
          writeFileSync(o.output as string, r.content);
          kit.io.stderr(`Exported ${r.count} device${r.count === 1 ? '' : 's'} to ${o.output as string}.\n`);
        } else kit.io.stdout(r.content);
      }),
    );
}

function isReport(d: unknown): d is ImportReport {
  return typeof d === 'object' && d !== null && Array.isArray((d as ImportReport).invalidRows);
}

/** `bootfleet export ansible`: the hand-off to Ansible (the same as `devices export --format ansible`). */
export function registerExport(program: Command, kit: CommandKit): void {
  addFilterOptions(
    program
      .command('export')
      .argument('<what>', 'ansible: an Ansible inventory (YAML) grouped by site and tag')
      .description('hand the fleet to a larger tool: an Ansible inventory with host, port, user and desired image per device'),
  )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(
      kit.run(async (s, o, what) => {
        if (what !== 'ansible') throw new AppError(ErrorCode.VALIDATION_FAILED, `bootfleet export knows ansible, not "${what as string}".`);
        const r = await s.call('devices.export', { format: 'ansible', site: o.site as string | undefined, tags: o.tag as string[] | undefined, search: o.search as string | undefined });
        if (o.output) {
          writeFileSync(o.output as string, r.content);
          kit.io.stderr(`Wrote an Ansible inventory of ${r.count} device${r.count === 1 ? '' : 's'} to ${o.output as string} (check it: ansible-inventory --list -i ${o.output as string}).\n`);
        } else kit.io.stdout(r.content);
      }),
    );
}
