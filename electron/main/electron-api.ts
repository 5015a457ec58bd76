import type * as Electron from 'electron';

/**
 * The one seam between the desktop shell and Electron: the parts of Electron's API the shell
 * uses. index.ts passes the real module; the tests (plain Node, where Electron cannot run) pass a
 * small stand-in, and nothing else is replaced. Modules here import Electron's types only.
 */
export interface ElectronApi {
  app: Electron.App;
  BrowserWindow: typeof Electron.BrowserWindow;
  ipcMain: Electron.IpcMain;
  session: typeof Electron.session;
  shell: Electron.Shell;
  dialog: Electron.Dialog;
  Menu: typeof Electron.Menu;
  nativeTheme: Electron.NativeTheme;
  screen: Electron.Screen;
}
