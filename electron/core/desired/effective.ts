import type { DesiredState, EffectiveDesired } from '../../../shared/contract';
import { pinnedDigest } from '../registry/reference';
import { CONFLICT } from './sql';

/** What `DESIRED_COLUMNS` adds to a device row, with the row's own fields it reads. */
export interface DesiredColumns {
  name: string;
  site_name: string | null;
  desired_image: string | null;
  dd_effective: string | null;
  dd_state: DesiredState;
  dd_tags: string | null;
}

/** A device's effective desired image from its row; `resolved` looks up a reference's last resolution. */
export function toEffective(row: DesiredColumns, resolved: (ref: string) => { digest: string | null; resolvedAt: string | null } | undefined): EffectiveDesired {
  const base: EffectiveDesired = { state: row.dd_state, image: null, source: null, sourceName: null, digest: null, pinned: false, resolvedAt: null, conflicts: [] };
  const tags = row.dd_tags ? (JSON.parse(row.dd_tags) as [string, string][]) : [];
  if (row.dd_effective === CONFLICT) return { ...base, conflicts: tags.map(([tag, image]) => ({ tag, image })) };
  const image = row.dd_effective;
  if (!image) return base;
  const [source, sourceName]: [EffectiveDesired['source'], string | null] =
    row.desired_image !== null ? ['device', row.name] : tags.length ? ['tag', tags.map(([t]) => t).join(', ')] : ['site', row.site_name];
  const pin = pinnedDigest(image);
  const res = resolved(image);
  return { ...base, image, source, sourceName, digest: pin ?? res?.digest ?? null, pinned: pin !== null, resolvedAt: res?.resolvedAt ?? null };
}
