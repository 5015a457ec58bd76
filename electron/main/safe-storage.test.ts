import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, ok, openTestCore } from '../core/test-support';
import { safeStorageCipher } from './safe-storage';

/**
 * The desktop app's secrets through Electron's safeStorage, with a stand-in for safeStorage (the
 * seam; it cannot run here): used only where the OS keychain really encrypts, never with Linux's
 * hard-coded 'basic_text' key, and a password stored through it is read back and never stored plain.
 */
function fakeSafeStorage(available: boolean, backend: string) {
  const mask = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend as 'gnome_libsecret',
    encryptString: (s: string) => mask(Buffer.from(`v11${s}`, 'utf8')),
    decryptString: (b: Buffer) => mask(b).toString('utf8').slice(3),
  };
}

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe('safeStorage secrets (desktop)', () => {
  it('is not used where the keychain does not encrypt: unavailable, or the basic_text key on Linux', () => {
    expect(safeStorageCipher(fakeSafeStorage(false, 'gnome_libsecret'), 'linux')).toBeUndefined();
    expect(safeStorageCipher(fakeSafeStorage(true, 'basic_text'), 'linux')).toBeUndefined();
    expect(safeStorageCipher(fakeSafeStorage(true, 'unknown'), 'darwin')).toMatchObject({ scheme: 'safeStorage', store: 'safeStorage' });
  });

  it('stores a password through the keychain and reads it back; app.info names the backend', async () => {
    const cipher = safeStorageCipher(fakeSafeStorage(true, 'gnome_libsecret'), 'linux')!;
    const core = openTestCore({ cipher });
    await ok(core, 'devices.add', { name: 'plc-1', host: '10.0.0.1', auth: 'password', secret: 'hunter2' });
    const row = core.db.prepare('SELECT s.id, s.scheme, s.ciphertext FROM secrets s JOIN devices d ON d.secret_id = s.id').get() as { id: string; scheme: string; ciphertext: Buffer };
    expect(row.scheme).toBe('safeStorage');
    expect(row.ciphertext.includes('hunter2')).toBe(false);
    expect(core.secrets.get(row.id)).toBe('hunter2');
    expect(await ok(core, 'app.info', {})).toMatchObject({ secretStore: 'safeStorage', secretStoreWhy: "Electron's safeStorage (gnome_libsecret)" });
  });
});
