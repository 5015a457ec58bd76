import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { AppError, ErrorCode } from '../../../shared/errors';

/**
 * Encrypts secrets at rest. The desktop app passes one backed by Electron's safeStorage
 * (the OS keychain); the CLI and `bootfleet serve` use a random key in a 0600 file in the
 * data directory. Each stored secret records its scheme, so a host can tell which it can open.
 */
export interface SecretCipher {
  readonly scheme: 'keyfile' | 'safeStorage';
  encrypt(plain: Buffer): Buffer;
  decrypt(blob: Buffer): Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM with a 32-byte key kept in `keyPath` (created 0600 on first use). */
export function keyFileCipher(keyPath: string): SecretCipher {
  let key: Buffer | undefined;
  const loadKey = (): Buffer => {
    if (key) return key;
    try {
      const fd = openSync(keyPath, 'wx', 0o600);
      const fresh = randomBytes(32);
      writeSync(fd, fresh);
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = statSync(keyPath);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
    const k = readFileSync(keyPath);
    if (k.length !== 32) {
      throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `The secret key file ${keyPath} is damaged (expected 32 bytes, found ${k.length}).`);
    }
    key = k;
    return k;
  };
  return {
    scheme: 'keyfile',
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', loadKey(), iv);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(blob) {
      try {
        const d = createDecipheriv('aes-256-gcm', loadKey(), blob.subarray(0, IV_BYTES));
        d.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([d.update(blob.subarray(IV_BYTES + TAG_BYTES)), d.final()]);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `A stored secret cannot be decrypted with ${keyPath}; it was written with another key. Enter the password again.`);
      }
    },
  };
}
