import { z } from 'zod';
import { appErrorSchema } from '../errors';

/**
 * The WebSocket protocol of `bootfleet serve` (path `/ws`, authenticated by the session
 * cookie or `?token=`). JSON text frames:
 *   client -> server  { t: 'call', id, method, input }
 *   server -> client  { t: 'result', id, result: { ok: true, value } | { ok: false, error } }
 *   server -> client  { t: 'event', name, payload }
 */
export const WS_PATH = '/ws';

export const wireCallSchema = z.object({
  t: z.literal('call'),
  id: z.number().int(),
  method: z.string(),
  input: z.unknown(),
});
export type WireCall = z.infer<typeof wireCallSchema>;

export const wireResultSchema = z.object({
  t: z.literal('result'),
  id: z.number().int(),
  result: z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: appErrorSchema })]),
});
export type WireResult = z.infer<typeof wireResultSchema>;

export const wireEventSchema = z.object({ t: z.literal('event'), name: z.string(), payload: z.unknown() });
export type WireEvent = z.infer<typeof wireEventSchema>;
