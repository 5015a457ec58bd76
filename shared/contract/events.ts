import { z } from 'zod';

/** Events pushed from the core to every connected client. */
export const events = {
  /** The inventory changed (by this or another process): refetch what is shown. */
  'inventory.changed': z.object({
    entity: z.enum(['devices', 'sites', 'tags', 'all']),
    ids: z.array(z.string()).optional(),
  }),
  /** New entries were appended to the activity log. */
  'activity.appended': z.object({ lastId: z.number().int() }),
};
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
