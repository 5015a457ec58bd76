import { z } from 'zod';
import { flashTargetProgressSchema } from '../../../shared/contract';

/**
 * The privileged flash helper's protocol. The app starts the helper (through pkexec) with pipes
 * for its stdin and stdout, and that pair is the whole channel: nothing listens on a port or a
 * socket another process could reach, so there is no address to guess and no secret to steal;
 * only the process that started the helper can speak to it.
 *
 * App to helper (stdin), frames of [type: 1 byte][length: 4 bytes, big-endian][payload]:
 *   H  hello (JSON, first and once): the drives to write, as the app listed them, and the options
 *   D  content bytes (the image decompressed by the app, which reads the file as the user: the
 *      helper never opens a path the user named, only the drives it enumerates itself)
 *   E  end of content
 * The app closing stdin before E cancels. Helper to app (stdout): one JSON message per line.
 */
export const PROTOCOL = 1;
export const FRAME_HELLO = 0x48;
export const FRAME_DATA = 0x44;
export const FRAME_END = 0x45;
/** Largest frame accepted (a data frame carries at most one read of the source). */
export const MAX_FRAME = 16 * 1024 * 1024;

export const helloSchema = z.object({
  protocol: z.literal(PROTOCOL),
  targets: z.array(z.object({ path: z.string().startsWith('/dev/'), size: z.number().int(), serial: z.string().nullable() })).min(1).max(16),
  /** Names typed to confirm internal disks. */
  confirm: z.array(z.string()),
  /** Content size if known (drives smaller are refused; the ETA). */
  size: z.number().int().nullable(),
  verify: z.boolean(),
  eject: z.boolean().default(false),
  /** Also compute the content's SHA-256 (the app does not know the image's yet). */
  sha256: z.boolean().default(false),
});
export type Hello = z.infer<typeof helloSchema>;

export const helperMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), targets: z.array(flashTargetProgressSchema) }),
  z.object({ type: z.literal('result'), contentDigest: z.string(), contentSha256: z.string().nullable(), bytes: z.number(), targets: z.array(flashTargetProgressSchema) }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), targets: z.array(flashTargetProgressSchema).optional() }),
]);
export type HelperMessage = z.infer<typeof helperMessageSchema>;

export function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.allocUnsafe(5);
  h[0] = type;
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

/** Splits a byte stream into frames, keeping chunks as they come (no copying per chunk). */
export async function* readFrames(input: AsyncIterable<Buffer>): AsyncGenerator<{ type: number; payload: Buffer }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const take = (n: number): Buffer => {
    const first = chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      have -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    have -= n;
    return out;
  };
  let header: { type: number; length: number } | null = null;
  for await (const chunk of input) {
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      if (!header) {
        if (have < 5) break;
        const h = take(5);
        header = { type: h[0]!, length: h.readUInt32BE(1) };
        if (header.length > MAX_FRAME) throw new Error(`frame of ${header.length} bytes is larger than ${MAX_FRAME}`);
      }
      if (have < header.length) break;
      const payload = header.length ? take(header.length) : Buffer.alloc(0);
      yield { type: header.type, payload };
      header = null;
    }
  }
  if (header || have) throw new Error('the stream ended inside a frame');
}
