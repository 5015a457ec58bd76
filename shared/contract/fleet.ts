import { z } from 'zod';
import { method } from './define';
import { deviceFilterSchema, deviceRefSchema, deviceSchema } from './devices';
import { bootcStatusSchema, statusSummarySchema } from './status';

export const diskFactSchema = z.object({
  name: z.string(),
  path: z.string(),
  sizeBytes: z.number(),
  type: z.string(),
  model: z.string().nullable(),
  serial: z.string().nullable(),
  transport: z.string().nullable(),
  readOnly: z.boolean(),
  removable: z.boolean(),
  mountpoints: z.array(z.string()),
});

/** What Bootfleet reads of a device besides bootc: on first contact and on demand. */
export const deviceFactsSchema = z.object({
  hostname: z.string().nullable(),
  osName: z.string().nullable(),
  osId: z.string().nullable(),
  osVersion: z.string().nullable(),
  kernel: z.string().nullable(),
  architecture: z.string().nullable(),
  machineId: z.string().nullable(),
  uptimeSeconds: z.number().nullable(),
  bootId: z.string().nullable(),
  bootcVersion: z.string().nullable(),
  disks: z.array(diskFactSchema),
});
export type DeviceFacts = z.infer<typeof deviceFactsSchema>;

export const hostKeySchema = z.object({
  target: z.string(),
  deviceId: z.string().nullable(),
  /** Device name, or `user@host:port` of a jump host. */
  label: z.string(),
  keyType: z.string(),
  fingerprint: z.string(),
  source: z.enum(['first-use', 'known_hosts', 'accepted']),
  pinnedAt: z.string(),
  /** A different key the host presented and Bootfleet refused; accept it explicitly to pin it. */
  offered: z.object({ keyType: z.string(), fingerprint: z.string(), at: z.string() }).nullable(),
});
export type HostKey = z.infer<typeof hostKeySchema>;

export const snapshotSummarySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  outcome: z.enum(['ok', 'not-bootc', 'error']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  bootedImage: z.string().nullable(),
  bootedDigest: z.string().nullable(),
  bootedVersion: z.string().nullable(),
  stagedDigest: z.string().nullable(),
  rollbackDigest: z.string().nullable(),
  durationMs: z.number().nullable(),
});
export type SnapshotSummary = z.infer<typeof snapshotSummarySchema>;

export const deviceDetailSchema = z.object({
  device: deviceSchema,
  summary: statusSummarySchema,
  /** The last status bootc gave (null before the first good contact). */
  status: bootcStatusSchema.nullable(),
  statusAt: z.string().nullable(),
  facts: deviceFactsSchema.nullable(),
  factsAt: z.string().nullable(),
  hostKey: hostKeySchema.nullable(),
  /** The jump hosts used, first hop first, as `user@host:port`. */
  jumps: z.array(z.string()),
  /** Newest first. */
  history: z.array(snapshotSummarySchema),
});
export type DeviceDetail = z.infer<typeof deviceDetailSchema>;

/** Error groups of a refresh, by cause, each with the devices it hit. */
export const refreshGroupSchema = z.object({
  code: z.string(),
  label: z.string(),
  /** Devices in the group; `devices` lists the first 200. */
  count: z.number().int(),
  devices: z.array(z.object({ id: z.string(), name: z.string(), siteName: z.string().nullable(), message: z.string() })),
});
export type RefreshGroup = z.infer<typeof refreshGroupSchema>;

export const refreshProgressSchema = z.object({
  jobId: z.string(),
  state: z.enum(['running', 'done', 'canceled', 'failed']),
  total: z.number().int(),
  done: z.number().int(),
  ok: z.number().int(),
  failed: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Devices per second so far, and the seconds left at that rate. */
  rate: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  groups: z.array(refreshGroupSchema),
  message: z.string().nullable(),
});
export type RefreshProgress = z.infer<typeof refreshProgressSchema>;

export const refreshInputSchema = z.object({
  /** Devices by id, NAME or SITE/NAME; leave out (with `filter`) to refresh every match. */
  devices: z.array(deviceRefSchema).max(100_000).optional(),
  filter: deviceFilterSchema.optional(),
  /** Also read hostname, OS, kernel, disks... (always done on a device's first contact), and /etc changes (otherwise hourly). */
  facts: z.boolean().default(false),
  /** Devices contacted at once (1-256); the process-wide SSH limit still applies. */
  concurrency: z.number().int().min(1).max(256).optional(),
});

export const fleetMethods = {
  'fleet.device': method({
    input: z.object({ device: deviceRefSchema, historyLimit: z.number().int().min(1).max(1000).default(50) }),
    output: deviceDetailSchema,
    summary: 'A device with its last bootc status, facts, pinned host key and status history.',
  }),
  'fleet.snapshot': method({
    input: z.object({ id: z.number().int() }),
    output: snapshotSummarySchema.extend({ deviceId: z.string(), command: z.string().nullable(), status: bootcStatusSchema.nullable(), raw: z.string().nullable() }),
    summary: 'One stored status snapshot, with what bootc printed.',
  }),
  'fleet.refresh': method({
    input: refreshInputSchema,
    output: refreshProgressSchema,
    summary: 'Contact devices over SSH and store their bootc status; returns at once with a job id (progress in fleet.progress events).',
  }),
  'fleet.job': method({
    input: z.object({ jobId: z.string() }),
    output: refreshProgressSchema,
    summary: 'Where a refresh job stands.',
  }),
  'fleet.jobs': method({
    input: z.object({}).default({}),
    output: z.array(refreshProgressSchema),
    summary: 'Refresh jobs of this process: running ones, and those that ended in the last 10 minutes (newest first).',
  }),
  'fleet.cancel': method({
    input: z.object({ jobId: z.string() }),
    output: refreshProgressSchema,
    summary: 'Cancel a refresh: devices not yet contacted are skipped, connections in progress are closed.',
  }),
  'hostkeys.list': method({
    input: z.object({}).default({}),
    output: z.array(hostKeySchema),
    summary: 'Every pinned host key (devices and jump hosts), with any changed key awaiting review.',
  }),
  'hostkeys.accept': method({
    input: z.object({ device: deviceRefSchema, fingerprint: z.string().optional() }),
    output: hostKeySchema,
    summary: "Pin the changed key a device presented (after checking it); logged in the activity log.",
  }),
  'hostkeys.forget': method({
    input: z.object({ device: deviceRefSchema }),
    output: z.object({ forgotten: z.boolean() }),
    summary: 'Forget a device’s pinned key: the next connection pins what it presents. Logged.',
  }),
};
