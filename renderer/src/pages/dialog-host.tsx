/** Renders the one open dialog from the UI store, whichever page opened it. */
import type { ReactElement } from 'react';
import { ConfirmDialog } from '../components/confirm-dialog';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { DeviceDialog } from './device-dialog';
import { ImportDialog } from './import-dialog';
import { SiteDialog } from './site-dialog';

/** The dialog host. */
export function DialogHost(): ReactElement | null {
  const dialog = useUi((s) => s.dialog);
  const close = useUi((s) => s.closeDialog);
  const removeDevice = useDevices((s) => s.remove);
  const removeSite = useSites((s) => s.remove);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'device-form':
      return <DeviceDialog key={dialog.device?.id ?? 'new'} device={dialog.device} onClose={close} />;
    case 'device-import':
      return <ImportDialog onClose={close} />;
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
  }
}
