import { z } from 'zod';
import { libraryRules, transportSchema } from './actions';
import { method } from './define';
import { deviceFilterSchema, deviceRefSchema } from './devices';

/**
 * A rollout: one action over many devices in batches (a canary first), stopping when a batch
 * fails more than allowed. Recorded before any device is touched and at every step, so a
 * Bootfleet that was killed resumes it without touching a finished device again.
 */

export const rolloutActionSchema = z.enum(['upgrade', 'switch', 'rollback']);
export type RolloutAction = z.infer<typeof rolloutActionSchema>;

export const rolloutPolicySchema = z
  .object({
    /** Devices in the first batch, run alone before any other (0: no canary). */
    canary: z.number().int().min(0).max(1000).default(1),
    /** Devices per later batch, as a count... */
    batchSize: z.number().int().min(1).max(10000).optional(),
    /** ...or as a percentage of the devices after the canary (default 25%). */
    batchPercent: z.number().min(1).max(100).optional(),
    /** Devices acted on at once within a batch. */
    maxParallel: z.number().int().min(1).max(64).default(8),
    /** A batch halts the rollout when more than this many of its devices fail (0: the first failure halts). */
    maxFailures: z.number().int().min(0).max(10000).default(0),
    /** Pause after the canary batch until resumed. */
    pauseAfterCanary: z.boolean().default(false),
    /** Reboot into the result and verify (false: stage only). */
    apply: z.boolean().default(true),
    /** How long a rebooting device may take to come back (seconds). */
    waitSeconds: z.number().int().min(5).max(7200).default(600),
  })
  .superRefine((v, ctx) => {
    if (v.batchSize !== undefined && v.batchPercent !== undefined) ctx.addIssue({ code: 'custom', path: ['batchPercent'], message: 'give a batch size or a percentage, not both' });
  });
export type RolloutPolicy = z.input<typeof rolloutPolicySchema>;

export const rolloutInputSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    /** Devices by name, or every device a filter selects (site, tags, desired state, ...). */
    devices: z.array(deviceRefSchema).min(1).max(100000).optional(),
    filter: deviceFilterSchema.optional(),
    action: rolloutActionSchema,
    /** switch: the image and its transport. */
    image: z.string().trim().min(1).max(1024).optional(),
    transport: transportSchema.default('registry'),
    /**
     * The devices pull the image, or Bootfleet sends it from the image library (switch: `image`
     * is a library image; upgrade: each device gets the library's image of the name it follows),
     * with `transport` oci (only the blobs each lacks) or oci-archive.
     */
    via: z.enum(['device', 'library']).default('device'),
    /** via library: the most bytes per second sent to all devices together. */
    maxBytesPerSecond: z.number().int().min(1024).optional(),
    /** switch: with --enforce-container-sigpolicy (see actions.start). */
    enforceSignatures: z.boolean().default(false),
    policy: rolloutPolicySchema.default({ canary: 1, maxParallel: 8, maxFailures: 0, pauseAfterCanary: false, apply: true, waitSeconds: 600 }),
  })
  .superRefine((v, ctx) => {
    if (!v.devices === !v.filter) ctx.addIssue({ code: 'custom', path: ['devices'], message: 'select devices by name or by a filter (one of the two)' });
    if (v.action === 'switch' && !v.image) ctx.addIssue({ code: 'custom', path: ['image'], message: 'switch needs the image to boot' });
    if (v.action !== 'switch' && v.image) ctx.addIssue({ code: 'custom', path: ['image'], message: `is only used by switch, not ${v.action}` });
    libraryRules(v, ctx);
  });
export type RolloutInput = z.input<typeof rolloutInputSchema>;

export const rolloutStateSchema = z.enum(['running', 'paused', 'halted', 'done', 'canceled', 'interrupted']);
export type RolloutState = z.infer<typeof rolloutStateSchema>;

export const rolloutDeviceStateSchema = z.enum(['pending', 'running', 'done', 'failed', 'skipped', 'interrupted']);

export const rolloutDeviceSchema = z.object({
  deviceId: z.string(),
  name: z.string(),
  batch: z.number().int(),
  state: rolloutDeviceStateSchema,
  /** The job that last acted on it (its log and phases are there). */
  jobId: z.string().nullable(),
  phase: z.string().nullable(),
  fromDigest: z.string().nullable(),
  resultDigest: z.string().nullable(),
  outcome: z.string().nullable(),
  /** Sending the image from the library (via library): bytes done of total, and the speed. */
  transfer: z.object({ done: z.number(), total: z.number(), bytesPerSecond: z.number() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type RolloutDevice = z.infer<typeof rolloutDeviceSchema>;

export const rolloutBatchSchema = z.object({
  index: z.number().int(),
  canary: z.boolean(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'partial']),
  counts: z.object({ total: z.number().int(), done: z.number().int(), failed: z.number().int(), running: z.number().int(), pending: z.number().int(), skipped: z.number().int() }),
});

export const rolloutSchema = z.object({
  id: z.string(),
  name: z.string(),
  action: rolloutActionSchema,
  image: z.string().nullable(),
  transport: z.string(),
  /** Where the image comes from (switch, upgrade): the devices pull it, or Bootfleet sends it from the library. */
  via: z.enum(['device', 'library']),
  maxBytesPerSecond: z.number().nullable(),
  enforceSignatures: z.boolean(),
  policy: z.object({
    canary: z.number().int(),
    batchSize: z.number().int(),
    maxParallel: z.number().int(),
    maxFailures: z.number().int(),
    pauseAfterCanary: z.boolean(),
    apply: z.boolean(),
    waitSeconds: z.number().int(),
  }),
  state: rolloutStateSchema,
  /** Why it halted or paused, in words. */
  reason: z.string().nullable(),
  /** A pause or cancel asked for and not yet carried out (devices acting are finishing). */
  requested: z.enum(['pause', 'cancel']).nullable(),
  actor: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  counts: z.object({ total: z.number().int(), done: z.number().int(), failed: z.number().int(), running: z.number().int(), pending: z.number().int(), skipped: z.number().int() }),
  batches: z.array(rolloutBatchSchema),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/** A rollout as it would run: the devices per batch, from the inventory (no device is contacted). */
export const rolloutPlanSchema = z.object({
  name: z.string(),
  action: rolloutActionSchema,
  image: z.string().nullable(),
  policy: rolloutSchema.shape.policy,
  batches: z.array(
    z.object({
      index: z.number().int(),
      canary: z.boolean(),
      devices: z.array(z.object({ deviceId: z.string(), name: z.string(), reach: z.string(), booted: z.string().nullable(), bootedVersion: z.string().nullable() })),
    }),
  ),
  total: z.number().int(),
  /** Things to know first: devices offline at the last contact, never contacted, already busy. */
  warnings: z.array(z.string()),
});
export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;

const idInput = z.object({ id: z.string().trim().min(1) });

export const rolloutMethods = {
  'rollouts.plan': method({
    input: rolloutInputSchema,
    output: rolloutPlanSchema,
    summary: 'The batches a rollout would run, from the inventory; touches no device.',
  }),
  'rollouts.create': method({
    input: rolloutInputSchema,
    output: rolloutSchema,
    summary: 'Record a rollout and start it; progress in rollout.updated (and job.updated for each batch).',
  }),
  'rollouts.list': method({
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }),
    output: z.array(rolloutSchema),
    summary: 'Rollouts, newest first.',
  }),
  'rollouts.get': method({
    input: idInput,
    output: rolloutSchema.extend({ devices: z.array(rolloutDeviceSchema) }),
    summary: 'One rollout with every device, its batch, state and outcome.',
  }),
  'rollouts.pause': method({
    input: idInput,
    output: rolloutSchema,
    summary: 'Pause: devices already acting finish (and are verified); no other device starts until resumed.',
  }),
  'rollouts.resume': method({
    input: idInput,
    output: rolloutSchema,
    summary: 'Resume a paused, halted or interrupted rollout; finished devices are never acted on again, and a device interrupted mid-reboot is checked, not rebooted.',
  }),
  'rollouts.cancel': method({
    input: idInput,
    output: rolloutSchema,
    summary: 'Cancel: devices not started are skipped; devices acting finish and are verified.',
  }),
};
