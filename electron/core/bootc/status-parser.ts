import { z } from 'zod';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { BootcStatus, Deployment, ImageRef } from '../../../shared/contract/status';

/**
 * Parses `bootc status --format=json` (or `--json`) of every bootc release: apiVersion v1alpha1 and
 * v1, fields that older releases leave out (defaulted the way bootc's own serde defaults do),
 * unknown fields (ignored). Anything else is BOOTC_OUTPUT_INVALID, naming the first bad spot.
 */

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>');

const rawSignature = z.union([
  z.literal('containerPolicy'),
  z.literal('insecure'),
  z.object({ ostreeRemote: z.string() }),
]);

const rawImageRef = z.object({
  image: z.string().min(1),
  transport: z.string().min(1),
  signature: rawSignature.nullish(),
});

const rawImageStatus = z.object({
  image: rawImageRef,
  version: z.string().nullish(),
  timestamp: z.string().nullish(),
  imageDigest: digest,
  architecture: z.string().nullish(),
});

const rawEntry = z.object({
  image: rawImageStatus.nullish(),
  cachedUpdate: rawImageStatus.nullish(),
  incompatible: z.boolean().optional(),
  pinned: z.boolean().optional(),
  softRebootCapable: z.boolean().optional(),
  downloadOnly: z.boolean().optional(),
  ostree: z.object({
    checksum: z.string(),
    deploySerial: z.number().int().nonnegative(),
    stateroot: z.string().nullish(),
  }).nullish(),
});

const rawHost = z.object({
  apiVersion: z.string().regex(/^org\.containers\.bootc\/v1(alpha1)?$/, 'expected org.containers.bootc/v1 or v1alpha1'),
  kind: z.literal('BootcHost'),
  spec: z.object({
    image: rawImageRef.nullish(),
    bootOrder: z.enum(['default', 'rollback']).optional(),
  }).optional(),
  status: z.object({
    staged: rawEntry.nullish(),
    booted: rawEntry.nullish(),
    rollback: rawEntry.nullish(),
    otherDeployments: z.array(rawEntry).optional(),
    rollbackQueued: z.boolean().optional(),
    usrOverlay: z.object({ accessMode: z.string(), persistence: z.string() }).nullish(),
    readOnly: z.boolean().optional(),
  }).optional(),
});

type RawRef = z.infer<typeof rawImageRef>;
type RawEntry = z.infer<typeof rawEntry>;

function ref(raw: RawRef): ImageRef {
  const sig = raw.signature;
  return {
    image: raw.image,
    transport: raw.transport,
    signature: sig == null ? null : typeof sig === 'string' ? sig : `ostreeRemote:${sig.ostreeRemote}`,
  };
}

function deployment(slot: Deployment['slot'], raw: RawEntry | null | undefined): Deployment | null {
  if (!raw) return null;
  const img = raw.image;
  const cached = raw.cachedUpdate;
  return {
    slot,
    image: img
      ? { ref: ref(img.image), digest: img.imageDigest, version: img.version ?? null, timestamp: img.timestamp ?? null, architecture: img.architecture ?? null }
      : null,
    cachedUpdate: cached ? { digest: cached.imageDigest, version: cached.version ?? null, timestamp: cached.timestamp ?? null } : null,
    pinned: raw.pinned ?? false,
    downloadOnly: raw.downloadOnly ?? false,
    softRebootCapable: raw.softRebootCapable ?? false,
    incompatible: raw.incompatible ?? false,
    ostree: raw.ostree
      ? { checksum: raw.ostree.checksum, deploySerial: raw.ostree.deploySerial, stateroot: raw.ostree.stateroot ?? null }
      : null,
  };
}

function invalid(message: string, at: string, raw: string): AppError {
  return new AppError(ErrorCode.BOOTC_OUTPUT_INVALID, `bootc status printed something Bootfleet cannot read: ${message} (at ${at})`, {
    at,
    length: raw.length,
    excerpt: raw.slice(0, 200),
  });
}

/** Parses one status document; throws AppError BOOTC_OUTPUT_INVALID with details.at. */
export function parseBootcStatus(raw: string): BootcStatus {
  if (raw.trim() === '') throw invalid('the output is empty', 'byte 0', raw);
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    const text = (err as Error).message;
    // Node names a position for most errors; "Unexpected token 'x', ... is not valid JSON" means the
    // very first token was wrong (YAML or text instead of JSON); otherwise the input ended early.
    const found = /position (\d+)/.exec(text)?.[1];
    const pos = found !== undefined ? Number(found) : /^Unexpected token/.test(text) ? Math.max(0, raw.search(/\S/)) : raw.length;
    const at = pos >= raw.trimEnd().length ? `byte ${pos} (end of output: truncated?)` : `byte ${pos}`;
    throw invalid(`not valid JSON (${text.replace(/ in JSON at position \d+.*$/, '')})`, at, raw);
  }
  const parsed = rawHost.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(document)';
    throw invalid(issue?.message ?? 'not a BootcHost document', path, raw);
  }
  const host = parsed.data;
  const status = host.status ?? {};
  const booted = deployment('booted', status.booted);
  const staged = deployment('staged', status.staged);
  const rollbackQueued = status.rollbackQueued ?? false;
  const cached = booted?.cachedUpdate;
  return {
    apiVersion: host.apiVersion,
    bootcHost: booted !== null,
    specImage: host.spec?.image ? ref(host.spec.image) : null,
    bootOrder: host.spec?.bootOrder ?? (rollbackQueued ? 'rollback' : 'default'),
    staged,
    booted,
    rollback: deployment('rollback', status.rollback),
    others: (status.otherDeployments ?? []).map((e) => deployment('other', e) as Deployment),
    rollbackQueued,
    usrOverlay: status.usrOverlay ?? null,
    readOnly: status.readOnly ?? false,
    pendingReboot: (staged !== null && !staged.downloadOnly) || rollbackQueued,
    updateAvailable: !!cached && !!booted?.image && cached.digest !== booted.image.digest,
  };
}
