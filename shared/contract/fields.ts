import { z } from 'zod';

/**
 * Field rules shared by the UI (inline validation), the CLI and the core, so a value is
 * judged the same way wherever it is typed.
 */

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Device and site names: 1-63 characters, letters, digits, '.', '_' and '-', starting with a letter or digit. '/' is reserved for SITE/NAME. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(63, 'must be at most 63 characters')
  .regex(NAME_RE, "may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit");

const HOSTNAME_RE = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a valid IPv6 literal (without brackets), including zone-less IPv4-mapped forms. */
export function isIPv6(value: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(value) || !value.includes(':')) return false;
  let v = value;
  const lastColon = v.lastIndexOf(':');
  const tail = v.slice(lastColon + 1);
  let groupsFromV4 = 0;
  if (tail.includes('.')) {
    if (!IPV4_RE.test(tail)) return false;
    v = v.slice(0, lastColon + 1) + '0:0';
    groupsFromV4 = 0;
  }
  const parts = v.split('::');
  if (parts.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(parts[0] ?? '');
  const rest = parts.length === 2 ? groups(parts[1] ?? '') : [];
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = all.length + groupsFromV4;
  return parts.length === 2 ? count < 8 : count === 8;
}

/** True for an IPv4 address, an IPv6 literal or an RFC 1123 host name. */
export function isValidHost(value: string): boolean {
  if (IPV4_RE.test(value)) return true;
  if (isIPv6(value)) return true;
  if (/^[\d.]+$/.test(value)) return false; // looks like a malformed IPv4
  return HOSTNAME_RE.test(value);
}

/** Host: a DNS name, an IPv4 address or an IPv6 literal (brackets are removed). */
export const hostSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .transform((v) => (v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v))
  .refine(isValidHost, 'must be a host name, an IPv4 address or an IPv6 address');

/** TCP port 1-65535. Accepts digit strings (CSV, CLI, form fields). */
export const portSchema = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

/** POSIX login name, as sshd accepts it. */
export const sshUserSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/, 'must be a valid login name (letters, digits, _ . -, not starting with a digit)');

/** Tags select groups of devices: lower-case by convention, compared without case. */
export const tagSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:=-]*$/, "may contain only letters, digits and '.', '_', ':', '=', '-'");

export const tagsSchema = z
  .array(tagSchema)
  .max(64, 'at most 64 tags')
  .transform((tags) => {
    const seen = new Set<string>();
    return tags.filter((t) => (seen.has(t.toLowerCase()) ? false : (seen.add(t.toLowerCase()), true)));
  });

/** A private key path on this machine. Absolute, or starting with '~/'. */
export const keyPathSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(4096, 'is too long')
  .refine((p) => p.startsWith('/') || p.startsWith('~/') || /^[A-Za-z]:[\\/]/.test(p), "must be an absolute path (or start with '~/')")
  .refine((p) => !p.includes('\0'), 'must not contain NUL');

/** How Bootfleet authenticates to a device over SSH. */
export const authMethodSchema = z.enum(['agent', 'key', 'password']);
export type AuthMethod = z.infer<typeof authMethodSchema>;

// OCI image reference: [registry[:port]/]repository[:tag][@digest]
const REF_RE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

/** An OCI image reference such as quay.io/org/os:42 or registry:5000/os@sha256:<64 hex>. */
export const imageRefSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(512, 'is too long')
  .refine((v) => REF_RE.test(v), 'must be an image reference like quay.io/org/image:tag or registry:5000/image@sha256:<digest>')
  .refine((v) => {
    // The first component is a registry only if it has a '.' or ':' or is localhost;
    // otherwise it is part of the repository path, which must be lower-case.
    const path = v.split('@')[0]!.replace(/:[\w][\w.-]*$/, '');
    const parts = path.split('/');
    const first = parts[0]!;
    const repo = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost') ? parts.slice(1) : parts;
    return repo.every((c) => c === c.toLowerCase());
  }, 'the repository path must be lower-case')
  .refine((v) => {
    const at = v.indexOf('@sha256:');
    return at < 0 || /^[0-9a-f]{64}$/.test(v.slice(at + 8));
  }, 'a sha256 digest must be 64 lower-case hex characters');

/** One jump host hop: `[user@]host[:port]` or `ssh://[user@]host[:port]`; IPv6 in brackets. */
const HOP_RE = /^(ssh:\/\/)?([A-Za-z0-9._-]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:([0-9]{1,5}))?$/;

/**
 * A jump host chain in OpenSSH's ProxyJump syntax, first hop first: `admin@bastion,10.0.0.1:2222`.
 * Empty or `none` means no jump host.
 */
export const proxyJumpSchema = z
  .string()
  .trim()
  .max(1024, 'must be at most 1024 characters')
  .transform((v) => (v === '' || v.toLowerCase() === 'none' ? null : v))
  .refine(
    (v) =>
      v === null ||
      v.split(',').every((hop) => {
        const m = HOP_RE.exec(hop.trim());
        return !!m && (m[5] === undefined || (Number(m[5]) >= 1 && Number(m[5]) <= 65535));
      }),
    'must be jump hosts as [user@]host[:port], separated by commas',
  );

export const notesSchema = z.string().max(4000, 'must be at most 4000 characters');

/** Where Bootfleet is being served from; recorded with every activity entry. */
export const viaSchema = z.enum(['desktop', 'serve', 'cli']);
export type Via = z.infer<typeof viaSchema>;

export const isoTimeSchema = z.string();

/** host:port as users type it, with IPv6 literals in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A pasted SHA-256: 64 hexadecimal characters, any case, an optional `sha256:` prefix. Returns
 * the normalized hex, or null when the text is not one (empty text is not one either).
 */
export function normalizeSha256(text: string): string | null {
  const hex = text.trim().toLowerCase().replace(/^sha256:/, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export const SHA256_MESSAGE = 'A SHA-256 is 64 hexadecimal characters.';

/**
 * What is wrong with authorized_keys text (each line a public key, options allowed; comments and
 * blanks ignored), in words, or null when nothing is.
 */
export function authorizedKeysProblem(text: string): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) return 'The keys to authorize for root are empty: give one or more public keys (the contents of a .pub file).';
  const bad = lines.find((l) => !/(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/=]+/.test(l));
  if (bad === undefined) return null;
  return /PRIVATE KEY/.test(text)
    ? 'The keys to authorize for root contain a private key: give the public key (the .pub file) instead.'
    : `"${bad.slice(0, 60)}" is not an SSH public key: give lines such as those of a .pub file or authorized_keys.`;
}
