import { z } from 'zod';
import { method } from './define';

/**
 * Signing keys (issue 10): each installation has its own Ed25519 identity, made on first use,
 * that signs audit reports and bundles; another installation accepts those signatures only from
 * keys it trusts, an explicit decision that is logged with the key's fingerprint.
 *
 * A public key travels as one line: `bootfleet-ed25519 BASE64 NAME` (BASE64: the 32-byte key).
 * Its fingerprint is `SHA256:` and the unpadded base64 of the SHA-256 of those 32 bytes, as
 * OpenSSH shows host keys.
 */
export const keyInfoSchema = z.object({
  fingerprint: z.string(),
  publicKey: z.string(),
  name: z.string(),
});

export const trustedKeySchema = keyInfoSchema.extend({
  trustedAt: z.string(),
  trustedBy: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});
export type TrustedKey = z.infer<typeof trustedKeySchema>;

export const keyMethods = {
  'keys.show': method({
    input: z.object({}).default({}),
    output: keyInfoSchema.extend({ createdAt: z.string() }),
    summary: "This installation's public signing key and its fingerprint (the key is made on first use).",
  }),
  'keys.list': method({
    input: z.object({}).default({}),
    output: z.array(trustedKeySchema),
    summary: 'The keys this installation trusts (and those revoked).',
  }),
  'keys.trust': method({
    input: z.object({
      /** The key line (`bootfleet-ed25519 BASE64 NAME`), as `keys show` prints it. */
      publicKey: z.string().trim().min(1, 'is required'),
      /** A name for it (default: the one in the line). */
      name: z.string().trim().min(1).max(200).optional(),
      /** The fingerprint the user checked with the key's owner; the key is refused if it differs. */
      fingerprint: z.string().trim().min(1, 'type the fingerprint you checked with the key\'s owner'),
    }),
    output: trustedKeySchema,
    summary: "Trust another installation's key (its signed bundles and reports are then accepted). Logged.",
  }),
  'keys.revoke': method({
    input: z.object({ fingerprint: z.string().trim().min(1) }),
    output: trustedKeySchema,
    summary: 'Stop trusting a key. Logged.',
  }),
};
