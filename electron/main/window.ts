import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BrowserWindow, BrowserWindowConstructorOptions, Rectangle } from 'electron';

/** Where the window was and whether it was maximized, kept in the data directory between runs. */
export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 800 };
const MIN_SIZE = { width: 900, height: 560 };
/** How much of a saved window must still be on some display for its place to be reused. */
const VISIBLE = 120;

export const backgroundColor = (dark: boolean): string => (dark ? '#16181d' : '#ffffff');

/**
 * The main window: sandboxed renderer with context isolation and no Node, web security on, no
 * webviews, no insecure content; the only bridge is the preload's two IPC channels.
 */
export function windowOptions(o: { preload: string; dark: boolean; state: WindowState | null }): BrowserWindowConstructorOptions {
  const b = o.state?.bounds;
  return {
    ...(b ? { x: b.x, y: b.y, width: b.width, height: b.height } : DEFAULT_SIZE),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Bootfleet',
    show: false,
    backgroundColor: backgroundColor(o.dark),
    webPreferences: {
      preload: o.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

const isRect = (r: unknown): r is Rectangle =>
  !!r && typeof r === 'object' && ['x', 'y', 'width', 'height'].every((k) => Number.isFinite((r as Record<string, unknown>)[k]));

/**
 * A saved state, if it is one and the window would still be on a display (a monitor may have
 * been unplugged or the layout changed since): at least VISIBLE pixels of it on some display's
 * work area, and no smaller than the window's minimum size.
 */
export function restoreState(saved: unknown, workAreas: Rectangle[]): WindowState | null {
  if (!saved || typeof saved !== 'object') return null;
  const s = saved as { bounds?: unknown; maximized?: unknown };
  if (!isRect(s.bounds)) return null;
  const b = { x: Math.round(s.bounds.x), y: Math.round(s.bounds.y), width: Math.max(MIN_SIZE.width, Math.round(s.bounds.width)), height: Math.max(MIN_SIZE.height, Math.round(s.bounds.height)) };
  const onScreen = workAreas.some((a) => {
    const w = Math.min(b.x + b.width, a.x + a.width) - Math.max(b.x, a.x);
    const h = Math.min(b.y + b.height, a.y + a.height) - Math.max(b.y, a.y);
    return w >= VISIBLE && h >= VISIBLE;
  });
  return onScreen ? { bounds: b, maximized: s.maximized === true } : null;
}

/** window-state.json: read leniently (a damaged file is a default window), written atomically. */
export class WindowStateFile {
  constructor(readonly path: string) {}

  read(): unknown {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
    } catch {
      return null;
    }
  }

  write(state: WindowState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(`${this.path}.tmp`, JSON.stringify(state));
    renameSync(`${this.path}.tmp`, this.path);
  }
}

/** Saves the window's place as it is moved or resized (debounced), and when it closes. */
export function trackWindowState(win: BrowserWindow, file: WindowStateFile, debounceMs = 400): void {
  let timer: NodeJS.Timeout | undefined;
  const save = (): void => {
    clearTimeout(timer);
    if (win.isDestroyed()) return;
    // The size it returns to when un-maximized, so a maximized window does not come back huge and unmaximized.
    file.write({ bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  };
  const later = (): void => {
    clearTimeout(timer);
    timer = setTimeout(save, debounceMs);
  };
  for (const e of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(e as 'resize', later);
  win.on('close', save);
}
