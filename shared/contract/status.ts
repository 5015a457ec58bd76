import { z } from 'zod';

/**
 * What Bootfleet knows of a device's bootc state, normalized from `bootc status` of any release
 * (v1alpha1 and v1, fields added over time). Absent fields of older releases are null/false here,
 * so the UI and CLI never branch on the device's bootc version.
 */

export const bootcImageRefSchema = z.object({
  /** Name without transport, e.g. `quay.io/org/os:latest` or `/var/mnt/update:1.1` for oci. */
  image: z.string(),
  /** registry, oci, oci-archive, containers-storage, ... */
  transport: z.string(),
  /** `containerPolicy`, `insecure`, `ostreeRemote:<name>`, or null (no policy: bootc's default). */
  signature: z.string().nullable(),
});
export type ImageRef = z.infer<typeof bootcImageRefSchema>;

/** An image as one deployment holds it. `digest` is the per-platform manifest digest bootc reports. */
export const deployedImageSchema = z.object({
  ref: bootcImageRefSchema,
  digest: z.string(),
  version: z.string().nullable(),
  timestamp: z.string().nullable(),
  /** OCI architecture; null before bootc 1.1.7. */
  architecture: z.string().nullable(),
});
export type DeployedImage = z.infer<typeof deployedImageSchema>;

export const deploymentSlotSchema = z.enum(['staged', 'booted', 'rollback', 'other']);

export const deploymentSchema = z.object({
  slot: deploymentSlotSchema,
  /** null for a plain ostree deployment, or one bootc cannot manage (incompatible). */
  image: deployedImageSchema.nullable(),
  /** A newer image a previous fetch (e.g. `upgrade --check`) saw for this deployment's reference. */
  cachedUpdate: z.object({ digest: z.string(), version: z.string().nullable(), timestamp: z.string().nullable() }).nullable(),
  pinned: z.boolean(),
  /** Staged with --download-only: will NOT be applied at the next reboot. */
  downloadOnly: z.boolean(),
  softRebootCapable: z.boolean(),
  /** rpm-ostree changes in the origin: bootc verbs refuse this deployment. */
  incompatible: z.boolean(),
  ostree: z.object({ checksum: z.string(), deploySerial: z.number().int(), stateroot: z.string().nullable() }).nullable(),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const bootcStatusSchema = z.object({
  apiVersion: z.string(),
  /** status.booted is not null: the host is booted through bootc/ostree. */
  bootcHost: z.boolean(),
  /** The image `bootc upgrade` will pull (spec.image). */
  specImage: bootcImageRefSchema.nullable(),
  bootOrder: z.enum(['default', 'rollback']),
  staged: deploymentSchema.nullable(),
  booted: deploymentSchema.nullable(),
  rollback: deploymentSchema.nullable(),
  others: z.array(deploymentSchema),
  rollbackQueued: z.boolean(),
  usrOverlay: z.object({ accessMode: z.string(), persistence: z.string() }).nullable(),
  readOnly: z.boolean(),
  /** The next reboot changes what runs: a staged (not download-only) deployment, or a queued rollback. */
  pendingReboot: z.boolean(),
  /** A cached update differs from the booted digest. */
  updateAvailable: z.boolean(),
});
export type BootcStatus = z.infer<typeof bootcStatusSchema>;

/**
 * How the last contact went: online (bootc answered), offline (no connection), error
 * (connected, but auth, host key, sudo or bootc's output failed), not-bootc, or never contacted.
 */
export const reachSchema = z.enum(['online', 'offline', 'error', 'not-bootc', 'never']);
export type Reach = z.infer<typeof reachSchema>;

const slotSummary = z.object({ digest: z.string(), version: z.string().nullable() }).nullable();

/** The latest known state of a device, as the fleet table shows it. */
export const statusSummarySchema = z.object({
  reach: reachSchema,
  /** The shown state is old: the last contact failed, or the last good one is older than the stale threshold. */
  stale: z.boolean(),
  lastAttemptAt: z.string().nullable(),
  /** The last time bootc answered. */
  lastSeenAt: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** The booted image reference as bootc shows it (transport prefix for non-registry ones). */
  bootedImage: z.string().nullable(),
  /**
   * The registry image the booted one is, when Bootfleet sent it from the image library and bootc
   * shows only the path on the device (`oci:/var/lib/bootfleet/images:v2`): NAME:TAG.
   */
  bootedAs: z.string().nullable(),
  booted: slotSummary,
  staged: slotSummary,
  rollback: slotSummary,
  /** A newer image a check saw (cachedUpdate), when it differs from the booted one. */
  update: slotSummary,
});
export type StatusSummary = z.infer<typeof statusSummarySchema>;

/** The first 12 hex characters of an image digest (`sha256:` dropped), as `docker images` shows them. */
export function shortDigest(digest: string): string {
  const at = digest.indexOf(':');
  return (at >= 0 ? digest.slice(at + 1) : digest).slice(0, 12);
}
