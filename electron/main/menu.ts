import type { MenuItemConstructorOptions } from 'electron';
import type { EventPayload } from '../../shared/contract';

/** What the app's own menu items do; `refresh`, `new-device` and `flash` are carried out by the window. */
/** What the window carries out (the contract's `app.command`), and what the shell does itself. */
export type WindowCommand = EventPayload<'app.command'>['command'];
export type MenuCommand = WindowCommand | 'open-image' | 'open-data-folder' | 'about';

/**
 * The application menu: the standard roles with their platform accelerators (Edit, View zoom and
 * full screen, Window, Quit), and the app's own: Refresh (F5, or Cmd+R on macOS), New device
 * (Ctrl/Cmd+N), Flash a drive (Ctrl/Cmd+Shift+F), Open image (Ctrl/Cmd+O), Open data folder and About.
 * Reload and the developer tools only in development.
 */
export function menuTemplate(o: { platform: NodeJS.Platform; dev: boolean; run(command: MenuCommand): void }): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const item = (label: string, command: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => o.run(command),
  });
  const about = item('About Bootfleet', 'about');
  return [
    ...(mac
      ? [
          {
            label: 'Bootfleet',
            submenu: [about, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    {
      label: '&File',
      submenu: [
        item('Open Image…', 'open-image', 'CmdOrCtrl+O'),
        item('New Device…', 'new-device', 'CmdOrCtrl+N'),
        item('Flash a Drive', 'flash', 'CmdOrCtrl+Shift+F'),
        { type: 'separator' },
        item('Open Data Folder', 'open-data-folder'),
        ...(mac ? [] : ([{ type: 'separator' }, { role: 'quit' }] satisfies MenuItemConstructorOptions[])),
      ],
    },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: '&View',
      submenu: [
        item('Refresh', 'refresh', mac ? 'Cmd+R' : 'F5'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(o.dev ? ([{ type: 'separator' }, { role: 'reload', accelerator: 'CmdOrCtrl+Shift+R' }, { role: 'toggleDevTools' }] satisfies MenuItemConstructorOptions[]) : []),
      ],
    },
    { label: '&Window', submenu: [{ role: 'minimize' }, ...(mac ? ([{ role: 'zoom' }, { type: 'separator' }, { role: 'front' }] satisfies MenuItemConstructorOptions[]) : [{ role: 'close' } satisfies MenuItemConstructorOptions])] },
    { label: '&Help', role: 'help', submenu: mac ? [] : [about] },
  ];
}
