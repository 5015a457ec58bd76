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
 * What `ostree admin config-diff` prints: the device's /etc against its image's defaults
 * (`/usr/etc`), paths relative to /etc. Lists are cut at 1000 entries; `truncated` counts the rest.
 */
export const etcDiffSchema = z.object({
  modified: z.array(z.string()),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  truncated: z.number().int(),
});
export type EtcDiff = z.infer<typeof etcDiffSchema>;

/**
 * Files under /etc that every machine changes from its image on first boot (its identity, its
 * users, its host keys, the clock): not counted as "/etc changed" by the audit, only listed.
 * Matched against the path relative to /etc; `*` matches within one path segment.
 */
export const ETC_EXPECTED_CHANGES = [
  'machine-id',
  'hostname',
  'machine-info',
  'localtime',
  'adjtime',
  'resolv.conf',
  '.updated',
  '.pwd.lock',
  'passwd',
  'passwd-',
  'group',
  'group-',
  'shadow',
  'shadow-',
  'gshadow',
  'gshadow-',
  'subuid',
  'subuid-',
  'subgid',
  'subgid-',
  'ld.so.cache',
  'ssh/ssh_host_*',
  'lvm/archive',
  'lvm/archive/*',
  'lvm/backup',
  'lvm/backup/*',
];

const expectedRes = ETC_EXPECTED_CHANGES.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));

/** Whether a changed path (relative to /etc) is one every machine changes (ETC_EXPECTED_CHANGES). */
export function etcChangeExpected(path: string): boolean {
  return expectedRes.some((re) => re.test(path));
}

/** The changes that are not expected on every machine, each as "M path", "A path" or "D path". */
export function unexpectedEtcChanges(diff: EtcDiff): string[] {
  const out: string[] = [];
  // In the order ostree prints them: modified, removed, added.
  for (const [mark, list] of [['M', diff.modified], ['D', diff.removed], ['A', diff.added]] as const) {
    for (const p of list) if (!etcChangeExpected(p)) out.push(`${mark} ${p}`);
  }
  return out;
}

/** Parses `ostree admin config-diff` output: lines `M    path`, `A    path`, `D    path`. */
export function parseEtcDiff(text: string, limit = 1000): EtcDiff {
  const diff: EtcDiff = { modified: [], added: [], removed: [], truncated: 0 };
  for (const line of text.split('\n')) {
    const m = /^([MAD])\s+(.+)$/.exec(line);
    if (!m) continue;
    const list = m[1] === 'M' ? diff.modified : m[1] === 'A' ? diff.added : diff.removed;
    if (list.length < limit) list.push(m[2]!.replace(/^\.\//, ''));
    else diff.truncated++;
  }
  return diff;
}

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
