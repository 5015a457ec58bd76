/** Renders the one open dialog from the UI store, whichever page opened it. */
import type { ReactElement } from 'react';
import { ConfirmDialog } from '../components/confirm-dialog';
import { formatTime } from '../lib/format';
import { useDeviceDetail } from '../stores/device-detail';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { DeviceDialog } from './device-dialog';
import { ImportDialog } from './import-dialog';
import { SiteDialog } from './site-dialog';
import { SnapshotDialog } from './snapshot-dialog';
import { SshImportDialog } from './ssh-import-dialog';

/** The dialog host. */
export function DialogHost(): ReactElement | null {
  const dialog = useUi((s) => s.dialog);
  const close = useUi((s) => s.closeDialog);
  const removeDevice = useDevices((s) => s.remove);
  const removeSite = useSites((s) => s.remove);
  const acceptHostKey = useDeviceDetail((s) => s.acceptHostKey);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'device-form':
      return <DeviceDialog key={dialog.device?.id ?? 'new'} device={dialog.device} onClose={close} />;
    case 'device-import':
      return <ImportDialog onClose={close} />;
    case 'ssh-import':
      return <SshImportDialog initialMode={dialog.mode} onClose={close} />;
    case 'device-delete': {
      const d = dialog.device;
      return (
        <ConfirmDialog
          title="Delete device"
          message={
            <>
              Delete <strong>{d.name}</strong>
              {d.siteName ? (
                <>
                  {' '}
                  from site <strong>{d.siteName}</strong>
                </>
              ) : null}
              ? This removes it from the inventory; nothing is changed on the device.
            </>
          }
          confirmLabel="Delete device"
          errorTestId="device-form-error"
          onConfirm={() => removeDevice(d)}
          onClose={close}
        />
      );
    }
    case 'site-form':
      return <SiteDialog key={dialog.site?.id ?? 'new'} site={dialog.site} onClose={close} />;
    case 'site-delete': {
      const s = dialog.site;
      return (
        <ConfirmDialog
          title="Delete site"
          message={
            <>
              Delete site <strong>{s.name}</strong>?{' '}
              {s.deviceCount > 0
                ? `${s.deviceCount === 1 ? '1 device is' : `${s.deviceCount.toLocaleString('en-US')} devices are`} assigned to it; a site can be deleted only when it has none.`
                : 'It has no devices. Nothing is changed on any device.'}
            </>
          }
          confirmLabel="Delete site"
          errorTestId="site-form-error"
          onConfirm={() => removeSite(s)}
          onClose={close}
        />
      );
    }
    case 'hostkey-accept': {
      const { device: d, hostKey: k } = dialog;
      const offered = k.offered;
      if (!offered) return null;
      return (
        <ConfirmDialog
          title="Accept the new host key?"
          width="normal"
          message={
            <>
              <p>
                <strong>{d.name}</strong> presented a different SSH host key than the one Bootfleet pinned. Accept it only if you know why it changed (the device
                was reinstalled or its keys were regenerated) and you have compared the new fingerprint with the one the device itself shows, for example on its
                console with <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>.
              </p>
              <p>
                If someone is intercepting the connection instead, accepting lets them impersonate the device: they would see every command Bootfleet sends and
                could answer with a false status.
              </p>
              <dl className="fingerprints">
                <dt>Pinned</dt>
                <dd>
                  <code>{k.fingerprint}</code> <span className="muted">{k.keyType} · since {formatTime(k.pinnedAt)}</span>
                </dd>
                <dt>New</dt>
                <dd>
                  <code>{offered.fingerprint}</code> <span className="muted">{offered.keyType} · seen {formatTime(offered.at)}</span>
                </dd>
              </dl>
              <p className="muted">Accepting is recorded in the activity log with both fingerprints.</p>
            </>
          }
          confirmLabel="Accept new key"
          busyLabel="Accepting…"
          confirmTestId="confirm-accept-hostkey"
          errorTestId="hostkey-accept-error"
          onConfirm={() => acceptHostKey(offered.fingerprint)}
          onClose={close}
        />
      );
    }
    case 'snapshot':
      return <SnapshotDialog key={dialog.snapshotId} device={dialog.device} snapshotId={dialog.snapshotId} onClose={close} />;
  }
}
