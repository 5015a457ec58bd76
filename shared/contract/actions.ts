import { z } from 'zod';
import { method } from './define';
import { deviceRefSchema } from './devices';

/**
 * What can be done to one device: check for an update, stage it (upgrade), apply what is
 * staged (reboot into it), switch to another image, roll back. Upgrade, switch and rollback
 * may apply at once; every reboot is followed by a wait and a check of what booted.
 */
export const actionKindSchema = z.enum(['check', 'upgrade', 'apply', 'switch', 'rollback']);
export type ActionKind = z.infer<typeof actionKindSchema>;

export const transportSchema = z.enum(['registry', 'oci', 'oci-archive', 'containers-storage', 'dir', 'docker-archive']);

/** What `via: 'library'` allows, for actions and rollouts alike. */
export function libraryRules(v: { action: string; via: string; transport: string; maxBytesPerSecond?: number | undefined; downloadOnly?: boolean | undefined }, ctx: z.RefinementCtx): void {
  if (v.via === 'library' && v.action !== 'switch' && v.action !== 'upgrade') ctx.addIssue({ code: 'custom', path: ['via'], message: `library is for switch and upgrade, not ${v.action}` });
  if (v.maxBytesPerSecond !== undefined && v.via !== 'library') ctx.addIssue({ code: 'custom', path: ['maxBytesPerSecond'], message: 'limits what Bootfleet sends: only with via library' });
  if (v.via === 'library' && !LIBRARY_TRANSPORTS.includes(v.transport)) {
    ctx.addIssue({ code: 'custom', path: ['transport'], message: 'with via library, the device reads oci (its own layout, only missing layers sent: the default) or oci-archive (one file per image)' });
  }
  if (v.via === 'library' && v.downloadOnly) ctx.addIssue({ code: 'custom', path: ['downloadOnly'], message: 'is for updates pulled from a registry; via library, the transfer already comes before staging' });
}

/** `registry` is the field's default and means oci with via library. */
const LIBRARY_TRANSPORTS = ['registry', 'oci', 'oci-archive'];

/** The transport a device reads a library image through (the layout unless oci-archive is asked). */
export const libraryTransport = (transport: string | undefined): 'oci' | 'oci-archive' => (transport === 'oci-archive' ? 'oci-archive' : 'oci');

export const actionInputSchema = z
  .object({
    action: actionKindSchema,
    devices: z.array(deviceRefSchema).min(1, 'name at least one device').max(1000),
    /** Reboot into the result and verify what booted (upgrade, switch, rollback). */
    apply: z.boolean().default(false),
    /** upgrade: download and stage without applying at the next reboot (bootc 1.12+). */
    downloadOnly: z.boolean().default(false),
    /** switch: the image to boot next, and its transport. */
    image: z.string().trim().min(1).max(1024).optional(),
    transport: transportSchema.default('registry'),
    /**
     * Where the image comes from: the device pulls it (`registry`, or the transport given), or
     * Bootfleet sends it from the image library (`library`). switch: `image` is then a library
     * image. upgrade: each device gets the library's image of the registry name it follows. With
     * `transport` oci (the default) only the blobs the device lacks go to its OCI layout; with
     * oci-archive the image goes as one archive file.
     */
    via: z.enum(['device', 'library']).default('device'),
    /** via library: the most bytes per second sent to all the job's devices together. */
    maxBytesPerSecond: z.number().int().min(1024).optional(),
    /**
     * switch: `bootc switch --enforce-container-sigpolicy`: the device refuses the image unless its
     * containers-policy.json requires signatures, and keeps enforcing it for later upgrades.
     */
    enforceSignatures: z.boolean().default(false),
    /** How long a rebooting device may take to come back (seconds, default 600). */
    waitSeconds: z.number().int().min(5).max(7200).default(600),
    /** Devices acted on at once (default 8). */
    parallel: z.number().int().min(1).max(64).default(8),
  })
  .superRefine((v, ctx) => {
    if (v.action === 'switch' && !v.image) ctx.addIssue({ code: 'custom', path: ['image'], message: 'switch needs the image to boot' });
    if (v.action !== 'switch' && v.image) ctx.addIssue({ code: 'custom', path: ['image'], message: `is only used by switch, not ${v.action}` });
    if (v.enforceSignatures && v.action !== 'switch') ctx.addIssue({ code: 'custom', path: ['enforceSignatures'], message: 'applies to switch only' });
    if (v.downloadOnly && v.action !== 'upgrade') ctx.addIssue({ code: 'custom', path: ['downloadOnly'], message: 'applies to upgrade only' });
    if (v.downloadOnly && v.apply) ctx.addIssue({ code: 'custom', path: ['apply'], message: 'cannot be combined with downloadOnly' });
    if (v.action === 'check' && v.apply) ctx.addIssue({ code: 'custom', path: ['apply'], message: 'check never changes the device' });
    libraryRules(v, ctx);
  });
export type ActionInput = z.input<typeof actionInputSchema>;

/** Where one device is in an action. */
export const actionPhaseSchema = z.enum(['queued', 'contacting', 'checking', 'transferring', 'pulling', 'staging', 'rolling-back', 'rebooting', 'waiting', 'verifying', 'finished']);
export type ActionPhase = z.infer<typeof actionPhaseSchema>;

export const jobDeviceSchema = z.object({
  deviceId: z.string(),
  name: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'canceled', 'interrupted']),
  phase: actionPhaseSchema,
  /** Booted digest before, the digest expected to boot (or to be staged), and what was found. */
  fromDigest: z.string().nullable(),
  expectedDigest: z.string().nullable(),
  resultDigest: z.string().nullable(),
  /** One line on what happened: "staged 42.1 (sha256:…)", "fell back to …", "already up to date". */
  outcome: z.string().nullable(),
  /** Sending the image from the library (via library): bytes done of total, and the speed. */
  transfer: z.object({ done: z.number(), total: z.number(), bytesPerSecond: z.number() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobDevice = z.infer<typeof jobDeviceSchema>;

export const jobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  action: actionKindSchema,
  state: z.enum(['running', 'done', 'failed', 'canceled', 'interrupted']),
  params: z.record(z.string(), z.unknown()),
  actor: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  summary: z.string().nullable(),
  /** The rollout this job is a batch of, if any. */
  rolloutId: z.string().nullable(),
  devices: z.array(jobDeviceSchema),
});
export type Job = z.infer<typeof jobSchema>;

/** What an action will do to a device, in the device's own terms, before anything runs. */
export const actionPlanSchema = z.object({
  deviceId: z.string(),
  name: z.string(),
  bootcVersion: z.string().nullable(),
  current: z.object({
    staged: z.object({ digest: z.string(), version: z.string().nullable(), downloadOnly: z.boolean() }).nullable(),
    booted: z.object({ digest: z.string(), version: z.string().nullable(), image: z.string().nullable() }).nullable(),
    rollback: z.object({ digest: z.string(), version: z.string().nullable() }).nullable(),
    rollbackQueued: z.boolean(),
  }),
  /** The bootc commands, as they will run. */
  commands: z.array(z.string()),
  steps: z.array(z.string()),
  warnings: z.array(z.string()),
  /** False when the action cannot run on this device (then `warnings` says why). */
  possible: z.boolean(),
});
export type ActionPlan = z.infer<typeof actionPlanSchema>;

export const actionMethods = {
  'actions.plan': method({
    input: actionInputSchema,
    output: z.array(actionPlanSchema),
    summary: 'Read each device and say what the action will do there, with warnings (e.g. a staged update it discards). Changes nothing.',
  }),
  'actions.start': method({
    input: actionInputSchema,
    output: jobSchema,
    summary: 'Start an action on devices as a job (recorded first); progress in job.updated and job.log events.',
  }),
  'jobs.list': method({
    input: z.object({ device: deviceRefSchema.optional(), limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }),
    output: z.array(jobSchema),
    summary: 'Jobs, newest first (optionally only those touching a device).',
  }),
  'jobs.get': method({
    input: z.object({ id: z.string() }),
    output: jobSchema.extend({ logs: z.record(z.string(), z.string()) }),
    summary: 'One job with the output each device printed.',
  }),
  'jobs.cancel': method({
    input: z.object({ id: z.string() }),
    output: jobSchema,
    summary: 'Cancel a job: devices not started are skipped; a device mid-reboot is still waited for and verified.',
  }),
};
