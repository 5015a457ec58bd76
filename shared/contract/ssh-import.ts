import { z } from 'zod';
import { method } from './define';

/** Where to read an OpenSSH file from: its text (uploaded), or a path on the host running Bootfleet. */
const sourceSchema = z.object({
  /** The file's text; when absent, `path` (default `~/.ssh/config` or `~/.ssh/known_hosts`) is read. */
  content: z.string().max(16 * 1024 * 1024, 'is larger than 16 MiB').optional(),
  path: z.string().trim().min(1).max(4096).optional(),
  /** Config: the site new devices go to. Known hosts: only devices of this site. */
  site: z.string().trim().min(1).optional(),
  dryRun: z.boolean().default(false),
});

export const sshConfigImportReportSchema = z.object({
  source: z.string(),
  dryRun: z.boolean(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.number().int(),
  hosts: z.array(
    z.object({
      alias: z.string(),
      host: z.string(),
      user: z.string().nullable(),
      port: z.number().int(),
      keyPath: z.string().nullable(),
      proxyJump: z.string().nullable(),
      action: z.enum(['add', 'update', 'unchanged', 'skip']),
      /** Why an entry was skipped. */
      reason: z.string().nullable(),
      /** Settings that matter for connecting but were not imported (Match, ProxyCommand, ...). */
      warnings: z.array(z.string()),
    }),
  ),
});
export type SshConfigImportReport = z.infer<typeof sshConfigImportReportSchema>;

export const knownHostsImportReportSchema = z.object({
  source: z.string(),
  dryRun: z.boolean(),
  /** Keys pinned now (none on a dry run: those that would be). */
  pinned: z.array(z.object({ device: z.string(), keyType: z.string(), fingerprint: z.string() })),
  alreadyPinned: z.number().int(),
  /** The file lists another key than the one pinned: left alone, shown for review. */
  conflicts: z.array(z.object({ device: z.string(), pinned: z.string(), inFile: z.string() })),
  /** Every key the file lists for the device is @revoked. */
  revoked: z.array(z.object({ device: z.string(), fingerprint: z.string() })),
  /** Devices the file says nothing about. */
  notListed: z.number().int(),
  /** Lines that could not be read (the first 100). */
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
});
export type KnownHostsImportReport = z.infer<typeof knownHostsImportReportSchema>;

export const sshImportMethods = {
  'ssh.importConfig': method({
    input: sourceSchema,
    output: sshConfigImportReportSchema,
    summary: 'Add devices from ~/.ssh/config Host entries (HostName, User, Port, IdentityFile, ProxyJump); same-named devices get those fields updated.',
  }),
  'hostkeys.import': method({
    input: sourceSchema,
    output: knownHostsImportReportSchema,
    summary: 'Pin host keys from a known_hosts file (hashed entries too) for devices that have none pinned yet.',
  }),
};
