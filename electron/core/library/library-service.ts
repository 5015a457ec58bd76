import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { LibraryImage, MethodArgs, MethodOutput } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import type { EventBus } from '../events';
import { newId } from '../ids';
import type { RegistryClient } from '../registry/client';
import { parseImageReference } from '../registry/reference';
import { BlobStore } from './blob-store';
import { DeviceSourcesRepo, libraryPathOf } from './device-sources';
import { layoutTag, type DeviceImage } from './device-transfer';
import { hexOf, INDEX_TYPES, isDigest, MANIFEST_TYPES, OCI_INDEX, OCI_MANIFEST, REF_NAME, VERSION_LABEL, type Descriptor, type Index, type Manifest } from './oci';
import { openLayoutSource, type LayoutSource } from './sources';
import { writeTar, type TarFile } from './tar';

interface ImageRow {
  id: string;
  name: string | null;
  tag: string | null;
  digest: string;
  media_type: string;
  version: string | null;
  created: string | null;
  architectures: string;
  size: number;
  source: string;
  added_at: string;
  added_by: string;
}

interface ManifestRow {
  digest: string;
  os: string | null;
  architecture: string | null;
  variant: string | null;
  config_digest: string;
  size: number;
  layers: string;
}

/** What an import found of one image before it is recorded. */
interface Walked {
  top: Descriptor;
  blobs: { digest: string; size: number; kind: 'index' | 'manifest' | 'config' | 'layer' }[];
  manifests: { digest: string; os: string | null; architecture: string | null; variant: string | null; configDigest: string; size: number; layers: { digest: string; size: number }[] }[];
  version: string | null;
  created: string | null;
}

/** What a device gets from the library (see `LibraryService.targetFor`). */
export interface LibraryTarget {
  /** The library image's id. */
  id: string;
  /** NAME:TAG, or its digest, for messages. */
  label: string;
  /** The registry image it is, recorded for the device (NAME:TAG or NAME@DIGEST); null for an image with no name. */
  logical: string | null;
  /** Its name in the device's layout (or in the archive's file name). */
  tag: string;
  transport: 'oci' | 'oci-archive';
  /** The library path the device follows now, if any. */
  follows: ReturnType<typeof libraryPathOf>;
}

const labelOf = (r: ImageRow): string => (r.name && r.tag ? `${r.name}:${r.tag}` : r.digest);
const logicalOf = (r: ImageRow): string | null => (r.name ? (r.tag ? `${r.name}:${r.tag}` : `${r.name}@${r.digest}`) : null);

const NO_DEPLOYMENT = { booted: 0, staged: 0, rollback: 0 };

const toImage = (r: ImageRow, deployed: LibraryImage['deployed'] = NO_DEPLOYMENT): LibraryImage => ({
  id: r.id,
  name: r.name,
  tag: r.tag,
  reference: r.name && r.tag ? `${r.name}:${r.tag}` : null,
  digest: r.digest,
  mediaType: r.media_type,
  version: r.version,
  created: r.created,
  architectures: JSON.parse(r.architectures) as string[],
  size: r.size,
  source: r.source,
  addedAt: r.added_at,
  addedBy: r.added_by,
  deployed,
});

/**
 * The image library: OCI images in the data directory, their blobs stored once by digest. An
 * import checks every blob against its digest and size before it is kept, and records the image
 * only when all of it is there: a corrupt or missing blob refuses the import with the blob named,
 * and what that import had written is removed.
 */
export class LibraryService {
  readonly store: BlobStore;
  /** Which registry image each library path on a device stands for. */
  readonly sources: DeviceSourcesRepo;
  private readonly sql: StatementCache;
  /** Long operations running in this process (`pull REF`, `import PATH`, `export REF`), to cancel. */
  private readonly running = new Map<string, AbortController>();

  /** Runs `work` as a cancellable operation named `key` (one at a time per key). */
  async cancellable<T>(key: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(key)) throw new AppError(ErrorCode.DEVICE_BUSY, `${key} is already running.`);
    const c = new AbortController();
    this.running.set(key, c);
    try {
      return await work(c.signal);
    } finally {
      this.running.delete(key);
    }
  }

  /** Cancels a running operation; a pull keeps what it downloaded for the next try. */
  cancel(key: string): boolean {
    const c = this.running.get(key);
    c?.abort();
    return !!c;
  }

  constructor(
    private readonly d: { db: Db; activity: ActivityRepo; bus: EventBus; clock: Clock; dir: string; registry: RegistryClient },
  ) {
    this.store = new BlobStore(d.dir);
    this.sql = new StatementCache(d.db);
    this.sources = new DeviceSourcesRepo(d.db);
  }

  list(): MethodOutput<'library.list'> {
    const rows = this.sql.get('SELECT * FROM library_images ORDER BY coalesce(name, \'\'), added_at DESC').all() as ImageRow[];
    const counts = new Map(
      (
        this.sql
          .get(
            `SELECT m.image_id AS id,
               total(ds.booted_digest IS m.digest) AS booted, total(ds.staged_digest IS m.digest) AS staged, total(ds.rollback_digest IS m.digest) AS rollback
             FROM library_manifests m JOIN device_status ds ON m.digest IN (ds.booted_digest, ds.staged_digest, ds.rollback_digest)
             GROUP BY m.image_id`,
          )
          .all() as { id: string; booted: number; staged: number; rollback: number }[]
      ).map((c) => [c.id, { booted: Math.round(c.booted), staged: Math.round(c.staged), rollback: Math.round(c.rollback) }]),
    );
    const blobs = this.store.all();
    return { images: rows.map((r) => toImage(r, counts.get(r.id))), bytes: blobs.reduce((n, b) => n + b.size, 0), blobs: blobs.length };
  }

  get(ref: string): MethodOutput<'library.get'> {
    const row = this.resolve(ref);
    const manifests = (this.sql.get('SELECT * FROM library_manifests WHERE image_id = ? ORDER BY architecture').all(row.id) as ManifestRow[]).map((m) => ({
      digest: m.digest,
      os: m.os,
      architecture: m.architecture,
      variant: m.variant,
      configDigest: m.config_digest,
      size: m.size,
      layers: JSON.parse(m.layers) as { digest: string; size: number }[],
    }));
    const devices = (
      this.sql
        .get(
          `SELECT d.id, d.name, s.name AS site,
             CASE WHEN ds.booted_digest = m.digest THEN 'booted' WHEN ds.staged_digest = m.digest THEN 'staged' ELSE 'rollback' END AS slot
           FROM library_manifests m JOIN device_status ds ON m.digest IN (ds.booted_digest, ds.staged_digest, ds.rollback_digest)
           JOIN devices d ON d.id = ds.device_id LEFT JOIN sites s ON s.id = d.site_id
           WHERE m.image_id = ? ORDER BY slot, s.name, d.name LIMIT 500`,
        )
        .all(row.id) as { id: string; name: string; site: string | null; slot: 'booted' | 'staged' | 'rollback' }[]
    );
    const deployed = { booted: 0, staged: 0, rollback: 0 };
    for (const d of devices) deployed[d.slot]++;
    return { ...toImage(row, deployed), manifests, devices };
  }

  /** Finds an image by id, NAME:TAG, TAG (when only one image has it), or a digest or its prefix. */
  resolve(ref: string): ImageRow {
    const all = this.sql.get('SELECT * FROM library_images').all() as ImageRow[];
    const exact = all.find((r) => r.id === ref || r.digest === ref || (r.name && r.tag && `${r.name}:${r.tag}` === ref));
    if (exact) return exact;
    const hex = ref.replace(/^sha256:/, '');
    const candidates = all.filter((r) => r.tag === ref || (/^[0-9a-f]{6,64}$/.test(hex) && hexOf(r.digest).startsWith(hex)));
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      throw new AppError(ErrorCode.AMBIGUOUS, `"${ref}" names ${candidates.length} images in the library; say which: ${candidates.map((c) => (c.name && c.tag ? `${c.name}:${c.tag}` : c.digest)).join(', ')}.`);
    }
    throw new AppError(ErrorCode.NOT_FOUND, `No image "${ref}" in the library.${all.length ? '' : ' It is empty: import or pull one first.'}`);
  }

  /**
   * What a device of `architecture` needs of a library image: its platform's manifest and the
   * blobs it names, and the tag it gets in the device's layout.
   */
  deviceImage(ref: string, architecture: string, tag?: string): DeviceImage & { image: LibraryImage } {
    const row = this.resolve(ref);
    const ms = this.sql.get('SELECT * FROM library_manifests WHERE image_id = ?').all(row.id) as ManifestRow[];
    const m = ms.find((x) => x.architecture === architecture && (x.os ?? 'linux') === 'linux');
    const name = row.name && row.tag ? `${row.name}:${row.tag}` : row.digest;
    if (!m) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${name} in the library has no ${architecture} image (it has ${ms.map((x) => x.architecture).join(', ') || 'none'}).`);
    const body = readFileSync(this.store.path(m.digest));
    const mediaType = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? OCI_MANIFEST;
    const layers = JSON.parse(m.layers) as { digest: string; size: number }[];
    const configSize = (this.sql.get('SELECT size FROM library_blobs WHERE image_id = ? AND digest = ?').get(row.id, m.config_digest) as { size: number }).size;
    return {
      image: toImage(row),
      manifest: { mediaType, digest: m.digest, size: body.length },
      blobs: [{ digest: m.digest, size: body.length }, { digest: m.config_digest, size: configSize }, ...layers],
      tag: tag ?? layoutTag(row),
    };
  }

  /**
   * What a device gets from the library. switch: the image named, under its own tag. upgrade: the
   * library's image of the registry name the device follows (recorded when Bootfleet sent the
   * image it runs), under the tag it follows, so `bootc upgrade` reads it there. Throws with the
   * reason in words when there is nothing to send.
   */
  targetFor(deviceId: string, specImage: { transport: string; image: string } | null, req: { action: string; image?: string | undefined; transport: string }): LibraryTarget {
    const follows = libraryPathOf(specImage);
    const preferred = req.transport === 'oci' || req.transport === 'oci-archive' ? req.transport : null;
    if (req.action === 'switch') {
      const row = this.resolve(req.image!);
      return { id: row.id, label: labelOf(row), logical: logicalOf(row), tag: layoutTag(row), transport: preferred ?? 'oci', follows };
    }
    const followed = specImage ? `${specImage.transport === 'registry' ? '' : `${specImage.transport}:`}${specImage.image}` : 'no image';
    if (!follows) {
      throw new AppError(
        ErrorCode.ACTION_NOT_POSSIBLE,
        `it follows ${followed}, not an image Bootfleet sent from the library: switch it to a library image first, or upgrade it from its registry.`,
      );
    }
    const tag = follows.transport === 'oci' ? follows.tag : (/^(.*)-[0-9a-f]{12}\.oci\.tar$/.exec(follows.path.slice(follows.path.lastIndexOf('/') + 1))?.[1] ?? '');
    let logical = this.sources.imageFor(deviceId, follows.text);
    if (!logical) {
      // Sent before Bootfleet kept the record (or by another installation): a library image with that tag, if only one has it.
      const rows = (this.sql.get('SELECT * FROM library_images WHERE tag IS NOT NULL').all() as ImageRow[]).filter((r) => layoutTag(r) === tag);
      if (rows.length === 1) logical = logicalOf(rows[0]!);
    }
    if (!logical) {
      throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `Bootfleet has no record of which image ${follows.text} on it is; switch it to a library image to name one.`);
    }
    let row: ImageRow;
    try {
      row = this.resolve(logical.includes('@') ? logical.slice(logical.indexOf('@') + 1) : logical);
    } catch (e) {
      if (e instanceof AppError && e.code === ErrorCode.NOT_FOUND) {
        throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `it follows ${logical} (${follows.text}), which the library no longer has: pull or import it, then upgrade again.`);
      }
      throw e;
    }
    return { id: row.id, label: labelOf(row), logical: logicalOf(row) ?? logical, tag, transport: preferred ?? follows.transport, follows };
  }

  async import(actor: Actor, input: MethodArgs<'library.import'>, signal?: AbortSignal): Promise<LibraryImage[]> {
    return (await this.importFrom(actor, await openLayoutSource(input.path), input, signal)).map((r) => r.image);
  }

  /** Imports every image a layout source holds; `changed` is false for one that was already here as it is. */
  async importFrom(actor: Actor, src: LayoutSource, input: { name?: string | undefined; tag?: string | undefined }, signal?: AbortSignal): Promise<{ image: LibraryImage; changed: boolean }[]> {
    const index = await src.index();
    if (!index.manifests.length) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label} holds no image (index.json lists nothing).`);
    if (input.tag && index.manifests.length > 1) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label} holds ${index.manifests.length} images; a tag can name only one.`);
    const written: string[] = [];
    const walked: Walked[] = [];
    try {
      for (const top of index.manifests) walked.push(await this.walk(src, top, written, signal));
    } catch (e) {
      // Nothing half-imported stays: the blobs this import wrote go (others' are untouched).
      for (const d of written) if (!this.referenced(d)) this.store.remove(d);
      throw e;
    }
    const images = this.d.db.transaction(() => walked.map((w) => this.record(actor, w, src.source, input))).immediate();
    if (images.some((i) => i.changed)) this.d.bus.emit('library.changed', {});
    for (const { image: img, changed } of images) {
      if (!changed) continue;
      this.d.activity.append(actor, {
        action: 'image.imported',
        entityType: 'image',
        entityId: img.id,
        entityName: img.reference ?? img.digest,
        summary: `Imported ${img.reference ?? img.digest} (${img.architectures.join(', ') || 'no platform'}${img.version ? `, version ${img.version}` : ''}) from ${src.source}`,
        details: { digest: img.digest, source: src.source, size: img.size },
      });
    }
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    return images;
  }

  /** Copies one image's blobs into the store (each checked), reading its index, manifests and config. */
  private async walk(src: LayoutSource, top: Descriptor, written: string[], signal?: AbortSignal): Promise<Walked> {
    const blobs: Walked['blobs'] = [];
    const take = async (desc: Descriptor, kind: Walked['blobs'][number]['kind'], what: string): Promise<void> => {
      if (!isDigest(desc.digest)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label}: ${what} names "${String(desc.digest)}", not a sha256 digest.`);
      blobs.push({ digest: desc.digest, size: desc.size, kind });
      if (this.store.has(desc.digest)) return;
      const b = src.blob(desc.digest);
      if (!b) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label} is incomplete: ${what} ${desc.digest} is missing.`, { digest: desc.digest });
      if (await this.store.ingest(desc.digest, desc.size, b.open, `${src.label}: ${what}`, undefined, signal)) written.push(desc.digest);
    };
    const json = <T>(digest: string): T => JSON.parse(readFileSync(this.store.path(digest), 'utf8')) as T;
    const manifests: Walked['manifests'] = [];
    let version: string | null = top.annotations?.[VERSION_LABEL] ?? null;
    let created: string | null = null;
    const takeManifest = async (desc: Descriptor, label: string): Promise<void> => {
      await take(desc, 'manifest', `the ${label}manifest`);
      const m = json<Manifest>(desc.digest);
      if (!m.config || !Array.isArray(m.layers)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label}: ${desc.digest} is not an image manifest.`);
      await take(m.config, 'config', `the ${label}config`);
      for (const [i, l] of m.layers.entries()) await take(l, 'layer', `layer ${i + 1} of the ${label}image`);
      const config = json<{ created?: string; architecture?: string; os?: string; variant?: string; config?: { Labels?: Record<string, string> } }>(m.config.digest);
      version ??= m.annotations?.[VERSION_LABEL] ?? config.config?.Labels?.[VERSION_LABEL] ?? null;
      created ??= config.created ?? null;
      manifests.push({
        digest: desc.digest,
        os: desc.platform?.os ?? config.os ?? null,
        architecture: desc.platform?.architecture ?? config.architecture ?? null,
        variant: desc.platform?.variant ?? config.variant ?? null,
        configDigest: m.config.digest,
        size: desc.size + m.config.size + m.layers.reduce((n, l) => n + l.size, 0),
        layers: m.layers.map((l) => ({ digest: l.digest, size: l.size })),
      });
    };
    const type = top.mediaType ?? OCI_MANIFEST;
    if (INDEX_TYPES.has(type)) {
      await take(top, 'index', 'the image index');
      const idx = json<Index>(top.digest);
      version ??= idx.annotations?.[VERSION_LABEL] ?? null;
      for (const m of idx.manifests ?? []) {
        // Attestations and other non-image entries (unknown/unknown) are kept out.
        if (m.platform?.os === 'unknown' || (m.mediaType && !MANIFEST_TYPES.has(m.mediaType))) continue;
        await takeManifest(m, `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'} `);
      }
    } else if (MANIFEST_TYPES.has(type)) await takeManifest(top, '');
    else throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label}: ${top.digest} is a ${type}, not an image.`);
    if (!manifests.length) throw new AppError(ErrorCode.VALIDATION_FAILED, `${src.label}: the index ${top.digest} lists no image for any platform.`);
    const unique = new Map(blobs.map((b) => [b.digest, b]));
    return { top, blobs: [...unique.values()], manifests, version, created };
  }

  private record(actor: Actor, w: Walked, source: string, input: { name?: string | undefined; tag?: string | undefined }): { image: LibraryImage; changed: boolean } {
    const annotated = w.top.annotations?.[REF_NAME] ?? null;
    // `ref.name` is a tag (skopeo writes `oci-archive:x:1.0`) or a whole reference.
    const full = annotated && /[/:]/.test(annotated.replace(/:[^/]*$/, '')) ? annotated : null;
    const name = input.name ?? (full ? full.replace(/:[^/:]*$/, '') : null);
    const tag = input.tag ?? (full ? (/:([^/:]+)$/.exec(full)?.[1] ?? null) : annotated);
    const existing = this.sql.get('SELECT * FROM library_images WHERE digest = ?').get(w.top.digest) as ImageRow | undefined;
    // A tag names one image, as in a registry: importing it for another digest moves it.
    if (tag) this.sql.get('UPDATE library_images SET tag = NULL WHERE coalesce(name, \'\') = coalesce(?, \'\') AND tag = ? AND digest != ?').run(name, tag, w.top.digest);
    const id = existing?.id ?? newId();
    const size = w.blobs.reduce((n, b) => n + b.size, 0);
    const archs = [...new Set(w.manifests.map((m) => m.architecture).filter((a): a is string => !!a))];
    let changed = true;
    if (existing) {
      this.sql.get('UPDATE library_images SET name = coalesce(?, name), tag = coalesce(?, tag) WHERE id = ?').run(name, tag, id);
      changed = (name ?? existing.name) !== existing.name || (tag ?? existing.tag) !== existing.tag;
    } else {
      this.sql
        .get(
          `INSERT INTO library_images (id, name, tag, digest, media_type, version, created, architectures, size, source, added_at, added_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, name, tag, w.top.digest, w.top.mediaType ?? OCI_MANIFEST, w.version, w.created, JSON.stringify(archs), size, source, this.d.clock.now(), actor.user);
      const m = this.sql.get('INSERT INTO library_manifests (image_id, digest, os, architecture, variant, config_digest, size, layers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const x of w.manifests) m.run(id, x.digest, x.os, x.architecture, x.variant, x.configDigest, x.size, JSON.stringify(x.layers));
      const b = this.sql.get('INSERT INTO library_blobs (image_id, digest, size, kind) VALUES (?, ?, ?, ?)');
      for (const x of w.blobs) b.run(id, x.digest, x.size, x.kind);
    }
    return { image: toImage(this.sql.get('SELECT * FROM library_images WHERE id = ?').get(id) as ImageRow), changed };
  }

  /**
   * Pulls an image from its registry into the library: the manifests first (each checked against
   * its digest), then every config and layer the library lacks, downloaded into partial files
   * that a later pull continues (HTTP ranges) after an interruption, and checked before use.
   * `platform` (os/arch[/variant]) takes one platform: the image is then that platform's manifest.
   */
  async pull(actor: Actor, input: MethodArgs<'library.pull'>, signal?: AbortSignal): Promise<LibraryImage & { downloaded: number }> {
    const r = parseImageReference(input.ref);
    const repo = `${r.registry}/${r.repository}`;
    const top = await this.d.registry.manifest(input.ref, signal);
    const json = <T>(b: Buffer, what: string): T => {
      try {
        return JSON.parse(b.toString('utf8')) as T;
      } catch {
        throw new AppError(ErrorCode.REGISTRY_ERROR, `${input.ref}: ${what} is not JSON.`);
      }
    };
    const blobs: Walked['blobs'] = [];
    const manifests: Walked['manifests'] = [];
    const small: { digest: string; body: Buffer }[] = [];
    let topDesc: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.body.length };
    let entries: Descriptor[];
    if (INDEX_TYPES.has(top.mediaType)) {
      const idx = json<Index>(top.body, 'the image index');
      const images = (idx.manifests ?? []).filter((m) => m.platform?.os !== 'unknown' && (!m.mediaType || MANIFEST_TYPES.has(m.mediaType)));
      if (input.platform) {
        const [os, arch, variant] = input.platform.split('/');
        const match = images.find((m) => m.platform?.os === os && m.platform?.architecture === arch && (!variant || m.platform?.variant === variant));
        if (!match) throw new AppError(ErrorCode.IMAGE_NOT_FOUND, `${input.ref} has no ${input.platform} image; it has ${images.map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}`).join(', ')}.`);
        entries = [match];
        topDesc = { ...match, annotations: {} };
      } else {
        entries = images;
        small.push({ digest: top.digest, body: top.body });
        blobs.push({ digest: top.digest, size: top.body.length, kind: 'index' });
      }
    } else {
      if (input.platform) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.ref} is a single-platform image; --platform does not apply.`);
      entries = [topDesc];
    }
    let version: string | null = null;
    let created: string | null = null;
    const fetches: { digest: string; size: number; what: string }[] = [];
    for (const e of entries) {
      const m = e.digest === top.digest ? top : await this.d.registry.manifest(`${repo}@${e.digest}`, signal);
      const man = json<Manifest>(m.body, `the manifest ${e.digest}`);
      if (!man.config || !Array.isArray(man.layers)) throw new AppError(ErrorCode.REGISTRY_ERROR, `${input.ref}: ${e.digest} is not an image manifest.`);
      small.push({ digest: m.digest, body: m.body });
      blobs.push({ digest: m.digest, size: m.body.length, kind: 'manifest' }, { digest: man.config.digest, size: man.config.size, kind: 'config' });
      const label = `${e.platform?.os ?? 'linux'}/${e.platform?.architecture ?? '?'}`;
      fetches.push({ digest: man.config.digest, size: man.config.size, what: `the ${label} config` });
      man.layers.forEach((l, i) => {
        blobs.push({ digest: l.digest, size: l.size, kind: 'layer' });
        fetches.push({ digest: l.digest, size: l.size, what: `layer ${i + 1} of the ${label} image` });
      });
      manifests.push({
        digest: m.digest,
        os: e.platform?.os ?? null,
        architecture: e.platform?.architecture ?? null,
        variant: e.platform?.variant ?? null,
        configDigest: man.config.digest,
        size: m.body.length + man.config.size + man.layers.reduce((n, l) => n + l.size, 0),
        layers: man.layers.map((l) => ({ digest: l.digest, size: l.size })),
      });
      version ??= man.annotations?.[VERSION_LABEL] ?? null;
    }
    // What is already in the library (or half-downloaded) is not fetched again.
    const unique = [...new Map(fetches.filter((f) => !this.store.has(f.digest)).map((f) => [f.digest, f])).values()];
    const total = unique.reduce((n, f) => n + f.size, 0);
    let done = 0;
    let downloaded = 0;
    const started = Date.now();
    let last = 0;
    const progress = (final = false) => {
      const now = Date.now();
      if (!final && now - last < 250) return;
      last = now;
      const secs = (now - started) / 1000;
      this.d.bus.emit('library.progress', { op: 'pull', ref: input.ref, done, total, bytesPerSecond: secs > 0 ? downloaded / secs : 0 });
    };
    for (const f of unique) {
      await this.download(input.ref, f, signal, (n, fresh) => {
        done += n;
        if (fresh) downloaded += n;
        progress();
      });
    }
    progress(true);
    for (const b of small) await this.store.ingest(b.digest, b.body.length, () => Readable.from([b.body]), `${input.ref}: the manifest`);
    for (const m of manifests) {
      if (version && created) break;
      const config = JSON.parse(readFileSync(this.store.path(m.configDigest), 'utf8')) as { created?: string; config?: { Labels?: Record<string, string> } };
      version ??= config.config?.Labels?.[VERSION_LABEL] ?? null;
      created ??= config.created ?? null;
    }
    const walked: Walked = { top: { ...topDesc, annotations: {} }, blobs: [...new Map(blobs.map((b) => [b.digest, b])).values()], manifests, version, created };
    const { image } = this.d.db.transaction(() => this.record(actor, walked, `docker://${input.ref}`, { name: repo, tag: r.tag ?? undefined })).immediate();
    this.d.activity.append(actor, {
      action: 'image.pulled',
      entityType: 'image',
      entityId: image.id,
      entityName: image.reference ?? image.digest,
      summary: `Pulled ${input.ref}${input.platform ? ` (${input.platform})` : ''}: ${image.digest}, ${downloaded} bytes downloaded`,
      details: { digest: image.digest, platform: input.platform ?? null, downloaded, size: image.size },
    });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    this.d.bus.emit('library.changed', {});
    return { ...image, downloaded };
  }

  /**
   * Downloads one blob into its partial file, continuing from what an earlier pull left there,
   * and moves it into the store once its size and SHA-256 are right. Returns the bytes fetched.
   * A download that receives nothing for a minute is abandoned (and resumes next time).
   * `onBytes` hears of the bytes already there (fresh false) and of each received.
   */
  private async download(ref: string, f: { digest: string; size: number; what: string }, signal: AbortSignal | undefined, onBytes: (n: number, fresh: boolean) => void): Promise<void> {
    const part = this.store.partialPath(f.digest);
    let have = existsSync(part) ? statSync(part).size : 0;
    if (have > f.size) {
      await rm(part, { force: true });
      have = 0;
    }
    const hash = createHash('sha256');
    if (have) for await (const c of createReadStream(part)) hash.update(c as Buffer);
    const stall = new AbortController();
    let timer = setTimeout(() => stall.abort(), 60_000);
    const sig = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
    try {
      const res = await this.d.registry.blob(ref, f.digest, have, sig);
      if (res.from === 0 && have) {
        // The registry ignored the range: start over.
        await rm(part, { force: true });
        hash.destroy();
        return this.download(ref, f, signal, onBytes);
      }
      onBytes(have, false);
      const out = createWriteStream(part, { flags: have ? 'a' : 'w' });
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(timer);
          timer = setTimeout(() => stall.abort(), 60_000);
          const b = Buffer.from(chunk);
          hash.update(b);
          if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
          onBytes(b.length, true);
        }
      } finally {
        await new Promise<void>((r) => out.end(() => r()));
      }
    } catch (e) {
      if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled (the download resumes at the next pull)');
      if (stall.signal.aborted) throw new AppError(ErrorCode.REGISTRY_UNREACHABLE, `${ref}: the registry sent nothing for 60 s while sending ${f.what}; pull again to resume.`);
      throw e instanceof AppError ? e : new AppError(ErrorCode.REGISTRY_UNREACHABLE, `${ref}: the download of ${f.what} stopped (${(e as Error).message}); pull again to resume.`);
    } finally {
      clearTimeout(timer);
    }
    const size = statSync(part).size;
    const got = `sha256:${hash.digest('hex')}`;
    if (size !== f.size || got !== f.digest) {
      await rm(part, { force: true });
      throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: ${f.what} ${f.digest} arrived ${size !== f.size ? `with ${size} bytes, not ${f.size}` : `corrupt (it hashes to ${got})`}; it was dropped, pull again.`);
    }
    await this.store.adopt(part, f.digest);
  }

  private referenced(digest: string): boolean {
    return !!this.sql.get('SELECT 1 FROM library_blobs WHERE digest = ? LIMIT 1').get(digest);
  }

  /** Writes the image as an OCI layout (directory) or oci-archive (file), with the same top digest. */
  async export(input: MethodArgs<'library.export'>, signal?: AbortSignal): Promise<MethodOutput<'library.export'>> {
    const row = this.resolve(input.ref);
    const bytes = await this.writeLayout([{ row, refName: row.tag }], input.path, input.format, [], signal);
    return { path: input.path, format: input.format, digest: row.digest, bytes };
  }

  /**
   * Writes images as one OCI layout (a directory, or a tar of it): their blobs once, an index
   * naming each (`refName`), and `extra` files computed from the written ones (a bundle's
   * manifest and SHA256SUMS). Written beside the target and renamed into place when complete.
   * Returns the bytes written.
   */
  async writeLayout(
    images: { row: ImageRow; refName: string | null }[],
    path: string,
    format: 'oci' | 'oci-archive',
    extra: ((files: { name: string; size: number; sha256: () => Promise<string> }[]) => Promise<{ name: string; body: Buffer }[]>) | [],
    signal?: AbortSignal,
  ): Promise<number> {
    const blobs = new Map<string, number>();
    const tops: Descriptor[] = [];
    for (const { row, refName } of images) {
      for (const b of this.sql.get('SELECT digest, size FROM library_blobs WHERE image_id = ? ORDER BY kind, digest').all(row.id) as { digest: string; size: number }[]) {
        if (!this.store.has(b.digest)) throw new AppError(ErrorCode.INTERNAL, `The library lacks blob ${b.digest} of ${row.name ?? row.digest}; import the image again.`);
        blobs.set(b.digest, b.size);
      }
      tops.push({ mediaType: row.media_type, digest: row.digest, size: blobs.get(row.digest)!, ...(refName ? { annotations: { [REF_NAME]: refName } } : {}) });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: tops }));
    const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const files: { name: string; size: number; open: () => NodeJS.ReadableStream; sha256: () => Promise<string> }[] = [
      { name: 'oci-layout', size: layout.length, open: () => bufferStream(layout), sha256: async () => sha256Of(layout) },
      { name: 'index.json', size: index.length, open: () => bufferStream(index), sha256: async () => sha256Of(index) },
      ...[...blobs].map(([digest, size]) => ({ name: `blobs/sha256/${hexOf(digest)}`, size, open: () => this.store.open(digest), sha256: async () => hexOf(digest) })),
    ];
    const added = Array.isArray(extra) ? [] : await extra(files);
    for (const a of added) files.push({ name: a.name, size: a.body.length, open: () => bufferStream(a.body), sha256: async () => sha256Of(a.body) });
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const tmp = `${path}.partial`;
    if (format === 'oci') {
      if (existsSync(path) && (await readdir(path)).length) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} exists and is not empty: give a new or empty directory.`);
      }
      await rm(tmp, { recursive: true, force: true });
      mkdirSync(join(tmp, 'blobs', 'sha256'), { recursive: true });
      try {
        for (const f of files) {
          if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
          if (f.name.startsWith('blobs/')) await copyFile(this.store.path(`sha256:${f.name.slice('blobs/sha256/'.length)}`), join(tmp, f.name));
          else {
            // Extra files may sit in folders of their own (a site bundle's recordings/).
            if (f.name.includes('/')) mkdirSync(dirname(join(tmp, f.name)), { recursive: true });
            writeFileSync(join(tmp, f.name), await streamToBuffer(f.open()));
          }
        }
        await rm(path, { recursive: true, force: true });
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    } else {
      await mkdir(dirname(path), { recursive: true });
      const tarFiles: TarFile[] = [
        ...files.filter((f) => !f.name.startsWith('blobs/')),
        { name: 'blobs/', size: 0 },
        { name: 'blobs/sha256/', size: 0 },
        ...files.filter((f) => f.name.startsWith('blobs/')),
      ];
      const out = createWriteStream(tmp);
      try {
        await writeTar(out, tarFiles, signal);
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
        await rename(tmp, path);
      } catch (e) {
        out.destroy();
        await rm(tmp, { force: true });
        if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
        throw e;
      }
    }
    return bytes;
  }

  /** Archives of whole images being written (`imageArchive`), by path. */
  private readonly writing = new Map<string, Promise<void>>();

  /**
   * A library image as one oci-archive file (every platform, named by its tag), for installing
   * from it (provisioning with no registry): the path at once, and a promise that it is written
   * (once, into the library's `archives/` cache that `gc` empties).
   */
  imageArchive(ref: string): { path: string; image: LibraryImage; ready: Promise<void> } {
    const row = this.resolve(ref);
    const path = join(this.d.dir, 'archives', `${hexOf(row.digest)}.oci.tar`);
    let ready = existsSync(path) ? Promise.resolve() : this.writing.get(path);
    if (!ready) {
      ready = this.writeLayout([{ row, refName: row.tag }], path, 'oci-archive', []).then(() => undefined);
      const p = ready;
      this.writing.set(path, p);
      void p.catch(() => undefined).finally(() => this.writing.delete(path));
    }
    return { path, image: toImage(row), ready };
  }

  /**
   * One platform's image as an oci-archive file (its manifest named `image.tag`), for a device
   * that takes images as one file: written once into the library's `archives/` (a cache that
   * `gc` empties) and reused. Returns the file, its size and SHA-256.
   */
  async deviceArchive(image: DeviceImage, signal?: AbortSignal): Promise<{ path: string; size: number; sha256: string }> {
    const dir = join(this.d.dir, 'archives');
    const path = join(dir, `${hexOf(image.manifest.digest)}-${image.tag}.oci.tar`);
    const sumPath = `${path}.sha256`;
    if (existsSync(path) && existsSync(sumPath)) return { path, size: statSync(path).size, sha256: readFileSync(sumPath, 'utf8').trim() };
    await mkdir(dir, { recursive: true });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...image.manifest, annotations: { [REF_NAME]: image.tag } }] }));
    const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const files: TarFile[] = [
      { name: 'oci-layout', size: layout.length, open: () => bufferStream(layout) },
      { name: 'index.json', size: index.length, open: () => bufferStream(index) },
      { name: 'blobs/', size: 0 },
      { name: 'blobs/sha256/', size: 0 },
      ...image.blobs.map((b) => ({ name: `blobs/sha256/${hexOf(b.digest)}`, size: b.size, open: () => this.store.open(b.digest) })),
    ];
    const tmp = `${path}.partial`;
    const hash = createHash('sha256');
    const file = createWriteStream(tmp);
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    tee.pipe(file);
    try {
      await writeTar(tee, files, signal);
      await new Promise<void>((resolve, reject) => {
        file.once('finish', resolve).once('error', reject);
        tee.end();
      });
    } catch (e) {
      tee.destroy();
      file.destroy();
      await rm(tmp, { force: true });
      if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
      throw e;
    }
    const sha256 = hash.digest('hex');
    await rename(tmp, path);
    writeFileSync(sumPath, `${sha256}\n`);
    return { path, size: statSync(path).size, sha256 };
  }

  /**
   * Pushes an image to a registry (a site registry, say) as `target` (REGISTRY/NAME[:TAG], the
   * library's tag when none is given): blobs the registry has are skipped, then the manifests.
   */
  async push(actor: Actor, input: MethodArgs<'library.push'>, signal?: AbortSignal): Promise<MethodOutput<'library.push'>> {
    const row = this.resolve(input.ref);
    // A tag given (`…/os:1.0`, a colon in the last path segment) wins; else the image's own.
    const tagged = /:[^/]+$/.test(input.to);
    const target = tagged || !row.tag ? input.to : `${input.to}:${row.tag}`;
    parseImageReference(target);
    const blobs = this.sql.get('SELECT digest, size, kind FROM library_blobs WHERE image_id = ?').all(row.id) as { digest: string; size: number; kind: string }[];
    const read = (digest: string) => readFileSync(this.store.path(digest));
    const mediaTypeOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? OCI_MANIFEST;
    const manifests = blobs.filter((b) => b.kind === 'manifest' && b.digest !== row.digest).map((b) => ({ digest: b.digest, body: read(b.digest), mediaType: '' }));
    for (const m of manifests) m.mediaType = mediaTypeOf(m.body);
    const topBody = read(row.digest);
    const total = blobs.filter((b) => b.kind === 'config' || b.kind === 'layer').reduce((n, b) => n + b.size, 0);
    let done = 0;
    const started = Date.now();
    const r = await this.d.registry.push(
      target,
      { top: { digest: row.digest, mediaType: row.media_type, body: topBody }, manifests, blobs: blobs.filter((b) => b.kind === 'config' || b.kind === 'layer') },
      (digest) => this.store.open(digest),
      signal,
      (b) => {
        done += b.size;
        const secs = (Date.now() - started) / 1000;
        this.d.bus.emit('library.progress', { op: 'push', ref: input.ref, done, total, bytesPerSecond: secs > 0 ? done / secs : 0 });
      },
    );
    this.d.activity.append(actor, {
      action: 'image.pushed',
      entityType: 'image',
      entityId: row.id,
      entityName: row.name && row.tag ? `${row.name}:${row.tag}` : row.digest,
      summary: `Pushed ${row.name && row.tag ? `${row.name}:${row.tag}` : row.digest} to ${target} (${r.pushed} bytes sent, ${r.skipped} already there)`,
      details: { digest: row.digest, target, pushed: r.pushed, skipped: r.skipped },
    });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    return { target, digest: row.digest, pushedBytes: r.pushed, skippedBytes: r.skipped };
  }

  remove(actor: Actor, ref: string): MethodOutput<'library.remove'> {
    const row = this.resolve(ref);
    const freed = this.d.db
      .transaction(() => {
        const blobs = this.sql.get('SELECT digest, size FROM library_blobs WHERE image_id = ?').all(row.id) as { digest: string; size: number }[];
        this.sql.get('DELETE FROM library_images WHERE id = ?').run(row.id);
        return blobs.filter((b) => !this.referenced(b.digest));
      })
      .immediate();
    for (const b of freed) this.store.remove(b.digest);
    const freedBytes = freed.reduce((n, b) => n + b.size, 0);
    this.d.activity.append(actor, {
      action: 'image.removed',
      entityType: 'image',
      entityId: row.id,
      entityName: row.name && row.tag ? `${row.name}:${row.tag}` : row.digest,
      summary: `Removed ${row.name && row.tag ? `${row.name}:${row.tag}` : row.digest} from the library (${freed.length} blobs no other image uses deleted)`,
      details: { digest: row.digest, freedBytes },
    });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
    this.d.bus.emit('library.changed', {});
    return { id: row.id, digest: row.digest, freedBytes };
  }

  /** Deletes blobs on disk that no image uses. */
  gc(): MethodOutput<'library.gc'> {
    let removed = 0;
    let freedBytes = 0;
    for (const b of this.store.all()) {
      if (this.referenced(b.digest)) continue;
      this.store.remove(b.digest);
      removed++;
      freedBytes += b.size;
    }
    // Archives made for devices are a cache: they can always be written again.
    const archives = join(this.d.dir, 'archives');
    if (existsSync(archives)) {
      for (const f of readdirSync(archives)) {
        if (f.endsWith('.oci.tar')) freedBytes += statSync(join(archives, f)).size;
        rmSync(join(archives, f), { force: true });
      }
    }
    if (removed) this.d.bus.emit('library.changed', {});
    return { removed, freedBytes };
  }
}

const bufferStream = (b: Buffer): NodeJS.ReadableStream => Readable.from([b]);
const sha256Of = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
