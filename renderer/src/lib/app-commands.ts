/**
 * What the desktop app's menu asks of the window (the `app.command` event): Refresh (the device
 * shown, or the fleet), New device (the device dialog) and Flash a drive (the Flash page).
 */
import type { EventPayload } from '../../../shared/contract';
import { useDeviceDetail } from '../stores/device-detail';
import { useRefresh } from '../stores/refresh';
import { useUi } from '../stores/ui';
import { client } from './api';

export type AppCommand = EventPayload<'app.command'>['command'];

export function runAppCommand(command: AppCommand): void {
  const ui = useUi.getState();
  if (command === 'flash') ui.navigate('flash');
  else if (command === 'new-device') ui.openDialog({ kind: 'device-form', device: null });
  else if (ui.route.page === 'devices' && ui.route.id) {
    const shown = useDeviceDetail.getState().detail;
    void useRefresh.getState().refreshDevice(ui.route.id, shown?.device.id === ui.route.id ? shown.device.name : ui.route.id);
  }
  else void useRefresh.getState().refreshFleet(null, 'all devices');
}

export function startAppCommands(): void {
  client.on('app.command', (p) => runAppCommand(p.command));
}
