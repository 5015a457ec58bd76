import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { EventBus } from '../events';

/**
 * Notices drives coming and going (hot-plug) and mounts changing, and announces
 * `drives.changed` so every client refetches its drive list. It polls what the kernel exposes
 * (`/sys/block`: each device's size, read-only and removable flags, and the mount table) once a
 * second, which costs a few small reads, needs no udev daemon (containers, minimal systems) and
 * also sees loop devices being attached. It runs only after someone has listed drives, and
 * stops after a quiet period with no one asking again.
 */
export class DriveWatcher {
  private timer: NodeJS.Timeout | null = null;
  private last: string | null = null;
  private lastAsked = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly opts: { intervalMs?: number; idleMs?: number; sysBlock?: string } = {},
  ) {}

  /** Called whenever drives are listed: watch for changes for the next few minutes. */
  touch(): void {
    this.lastAsked = Date.now();
    if (this.timer) return;
    void this.signature().then((s) => {
      this.last ??= s;
    });
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
  }

  private async tick(): Promise<void> {
    if (Date.now() - this.lastAsked > (this.opts.idleMs ?? 10 * 60_000)) return this.stop();
    const s = await this.signature();
    if (this.last !== null && s !== this.last) this.bus.emit('drives.changed', {});
    this.last = s;
  }

  private async signature(): Promise<string> {
    const root = this.opts.sysBlock ?? '/sys/block';
    const h = createHash('sha1');
    try {
      for (const name of (await readdir(root)).sort()) {
        const attrs = await Promise.all(['size', 'ro', 'removable'].map((f) => readFile(`${root}/${name}/${f}`, 'utf8').catch(() => '')));
        h.update(`${name}:${attrs.map((x) => x.trim()).join(',')}\n`);
      }
      h.update(await readFile('/proc/self/mounts', 'utf8').catch(() => ''));
    } catch {
      /* no /sys here: nothing to watch */
    }
    return h.digest('hex');
  }
}
