/**
 * SQL for a device's effective desired image, over a row aliased `d` (devices) and `ds`
 * (device_status, left-joined). The device's own wins, then its tags' (one image among them,
 * or the marker '!conflict' when they disagree), then its site's. The same expressions serve
 * the filters over the whole fleet and the state shown per device, so the two cannot disagree.
 */
export const CONFLICT = '!conflict';

export const EFFECTIVE_IMAGE_SQL = `coalesce(d.desired_image,
  (SELECT CASE WHEN count(DISTINCT di.image) > 1 THEN '${CONFLICT}' ELSE min(di.image) END
     FROM device_tags dt JOIN tags t ON t.id = dt.tag_id JOIN desired_images di ON di.scope = 'tag' AND di.target = t.name
    WHERE dt.device_id = d.id),
  (SELECT di.image FROM desired_images di WHERE di.scope = 'site' AND di.target = d.site_id))`;

/** The tags of the device that carry a desired image, as JSON [[tag, image], ...]. */
export const TAG_DESIRED_SQL = `(SELECT json_group_array(json_array(t.name, di.image))
     FROM device_tags dt JOIN tags t ON t.id = dt.tag_id JOIN desired_images di ON di.scope = 'tag' AND di.target = t.name
    WHERE dt.device_id = d.id)`;

/** One of desiredStateSchema's values. A pinned digest needs no resolution; a tag does. */
export const DESIRED_STATE_SQL = `(SELECT CASE
    WHEN e.img IS NULL THEN 'none'
    WHEN e.img = '${CONFLICT}' THEN 'conflict'
    WHEN ds.booted_digest IS NULL THEN 'unknown'
    WHEN e.m IS NULL THEN 'unresolved'
    WHEN instr(e.m, ' ' || ds.booted_digest || ' ') > 0 THEN 'in-sync'
    WHEN instr(e.m, ' ' || ds.staged_digest || ' ') > 0 THEN 'staged'
    ELSE 'behind' END
  FROM (SELECT x.img, CASE WHEN instr(x.img, '@') > 0 THEN ' ' || substr(x.img, instr(x.img, '@') + 1) || ifnull(r.match_digests, ' ') ELSE r.match_digests END AS m
          FROM (SELECT ${EFFECTIVE_IMAGE_SQL} AS img) x LEFT JOIN image_resolutions r ON r.ref = x.img) e)`;

/** The digests a device may boot to match a resolution: the manifest or index digest and each platform's. */
export function matchDigests(digest: string, platforms: { digest: string }[]): string {
  return ` ${[digest, ...platforms.map((p) => p.digest)].join(' ')} `;
}

/** The columns the devices query adds for each device it returns (see `toEffective`). */
export const DESIRED_COLUMNS = `${EFFECTIVE_IMAGE_SQL} AS dd_effective, ${DESIRED_STATE_SQL} AS dd_state, ${TAG_DESIRED_SQL} AS dd_tags`;
