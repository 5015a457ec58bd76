import { z } from 'zod';

/**
 * What Bootfleet knows of a device's bootc state, normalized from `bootc status` of any release
 * (v1alpha1 and v1, fields added over time). Absent fields of older releases are null/false here,
 * so the UI and CLI never branch on the device's bootc version.
 */

export const imageRefSchema = z.object({
  /** Name without transport, e.g. `quay.io/org/os:latest` or `/var/mnt/update:1.1` for oci. */
  image: z.string(),
  /** registry, oci, oci-archive, containers-storage, ... */
  transport: z.string(),
  /** `containerPolicy`, `insecure`, `ostreeRemote:<name>`, or null (no policy: bootc's default). */
  signature: z.string().nullable(),
});
export type ImageRef = z.infer<typeof imageRefSchema>;

/** An image as one deployment holds it. `digest` is the per-platform manifest digest bootc reports. */
export const deployedImageSchema = z.object({
  ref: imageRefSchema,
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
  specImage: imageRefSchema.nullable(),
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
