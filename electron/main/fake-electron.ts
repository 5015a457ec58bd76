import { EventEmitter } from 'node:events';
import type { ElectronApi } from './electron-api';

/**
 * A stand-in for the part of Electron the desktop shell uses (ElectronApi), for its tests under
 * plain Node: windows, web contents, the app's events and the dialogs keep what they were asked to
 * do, and the test drives them as the OS and the user would. Everything behind the seam is real.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An event object as Electron passes them: preventDefault() is remembered. */
export function fakeEvent<T extends object>(extra: T = {} as T): T & { defaultPrevented: boolean; preventDefault(): void } {
  const e = { ...extra, defaultPrevented: false, preventDefault: () => void (e.defaultPrevented = true) };
  return e;
}

let nextId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
}

export class FakeElectron {
  readonly windows: FakeWindow[] = [];
  readonly calls: string[] = [];
  readonly boxes: { message: string; detail?: string; buttons: string[] }[] = [];
  /** Answers the next message boxes get (button index); 0 when none is left. */
  readonly answers: number[] = [];
  readonly errors: { title: string; content: string }[] = [];
  readonly openDialogAnswers: string[] = [];
  readonly openedPaths: string[] = [];
  readonly externalUrls: string[] = [];
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  menuTemplate: unknown[] | null = null;
  aboutOptions: Record<string, unknown> | null = null;
  permissionRequest: ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void) | null = null;
  permissionCheck: ((wc: unknown, permission: string) => boolean) | null = null;
  headers: ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;
  gotLock = true;
  quitting = false;
  exitCode: number | null = null;
  private readyResolve!: () => void;
  private readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  readonly app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: () => this.gotLock,
    quit: () => {
      this.calls.push('quit');
      const e = fakeEvent();
      if (this.quitting) return;
      this.app.emit('before-quit', e);
      if (e.defaultPrevented) return;
      this.quitting = true;
      for (const w of [...this.windows]) w.close();
      this.app.emit('will-quit', fakeEvent());
      this.calls.push('quit:done');
    },
    exit: (code = 0) => {
      this.exitCode = code;
    },
    whenReady: () => this.ready,
    enableSandbox: () => void this.calls.push('enableSandbox'),
    setAboutPanelOptions: (o: Record<string, unknown>) => void (this.aboutOptions = o),
    showAboutPanel: () => void this.calls.push('showAboutPanel'),
    getVersion: () => '0.1.0',
  });

  readonly nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: false });

  /** Electron is ready: the shell opens the core and its window. */
  async becomeReady(): Promise<void> {
    this.readyResolve();
    await this.ready;
    await new Promise((r) => setImmediate(r));
  }

  api(): ElectronApi {
    const electron: FakeElectron = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the class below is Electron's BrowserWindow, made per fake
    class BrowserWindow extends FakeWindow {
      constructor(options: Record<string, unknown>) {
        super(electron, options);
      }
      static getAllWindows(): FakeWindow[] {
        return electron.windows.filter((w) => !w.destroyed);
      }
    }
    return {
      app: this.app,
      BrowserWindow,
      ipcMain: { handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => void this.handlers.set(channel, fn) },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (h: FakeElectron['permissionRequest']) => void (this.permissionRequest = h),
          setPermissionCheckHandler: (h: FakeElectron['permissionCheck']) => void (this.permissionCheck = h),
          webRequest: { onHeadersReceived: (h: FakeElectron['headers']) => void (this.headers = h) },
        },
      },
      shell: {
        openPath: async (p: string) => {
          this.openedPaths.push(p);
          return '';
        },
        openExternal: async (u: string) => void this.externalUrls.push(u),
      },
      dialog: {
        showMessageBox: async (...args: unknown[]) => {
          const box = args.at(-1) as { message: string; detail?: string; buttons: string[] };
          this.boxes.push(box);
          return { response: this.answers.shift() ?? 0, checkboxChecked: false };
        },
        showErrorBox: (title: string, content: string) => void this.errors.push({ title, content }),
        showOpenDialog: async () => {
          const p = this.openDialogAnswers.shift();
          return p ? { canceled: false, filePaths: [p] } : { canceled: true, filePaths: [] };
        },
      },
      Menu: {
        buildFromTemplate: (t: unknown[]) => ({ template: t }),
        setApplicationMenu: (m: { template: unknown[] }) => void (this.menuTemplate = m.template),
      },
      nativeTheme: this.nativeTheme,
      screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    } as unknown as ElectronApi;
  }
}

export class FakeWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  bounds: Rect;
  maximized = false;
  minimized = false;
  visible = false;
  focused = false;
  destroyed = false;
  loaded: string | null = null;
  background: string;

  constructor(
    private readonly electron: FakeElectron,
    readonly options: Record<string, unknown>,
  ) {
    super();
    const o = options as Partial<Rect> & { backgroundColor: string };
    this.bounds = { x: o.x ?? 100, y: o.y ?? 100, width: o.width ?? 800, height: o.height ?? 600 };
    this.background = o.backgroundColor;
    electron.windows.push(this);
    electron.app.emit('web-contents-created', fakeEvent(), this.webContents);
  }
  getNormalBounds(): Rect {
    return { ...this.bounds };
  }
  setBounds(b: Rect): void {
    this.bounds = b;
    this.emit('move');
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  minimize(): void {
    this.minimized = true;
  }
  restore(): void {
    this.minimized = false;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setBackgroundColor(c: string): void {
    this.background = c;
  }
  async loadFile(f: string): Promise<void> {
    this.loaded = f;
  }
  async loadURL(u: string): Promise<void> {
    this.loaded = u;
  }
  /** The user (or the app quitting) closes the window; a 'close' listener may prevent it. */
  close(): boolean {
    if (this.destroyed) return true;
    const e = fakeEvent();
    this.emit('close', e);
    if (e.defaultPrevented) return false;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.webContents.emit('destroyed');
    this.emit('closed');
    if (!this.electron.windows.some((w) => !w.destroyed)) this.electron.app.emit('window-all-closed');
    return true;
  }
}
