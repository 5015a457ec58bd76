import { z } from 'zod';
import { method } from './define';
import { deviceRefSchema } from './devices';

/**
 * Terminal session recordings, for audits (issue 11): on per site, the output of every terminal
 * session on its devices in asciicast v2 (what `asciinema play` reads), never the keystrokes.
 */
export const recordingSchema = z.object({
  id: z.string(),
  /** Null once the device was removed from the inventory (its recordings stay). */
  deviceId: z.string().nullable(),
  /** NAME or SITE/NAME as it was at the time. */
  device: z.string(),
  /** Who opened the session, and through what (desktop, serve, cli). */
  actor: z.string(),
  via: z.string(),
  /** The command, for a session that ran one instead of the login shell. */
  command: z.string().nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  startedAt: z.string(),
  /** Null while the session is open (or if Bootfleet stopped during it: the file holds what was written). */
  endedAt: z.string().nullable(),
  bytes: z.number().int(),
  exitCode: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type Recording = z.infer<typeof recordingSchema>;

export const recordingMethods = {
  'recordings.list': method({
    input: z.object({ device: deviceRefSchema.optional(), limit: z.number().int().min(1).max(1000).default(100) }).default({ limit: 100 }),
    output: z.array(recordingSchema),
    summary: 'Recorded terminal sessions, newest first, of one device or all.',
  }),
  'recordings.get': method({
    input: z.object({ id: z.string().min(1).max(64) }),
    output: z.object({ recording: recordingSchema, cast: z.string() }),
    summary: 'A recording and its asciicast v2 text, to replay.',
  }),
};
