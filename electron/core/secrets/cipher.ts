import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { AppError, ErrorCode } from '../../../shared/errors';

/**
 * Encrypts secrets at rest. The desktop app passes one backed by Electron's safeStorage
 * (the OS keychain); the CLI and `bootfleet serve` use a random key in a 0600 file in the
 * data directory. Each stored secret records its scheme, so a host can tell which it can open.
 */
export interface SecretCipher {
  /**
   * How a stored secret is encrypted: 'safeStorage' by Electron, 'keyfile' with AES-256-GCM and
   * this installation's data key (kept in the 0600 key file, or in the OS keyring: see `store`).
   */
  readonly scheme: 'keyfile' | 'safeStorage';
  /** Where the key is kept, as `app.info` and `bootfleet doctor` report it (default: as the scheme says). */
  readonly store?: SecretStore;
  /** Why this store is used, in words (`bootfleet doctor`). */
  why?(): string;
  encrypt(plain: Buffer): Buffer;
  decrypt(blob: Buffer): Buffer;
}

export type SecretStore = 'safeStorage' | 'keyring' | 'keyfile';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM with a 32-byte key kept in `keyPath` (created 0600 on first use). */
export function keyFileCipher(keyPath: string): SecretCipher {
  return dataKeyCipher(() => readKeyFile(keyPath, true)!, 'keyfile', `with ${keyPath}`);
}

/** The key in `keyPath`; with `create`, a new random one is written there first if there is none. */
export function readKeyFile(keyPath: string, create: boolean): Buffer | null {
  if (create) {
    try {
      const fd = openSync(keyPath, 'wx', 0o600);
      writeSync(fd, randomBytes(32));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let st;
  try {
    st = statSync(keyPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
  const k = readFileSync(keyPath);
  if (k.length !== 32) {
    throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `The secret key file ${keyPath} is damaged (expected 32 bytes, found ${k.length}).`);
  }
  return k;
}

/**
 * AES-256-GCM with a 32-byte data key that `loadKey` gives (read once, on first use). `where`
 * names the key's place in the message for a secret it cannot open.
 */
export function dataKeyCipher(loadKey: () => Buffer, store: 'keyfile' | 'keyring', where: string): SecretCipher {
  let key: Buffer | undefined;
  const get = (): Buffer => (key ??= loadKey());
  return {
    scheme: 'keyfile',
    store,
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', get(), iv);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(blob) {
      try {
        const d = createDecipheriv('aes-256-gcm', get(), blob.subarray(0, IV_BYTES));
        d.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([d.update(blob.subarray(IV_BYTES + TAG_BYTES)), d.final()]);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `A stored secret cannot be decrypted ${where}; it was written with another key. Enter the password again.`);
      }
    },
  };
}
