import type { Readable, Writable } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors';
import { streamSource } from './blocks';
import { chooseDrives, ejectWritten, unmountDrive } from './drives';
import { FRAME_DATA, FRAME_END, FRAME_HELLO, helloSchema, readFrames, type HelperMessage } from './helper-protocol';
import { writeImage } from './writer';

/**
 * The privileged side of flashing (run as root through pkexec): it accepts only drives its own
 * enumeration lists, that have nothing in their way and are still the drives the user chose
 * (same size and serial), unmounts them, writes the content the app streams to it, verifies and
 * reports. It opens no path other than those drives. Returns the exit status.
 */
export async function serveFlashHelper(input: Readable, output: Writable): Promise<number> {
  const send = (m: HelperMessage): void => {
    output.write(`${JSON.stringify(m)}\n`);
  };
  const frames = readFrames(input as AsyncIterable<Buffer>);
  const controller = new AbortController();
  try {
    const first = await frames.next();
    if (first.done || first.value.type !== FRAME_HELLO) throw new AppError(ErrorCode.VALIDATION_FAILED, 'The flash helper expects a hello first.');
    const parsed = helloSchema.safeParse(JSON.parse(first.value.payload.toString('utf8')));
    if (!parsed.success) throw new AppError(ErrorCode.VALIDATION_FAILED, `The flash helper got a request it does not accept: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const hello = parsed.data;
    const drives = await chooseDrives(
      hello.targets.map((t) => t.path),
      { confirm: hello.confirm, imageSize: hello.size ?? undefined, expect: hello.targets },
    );
    for (const d of drives) await unmountDrive(d);
    // Content frames until E; the app closing the pipe before E cancels.
    async function* content(): AsyncGenerator<Buffer> {
      for (;;) {
        const f = await frames.next().catch(() => ({ done: true as const, value: undefined }));
        if (f.done) {
          controller.abort();
          return;
        }
        if (f.value.type === FRAME_END) return;
        if (f.value.type !== FRAME_DATA) throw new AppError(ErrorCode.VALIDATION_FAILED, `Unexpected frame ${f.value.type} in the content.`);
        yield f.value.payload;
      }
    }
    const r = await writeImage({
      source: streamSource(content()),
      sha256: hello.sha256,
      size: hello.size,
      targets: drives.map((d) => ({ path: d.path })),
      verify: hello.verify,
      signal: controller.signal,
      onProgress: (targets) => send({ type: 'progress', targets }),
    });
    if (hello.eject) await ejectWritten(r.targets, drives);
    send({ type: 'result', contentDigest: r.contentDigest, contentSha256: r.contentSha256, bytes: r.bytes, targets: r.targets });
    return 0;
  } catch (e) {
    const err = e as Partial<AppError>;
    const targets = (e as { targets?: Extract<HelperMessage, { type: 'result' }>['targets'] }).targets;
    send({ type: 'error', code: err.code ?? ErrorCode.INTERNAL, message: err.message ?? String(e), ...(targets ? { targets } : {}) });
    return 1;
  } finally {
    await new Promise<void>((resolve) => output.write('', () => resolve()));
  }
}
