/**
 * A changed host key, old and new, with "Accept new key": on the device page, and where a
 * connection to the device was refused for it (a terminal).
 */
import type { ReactElement, ReactNode } from 'react';
import type { HostKey } from '../../../shared/contract';
import { formatTime } from '../lib/format';
import { AlertIcon, KeyIcon } from './icons';

/** The changed host key, old and new, with "Accept new key" (and any other `actions`). */
export function HostKeyAlert({ hostKey, onAccept, actions }: { hostKey: HostKey; onAccept(): void; actions?: ReactNode }): ReactElement | null {
  const offered = hostKey.offered;
  if (!offered) return null;
  return (
    <section className="alert alert-danger" role="alert" data-testid="hostkey-alert">
      <AlertIcon size={18} />
      <div className="alert-body">
        <h2>The host key of this device changed</h2>
        <p>
          Bootfleet refused to connect: the device presented a different SSH host key than the one pinned. That is expected after a reinstall or when its
          keys were regenerated; otherwise someone may be intercepting the connection. Compare the new fingerprint with the one on the device’s console
          before you accept it.
        </p>
        <dl className="fingerprints">
          <dt>Pinned</dt>
          <dd>
            <code data-testid="hostkey-old">{hostKey.fingerprint}</code> <span className="muted">{hostKey.keyType} · since {formatTime(hostKey.pinnedAt)}</span>
          </dd>
          <dt>Offered</dt>
          <dd>
            <code data-testid="hostkey-new">{offered.fingerprint}</code> <span className="muted">{offered.keyType} · seen {formatTime(offered.at)}</span>
          </dd>
        </dl>
        <div className="alert-actions">
          <button type="button" className="button button-danger" onClick={onAccept} data-testid="hostkey-accept">
            <KeyIcon /> Accept new key…
          </button>
          {actions}
        </div>
      </div>
    </section>
  );
}
