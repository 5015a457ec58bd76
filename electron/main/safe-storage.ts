import { safeStorage } from 'electron';
import type { SecretCipher } from '../core/secrets/cipher';

/**
 * Secrets encrypted with the OS keychain (Keychain, DPAPI, libsecret/kwallet) when it is
 * available; undefined lets the core fall back to its 0600 key file.
 */
export function safeStorageCipher(): SecretCipher | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  // On Linux without a keyring, 'basic_text' is a hard-coded key: no better than the key file.
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') return undefined;
  return {
    scheme: 'safeStorage',
    store: 'safeStorage',
    why: () => `Electron's safeStorage${process.platform === 'linux' ? ` (${safeStorage.getSelectedStorageBackend?.() ?? 'libsecret'})` : ''}`,
    encrypt: (plain) => safeStorage.encryptString(plain.toString('utf8')),
    decrypt: (blob) => Buffer.from(safeStorage.decryptString(blob), 'utf8'),
  };
}
