import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { TrustedKey } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import type { SecretsRepo } from '../secrets/secrets-repo';

const PREFIX = 'bootfleet-ed25519';
/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** `SHA256:` and the unpadded base64 of the SHA-256 of the raw key, as OpenSSH prints fingerprints. */
export const fingerprintOf = (raw: Buffer): string => `SHA256:${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;

/** Reads a key line (`bootfleet-ed25519 BASE64 [NAME]`); throws with what is wrong. */
export function parseKeyLine(line: string): { raw: Buffer; name: string; key: KeyObject; fingerprint: string } {
  const [kind, b64, ...rest] = line.trim().split(/\s+/);
  if (kind !== PREFIX || !b64) throw new AppError(ErrorCode.VALIDATION_FAILED, `Not a Bootfleet public key: it should read "${PREFIX} BASE64 NAME", as \`bootfleet keys show\` prints it.`);
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 32) throw new AppError(ErrorCode.VALIDATION_FAILED, `The key is ${raw.length} bytes, not the 32 of an Ed25519 key: it was cut or altered.`);
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return { raw, name: rest.join(' '), key, fingerprint: fingerprintOf(raw) };
}

interface TrustedRow {
  fingerprint: string;
  public_key: string;
  name: string;
  trusted_at: string;
  trusted_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

const toTrusted = (r: TrustedRow): TrustedKey => ({
  fingerprint: r.fingerprint,
  publicKey: r.public_key,
  name: r.name,
  trustedAt: r.trusted_at,
  trustedBy: r.trusted_by,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** A detached signature, as reports and bundles carry it. */
export interface Signature {
  algorithm: 'ed25519';
  keyFingerprint: string;
  publicKey: string;
  /** base64 */
  value: string;
}

/**
 * This installation's Ed25519 identity (made on first use; the private key kept as other secrets
 * are, encrypted) and the keys of other installations it trusts.
 */
export class KeysService {
  constructor(private readonly d: { db: Db; secrets: SecretsRepo; activity: ActivityRepo; clock: Clock }) {}

  /** The identity, made now if there is none yet. */
  identity(): { fingerprint: string; publicKey: string; name: string; createdAt: string } {
    let row = this.d.db.prepare('SELECT public_key, fingerprint, created_at FROM identity_key WHERE id = 1').get() as { public_key: string; fingerprint: string; created_at: string } | undefined;
    if (!row) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
      const line = `${PREFIX} ${raw.toString('base64')} bootfleet@${hostname()}`;
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const at = this.d.clock.now();
      this.d.db.transaction(() => {
        const secret = this.d.secrets.put(pem);
        this.d.db.prepare('INSERT INTO identity_key (id, public_key, fingerprint, secret_id, created_at) VALUES (1, ?, ?, ?, ?)').run(line, fingerprintOf(raw), secret, at);
      })();
      row = { public_key: line, fingerprint: fingerprintOf(raw), created_at: at };
    }
    return { fingerprint: row.fingerprint, publicKey: row.public_key, name: row.public_key.split(' ').slice(2).join(' '), createdAt: row.created_at };
  }

  /** Signs `data` with the identity key. */
  sign(data: Buffer): Signature {
    const id = this.identity();
    const secretId = this.d.db.prepare('SELECT secret_id FROM identity_key WHERE id = 1').pluck().get() as string;
    const key = createPrivateKey(this.d.secrets.get(secretId));
    return { algorithm: 'ed25519', keyFingerprint: id.fingerprint, publicKey: id.publicKey, value: sign(null, data, key).toString('base64') };
  }

  /**
   * Checks a signature over `data`: it must be valid, and its key this installation's own or one
   * it trusts (not revoked). Returns who signed; throws with the reason otherwise.
   */
  verify(data: Buffer, sig: Signature): { fingerprint: string; name: string; own: boolean } {
    if (sig?.algorithm !== 'ed25519' || typeof sig.value !== 'string' || typeof sig.publicKey !== 'string') throw new AppError(ErrorCode.VALIDATION_FAILED, 'The signature is missing or not an Ed25519 signature.');
    const k = parseKeyLine(sig.publicKey);
    if (k.fingerprint !== sig.keyFingerprint) throw new AppError(ErrorCode.VALIDATION_FAILED, 'The signature names another key than the one it carries: it was altered.');
    if (!verify(null, data, k.key, Buffer.from(sig.value, 'base64'))) throw new AppError(ErrorCode.VALIDATION_FAILED, `The signature by ${k.fingerprint} does not match the content: it was altered after signing.`);
    const own = this.identity();
    if (own.fingerprint === k.fingerprint) return { fingerprint: k.fingerprint, name: own.name, own: true };
    const t = this.d.db.prepare('SELECT * FROM trusted_keys WHERE fingerprint = ?').get(k.fingerprint) as TrustedRow | undefined;
    if (!t) throw new AppError(ErrorCode.VALIDATION_FAILED, `Signed by ${k.fingerprint} (${k.name || 'no name'}), a key this installation does not trust: check the fingerprint with its owner, then trust the key (Keys in the app, or bootfleet keys trust).`, { fingerprint: k.fingerprint });
    if (t.revoked_at) throw new AppError(ErrorCode.VALIDATION_FAILED, `Signed by ${t.name} (${k.fingerprint}), whose trust was revoked on ${t.revoked_at}.`, { fingerprint: k.fingerprint });
    return { fingerprint: k.fingerprint, name: t.name, own: false };
  }

  list(): TrustedKey[] {
    return (this.d.db.prepare('SELECT * FROM trusted_keys ORDER BY revoked_at IS NOT NULL, name').all() as TrustedRow[]).map(toTrusted);
  }

  trust(actor: Actor, input: { publicKey: string; name?: string | undefined; fingerprint: string }): TrustedKey {
    const k = parseKeyLine(input.publicKey);
    if (input.fingerprint.trim() !== k.fingerprint) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `The key's fingerprint is ${k.fingerprint}, not the ${input.fingerprint.trim()} you typed: check it with the key's owner. Nothing was trusted.`);
    }
    if (k.fingerprint === this.identity().fingerprint) throw new AppError(ErrorCode.VALIDATION_FAILED, "That is this installation's own key.");
    const name = input.name ?? (k.name || k.fingerprint);
    const at = this.d.clock.now();
    this.d.db
      .prepare(
        `INSERT INTO trusted_keys (fingerprint, public_key, name, trusted_at, trusted_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, trusted_at = excluded.trusted_at, trusted_by = excluded.trusted_by, revoked_at = NULL, revoked_by = NULL`,
      )
      .run(k.fingerprint, `${PREFIX} ${k.raw.toString('base64')}${k.name ? ` ${k.name}` : ''}`, name, at, actor.user);
    this.d.activity.append(actor, { action: 'key.trusted', entityType: 'key', entityId: k.fingerprint, entityName: name, summary: `Trusted the signing key ${k.fingerprint} (${name})`, details: { fingerprint: k.fingerprint } });
    return toTrusted(this.d.db.prepare('SELECT * FROM trusted_keys WHERE fingerprint = ?').get(k.fingerprint) as TrustedRow);
  }

  revoke(actor: Actor, fingerprint: string): TrustedKey {
    const t = this.d.db.prepare('SELECT * FROM trusted_keys WHERE fingerprint = ?').get(fingerprint.trim()) as TrustedRow | undefined;
    if (!t) throw new AppError(ErrorCode.NOT_FOUND, `No trusted key ${fingerprint}; \`bootfleet keys list\` shows them.`);
    this.d.db.prepare('UPDATE trusted_keys SET revoked_at = ?, revoked_by = ? WHERE fingerprint = ?').run(this.d.clock.now(), actor.user, t.fingerprint);
    this.d.activity.append(actor, { action: 'key.revoked', entityType: 'key', entityId: t.fingerprint, entityName: t.name, summary: `Revoked trust in the signing key ${t.fingerprint} (${t.name})`, details: { fingerprint: t.fingerprint } });
    return toTrusted(this.d.db.prepare('SELECT * FROM trusted_keys WHERE fingerprint = ?').get(t.fingerprint) as TrustedRow);
  }
}
