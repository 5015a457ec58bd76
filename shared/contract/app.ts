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
  /** How secrets are encrypted at rest in this host: the OS keychain (desktop) or a 0600 key file. */
  secretStore: z.enum(['safeStorage', 'keyfile']),
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
