import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';

export { DEVICE_ARCHIVES, DEVICE_LAYOUT, libraryPathOf } from '../../../shared/contract';

/**
 * Which registry image (NAME:TAG) each library path on a device stood for when Bootfleet put it
 * there, per digest: bootc reports only the path, so the fleet view, drift and a later upgrade
 * from the library or a return to the registry read the name from here.
 */
export class DeviceSourcesRepo {
  private readonly sql: StatementCache;
  constructor(db: Db) {
    this.sql = new StatementCache(db);
  }

  /** `ref` as bootc shows it (`oci:/var/lib/bootfleet/images:v2`); `manifestDigest` is what bootc reports for it. */
  record(deviceId: string, s: { ref: string; manifestDigest: string; image: string; imageDigest: string; at: string }): void {
    this.sql
      .get(
        `INSERT INTO device_image_sources (device_id, ref, manifest_digest, image, image_digest, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, ref, manifest_digest) DO UPDATE SET image = excluded.image, image_digest = excluded.image_digest, recorded_at = excluded.recorded_at`,
      )
      .run(deviceId, s.ref, s.manifestDigest, s.image, s.imageDigest, s.at);
  }

  /** The registry image a path on the device stands for: the one for `digest` if given and known, else the last recorded. */
  imageFor(deviceId: string, ref: string, digest?: string | null): string | null {
    const row = this.sql
      .get('SELECT image FROM device_image_sources WHERE device_id = ? AND ref = ? ORDER BY manifest_digest IS ? DESC, recorded_at DESC LIMIT 1')
      .get(deviceId, ref, digest ?? null) as { image: string } | undefined;
    return row?.image ?? null;
  }
}
