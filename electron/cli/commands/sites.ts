import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../../shared/errors';
import { table } from '../output';
import type { CommandKit } from '../program';
import { intOption } from './options';

/** `--keep-recordings DAYS|forever`: whole days, or null for ever. */
function keepDays(v: unknown): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'forever') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new AppError(ErrorCode.VALIDATION_FAILED, '--keep-recordings takes whole days (1 or more), or "forever".');
  return n;
}

const keptText = (days: number | null): string => (days ? `${days} d` : 'forever');

export function registerSites(program: Command, kit: CommandKit): void {
  const sites = program.command('sites').description('sites: the places devices are grouped by');
  sites
    .command('add')
    .argument('<name>', 'site name')
    .option('--notes <text>', 'free-form notes')
    .option('--proxy-jump <hops>', "jump hosts for the site's devices: [user@]host[:port],...")
    .option('--stale-after <days>', "the audit's stale threshold for the site's devices, in days (default 7)", intOption('--stale-after', 1, 3650))
    .option('--record-terminals', "record terminal sessions on the site's devices (asciicast, output only) for audits")
    .option('--keep-recordings <days>', 'remove its recordings this many days after the session ended ("forever", the default, keeps them)')
    .description('create a site')
    .action(
      kit.run(async (s, o, name) => {
        const keep = keepDays(o.keepRecordings);
        const site = await s.call('sites.add', { name: name!, notes: o.notes as string | undefined, proxyJump: o.proxyJump as string | undefined, ...(o.staleAfter ? { staleAfterDays: o.staleAfter as number } : {}), ...(o.recordTerminals ? { recordTerminals: true } : {}), ...(keep !== undefined ? { keepRecordingsDays: keep } : {}) });
        kit.print(o, site, () => `Added site ${site.name}${site.recordTerminals ? ` (terminal sessions recorded, kept ${keptText(site.keepRecordingsDays)})` : ''}.\n`);
      }),
    );
  sites
    .command('list')
    .alias('ls')
    .description('list sites with their device counts')
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('sites.list', {});
        kit.print(o, list, () =>
          list.length ? table(['NAME', 'DEVICES', 'JUMP HOSTS', 'STALE AFTER', 'RECORDS TERMINALS', 'KEEPS RECORDINGS', 'NOTES'], list.map((x) => [x.name, String(x.deviceCount), x.proxyJump ?? '-', x.staleAfterDays ? `${x.staleAfterDays} d` : '7 d (default)', x.recordTerminals ? 'yes' : 'no', keptText(x.keepRecordingsDays), x.notes])) :  'No sites yet. Add one with `bootfleet sites add NAME`.\n',
        );
      }),
    );
  sites
    .command('rename')
    .argument('<site>', 'current name')
    .argument('<new-name>', 'new name')
    .description('rename a site')
    .action(
      kit.run(async (s, o, site, name) => {
        const r = await s.call('sites.rename', { site: site!, name: name! });
        kit.print(o, r, () => `Renamed site ${site} to ${r.name}.\n`);
      }),
    );
  sites
    .command('edit')
    .argument('<site>', 'site name')
    .option('--notes <text>', 'free-form notes')
    .option('--proxy-jump <hops>', "jump hosts for the site's devices that set none themselves (\"none\" clears)")
    .option('--stale-after <days>', "the audit's stale threshold for the site's devices, in days (\"default\" goes back to 7)")
    .option('--record-terminals', "record terminal sessions on the site's devices (asciicast, output only)")
    .option('--no-record-terminals', 'stop recording them (recordings made stay)')
    .option('--keep-recordings <days>', 'remove its recordings this many days after the session ended ("forever" keeps them)')
    .description("change a site's notes, jump hosts, stale threshold, terminal recording or how long recordings are kept")
    .action(
      kit.run(async (s, o, site) => {
        const stale = o.staleAfter as string | undefined;
        const staleAfterDays = stale === undefined ? undefined : stale === 'default' ? null : Number(stale);
        if (staleAfterDays !== undefined && staleAfterDays !== null && !Number.isInteger(staleAfterDays)) throw new AppError(ErrorCode.VALIDATION_FAILED, '--stale-after takes whole days (or "default").');
        const keep = keepDays(o.keepRecordings);
        const r = await s.call('sites.update', { site: site!, notes: o.notes as string | undefined, proxyJump: o.proxyJump as string | undefined, ...(staleAfterDays !== undefined ? { staleAfterDays } : {}), ...(typeof o.recordTerminals === 'boolean' ? { recordTerminals: o.recordTerminals } : {}), ...(keep !== undefined ? { keepRecordingsDays: keep } : {}) });
        kit.print(o, r, () => `Updated site ${r.name}${r.proxyJump ? ` (jump hosts: ${r.proxyJump})` : ''}${r.recordTerminals ? `; terminal sessions are recorded, kept ${keptText(r.keepRecordingsDays)}` : ''}.
`);
      }),
    );
  sites
    .command('rm')
    .alias('remove')
    .argument('<site>', 'site name')
    .description('delete a site (refused while devices are assigned to it)')
    .action(
      kit.run(async (s, o, site) => {
        const r = await s.call('sites.remove', { site: site! });
        kit.print(o, r, () => `Deleted site ${r.name}.\n`);
      }),
    );
}
