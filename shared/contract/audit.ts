import { z } from 'zod';
import { method } from './define';
import { desiredScopeSchema } from './desired';
import { deviceRefSchema } from './devices';

/**
 * The offline drift audit (issue 10): what every device runs against what it should, computed
 * from the inventory alone (no device or registry is contacted), with the reason in words.
 */

/**
 * One state per device, the first that applies in this order: never contacted, no desired
 * image (or tags that disagree, or a tag never resolved), stale (the data is too old to vouch
 * for), fell back (booted older than what was last applied), drifted, staged but not booted,
 * signature policy not enforced (where the desired entry requires it), /usr modified, /etc
 * changed from the image (beyond what every machine changes), in sync.
 */
export const auditStateSchema = z.enum([
  'in-sync',
  'drifted',
  'staged',
  'fallen-back',
  'unsigned',
  'usr-modified',
  'etc-modified',
  'stale',
  'never-contacted',
  'no-desired',
  'conflict',
  'unresolved',
]);
export type AuditState = z.infer<typeof auditStateSchema>;

/** Plain words for each state, as reports and the UI show them. */
export const auditStateLabel: Record<AuditState, string> = {
  'in-sync': 'In sync',
  drifted: 'Drifted',
  staged: 'Update staged, not booted',
  'fallen-back': 'Fell back or rolled back',
  unsigned: 'Signature policy not enforced',
  'usr-modified': '/usr modified',
  'etc-modified': '/etc changed',
  stale: 'Stale',
  'never-contacted': 'Never contacted',
  'no-desired': 'No desired image',
  conflict: 'Desired image in conflict',
  unresolved: 'Desired tag not resolved',
};

/** States that mean the fleet did not pass (`--fail-on drift`); stale and never-contacted fail `--fail-on stale`. */
export const DRIFT_STATES: AuditState[] = ['drifted', 'staged', 'fallen-back', 'unsigned', 'usr-modified', 'etc-modified', 'conflict', 'unresolved'];
export const STALE_STATES: AuditState[] = ['stale', 'never-contacted'];

/** A duration like 7d, 36h, 90m (what `--stale-after` takes). */
export const durationSchema = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[dhm]$/, 'must be a number of days, hours or minutes, e.g. 7d, 36h or 90m');

export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm])$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

export const auditInputSchema = z.object({
  site: z.string().trim().min(1).optional(),
  tag: z.string().trim().min(1).optional(),
  devices: z.array(deviceRefSchema).max(100_000).optional(),
  /** A point in time (ISO date or date-time): each device's state from its snapshots up to then. */
  asOf: z
    .string()
    .trim()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date like 2026-11-01 or 2026-11-01T12:00:00Z')
    .optional(),
  /** Data older than this cannot vouch for a device: for every device if given, else each site's own threshold, else 7d. */
  staleAfter: durationSchema.optional(),
  /** Also the counts per state at this many weekly points back from the audited moment (for "drift over time"). */
  timeline: z.number().int().min(2).max(52).optional(),
});
export type AuditInput = z.input<typeof auditInputSchema>;

const slotSchema = z.object({ digest: z.string(), version: z.string().nullable() }).nullable();

export const auditDeviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  site: z.string().nullable(),
  tags: z.array(z.string()),
  state: auditStateSchema,
  /** Why, in words: "booted 1.0 (sha256:…), desired 1.1 (sha256:…) since …". */
  reason: z.string(),
  /** Other things worth knowing that did not decide the state (a /usr overlay on a stale device, …). */
  notes: z.array(z.string()),
  desired: z
    .object({
      image: z.string(),
      source: desiredScopeSchema,
      sourceName: z.string().nullable(),
      /** The digest it was resolved to (or pinned), and when that resolution was made. */
      digest: z.string().nullable(),
      resolvedAt: z.string().nullable(),
      pinned: z.boolean(),
      /** The entry asks that the image boot with a signature policy enforced. */
      requireSigned: z.boolean(),
    })
    .nullable(),
  /** As bootc showed it at the last good contact (up to `asOf`). */
  bootedImage: z.string().nullable(),
  booted: slotSchema,
  staged: slotSchema,
  rollback: slotSchema,
  usrOverlay: z.string().nullable(),
  /** The booted image's signature policy as bootc reports it (containerPolicy, ostreeRemote:NAME, insecure), or null for none. */
  signature: z.string().nullable(),
  /**
   * /etc against the image's defaults (`ostree admin config-diff`), null where it was never read:
   * the changes that count ("M path", "A path", "D path"), and how many changes every machine makes were left out.
   */
  etc: z.object({ changed: z.array(z.string()), expected: z.number().int(), truncated: z.number().int() }).nullable(),
  /** The last good contact the state comes from, and its snapshot. */
  lastSeenAt: z.string().nullable(),
  snapshotId: z.number().int().nullable(),
  /** Seconds between the last good contact and the audit's time (now, or `asOf`). */
  dataAgeSeconds: z.number().nullable(),
  /** Where the device's data came from when it was merged from a signed site bundle: the key and when the bundle was made. */
  source: z.object({ keyFingerprint: z.string(), keyName: z.string(), bundleMadeAt: z.string() }).nullable(),
  /** The last image Bootfleet rebooted the device into: its digest, when, and the job. */
  lastApplied: z.object({ digest: z.string(), at: z.string(), jobId: z.string() }).nullable(),
});
export type AuditDevice = z.infer<typeof auditDeviceSchema>;

export const auditCountsSchema = z.record(auditStateSchema, z.number().int());

export const auditReportSchema = z.object({
  /** The report format's version (the JSON schema is documented in docs of this file). */
  schema: z.literal('bootfleet.audit/v1'),
  generatedAt: z.string(),
  generatedBy: z.string(),
  bootfleetVersion: z.string(),
  /** The moment audited: `generatedAt`, or the `asOf` asked for. */
  auditedAt: z.string(),
  asOf: z.string().nullable(),
  scope: z.object({ site: z.string().nullable(), tag: z.string().nullable(), devices: z.array(z.string()).nullable() }),
  /** The threshold given for every device, or null when each site's own (default 7d) applied. */
  staleAfter: z.string().nullable(),
  /** The thresholds that applied, per site that has its own (when `staleAfter` was not given). */
  siteStaleAfter: z.record(z.string(), z.string()),
  /** The desired state used: every entry that decides a device in scope, with its resolution. */
  desired: z.array(
    z.object({
      scope: desiredScopeSchema,
      target: z.string(),
      image: z.string(),
      digest: z.string().nullable(),
      resolvedAt: z.string().nullable(),
      requireSigned: z.boolean(),
      devices: z.number().int(),
    }),
  ),
  total: z.number().int(),
  counts: auditCountsSchema,
  sites: z.array(z.object({ site: z.string().nullable(), total: z.number().int(), counts: auditCountsSchema })),
  devices: z.array(auditDeviceSchema),
  /** Counts per state at weekly points (oldest first), when asked: each an as-of audit with today's desired state. */
  timeline: z.array(z.object({ at: z.string(), total: z.number().int(), counts: auditCountsSchema })).nullable(),
  /** `passed` for each --fail-on choice: no device in those states. */
  passed: z.object({ drift: z.boolean(), stale: z.boolean() }),
});
export type AuditReport = z.infer<typeof auditReportSchema>;

/** The report files the core writes for the UI, the bytes `bootfleet audit --format ...` writes. */
export const auditExportFormatSchema = z.enum(['html', 'pdf', 'json', 'csv']);

/** What the Audit page shows: the whole report's counts, and a page of the devices it lists. */
export const auditViewSchema = auditReportSchema.extend({
  /** How many devices match `show`/`state` (the page, `devices`, is the first `limit` of them). */
  shown: z.number().int(),
});
export type AuditView = z.infer<typeof auditViewSchema>;

export const auditExportSchema = z.object({
  fileName: z.string(),
  mediaType: z.string(),
  /** The file: text for HTML, JSON and CSV, base64 for PDF. */
  encoding: z.enum(['utf8', 'base64']),
  content: z.string(),
  bytes: z.number().int(),
  /** SHA-256 (hex) of the report's content: the JSON's `sha256`, also embedded in the HTML and PDF. */
  reportSha256: z.string(),
  /** For a signed JSON report: the key that signed it. */
  signedBy: z.string().nullable(),
});
export type AuditExport = z.infer<typeof auditExportSchema>;

export const auditMethods = {
  'audit.run': method({
    input: auditInputSchema,
    output: auditReportSchema,
    bulk: 'devices',
    summary: 'Audit the fleet from the inventory alone: each device in sync, drifted, staged, fallen back, /usr modified, stale, never contacted or without a desired image, with the reason.',
  }),
  'audit.view': method({
    input: auditInputSchema.extend({
      /** The devices listed: those not in sync (default) or all; `state` narrows to one state. */
      show: z.enum(['not-in-sync', 'all']).default('not-in-sync'),
      state: auditStateSchema.nullable().default(null),
      limit: z.number().int().min(1).max(5000).default(200),
    }),
    output: auditViewSchema,
    bulk: 'devices',
    summary: "The audit as the UI shows it: the whole fleet's counts per state and site, and the first devices of those listed (a 100,000-device report is not sent whole); repeated views of an unchanged inventory reuse the audit.",
  }),
  'audit.export': method({
    input: auditInputSchema.extend({
      format: auditExportFormatSchema,
      /** JSON only: sign the report with this installation's key. */
      sign: z.boolean().default(false),
      /** HTML and PDF: weeks of history in the "over time" chart (default 8). */
      weeks: z.number().int().min(2).max(52).default(8),
    }),
    output: auditExportSchema,
    summary:
      'An audit report as a file, made as `bootfleet audit --format html|pdf|json` makes it: the self-contained HTML with charts (states per site, and over the last weeks), the same printed to PDF, or the JSON (optionally signed).',
  }),
};
