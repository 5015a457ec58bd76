import { z } from 'zod';
import { method } from './define';
import { hostSchema, imageRefSchema, tagSchema } from './fields';

/**
 * Desired state: the image a device should run, set on a site, on a tag (a group of devices)
 * or on the device itself; the most specific wins. A reference may pin a digest
 * (`IMAGE:TAG@sha256:…`); otherwise its tag is resolved to a digest through the registry, so
 * whether a device is behind is known from the inventory without asking the device.
 */

export const desiredScopeSchema = z.enum(['site', 'tag', 'device']);
export type DesiredScope = z.infer<typeof desiredScopeSchema>;

/** What the registry said a reference points at, the last time it was asked. */
export const resolutionSchema = z.object({
  ref: z.string(),
  /** The manifest (or index) digest the reference pointed at; null if it never resolved. */
  digest: z.string().nullable(),
  mediaType: z.string().nullable(),
  /** For an index: each platform's manifest digest (bootc reports the one it booted). */
  platforms: z.array(z.object({ digest: z.string(), os: z.string(), architecture: z.string(), variant: z.string().nullable() })),
  resolvedAt: z.string().nullable(),
  /** The last attempt failed (the digest above, if any, is from an earlier success). */
  error: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
});
export type Resolution = z.infer<typeof resolutionSchema>;

/**
 * How a device stands against its desired image:
 * in-sync (booted it), staged (staged it, not booted yet), behind (booted something else),
 * unknown (never reported its status), unresolved (the tag has not been resolved to a digest),
 * conflict (two of its tags ask for different images), none (no desired image).
 */
export const desiredStateSchema = z.enum(['in-sync', 'staged', 'behind', 'unknown', 'unresolved', 'conflict', 'none']);
export type DesiredState = z.infer<typeof desiredStateSchema>;

/** A device's effective desired image and where it comes from. */
export const effectiveDesiredSchema = z.object({
  state: desiredStateSchema,
  /** The reference, as set (may carry `@digest`); null for none and conflict. */
  image: z.string().nullable(),
  source: desiredScopeSchema.nullable(),
  /** The site name, the tag name(s), or the device's own name. */
  sourceName: z.string().nullable(),
  /** The digest the device should boot: the pinned one, else the resolved one. */
  digest: z.string().nullable(),
  pinned: z.boolean(),
  resolvedAt: z.string().nullable(),
  /** For conflict: which tags ask for which image. */
  conflicts: z.array(z.object({ tag: z.string(), image: z.string() })),
});
export type EffectiveDesired = z.infer<typeof effectiveDesiredSchema>;

export const desiredEntrySchema = z.object({
  scope: desiredScopeSchema,
  /** The site's, tag's or device's id (tags are named by name). */
  target: z.string(),
  targetName: z.string(),
  image: z.string(),
  /** The digest in the reference, if it pins one. */
  pinnedDigest: z.string().nullable(),
  /** Devices must boot it with a signature policy enforced (checked by the audit). */
  requireSigned: z.boolean(),
  resolution: resolutionSchema.nullable(),
  /** Devices this entry decides (after more specific ones). */
  deviceCount: z.number().int(),
  /** Of those, how many are known to be behind (booted another digest). */
  behindCount: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type DesiredEntry = z.infer<typeof desiredEntrySchema>;

const scopeFields = z.object({
  scope: desiredScopeSchema,
  /** A site name or id, a tag name, or a device (id, NAME or SITE/NAME). */
  target: z.string().trim().min(1, 'is required'),
});
const tagTarget = (v: { scope: DesiredScope; target: string }, ctx: z.RefinementCtx): void => {
  if (v.scope === 'tag' && !tagSchema.safeParse(v.target).success) ctx.addIssue({ code: 'custom', path: ['target'], message: 'is not a valid tag name' });
};

export const registrySchema = z.object({
  host: z.string(),
  /** Plain HTTP (loopback registries are always allowed plain HTTP). */
  insecure: z.boolean(),
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  updatedAt: z.string(),
});
export type Registry = z.infer<typeof registrySchema>;

/** `registry[:port]`, as it appears at the start of an image reference. */
export const registryHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => {
    const m = /^(\[[0-9a-f:]+\]|[^:/[\]]+)(?::(\d{1,5}))?$/.exec(v);
    return !!m && hostSchema.safeParse(m[1]!.replace(/^\[|\]$/g, '')).success && (m[2] === undefined || Number(m[2]) <= 65535);
  }, 'must be a registry host such as quay.io or registry.example.net:5000');

export const desiredMethods = {
  'desired.list': method({
    input: z.object({}).default({}),
    output: z.object({
      /** Every site and tag entry, and the first 500 device entries by name. */
      entries: z.array(desiredEntrySchema),
      /** How many devices set their own desired image (all of them, listed or not). */
      deviceEntries: z.number().int(),
    }),
    summary: 'The desired images set on sites, tags and devices, with what each reference resolved to and how many devices each decides.',
  }),
  'desired.set': method({
    input: scopeFields
      .extend({
        image: imageRefSchema,
        resolve: z.boolean().default(true),
        /** Devices must boot this image with a signature policy enforced (the audit checks it; switches pass --enforce-container-sigpolicy). */
        requireSigned: z.boolean().default(false),
      })
      .superRefine(tagTarget),
    output: desiredEntrySchema,
    summary: 'Set the desired image of a site, tag or device (IMAGE[:TAG][@DIGEST]); resolves the tag through the registry unless resolve is false.',
  }),
  'desired.clear': method({
    input: scopeFields.superRefine(tagTarget),
    output: z.object({ scope: desiredScopeSchema, target: z.string(), cleared: z.boolean() }),
    summary: 'Remove the desired image of a site, tag or device (a less specific one then applies).',
  }),
  'desired.resolve': method({
    input: z.object({ refs: z.array(imageRefSchema).max(1000).optional() }).default({}),
    output: z.array(resolutionSchema),
    summary: 'Ask the registries what each desired reference (or the given ones) points at now, and record it. Failures are recorded per reference.',
  }),
  'registries.list': method({
    input: z.object({}).default({}),
    output: z.array(registrySchema),
    summary: 'Registries with settings or credentials (passwords are stored encrypted and never returned).',
  }),
  'registries.set': method({
    input: z.object({
      host: registryHostSchema,
      insecure: z.boolean().optional(),
      username: z.string().trim().min(1).max(256).nullish(),
      password: z.string().min(1).max(8192).optional(),
    }),
    output: registrySchema,
    summary: 'Add or change a registry: plain HTTP, and the login used for its token or basic auth.',
  }),
  'registries.remove': method({
    input: z.object({ host: registryHostSchema }),
    output: z.object({ host: z.string(), removed: z.boolean() }),
    summary: "Forget a registry's settings and login.",
  }),
};
