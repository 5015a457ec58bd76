import type { Command } from 'commander';
import { keyValues } from '../output';
import type { CommandKit } from '../program';

export function registerInfo(program: Command, kit: CommandKit): void {
  program
    .command('info')
    .description('version, data directory and inventory counts')
    .action(
      kit.run(async (s, o) => {
        const i = await s.call('app.info', {});
        kit.print(o, i, () =>
          keyValues([
            ['version', i.version],
            ['data directory', i.dataDir],
            ['database', `${i.databasePath} (schema ${i.schemaVersion})`],
            ['secrets', i.secretStore === 'keyfile' ? 'encrypted with the 0600 key file in the data directory' : 'encrypted with the OS keychain'],
            ['inventory', `${i.counts.devices} devices, ${i.counts.sites} sites, ${i.counts.tags} tags`],
          ]),
        );
      }),
    );
}
