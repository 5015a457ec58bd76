import { z } from 'zod';
import { method } from './define';
import { nameSchema, sshUserSchema, tagsSchema } from './fields';
import { driveSchema } from './flash';

/**
 * Provisioning (issue 7): a new box booted from live media is inspected over SSH, then has a
 * bootc image installed on one of its disks, is rebooted into it, verified, and entered in the
 * inventory. Installs run as recorded runs (one per box, a batch for several).
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
  /** The registry image the installed system follows for updates (and, without `archive`, what is installed). */
  image: z.string().trim().min(1, 'is required'),
  /**
   * An OCI archive on this machine to install from instead of pulling (sites with no registry):
   * uploaded to the box over SFTP (resumable, SHA-256 checked there) and installed from its storage.
   */
  archive: z.string().trim().min(1).optional(),
  /** Or a library image to install from: its oci-archive is written from the library and sent as `archive` is. */
  library: z.string().trim().min(1).optional(),
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

/** One box of a batch: how to reach it now, which disk, and the inventory entry it becomes. */
export const provisionBoxSchema = z.object({
  target: provisionTargetSchema,
  disk: provisionChoiceSchema.shape.disk,
  wipe: provisionChoiceSchema.shape.wipe,
  confirm: provisionChoiceSchema.shape.confirm,
  /** The device's name in the inventory (an existing device of that name and site is updated). */
  name: nameSchema,
  /** A site name or id (it must exist). */
  site: z.string().trim().min(1).optional(),
  tags: tagsSchema.default([]),
});

/** How Bootfleet logs in to the installed system (live media passwords do not survive the install). */
export const provisionLoginSchema = z.object({
  user: sshUserSchema.default('root'),
  /** The private key whose public part is authorized (default: ssh-agent). */
  keyPath: z.string().trim().min(1).optional(),
});

export const provisionStartSchema = provisionChoiceSchema
  .omit({ disk: true, wipe: true, confirm: true })
  .extend({
    boxes: z.array(provisionBoxSchema).min(1, 'add at least one box').max(64),
    login: provisionLoginSchema.default({ user: 'root' }),
    /**
     * The installed system presents a new host key: accept it without asking (it is still shown
     * and logged). Otherwise each run waits in `host-key` for provision.confirmHostKey.
     */
    acceptNewHostKey: z.boolean().default(false),
    /** How long a box may take to come back after the reboot (seconds, default 900). */
    waitSeconds: z.number().int().min(10).max(7200).default(900),
    /** Boxes installed at once (default 10). */
    parallel: z.number().int().min(1).max(64).default(10),
  })
  .superRefine((v, ctx) => {
    if (v.archive && v.library) ctx.addIssue({ code: 'custom', path: ['library'], message: 'give an archive or a library image, not both' });
    const seen = new Map<string, number>();
    v.boxes.forEach((b, i) => {
      const k = `${b.target.host.toLowerCase()}:${b.target.port}`;
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['boxes', i, 'target', 'host'], message: `${b.target.host}:${b.target.port} is already box ${seen.get(k)! + 1} of this batch` });
      else seen.set(k, i);
      const n = `${b.site ?? ''}/${b.name}`;
      const other = v.boxes.findIndex((o) => `${o.site ?? ''}/${o.name}` === n);
      if (other < i) ctx.addIssue({ code: 'custom', path: ['boxes', i, 'name'], message: `"${b.name}" is already the name of box ${other + 1} of this batch` });
    });
  });
export type ProvisionStart = z.input<typeof provisionStartSchema>;

/** Where one box stands. */
export const provisionPhaseSchema = z.enum([
  'queued',
  /** Connecting to the live system and checking the choices against it again. */
  'checking',
  /** Writing the keys to authorize for root onto the box. */
  'keys',
  /** Sending the image archive to the box (resumable) and checking its SHA-256 there. */
  'uploading',
  /** The image is being pulled (nothing is written to the disk yet: cancelling is safe). */
  'pulling',
  /** bootc is writing the disk (partitions, filesystems, the image, the bootloader). */
  'installing',
  'rebooting',
  /** Waiting for the box to come back on its installed system. */
  'waiting',
  /** The installed system presents a new host key: waiting for the technician to confirm it. */
  'host-key',
  /** Reading `bootc status` and comparing the booted digest with the installed one. */
  'verifying',
  /** Entering the device in the inventory. */
  'recording',
  'finished',
]);
export type ProvisionPhase = z.infer<typeof provisionPhaseSchema>;

export const provisionRunSchema = z.object({
  id: z.string(),
  batchId: z.string(),
  /** `host:port` of the box, and the live system's login. */
  address: z.string(),
  user: z.string(),
  /** The inventory entry it becomes. */
  name: z.string(),
  site: z.string().nullable(),
  image: z.string(),
  /** The digest installed (known once the image is resolved). */
  digest: z.string().nullable(),
  disk: z.object({ path: z.string(), serial: z.string().nullable(), model: z.string().nullable(), sizeBytes: z.number() }).nullable(),
  method: z.enum(['podman', 'bootc']).nullable(),
  /** The exact command run on the box. */
  command: z.string().nullable(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'canceled', 'interrupted']),
  phase: provisionPhaseSchema,
  /** Where a run that failed, was cancelled or interrupted stopped (its phase is then `finished`). */
  stoppedPhase: provisionPhaseSchema.nullable(),
  /** What bootc is doing now, in words ("Creating the root filesystem"). */
  detail: z.string().nullable(),
  /** The archive upload, while one runs (and its last figures after). */
  transfer: z.object({ done: z.number(), total: z.number(), bytesPerSecond: z.number() }).nullable(),
  /** The local archive installed from, when not pulled from a registry. */
  archive: z.string().nullable(),
  /** The installed system's host key: offered (phase host-key) or accepted. */
  hostKey: z.object({ keyType: z.string(), fingerprint: z.string() }).nullable(),
  deviceId: z.string().nullable(),
  /** The digest the box booted after the install. */
  bootedDigest: z.string().nullable(),
  outcome: z.string().nullable(),
  /** The box's own error text, and what to do next. */
  error: z.object({ code: z.string(), message: z.string(), next: z.string().nullable() }).nullable(),
  /** `ask`: the run waits in `host-key` for provision.confirmHostKey; `auto`: the batch accepts the new key (shown and logged). */
  hostKeyConfirmation: z.enum(['ask', 'auto']),
  /** Keys were given to authorize for root (the `keys` phase writes them). */
  keysAuthorized: z.boolean(),
  actor: z.string(),
  /** When the run last changed: of two reports of the same run, the later one wins. */
  updatedAt: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type ProvisionRun = z.infer<typeof provisionRunSchema>;

export const provisionMethods = {
  'provision.start': method({
    input: provisionStartSchema,
    output: z.object({ batchId: z.string(), runs: z.array(provisionRunSchema) }),
    summary:
      'Install the image on each box (recorded first), reboot it, confirm its new host key, verify the booted digest and enter it in the inventory; progress in provision.updated and provision.log events.',
  }),
  'provision.list': method({
    input: z.object({ batchId: z.string().optional(), limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }),
    output: z.array(provisionRunSchema),
    summary: 'Provisioning runs, newest first (optionally one batch).',
  }),
  'provision.get': method({
    input: z.object({ id: z.string() }),
    output: provisionRunSchema.extend({ log: z.string() }),
    summary: 'One run with everything the box printed.',
  }),
  'provision.cancel': method({
    input: z.object({ id: z.string().optional(), batchId: z.string().optional() }).refine((v) => !!v.id !== !!v.batchId, 'give id or batchId'),
    output: z.array(provisionRunSchema),
    summary:
      'Cancel runs: a box not started is skipped, a pull is stopped; a box whose disk is being written finishes the install and is not rebooted; a rebooted box is no longer waited for (and not entered in the inventory).',
  }),
  'provision.confirmHostKey': method({
    input: z.object({ id: z.string(), fingerprint: z.string().trim().min(1) }),
    output: provisionRunSchema,
    summary: 'Confirm the host key the installed system presents (the fingerprint shown), so the run goes on. Works from any Bootfleet process on this inventory.',
  }),
  'provision.plan': method({
    input: z.object({ target: provisionTargetSchema }).merge(provisionChoiceSchema),
    output: provisionPlanSchema,
    summary: 'Check an install against the box (disk, wipe confirmation, the image resolved and its architecture) and show the exact command, without writing anything.',
  }),
  'provision.acceptHostKey': method({
    input: z.object({ host: z.string().trim().min(1), port: z.number().int().min(1).max(65535).default(22), fingerprint: z.string().trim().min(1) }),
    output: z.object({ address: z.string(), keyType: z.string(), fingerprint: z.string() }),
    summary:
      'Accept the new host key a box at this address presents (live media make a new key at each boot), after checking it on its console; the fingerprint must be the one refused. Logged.',
  }),
  'provision.inspect': method({
    input: z.object({ target: provisionTargetSchema }),
    output: provisionHostSchema,
    summary: 'Connect to a box booted from live media (pinning its host key) and report its architecture, bootc and podman, memory and disks.',
  }),
};
