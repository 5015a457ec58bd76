import type { Command } from 'commander';
import { table } from '../output';
import type { CommandKit } from '../program';
import { intOption } from './options';

export function registerActivity(program: Command, kit: CommandKit): void {
  program
    .command('activity')
    .alias('log')
    .description('the activity log, newest first: every change and every action with its outcome')
    .option('--device <name>', 'only entries about this device (its actions, with from and to digests)')
    .option('--search <text>', 'only entries mentioning this text')
    .option('--type <entity>', 'only entries about this kind of entity (device, site, import)')
    .option('--limit <n>', 'how many entries (default 50)', intOption('--limit', 1, 1000), 50)
    .action(
      kit.run(async (s, o) => {
        const device = o.device ? await s.call('devices.get', { device: o.device as string }) : null;
        const r = await s.call('activity.list', {
          search: o.search as string | undefined,
          entityType: device ? 'device' : (o.type as string | undefined),
          ...(device ? { entityId: device.id } : {}),
          limit: o.limit as number,
        });
        kit.print(o, r, () =>
          r.items.length
            ? table(
                ['WHEN', 'WHO', 'ACTION', 'SUMMARY'],
                r.items.map((e) => [e.at.replace('T', ' ').slice(0, 19), `${e.actor} (${e.via})`, e.action, e.summary]),
                80,
              )
            : 'No activity yet.\n',
        );
      }),
    );
}
