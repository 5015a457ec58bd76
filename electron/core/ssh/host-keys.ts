import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { StatementCache } from '../db/statements';
import type { HostKeyPolicy, PresentedHostKey, SshHop } from './connection';

/** A pinned host key, and a different one the host offered since (refused), if any. */
export interface HostKeyRecord {
  target: string;
  deviceId: string | null;
  keyType: string;
  fingerprint: string;
  source: 'first-use' | 'known_hosts' | 'accepted';
  pinnedAt: string;
  offered: { keyType: string; fingerprint: string; at: string } | null;
}

interface Row {
  target: string;
  device_id: string | null;
  key_type: string;
  fingerprint: string;
  source: HostKeyRecord['source'];
  pinned_at: string;
  offered_type: string | null;
  offered_fingerprint: string | null;
  offered_at: string | null;
}

function toRecord(r: Row): HostKeyRecord {
  return {
    target: r.target,
    deviceId: r.device_id,
    keyType: r.key_type,
    fingerprint: r.fingerprint,
    source: r.source,
    pinnedAt: r.pinned_at,
    offered: r.offered_fingerprint ? { keyType: r.offered_type ?? 'unknown', fingerprint: r.offered_fingerprint, at: r.offered_at ?? '' } : null,
  };
}

export const deviceTarget = (deviceId: string): string => `device:${deviceId}`;
export const jumpTarget = (host: string, port: number): string => `jump:${host.toLowerCase()}:${port}`;

/**
 * Host key pinning, trust on first use: the first key a host presents is stored; any other
 * key later is refused with SSH_HOST_KEY_CHANGED (the offer is kept so the UI can show old and
 * new) until a user accepts it explicitly, which the activity log records.
 */
export class HostKeysRepo implements HostKeyPolicy {
  private readonly sql: StatementCache;
  constructor(
    private readonly db: Db,
    private readonly activity: ActivityRepo,
    private readonly clock: Clock,
  ) {
    this.sql = new StatementCache(db);
  }

  get(target: string): HostKeyRecord | undefined {
    const r = this.sql.get('SELECT * FROM host_keys WHERE target = ?').get(target) as Row | undefined;
    return r && toRecord(r);
  }

  forDevices(ids: string[]): Map<string, HostKeyRecord> {
    const rows = this.sql
      .get("SELECT * FROM host_keys WHERE device_id IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(ids)) as Row[];
    return new Map(rows.map((r) => [r.device_id!, toRecord(r)]));
  }

  list(): HostKeyRecord[] {
    return (this.sql.get('SELECT * FROM host_keys ORDER BY target').all() as Row[]).map(toRecord);
  }

  pinnedKeyType(hop: SshHop): string | null {
    return this.get(hop.pinId)?.keyType ?? null;
  }

  /** Called in the SSH handshake: pin on first use, accept the pinned key, refuse any other. */
  verify(hop: SshHop, key: PresentedHostKey): AppError | null {
    const pinned = this.get(hop.pinId);
    const now = this.clock.now();
    if (!pinned) {
      this.sql
        .get(
          `INSERT INTO host_keys (target, device_id, key_type, fingerprint, source, pinned_at) VALUES (?, ?, ?, ?, 'first-use', ?)
           ON CONFLICT (target) DO NOTHING`,
        )
        .run(hop.pinId, deviceIdOf(hop.pinId), key.keyType, key.fingerprint, now);
      // A concurrent first contact may have pinned another key: check against what is stored.
      const stored = this.get(hop.pinId)!;
      return stored.fingerprint === key.fingerprint ? null : this.changed(hop, stored, key);
    }
    if (pinned.fingerprint === key.fingerprint) return null;
    return this.changed(hop, pinned, key);
  }

  private changed(hop: SshHop, pinned: HostKeyRecord, key: PresentedHostKey): AppError {
    this.sql
      .get('UPDATE host_keys SET offered_type = ?, offered_fingerprint = ?, offered_at = ? WHERE target = ?')
      .run(key.keyType, key.fingerprint, this.clock.now(), hop.pinId);
    return new AppError(
      ErrorCode.SSH_HOST_KEY_CHANGED,
      `${hop.label}: the host key of ${hop.host}:${hop.port} changed (pinned ${pinned.fingerprint}, now ${key.fingerprint}). ` +
        'Bootfleet refused to connect. If the device was reinstalled, accept the new key; otherwise someone may be intercepting the connection.',
      { target: hop.pinId, host: hop.host, port: hop.port, old: { keyType: pinned.keyType, fingerprint: pinned.fingerprint }, new: key },
    );
  }

  /** Pins a key from an import (known_hosts), replacing nothing already pinned. Returns whether it was new. */
  pinImported(target: string, deviceId: string | null, keyType: string, fingerprint: string): boolean {
    const r = this.sql
      .get(`INSERT INTO host_keys (target, device_id, key_type, fingerprint, source, pinned_at) VALUES (?, ?, ?, ?, 'known_hosts', ?) ON CONFLICT (target) DO NOTHING`)
      .run(target, deviceId, keyType, fingerprint, this.clock.now());
    return r.changes > 0;
  }

  /**
   * Accepts the key the host offered (the one refused last), after a user checked it.
   * With `fingerprint`, accepts only if that is the offered key (a guard against a race).
   */
  accept(actor: Actor, target: string, label: string, fingerprint?: string): HostKeyRecord {
    return this.db.transaction(() => {
      const rec = this.get(target);
      if (!rec?.offered) {
        throw new AppError(
          ErrorCode.NOT_FOUND,
          `${label}: there is no changed host key to accept. Refresh the device first; a changed key is kept for review when it is refused.`,
        );
      }
      if (fingerprint && fingerprint !== rec.offered.fingerprint) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, `${label}: the offered key is ${rec.offered.fingerprint}, not ${fingerprint}; nothing was changed.`);
      }
      this.sql
        .get(
          `UPDATE host_keys SET key_type = offered_type, fingerprint = offered_fingerprint, source = 'accepted', pinned_at = ?,
             offered_type = NULL, offered_fingerprint = NULL, offered_at = NULL WHERE target = ?`,
        )
        .run(this.clock.now(), target);
      this.activity.append(actor, {
        action: 'hostkey.accepted',
        entityType: rec.deviceId ? 'device' : 'jump-host',
        entityId: rec.deviceId,
        entityName: label,
        summary: `Accepted a new host key for ${label}: ${rec.offered.fingerprint} (was ${rec.fingerprint})`,
        details: { target, old: { keyType: rec.keyType, fingerprint: rec.fingerprint }, new: rec.offered },
      });
      return this.get(target)!;
    })();
  }

  /**
   * Moves a pinned key to another target (a provisioned box's key to its new device), replacing
   * what that target had pinned. Nothing happens when `from` has no pin.
   */
  move(from: string, to: string, deviceId: string | null): void {
    this.db.transaction(() => {
      if (!this.get(from)) return;
      this.sql.get('DELETE FROM host_keys WHERE target = ?').run(to);
      this.sql.get('UPDATE host_keys SET target = ?, device_id = ?, offered_type = NULL, offered_fingerprint = NULL, offered_at = NULL WHERE target = ?').run(to, deviceId, from);
    })();
  }

  /** Forgets the pinned key: the next connection pins whatever the host presents. */
  forget(actor: Actor, target: string, label: string): HostKeyRecord | null {
    return this.db.transaction(() => {
      const rec = this.get(target);
      if (!rec) return null;
      this.sql.get('DELETE FROM host_keys WHERE target = ?').run(target);
      this.activity.append(actor, {
        action: 'hostkey.forgotten',
        entityType: rec.deviceId ? 'device' : 'jump-host',
        entityId: rec.deviceId,
        entityName: label,
        summary: `Forgot the pinned host key of ${label} (${rec.fingerprint}); the next connection pins a new one`,
        details: { target, old: { keyType: rec.keyType, fingerprint: rec.fingerprint } },
      });
      return rec;
    })();
  }
}

function deviceIdOf(target: string): string | null {
  return target.startsWith('device:') ? target.slice('device:'.length) : null;
}
