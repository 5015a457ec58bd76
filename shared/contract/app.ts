import { z } from 'zod';
import { method } from './define';
import { viaSchema } from './fields';

export const appInfoSchema = z.object({
  product: z.literal('Bootfleet'),
  version: z.string(),
  via: viaSchema,
  dataDir: z.string(),
  databasePath: z.string(),
  schemaVersion: z.number().int(),
  /** Where the key that encrypts secrets at rest is: the OS keychain (desktop), the OS keyring (CLI, serve) or a 0600 key file. */
  secretStore: z.enum(['safeStorage', 'keyring', 'keyfile']),
  /** Why that store is used (for example "no keyring: no D-Bus session"). */
  secretStoreWhy: z.string(),
  counts: z.object({ devices: z.number().int(), sites: z.number().int(), tags: z.number().int() }),
  /** Terminals may open a shell on this machine (the desktop app, or serve with --allow-local-shell). */
  localShell: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const appMethods = {
  'app.info': method({
    input: z.object({}).default({}),
    output: appInfoSchema,
    summary: 'Version, data directory and inventory counts.',
  }),
};
