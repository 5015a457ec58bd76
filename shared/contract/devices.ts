import { z } from 'zod';
import { method } from './define';
import { desiredStateSchema, effectiveDesiredSchema } from './desired';
import { reachSchema, statusSummarySchema } from './status';
import {
  authMethodSchema,
  hostSchema,
  imageRefSchema,
  keyPathSchema,
  nameSchema,
  notesSchema,
  portSchema,
  proxyJumpSchema,
  sshUserSchema,
  tagSchema,
  tagsSchema,
} from './fields';

export const deviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  siteId: z.string().nullable(),
  siteName: z.string().nullable(),
  host: z.string(),
  port: z.number().int(),
  user: z.string().nullable(),
  auth: authMethodSchema,
  keyPath: z.string().nullable(),
  /** A password or key passphrase is stored (encrypted); its value never leaves the core. */
  hasSecret: z.boolean(),
  sudo: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string(),
  /** The desired image set on the device itself (see `desired` for the one that applies). */
  desiredImage: z.string().nullable(),
  /** The desired image that applies (device, tag or site) and how the device stands against it. */
  desired: effectiveDesiredSchema,
  /** Jump hosts set on the device itself (null: the site's, if any). */
  proxyJump: z.string().nullable(),
  /** The latest known bootc state (reach `never` before the first contact). */
  status: statusSummarySchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Device = z.infer<typeof deviceSchema>;

/**
 * A device named by its id, by NAME (when only one site has it) or by SITE/NAME.
 * A NAME that exists in several sites is refused with AMBIGUOUS, listing the SITE/NAME forms.
 */
export const deviceRefSchema = z.string().trim().min(1, 'is required');

const secretSchema = z.string().min(1, 'must not be empty').max(4096, 'is too long');

/** The editable fields of a device. `site` is a site name or id; omitted means no site. */
export const deviceFieldsSchema = z.object({
  name: nameSchema,
  host: hostSchema,
  port: portSchema.default(22),
  user: sshUserSchema.nullish(),
  auth: authMethodSchema.optional(),
  keyPath: keyPathSchema.nullish(),
  /** Password (auth=password) or key passphrase (auth=key). Write-only: stored encrypted. */
  secret: secretSchema.optional(),
  site: z.string().trim().nullish(),
  tags: tagsSchema.default([]),
  sudo: z.boolean().default(false),
  notes: notesSchema.default(''),
  desiredImage: imageRefSchema.nullish(),
  proxyJump: proxyJumpSchema.nullish(),
});

function checkAuth(
  v: { auth?: string | undefined; keyPath?: string | null | undefined; secret?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (v.auth === 'key' && v.keyPath === null) {
    ctx.addIssue({ code: 'custom', path: ['keyPath'], message: 'is required when auth is "key"' });
  }
  if (v.auth === 'agent' && v.secret !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['secret'], message: 'is not used with ssh-agent authentication' });
  }
}

export const deviceAddSchema = deviceFieldsSchema.superRefine((v, ctx) => {
  checkAuth(v, ctx);
  if (v.auth === 'key' && !v.keyPath) {
    ctx.addIssue({ code: 'custom', path: ['keyPath'], message: 'is required when auth is "key"' });
  }
  if (v.auth === 'password' && !v.secret) {
    ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a password is required when auth is "password"' });
  }
});
export type DeviceAdd = z.input<typeof deviceAddSchema>;

/** A partial update: a field left out is unchanged, null clears it. */
export const devicePatchSchema = deviceFieldsSchema
  .extend({
    port: portSchema.optional(),
    tags: tagsSchema.optional(),
    sudo: z.boolean().optional(),
    notes: notesSchema.optional(),
    /** Remove the stored password or passphrase. */
    clearSecret: z.boolean().optional(),
  })
  .partial()
  .superRefine(checkAuth);
export type DevicePatch = z.input<typeof devicePatchSchema>;

export const deviceSortSchema = z.enum(['name', 'site', 'host', 'updatedAt', 'createdAt', 'reach', 'lastSeen', 'bootedVersion', 'bootedImage']);
export type DeviceSort = z.infer<typeof deviceSortSchema>;

/** Which devices: text search over name, host, image and notes, by site and by tags (all must match). */
export const deviceFilterSchema = z.object({
  search: z.string().trim().max(200).optional(),
  /** A site name or id; the empty string selects devices with no site. */
  site: z.string().trim().optional(),
  tags: z.array(tagSchema).max(16).optional(),
  /** By the last contact's outcome; `stale` selects devices whose shown state is old. */
  reach: z.array(z.union([reachSchema, z.literal('stale')])).max(6).optional(),
  /** Only devices with a staged deployment / a rollback / an update a check saw. */
  staged: z.boolean().optional(),
  rollback: z.boolean().optional(),
  updateAvailable: z.boolean().optional(),
  /** By how the device stands against its desired image. */
  desired: z.array(desiredStateSchema).max(7).optional(),
});
export type DeviceFilter = z.infer<typeof deviceFilterSchema>;

export const deviceListSchema = deviceFilterSchema.extend({
  sort: deviceSortSchema.default('name'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type DeviceListQuery = z.input<typeof deviceListSchema>;

export const devicePageSchema = z.object({
  total: z.number().int(),
  offset: z.number().int(),
  items: z.array(deviceSchema),
});
export type DevicePage = z.infer<typeof devicePageSchema>;

/** The CSV columns Bootfleet reads and writes, in this order. Only name and host are required. */
export const CSV_COLUMNS = ['name', 'host', 'port', 'user', 'site', 'tags', 'sudo', 'key', 'image', 'notes'] as const;
export const CSV_REQUIRED_COLUMNS = ['name', 'host'] as const;

export const importRowSchema = z.object({
  /** 1-based line number in the file (the header is line 1). */
  line: z.number().int(),
  name: z.string(),
  site: z.string().nullable(),
  errors: z.array(z.object({ column: z.string(), message: z.string() })),
});
export type ImportRow = z.infer<typeof importRowSchema>;

export const importReportSchema = z.object({
  dryRun: z.boolean(),
  total: z.number().int(),
  valid: z.number().int(),
  /** Sites that the import creates because a row names them and they do not exist yet. */
  newSites: z.array(z.string()),
  /** Every row with at least one error (at most 1000 are listed). */
  invalidRows: z.array(importRowSchema),
  invalidCount: z.number().int(),
  /** Devices written: 0 for a dry run or when any row has an error (all-or-nothing). */
  imported: z.number().int(),
  /** The first rows as they would be written, for a preview. */
  preview: z.array(importRowSchema.extend({ host: z.string(), port: z.number(), tags: z.array(z.string()) })),
});
export type ImportReport = z.infer<typeof importReportSchema>;

export const deviceMethods = {
  'devices.list': method({
    input: deviceListSchema.default({ sort: 'name', dir: 'asc', offset: 0, limit: 100 }),
    output: devicePageSchema,
    summary: 'One page of devices matching a filter, with the total count.',
  }),
  'devices.get': method({
    input: z.object({ device: deviceRefSchema }),
    output: deviceSchema,
    summary: 'One device by id, NAME or SITE/NAME.',
  }),
  'devices.add': method({ input: deviceAddSchema, output: deviceSchema, summary: 'Add a device.' }),
  'devices.update': method({
    input: z.object({ device: deviceRefSchema, patch: devicePatchSchema }),
    output: deviceSchema,
    summary: 'Change some fields of a device.',
  }),
  'devices.remove': method({
    input: z.object({ device: deviceRefSchema }),
    output: z.object({ id: z.string(), name: z.string(), siteName: z.string().nullable() }),
    summary: 'Delete a device from the inventory.',
  }),
  'devices.import': method({
    input: z.object({
      csv: z.string().max(256 * 1024 * 1024, 'CSV larger than 256 MiB'),
      dryRun: z.boolean().default(false),
      fileName: z.string().max(1024).optional(),
    }),
    output: importReportSchema,
    summary: 'Import devices from CSV: every row is checked first, and nothing is written if any row is bad.',
  }),
  'devices.export': method({
    input: deviceFilterSchema.extend({ format: z.enum(['csv', 'json', 'ansible']).default('csv') }),
    output: z.object({ format: z.enum(['csv', 'json', 'ansible']), count: z.number().int(), content: z.string() }),
    summary: 'Export devices matching a filter as CSV (importable), JSON, or an Ansible inventory (YAML, grouped by site and tag).',
  }),
  'tags.list': method({
    input: z.object({}).default({}),
    output: z.array(z.object({ name: z.string(), count: z.number().int() })),
    summary: 'All tags with the number of devices carrying each.',
  }),
};
