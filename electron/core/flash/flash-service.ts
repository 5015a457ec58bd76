import { createHash } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { quote } from 'shell-quote';
import type { Drive, Flash, FlashTargetProgress, MethodArgs } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import type { EventBus } from '../events';
import { newId } from '../ids';
import { alive } from '../updates/jobs-repo';
import { chooseDrives, ejectWritten, unmountDrive } from './drives';
import { defaultHelperLaunch, writeViaHelper, type HelperLaunch } from './helper-client';
import { expectedSha256, fileVersion, inspectImage, knownSha256, openContent, openSource, rememberSha256, sha256File, type Compression } from './image';
import { writeImage, type WriteResult } from './writer';


export interface FlashOptions {
  /** auto: the privileged helper only when this process may not write the drives; always (tests); never. */
  helper?: 'auto' | 'always' | 'never';
  /**
   * How to start the helper; by default pkexec and the helper built next to this bundle. null:
   * this build has none (a desktop package without it: its Electron binary cannot run scripts).
   */
  helperLaunch?: HelperLaunch | null;
}

/**
 * BOOTFLEET_FLASH_HELPER=always|never overrides when the helper is used (always: also as root,
 * to exercise the helper and pkexec end to end).
 */
export function flashOptionsFromEnv(env: NodeJS.ProcessEnv): FlashOptions {
  const mode = env.BOOTFLEET_FLASH_HELPER;
  return mode === 'always' || mode === 'never' ? { helper: mode } : {};
}

/** What a flash needs beyond its record. */
interface RunPlan {
  compression: Compression;
  size: number | null;
  version: string;
  drives: Drive[];
  confirm: string[];
  helper: boolean;
  eject: boolean;
}

interface FlashRow {
  id: string;
  image: string;
  image_sha256: string;
  checksum: 'matched' | 'unchecked';
  content_sha256: string | null;
  bytes: number | null;
  verify: number;
  state: Flash['state'];
  actor: string;
  pid: number;
  host: string;
  started_at: string;
  finished_at: string | null;
  targets: string;
}

/**
 * Flashing as the user sees it: the image is checked first (a SHA-256 that does not match is
 * refused), every drive must be one the enumeration lists with nothing in its way (internal
 * disks need their name typed), mounted filesystems are unmounted, then the image is written,
 * verified and recorded ("which stick carries which image").
 */
export class FlashService {
  private readonly sql: StatementCache;
  private readonly controllers = new Map<string, AbortController>();
  private readonly running = new Map<string, Promise<Flash>>();
  /** An image opened from outside the UI, until a window takes it. */
  private opened: string | null = null;

  constructor(
    private readonly d: { db: Db; activity: ActivityRepo; bus: EventBus; clock: Clock },
    private readonly opts: FlashOptions = {},
  ) {
    this.sql = new StatementCache(d.db);
    this.markOrphans();
  }

  /**
   * An image opened from outside the UI (the file manager's "Open with", `bootfleet-desktop
   * IMAGE`, `bootfleet serve --open IMAGE`): kept until a window takes it (one that opens later
   * takes it on start), and announced to those open now.
   */
  openImage(path: string): string {
    const full = resolve(path);
    let st;
    try {
      st = statSync(full);
    } catch {
      throw new AppError(ErrorCode.NOT_FOUND, `${full} does not exist; check the path of the image to open.`);
    }
    if (!st.isFile()) throw new AppError(ErrorCode.VALIDATION_FAILED, `${full} is not a file; open a disk image (.iso, .raw, .raw.xz, .img, .zst).`);
    this.opened = full;
    this.d.bus.emit('flash.opened', {});
    return full;
  }

  /** The image opened from outside, once: the window that asks first shows it in the Flash page. */
  takeOpened(): { path: string | null } {
    const path = this.opened;
    this.opened = null;
    return { path };
  }

  async start(actor: Actor, input: MethodArgs<'flash.start'>): Promise<Flash> {
    const info = await inspectImage(input.image);
    const version = await fileVersion(input.image);
    // With a published SHA-256 the image is checked before anything is written (once per version
    // of the file: inspecting it first already hashed it). With none, it is hashed as it is written.
    const want = await expectedSha256(input.image, input);
    const checked = want ? await sha256File(input.image) : null;
    if (want && checked !== want.expected) {
      const check = { result: 'failed', actual: checked, expected: want.expected, source: want.source };
      throw new AppError(ErrorCode.VALIDATION_FAILED, `The image does not match its published SHA-256 (${want.source}): expected ${want.expected}, got ${checked}. Nothing was written.`, { check });
    }
    const size = info.size ?? info.fileSize;
    const chosen = await chooseDrives(input.drives, { confirm: input.confirm, imageSize: info.size ?? undefined });
    const helper = await this.needsHelper(chosen);
    // Unmounting needs root as well: with the helper, the helper does it.
    if (!helper) for (const d of chosen) await unmountDrive(d);
    const id = newId();
    const flash: Flash = {
      id,
      image: input.image,
      imageSha256: checked ?? (await knownSha256(input.image)),
      checksum: want ? 'matched' : 'unchecked',
      contentDigest: null,
      bytes: null,
      verify: input.verify,
      state: 'running',
      actor: actor.user,
      startedAt: this.d.clock.now(),
      finishedAt: null,
      targets: chosen.map((d) => ({
        path: d.path,
        model: d.model,
        serial: d.serial,
        description: d.description,
        phase: 'writing',
        written: 0,
        verified: 0,
        total: size,
        bytesPerSecond: 0,
        etaSeconds: null,
        error: null,
        condition: null,
      })),
    };
    this.sql
      .get(
        `INSERT INTO flashes (id, image, image_sha256, checksum, verify, state, actor, via, pid, host, started_at, targets)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, flash.image, flash.imageSha256 ?? '', flash.checksum, input.verify ? 1 : 0, actor.user, actor.via, process.pid, hostname(), flash.startedAt, JSON.stringify(flash.targets));
    const controller = new AbortController();
    this.controllers.set(id, controller);
    const plan = { compression: info.compression, size: info.size, version, drives: chosen, confirm: input.confirm, helper, eject: input.eject };
    const p = this.run(actor, flash, plan, controller.signal).finally(() => {
      this.controllers.delete(id);
      this.running.delete(id);
    });
    this.running.set(id, p);
    return flash;
  }

  /**
   * Whether writing these drives needs the privileged helper: not when running as root (the CLI
   * under sudo) or when the user may write every drive (e.g. in the `disk` group).
   */
  private async needsHelper(drives: Drive[]): Promise<boolean> {
    const mode = this.opts.helper ?? 'auto';
    if (mode !== 'auto') return mode === 'always';
    if (process.getuid?.() === 0) return false;
    const writable = await Promise.all(drives.map((d) => access(d.path, constants.W_OK).then(() => true, () => false)));
    return !writable.every(Boolean);
  }

  private async write(flash: Flash, plan: RunPlan, signal: AbortSignal, onProgress: (t: FlashTargetProgress[]) => void): Promise<{ result: WriteResult; fileSha256: string | null }> {
    // A plain image's SHA-256 is its content's: computed while writing when not known already.
    const sha256 = plan.compression === 'none' && flash.imageSha256 === null;
    if (!plan.helper) {
      const { source, fileSha256 } = await openSource(flash.image, plan.compression, signal);
      const result = await writeImage({ source, sha256, size: plan.size, targets: flash.targets, verify: flash.verify, signal, onProgress });
      if (plan.eject) await ejectWritten(result.targets, plan.drives);
      return { result, fileSha256: fileSha256() };
    }
    const launch = this.opts.helperLaunch === undefined ? defaultHelperLaunch() : this.opts.helperLaunch;
    const hint = `Or run it as root from a terminal: sudo bootfleet flash ${quote([flash.image])} ${flash.targets.map((t) => `--drive ${t.path}`).join(' ')}${plan.confirm.map((c) => ` --confirm ${c}`).join('')} --yes`;
    if (!launch) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Writing drives needs root, and this build has no flash helper. ${hint}`);
    // The app reads the image as the user and streams it; the helper only ever opens the drives.
    const fileHash = plan.compression === 'none' ? null : createHash('sha256');
    const content = openContent(flash.image, plan.compression, signal, fileHash ? (b) => fileHash.update(b) : undefined) as AsyncIterable<Buffer>;
    const result = await writeViaHelper({ launch, content, drives: plan.drives, confirm: plan.confirm, size: plan.size, verify: flash.verify, eject: plan.eject, sha256, signal, onProgress, hint });
    return { result, fileSha256: fileHash ? fileHash.digest('hex') : null };
  }

  private async run(actor: Actor, flash: Flash, plan: RunPlan, signal: AbortSignal): Promise<Flash> {
    const merge = (progress: Flash['targets'][number][] | Omit<Flash['targets'][number], 'model' | 'serial' | 'description'>[]) => {
      flash.targets = flash.targets.map((t) => ({ ...t, ...(progress.find((p) => p.path === t.path) ?? {}) }));
    };
    try {
      const { result: r, fileSha256 } = await this.write(flash, plan, signal, (targets) => {
        merge(targets);
        this.d.bus.emit('flash.progress', flash);
      });
      merge(r.targets);
      flash.contentDigest = r.contentDigest;
      flash.bytes = r.bytes;
      flash.state = signal.aborted ? 'canceled' : flash.targets.some((t) => t.phase === 'failed') ? 'failed' : 'done';
      if (!signal.aborted) {
        // The image must be the file that was checked (or hashed before): a compressed one was
        // hashed again as it was read; a plain one, known already, is compared by its version
        // (size, times, inode), and one not known was hashed as it was written.
        const read = fileSha256 ?? r.contentSha256;
        const now = await fileVersion(flash.image).catch(() => 'gone');
        const changed = flash.imageSha256 !== null ? (read !== null ? read !== flash.imageSha256 : now !== plan.version) : false;
        if (changed) {
          flash.state = 'failed';
          for (const t of flash.targets) {
            t.phase = 'failed';
            t.condition = 'written from an image that changed while it was written: do not use';
            t.error = { code: ErrorCode.VALIDATION_FAILED, message: `The image file changed while it was being written (it was checked as SHA-256 ${flash.imageSha256}${read ? `, and read as ${read}` : ''}).` };
          }
        } else if (read !== null) {
          rememberSha256(flash.image, plan.version, read);
          flash.imageSha256 = read;
        }
      }
    } catch (e) {
      const targets = (e as { targets?: Flash['targets'] }).targets;
      if (targets) merge(targets);
      flash.state = 'failed';
      for (const t of flash.targets) {
        if (!t.error) t.error = { code: (e as AppError).code ?? ErrorCode.INTERNAL, message: (e as Error).message };
        if (t.phase !== 'done') t.phase = 'failed';
        t.condition ??= t.written ? 'partially written, not bootable' : 'not written';
      }
    }
    flash.finishedAt = this.d.clock.now();
    this.sql
      .get('UPDATE flashes SET state = ?, image_sha256 = ?, content_sha256 = ?, bytes = ?, finished_at = ?, targets = ? WHERE id = ?')
      .run(flash.state, flash.imageSha256 ?? '', flash.contentDigest, flash.bytes, flash.finishedAt, JSON.stringify(flash.targets), flash.id);
    for (const t of flash.targets) {
      this.d.activity.append(actor, {
        action: 'drive.flashed',
        entityType: 'drive',
        entityId: t.serial ?? t.path,
        entityName: `${t.description}${t.serial ? ` (serial ${t.serial})` : ''}`,
        summary: `Flashed ${flash.image} to ${t.path} (${t.description}): ${t.condition ?? t.phase}${t.error ? ` — ${t.error.message}` : ''}`,
        details: { flashId: flash.id, imageSha256: flash.imageSha256, checksum: flash.checksum, contentDigest: flash.contentDigest, verified: t.phase === 'done' && flash.verify, result: t.phase },
      });
    }
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    this.d.bus.emit('flash.progress', flash);
    return flash;
  }

  /** Resolves when a flash this process runs has ended (at once for one that has). */
  async wait(id: string): Promise<Flash> {
    return this.running.get(id) ?? this.get(id);
  }

  cancel(id: string): Flash {
    const f = this.get(id);
    this.controllers.get(id)?.abort();
    return f;
  }

  get(id: string): Flash {
    const row = this.sql.get('SELECT * FROM flashes WHERE id = ?').get(id) as FlashRow | undefined;
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `No flash ${id}.`);
    return toFlash(row);
  }

  list(limit: number): Flash[] {
    return (this.sql.get('SELECT * FROM flashes ORDER BY started_at DESC LIMIT ?').all(limit) as FlashRow[]).map(toFlash);
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  /** Flashes this process runs, for a quit to name and wait for (each records its drives' condition). */
  pending(): { label: string; done: Promise<unknown> }[] {
    return [...this.running].map(([id, done]) => {
      const f = this.get(id);
      return { label: `Writing ${basename(f.image)} to ${f.targets.length === 1 ? f.targets[0]!.path : `${f.targets.length} drives`}`, done };
    });
  }

  /** Flashes whose process died: interrupted, each drive partially written. */
  private markOrphans(): void {
    const rows = this.sql.get("SELECT * FROM flashes WHERE state = 'running'").all() as FlashRow[];
    for (const r of rows.filter((x) => !alive(x.pid, x.host))) {
      const targets = (JSON.parse(r.targets) as Flash['targets']).map((t) => (t.phase === 'done' ? t : { ...t, phase: 'failed' as const, condition: 'partially written, not bootable (Bootfleet stopped while writing)' }));
      this.sql.get("UPDATE flashes SET state = 'interrupted', finished_at = ?, targets = ? WHERE id = ?").run(this.d.clock.now(), JSON.stringify(targets), r.id);
    }
  }
}

function toFlash(r: FlashRow): Flash {
  return {
    id: r.id,
    image: r.image,
    imageSha256: r.image_sha256 || null,
    checksum: r.checksum,
    contentDigest: r.content_sha256,
    bytes: r.bytes,
    verify: r.verify === 1,
    state: r.state,
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    targets: JSON.parse(r.targets) as Flash['targets'],
  };
}
