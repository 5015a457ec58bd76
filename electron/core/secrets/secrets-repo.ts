import { newId } from '../ids';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import type { SecretCipher } from './cipher';

/** Stores passwords and passphrases encrypted; plain text never reaches the database. */
export class SecretsRepo {
  constructor(
    private readonly db: Db,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
  ) {}

  /** Encrypts and stores a secret; returns its id. Call inside the caller's transaction. */
  put(plain: string): string {
    const id = newId();
    const blob = this.cipher.encrypt(Buffer.from(plain, 'utf8'));
    this.db.prepare('INSERT INTO secrets (id, scheme, ciphertext, created_at) VALUES (?, ?, ?, ?)').run(id, this.cipher.scheme, blob, this.clock.now());
    return id;
  }

  /** Decrypts a secret (for the SSH layer). Refuses one written by a host with another scheme. */
  get(id: string): string {
    const row = this.db.prepare('SELECT scheme, ciphertext FROM secrets WHERE id = ?').get(id) as { scheme: string; ciphertext: Buffer } | undefined;
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, 'The stored secret no longer exists; enter it again.');
    if (row.scheme !== this.cipher.scheme) {
      throw new AppError(
        ErrorCode.SECRET_UNAVAILABLE,
        row.scheme === 'safeStorage'
          ? 'This secret was stored by the desktop app in the OS keychain and cannot be read here; enter it again.'
          : `This secret was stored with the '${row.scheme}' scheme, which this host cannot read; enter it again.`,
      );
    }
    return this.cipher.decrypt(row.ciphertext).toString('utf8');
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM secrets WHERE id = ?').run(id);
  }
}
