import type { SafeStorage } from 'electron';
import type { SecretCipher } from '../core/secrets/cipher';

/**
 * Secrets encrypted with the OS keychain (Keychain, DPAPI, libsecret/kwallet) through Electron's
 * safeStorage when it is available (ask after the app is ready); undefined lets the core fall back
 * to its 0600 key file. `safeStorage` is Electron's (the seam: tests pass a stand-in).
 */
export function safeStorageCipher(safeStorage: Pick<SafeStorage, 'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'>, platform: NodeJS.Platform = process.platform): SecretCipher | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  // On Linux without a keyring, 'basic_text' is a hard-coded key: no better than the key file.
  const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null;
  if (backend === 'basic_text') return undefined;
  return {
    scheme: 'safeStorage',
    store: 'safeStorage',
    why: () => `Electron's safeStorage${backend ? ` (${backend})` : ''}`,
    encrypt: (plain) => safeStorage.encryptString(plain.toString('utf8')),
    decrypt: (blob) => Buffer.from(safeStorage.decryptString(blob), 'utf8'),
  };
}
