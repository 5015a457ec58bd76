import type { DesiredEntry, DesiredScope, Resolution } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import type { EventBus } from '../events';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import type { RegistryClient } from '../registry/client';
import { pinnedDigest } from '../registry/reference';
import { DESIRED_STATE_SQL, TAG_DESIRED_SQL, matchDigests } from './sql';

export interface ResolutionRow {
  ref: string;
  digest: string | null;
  media_type: string | null;
  platforms: string;
  resolved_at: string | null;
  error_code: string | null;
  error_message: string | null;
  error_at: string | null;
}

const FROM_DEVICES = 'FROM devices d LEFT JOIN device_status ds ON ds.device_id = d.id';
const RESOLVE_PARALLEL = 4;

/**
 * Desired images per site, tag and device, and what their references resolve to. Which image
 * a device should run, and whether it does, is computed from the inventory alone.
 */
export class DesiredService {
  private readonly sql: StatementCache;
  constructor(
    private readonly d: { db: Db; inventory: InventoryService; activity: ActivityRepo; bus: EventBus; clock: Clock; registry: RegistryClient },
  ) {
    this.sql = new StatementCache(d.db);
  }

  list(): { entries: DesiredEntry[]; deviceEntries: number } {
    const rows = this.sql.get('SELECT * FROM desired_images ORDER BY scope, target').all() as { scope: 'site' | 'tag'; target: string; image: string; updated_at: string; updated_by: string; require_signed: number }[];
    const counts = this.countsBySource();
    const entries: DesiredEntry[] = [];
    for (const r of rows) {
      const name = r.scope === 'site' ? (this.d.inventory.sites.find(r.target)?.name ?? r.target) : r.target;
      const c = counts.get(`${r.scope}:${r.target.toLowerCase()}`) ?? { n: 0, behind: 0 };
      entries.push(this.entry(r.scope, r.target, name, r.image, r.updated_at, r.updated_by, c, r.require_signed === 1));
    }
    const deviceEntries = this.sql.get('SELECT count(*) FROM devices WHERE desired_image IS NOT NULL').pluck().get() as number;
    const devs = this.sql
      .get(
        `SELECT d.id, d.name, s.name AS site_name, d.desired_image, d.desired_require_signed, d.updated_at, ${DESIRED_STATE_SQL} = 'behind' AS behind
           FROM devices d LEFT JOIN sites s ON s.id = d.site_id LEFT JOIN device_status ds ON ds.device_id = d.id
          WHERE d.desired_image IS NOT NULL ORDER BY d.name LIMIT 500`,
      )
      .all() as { id: string; name: string; site_name: string | null; desired_image: string; desired_require_signed: number; updated_at: string; behind: number }[];
    for (const r of devs) entries.push(this.entry('device', r.id, qualifiedName(r.name, r.site_name), r.desired_image, r.updated_at, '', { n: 1, behind: r.behind }, r.desired_require_signed === 1));
    return { entries, deviceEntries };
  }

  /**
   * Devices each site and tag entry decides, and how many of them are behind, in one pass: a
   * device without its own image is decided by its tags when they agree (by each of them), else
   * by its site. Grouped in SQL so only distinct combinations reach JavaScript.
   */
  private countsBySource(): Map<string, { n: number; behind: number }> {
    const groups = this.sql
      .get(
        // MATERIALIZED: grouping the expressions directly evaluates them again for the sort.
        `WITH x AS MATERIALIZED (SELECT d.site_id AS site, ${TAG_DESIRED_SQL} AS tags, ${DESIRED_STATE_SQL} = 'behind' AS behind
                                   ${FROM_DEVICES} WHERE d.desired_image IS NULL)
         SELECT site, tags, behind, count(*) AS n FROM x GROUP BY 1, 2, 3`,
      )
      .all() as { site: string | null; tags: string; behind: number; n: number }[];
    const out = new Map<string, { n: number; behind: number }>();
    const add = (key: string, g: { n: number; behind: number }) => {
      const c = out.get(key) ?? { n: 0, behind: 0 };
      c.n += g.n;
      if (g.behind) c.behind += g.n;
      out.set(key, c);
    };
    for (const g of groups) {
      const tags = JSON.parse(g.tags) as [string, string][];
      if (new Set(tags.map(([, image]) => image)).size > 1) continue; // a conflict decides nothing
      if (tags.length) for (const [tag] of tags) add(`tag:${tag.toLowerCase()}`, g);
      else if (g.site) add(`site:${g.site.toLowerCase()}`, g);
    }
    return out;
  }

  private entry(scope: DesiredScope, target: string, targetName: string, image: string, updatedAt: string, updatedBy: string, c: { n: number; behind: number }, requireSigned: boolean): DesiredEntry {
    return {
      scope,
      target,
      targetName,
      image,
      requireSigned,
      pinnedDigest: pinnedDigest(image),
      resolution: this.resolution(image),
      deviceCount: c.n,
      behindCount: c.behind,
      updatedAt,
      updatedBy,
    };
  }

  /** Sets a desired image; resolves it through its registry unless asked not to (a failure is recorded, not thrown). */
  async set(actor: Actor, scope: DesiredScope, target: string, image: string, resolve: boolean, requireSigned = false): Promise<DesiredEntry> {
    const t = this.target(scope, target);
    const signed = requireSigned ? ' (signed images required)' : '';
    if (scope === 'device') {
      this.d.db.transaction(() => {
        this.d.inventory.updateDevice(actor, t.id, { desiredImage: image });
        const was = this.sql.get('SELECT desired_require_signed FROM devices WHERE id = ?').pluck().get(t.id) as number;
        if (was !== (requireSigned ? 1 : 0)) {
          this.sql.get('UPDATE devices SET desired_require_signed = ? WHERE id = ?').run(requireSigned ? 1 : 0, t.id);
          this.d.activity.append(actor, {
            action: 'desired.set',
            entityType: 'device',
            entityId: t.id,
            entityName: t.name,
            summary: `${requireSigned ? 'Required' : 'No longer required'} a signature policy for the desired image of ${t.name}`,
            details: { requireSigned },
          });
        }
      }).immediate();
    } else {
      this.d.db.transaction(() => {
        const before = this.sql.get('SELECT image, require_signed FROM desired_images WHERE scope = ? AND target = ?').get(scope, t.id) as { image: string; require_signed: number } | undefined;
        this.sql
          .get(
            `INSERT INTO desired_images (scope, target, image, updated_at, updated_by, require_signed) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (scope, target) DO UPDATE SET image = excluded.image, updated_at = excluded.updated_at, updated_by = excluded.updated_by, require_signed = excluded.require_signed`,
          )
          .run(scope, t.id, image, this.d.clock.now(), actor.user, requireSigned ? 1 : 0);
        this.d.activity.append(actor, {
          action: 'desired.set',
          entityType: scope,
          entityId: t.id,
          entityName: t.name,
          summary: `Set the desired image of ${scope} ${t.name} to ${image}${signed}`,
          details: { from: before?.image ?? null, to: image, requireSigned, requireSignedBefore: before ? before.require_signed === 1 : null },
        });
      }).immediate();
      this.changed();
    }
    if (resolve) await this.resolve([image]);
    return this.find(scope, t.id)!;
  }

  clear(actor: Actor, scope: DesiredScope, target: string): { scope: DesiredScope; target: string; cleared: boolean } {
    const t = this.target(scope, target);
    if (scope === 'device') {
      const had = this.d.inventory.resolveDevice(t.id).desiredImage !== null;
      if (had) {
        this.d.inventory.updateDevice(actor, t.id, { desiredImage: null });
        this.sql.get('UPDATE devices SET desired_require_signed = 0 WHERE id = ?').run(t.id);
      }
      return { scope, target: t.name, cleared: had };
    }
    const cleared = this.d.db.transaction(() => {
      const before = this.sql.get('SELECT image FROM desired_images WHERE scope = ? AND target = ?').pluck().get(scope, t.id) as string | undefined;
      if (before === undefined) return false;
      this.sql.get('DELETE FROM desired_images WHERE scope = ? AND target = ?').run(scope, t.id);
      this.d.activity.append(actor, {
        action: 'desired.cleared',
        entityType: scope,
        entityId: t.id,
        entityName: t.name,
        summary: `Cleared the desired image of ${scope} ${t.name} (was ${before})`,
        details: { from: before, to: null },
      });
      return true;
    }).immediate();
    if (cleared) this.changed();
    return { scope, target: t.name, cleared };
  }

  /**
   * Asks the registries what each reference points at now (every reference in use when none
   * are given) and records the answers. One reference failing does not stop the others.
   */
  async resolve(refs?: string[], signal?: AbortSignal): Promise<Resolution[]> {
    const list = [...new Set(refs ?? this.refsInUse())];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const ref = list[next++]!;
        try {
          const r = await this.d.registry.resolve(ref, signal);
          this.sql
            .get(
              `INSERT INTO image_resolutions (ref, digest, media_type, platforms, match_digests, resolved_at, error_code, error_message, error_at)
               VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)
               ON CONFLICT (ref) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type, platforms = excluded.platforms,
                 match_digests = excluded.match_digests, resolved_at = excluded.resolved_at, error_code = NULL, error_message = NULL, error_at = NULL`,
            )
            .run(ref, r.digest, r.mediaType, JSON.stringify(r.platforms), matchDigests(r.digest, r.platforms), this.d.clock.now());
        } catch (e) {
          const err = e instanceof AppError ? e : new AppError('INTERNAL', e instanceof Error ? e.message : String(e));
          this.sql
            .get(
              `INSERT INTO image_resolutions (ref, error_code, error_message, error_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (ref) DO UPDATE SET error_code = excluded.error_code, error_message = excluded.error_message, error_at = excluded.error_at`,
            )
            .run(ref, err.code, err.message, this.d.clock.now());
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RESOLVE_PARALLEL, list.length) }, worker));
    if (list.length) this.changed();
    return list.map((ref) => this.resolution(ref)!);
  }

  resolution(ref: string): Resolution | null {
    const r = this.sql.get('SELECT * FROM image_resolutions WHERE ref = ?').get(ref) as ResolutionRow | undefined;
    return r ? toResolution(r) : null;
  }

  private refsInUse(): string[] {
    return this.sql
      .get('SELECT image FROM desired_images UNION SELECT DISTINCT desired_image FROM devices WHERE desired_image IS NOT NULL')
      .pluck()
      .all() as string[];
  }

  private find(scope: DesiredScope, id: string): DesiredEntry | undefined {
    return this.list().entries.find((e) => e.scope === scope && e.target === id) ?? (scope === 'device' ? this.deviceEntry(id) : undefined);
  }

  private deviceEntry(id: string): DesiredEntry | undefined {
    const dev = this.d.inventory.resolveDevice(id);
    return dev.desiredImage
      ? this.entry('device', dev.id, qualifiedName(dev.name, dev.siteName), dev.desiredImage, dev.updatedAt, '', { n: 1, behind: dev.desired.state === 'behind' ? 1 : 0 }, this.sql.get('SELECT desired_require_signed FROM devices WHERE id = ?').pluck().get(dev.id) === 1)
      : undefined;
  }

  private target(scope: DesiredScope, ref: string): { id: string; name: string } {
    if (scope === 'site') return this.d.inventory.requireSite(ref);
    if (scope === 'device') {
      const dev = this.d.inventory.resolveDevice(ref);
      return { id: dev.id, name: qualifiedName(dev.name, dev.siteName) };
    }
    return { id: ref, name: ref };
  }

  private changed(): void {
    this.d.bus.emit('inventory.changed', { entity: 'all' });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
  }
}

export function toResolution(r: ResolutionRow): Resolution {
  return {
    ref: r.ref,
    digest: r.digest,
    mediaType: r.media_type,
    platforms: JSON.parse(r.platforms) as Resolution['platforms'],
    resolvedAt: r.resolved_at,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '', at: r.error_at ?? '' } : null,
  };
}
