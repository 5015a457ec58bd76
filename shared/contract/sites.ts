import { z } from 'zod';
import { method } from './define';
import { nameSchema, notesSchema, proxyJumpSchema } from './fields';

export const siteSchema = z.object({
  id: z.string(),
  name: z.string(),
  notes: z.string(),
  deviceCount: z.number().int(),
  /** Jump hosts for the site's devices that set none themselves. */
  proxyJump: z.string().nullable(),
  /** The audit's stale threshold for the site's devices, in days (null: the default, 7). */
  staleAfterDays: z.number().int().nullable(),
  /** Terminal sessions on its devices are recorded (asciicast v2, output only) for audits. */
  recordTerminals: z.boolean(),
  /** Days its recordings are kept, then removed (null: kept for ever). */
  keepRecordingsDays: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Site = z.infer<typeof siteSchema>;

/** A site named by its id or its name (case-insensitive). */
export const siteRefSchema = z.string().trim().min(1, 'is required');

const staleDaysSchema = z.number().int('must be whole days').min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days');
const keepDaysSchema = z.number().int('must be whole days').min(1, 'must be at least 1 day').max(36500, 'must be at most 36500 days');
export const siteAddSchema = z.object({ name: nameSchema, notes: notesSchema.optional(), proxyJump: proxyJumpSchema.nullish(), staleAfterDays: staleDaysSchema.nullish(), recordTerminals: z.boolean().optional(), keepRecordingsDays: keepDaysSchema.nullish() });
export type SiteAdd = z.input<typeof siteAddSchema>;

export const siteMethods = {
  'sites.list': method({
    input: z.object({}).default({}),
    output: z.array(siteSchema),
    summary: 'List sites with their device counts, by name.',
  }),
  'sites.add': method({ input: siteAddSchema, output: siteSchema, summary: 'Create a site.' }),
  'sites.rename': method({
    input: z.object({ site: siteRefSchema, name: nameSchema }),
    output: siteSchema,
    summary: 'Rename a site; its devices follow.',
  }),
  'sites.update': method({
    input: z.object({ site: siteRefSchema, notes: notesSchema.optional(), proxyJump: proxyJumpSchema.nullish(), staleAfterDays: staleDaysSchema.nullish(), recordTerminals: z.boolean().optional(), keepRecordingsDays: keepDaysSchema.nullish() }),
    output: siteSchema,
    summary: "Change a site's notes or jump hosts.",
  }),
  'sites.remove': method({
    input: z.object({ site: siteRefSchema }),
    output: z.object({ id: z.string(), name: z.string() }),
    summary: 'Delete a site. Refused with SITE_IN_USE while devices are assigned to it.',
  }),
};
