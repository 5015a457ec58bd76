import type { Command } from 'commander';
import { keyValues } from '../output';
import type { CommandKit } from '../program';

/** How each secret store is said to a user. */
export const SECRET_STORE_WORDS = {
  keyfile: 'encrypted with the 0600 key file in the data directory',
  keyring: 'encrypted with a key kept in the OS keyring (Secret Service)',
  safeStorage: "encrypted with the OS keychain (Electron's safeStorage)",
} as const;

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
            ['secrets', `${SECRET_STORE_WORDS[i.secretStore]} (${i.secretStoreWhy})`],
            ['inventory', `${i.counts.devices} devices, ${i.counts.sites} sites, ${i.counts.tags} tags`],
          ]),
        );
      }),
    );
}
