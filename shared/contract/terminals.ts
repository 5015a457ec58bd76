import { z } from 'zod';
import { method } from './define';
import { deviceRefSchema } from './devices';

/**
 * Terminals on devices (issue 11): an interactive login shell over the device's pinned SSH
 * connection, with a remote PTY. Output arrives as `terminal.output` events; the viewer
 * acknowledges what it has drawn (`terminals.ack`), and the core pauses reading from the device
 * while too much waits unacknowledged, so a flood cannot freeze the UI or grow memory.
 */

export const terminalSchema = z.object({
  id: z.string(),
  /** Null for a local shell (on the machine Bootfleet runs on). */
  deviceId: z.string().nullable(),
  /** NAME or SITE/NAME, or "local: USER@HOST" */
  device: z.string(),
  cols: z.number().int(),
  rows: z.number().int(),
  openedAt: z.string(),
});
export type Terminal = z.infer<typeof terminalSchema>;

const size = { cols: z.number().int().min(2).max(1000), rows: z.number().int().min(1).max(500) };
const idOnly = z.object({ id: z.string().min(1).max(64) });

/** Bytes the core sends before it waits for acknowledgements, and where it resumes. */
export const TERMINAL_FLOW = { high: 256 * 1024, low: 32 * 1024 } as const;

export const terminalMethods = {
  'terminals.open': method({
    input: z
      .object({
        device: deviceRefSchema.optional(),
        /** A login shell on this machine instead (desktop app; serve only with --allow-local-shell). */
        local: z.boolean().default(false),
        ...size,
      })
      .refine((v) => v.local !== (v.device !== undefined), { message: 'give a device, or local: true', path: ['device'] }),
    output: terminalSchema,
    summary:
      "Open a login shell on a device with a remote terminal (xterm-256color) of this size, over its pinned SSH connection (a changed host key refuses it), or a local shell where allowed.",
  }),
  'terminals.list': method({
    input: z.object({}).default({}),
    output: z.array(terminalSchema),
    summary: 'The terminals open now.',
  }),
  'terminals.input': method({
    input: idOnly.extend({ data: z.string().max(64 * 1024) }),
    output: z.object({}),
    summary: 'Send keystrokes or pasted text to a terminal.',
  }),
  'terminals.resize': method({
    input: idOnly.extend(size),
    output: z.object({}),
    summary: "Resize a terminal's remote PTY.",
  }),
  'terminals.ack': method({
    input: idOnly.extend({ bytes: z.number().int().min(0).max(1 << 30) }),
    output: z.object({}),
    summary: 'Acknowledge output the viewer has drawn (flow control).',
  }),
  'terminals.close': method({
    input: idOnly,
    output: z.object({}),
    summary: 'Close a terminal: the remote shell gets a hang-up and the connection closes.',
  }),
};

export const terminalEvents = {
  /** Output of a terminal, decoded as UTF-8 (characters are never split across events); `bytes` is what to acknowledge once drawn. */
  'terminal.output': z.object({ id: z.string(), data: z.string(), bytes: z.number().int() }),
  /** A terminal ended: its shell exited, it was closed, or the connection dropped. */
  'terminal.exit': z.object({ id: z.string(), code: z.number().int().nullable(), signal: z.string().nullable(), reason: z.string() }),
};
