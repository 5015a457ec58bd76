import { z } from 'zod';
import { method } from './define';
import { viaSchema } from './fields';

export const activityEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  /** Who: the operating-system user that ran Bootfleet. */
  actor: z.string(),
  via: viaSchema,
  /** What, as `entity.verb`: device.added, device.updated, site.renamed, devices.imported, ... */
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  entityName: z.string().nullable(),
  summary: z.string(),
  details: z.unknown().nullable(),
});
export type ActivityEntry = z.infer<typeof activityEntrySchema>;

export const activityQuerySchema = z.object({
  search: z.string().trim().max(200).optional(),
  entityType: z.string().trim().max(64).optional(),
  /** Only entries about this entity (a device id, say). */
  entityId: z.string().trim().max(64).optional(),
  action: z.string().trim().max(64).optional(),
  /** Page backwards: entries with an id below this one. */
  before: z.number().int().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});

export const activityMethods = {
  'activity.list': method({
    input: activityQuerySchema.default({ limit: 100 }),
    output: z.object({ items: z.array(activityEntrySchema), nextBefore: z.number().int().nullable() }),
    summary: 'The append-only activity log, newest first.',
  }),
};
