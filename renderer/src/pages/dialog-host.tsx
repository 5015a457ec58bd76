/** Renders the one open dialog from the UI store, whichever page opened it. */
import type { ReactElement } from 'react';
import { ConfirmDialog } from '../components/confirm-dialog';
import { formatTime, plural } from '../lib/format';
import { useDesired } from '../stores/desired';
import { useDeviceDetail } from '../stores/device-detail';
import { useDevices } from '../stores/devices';
import { useRollouts } from '../stores/rollouts';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { BundlesDialog } from './bundle-dialogs';
import { DesiredDialog } from './desired-dialog';
import { DeviceDialog } from './device-dialog';
import { ImportDialog } from './import-dialog';
import { RegistryDialog } from './registry-dialog';
import { RolloutWizard } from './rollout-wizard';
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
  const clearDesired = useDesired((s) => s.clear);
  const removeRegistry = useDesired((s) => s.removeRegistry);
  const cancelRollout = useRollouts((s) => s.cancel);
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
          onConfirm={() => acceptHostKey(offered.fingerprint, d)}
          onClose={close}
        />
      );
    }
    case 'desired-set':
      return <DesiredDialog for={dialog.for} image={dialog.image} requireSigned={dialog.requireSigned} onClose={close} />;
    case 'desired-clear': {
      const { for: t, image, deviceCount } = dialog;
      return (
        <ConfirmDialog
          title="Clear desired image"
          message={
            t.scope === 'device' ? (
              <>
                Remove the desired image set on <strong>{t.targetName}</strong> itself (<code>{image}</code>)? The image its tags or its site ask for then applies to
                it, if any. Nothing is changed on the device.
              </>
            ) : (
              <>
                Remove the desired image of {t.scope} <strong>{t.targetName}</strong> (<code>{image}</code>)?{' '}
                {deviceCount === 0
                  ? 'It decides no device now.'
                  : deviceCount === 1
                    ? `The device it decides then ${t.scope === 'tag' ? 'follows another tag’s or its site’s desired image, if any.' : 'has no desired image.'}`
                    : `The ${deviceCount.toLocaleString('en-US')} devices it decides then ${
                        t.scope === 'tag' ? 'follow another tag’s or their site’s desired image, if any.' : 'have no desired image.'
                      }`}{' '}
                Nothing is changed on any device.
              </>
            )
          }
          confirmLabel="Clear"
          busyLabel="Clearing…"
          confirmTestId="confirm-clear-desired"
          errorTestId="desired-clear-error"
          width="normal"
          onConfirm={() => clearDesired(t.scope, t.target, t.targetName)}
          onClose={close}
        />
      );
    }
    case 'registry-form':
      return <RegistryDialog key={dialog.registry?.host ?? 'new'} registry={dialog.registry} onClose={close} />;
    case 'registry-remove': {
      const r = dialog.registry;
      return (
        <ConfirmDialog
          title="Remove registry"
          message={
            <>
              Forget the settings{r.username ? ' and the login' : ''} of <strong>{r.host}</strong>? Its images are then resolved anonymously over TLS.
            </>
          }
          confirmLabel="Remove"
          busyLabel="Removing…"
          confirmTestId="confirm-remove-registry"
          errorTestId="registry-remove-error"
          onConfirm={() => removeRegistry(r.host)}
          onClose={close}
        />
      );
    }
    case 'rollout-new':
      return <RolloutWizard preset={dialog.preset} onClose={close} />;
    case 'rollout-cancel': {
      const r = dialog.rollout;
      return (
        <ConfirmDialog
          title="Cancel rollout"
          message={
            <>
              Cancel rollout <strong>{r.name}</strong>?{' '}
              {r.counts.pending === 0
                ? 'No device is waiting'
                : r.counts.pending === 1
                  ? 'The device not yet started is skipped'
                  : `The ${plural(r.counts.pending, 'device')} not yet started are skipped`}
              {r.counts.running === 0 ? '' : r.counts.running === 1 ? '; the device acting now finishes and is verified' : `; the ${plural(r.counts.running, 'device')} acting now finish and are verified`}. A
              cancelled rollout cannot be resumed.
            </>
          }
          confirmLabel="Cancel rollout"
          busyLabel="Cancelling…"
          dismissLabel="Keep it"
          confirmTestId="confirm-cancel-rollout"
          errorTestId="rollout-cancel-error"
          onConfirm={() => cancelRollout(r.id)}
          onClose={close}
        />
      );
    }
    case 'bundles':
      return <BundlesDialog mode={dialog.mode} refs={dialog.refs} site={dialog.site ?? null} onClose={close} />;
    case 'snapshot':
      return <SnapshotDialog key={dialog.snapshotId} device={dialog.device} snapshotId={dialog.snapshotId} onClose={close} />;
  }
}
