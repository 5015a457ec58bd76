import type { Registry } from '../../../shared/contract';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import type { SecretsRepo } from '../secrets/secrets-repo';
import type { Credentials, RegistryAccess } from './client';

interface Row {
  host: string;
  insecure: number;
  username: string | null;
  secret_id: string | null;
  updated_at: string;
}

/** Registry settings and logins; passwords are kept encrypted in `secrets`. */
export class RegistriesRepo implements RegistryAccess {
  private readonly sql: StatementCache;
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretsRepo,
    private readonly clock: Clock,
  ) {
    this.sql = new StatementCache(db);
  }

  list(): Registry[] {
    return (this.sql.get('SELECT * FROM registries ORDER BY host').all() as Row[]).map(toRegistry);
  }

  get(host: string): Registry | null {
    const row = this.row(host);
    return row ? toRegistry(row) : null;
  }

  /** Creates or changes a registry; a new password replaces the stored one. */
  set(host: string, patch: { insecure?: boolean | undefined; username?: string | null | undefined; password?: string | undefined }): Registry {
    this.db.transaction(() => {
      const row = this.row(host);
      let secretId = row?.secret_id ?? null;
      const username = patch.username === undefined ? (row?.username ?? null) : patch.username;
      if (patch.password !== undefined || username === null) {
        if (secretId) this.secrets.delete(secretId);
        secretId = patch.password !== undefined && username !== null ? this.secrets.put(patch.password) : null;
      }
      this.sql
        .get(
          `INSERT INTO registries (host, insecure, username, secret_id, updated_at) VALUES (@host, @insecure, @username, @secret, @now)
           ON CONFLICT (host) DO UPDATE SET insecure = @insecure, username = @username, secret_id = @secret, updated_at = @now`,
        )
        .run({ host, insecure: (patch.insecure ?? row?.insecure === 1) ? 1 : 0, username, secret: secretId, now: this.clock.now() });
    }).immediate();
    return this.get(host)!;
  }

  remove(host: string): boolean {
    return this.db.transaction(() => {
      const row = this.row(host);
      if (!row) return false;
      this.sql.get('DELETE FROM registries WHERE host = ?').run(host);
      if (row.secret_id) this.secrets.delete(row.secret_id);
      return true;
    }).immediate();
  }

  credentials(registry: string): Credentials | null {
    const row = this.row(registry);
    if (!row?.username || !row.secret_id) return null;
    return { username: row.username, password: this.secrets.get(row.secret_id) };
  }

  insecure(registry: string): boolean {
    return this.row(registry)?.insecure === 1;
  }

  private row(host: string): Row | undefined {
    return this.sql.get('SELECT * FROM registries WHERE host = ?').get(host) as Row | undefined;
  }
}

function toRegistry(r: Row): Registry {
  return { host: r.host, insecure: r.insecure === 1, username: r.username, hasPassword: r.secret_id !== null, updatedAt: r.updated_at };
}
