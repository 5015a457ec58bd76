import { z } from 'zod';
import { method } from './define';
import { driveSchema } from './flash';

/**
 * Provisioning (issue 7): a new box booted from live media is inspected over SSH, then has a
 * bootc image installed on one of its disks. This first part covers the inspection.
 */

/** How to reach a box that is not in the inventory yet (live media often has only a password). */
export const provisionTargetSchema = z.object({
  host: z.string().trim().min(1, 'is required'),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().trim().min(1).default('root'),
  /** A password (live media); with neither this nor keyPath, the SSH agent is used. */
  password: z.string().optional(),
  keyPath: z.string().trim().min(1).optional(),
});
export type ProvisionTarget = z.infer<typeof provisionTargetSchema>;

export const provisionHostSchema = z.object({
  /** `host:port`, as the host key is pinned for it. */
  address: z.string(),
  hostKey: z.object({ keyType: z.string(), fingerprint: z.string() }).nullable(),
  architecture: z.string().nullable(),
  os: z.string().nullable(),
  kernel: z.string().nullable(),
  /** `bootc --version` on the live system, when it has bootc (installs without podman). */
  bootcVersion: z.string().nullable(),
  podmanVersion: z.string().nullable(),
  memoryBytes: z.number().nullable(),
  /** The login is root, or may use sudo without a password (installing needs one of them). */
  privileged: z.enum(['root', 'sudo', 'no']),
  /**
   * Every disk, with what stands in the way of installing on it: the live system's own disk
   * (its root or any mounted filesystem), read-only, no medium. `needsTypedConfirmation`: it
   * holds partitions or data, so installing wipes them and its name must be typed.
   */
  disks: z.array(
    driveSchema.extend({
      /** What is on the disk now, read from it (wipefs): gpt, PMBR, ext4, xfs... Any means wiping. */
      signatures: z.array(z.string()),
    }),
  ),
  /** How an install would run: podman (the documented way), bootc directly, or not at all. */
  method: z.enum(['podman', 'bootc', 'none']),
  /** What keeps this box from being provisioned, in words (empty when nothing does). */
  problems: z.array(z.string()),
});
export type ProvisionHost = z.infer<typeof provisionHostSchema>;

export const provisionChoiceSchema = z.object({
  /** The registry image to install; the installed system follows it for updates. */
  image: z.string().trim().min(1, 'is required'),
  /** The target disk, as provision.inspect lists it (`/dev/sda` or `sda`). */
  disk: z.string().trim().min(1, 'choose a disk'),
  /** Erase what the disk holds (needed when it holds partitions or data). */
  wipe: z.boolean().default(false),
  /** The disk's name, typed to confirm erasing what it holds. */
  confirm: z.string().trim().optional(),
  filesystem: z.enum(['xfs', 'ext4', 'btrfs']).optional(),
  /** Root partition size, e.g. `20G` (default: the rest of the disk). */
  rootSize: z.string().trim().optional(),
  kargs: z.array(z.string()).default([]),
  /** authorized_keys text for root on the installed system. */
  authorizedKeys: z.string().optional(),
});

export const provisionPlanSchema = z.object({
  host: provisionHostSchema,
  /** The digest that will be pulled and installed (the box's platform where the image has several). */
  digest: z.string(),
  /** The exact command line that will run on the box, as sent. */
  command: z.string(),
  argv: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type ProvisionPlan = z.infer<typeof provisionPlanSchema>;

export const provisionMethods = {
  'provision.plan': method({
    input: z.object({ target: provisionTargetSchema }).merge(provisionChoiceSchema),
    output: provisionPlanSchema,
    summary: 'Check an install against the box (disk, wipe confirmation, the image resolved and its architecture) and show the exact command, without writing anything.',
  }),
  'provision.inspect': method({
    input: z.object({ target: provisionTargetSchema }),
    output: provisionHostSchema,
    summary: 'Connect to a box booted from live media (pinning its host key) and report its architecture, bootc and podman, memory and disks.',
  }),
};
