import { z } from 'zod';
import { jobSchema } from './actions';
import { refreshProgressSchema } from './fleet';
import { flashSchema } from './flash';
import { libraryProgressSchema } from './library';
import { provisionRunSchema } from './provision';
import { rolloutSchema } from './rollouts';
import { terminalEvents } from './terminals';

/** Events pushed from the core to every connected client. */
export const events = {
  /** The inventory changed (by this or another process): refetch what is shown. */
  'inventory.changed': z.object({
    entity: z.enum(['devices', 'sites', 'tags', 'all']),
    ids: z.array(z.string()).optional(),
  }),
  /** New entries were appended to the activity log. */
  'activity.appended': z.object({ lastId: z.number().int() }),
  /** A refresh job moved on (about 4 times a second while running, and once when it ends). */
  'fleet.progress': refreshProgressSchema,
  /** A device action job moved on (a device changed phase or state). */
  'job.updated': jobSchema,
  /** A rollout moved on (a device finished, a batch started, it paused or ended). */
  'rollout.updated': rolloutSchema,
  /** A flash moved on (about 5 times a second while writing, and when it ends). */
  'flash.progress': flashSchema,
  /** The desktop app's menu asks the window to do something (Refresh, New device, Flash a drive). */
  'app.command': z.object({ command: z.enum(['refresh', 'new-device', 'flash']) }),
  /** An image was opened from outside the app: take it with flash.takeOpened and show it in the Flash page. */
  'flash.opened': z.object({}),
  /** A drive was plugged in or removed, or its mounts changed: refetch drives.list. */
  'drives.changed': z.object({}),
  /** Output lines a device printed during a job. */
  'job.log': z.object({ jobId: z.string(), deviceId: z.string(), text: z.string() }),
  /** The image library changed (an image added or removed, blobs cleaned up): refetch library.list. */
  'library.changed': z.object({}),
  /** A library pull (or import, export, push) moved on: bytes done of total, and the speed. */
  'library.progress': libraryProgressSchema,
  /** A provisioning run moved on (phase, state, a host key to confirm). */
  'provision.updated': provisionRunSchema,
  /** Output a box printed while being provisioned. */
  'provision.log': z.object({ id: z.string(), text: z.string() }),
  /** Devices whose stored status changed: refetch their rows. */
  'fleet.statusChanged': z.object({ ids: z.array(z.string()) }),
  ...terminalEvents,
};
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
