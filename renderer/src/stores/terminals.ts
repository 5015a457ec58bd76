/**
 * The Terminals page's tabs: one per terminal opened in this window, with its state (connecting,
 * open, ended and why, or failed to open). The terminals themselves (xterm.js and the session on
 * the device) live in lib/terminal-session.ts, one per tab; no output ever passes through here.
 */
import { create } from 'zustand';
import { TerminalSession, type SessionState, type SessionTarget, type SessionUpdate } from '../lib/terminal-session';
import { useUi } from './ui';

export const FONT_SIZES = { min: 9, max: 24, default: 13 } as const;
const FONT_KEY = 'bootfleet.terminalFontSize';

/** One tab. */
export interface TerminalTab {
  /** This window's key for the tab (a reconnect keeps it; the core's terminal id changes). */
  key: string;
  /** Null for a local shell (on the machine Bootfleet runs on). */
  deviceId: string | null;
  /** The device's name (NAME or SITE/NAME once the core named it), or "local: USER@HOST". */
  device: string;
  state: SessionState;
  termId: string | null;
  /** Why it ended. */
  reason: string | null;
  exitCode: number | null;
  /** Why it could not be opened. */
  error: { code: string; message: string } | null;
}

interface TerminalsState {
  tabs: TerminalTab[];
  active: string | null;
  fontSize: number;
  /** Opens a terminal on a device in a new tab and shows it on the Terminals page. */
  open(device: { id: string; name: string }): void;
  /** Opens a login shell on this machine in a new tab (where app.info says local shells are allowed). */
  openLocal(): void;
  activate(key: string): void;
  /** Closes a tab: its session ends (the remote shell gets a hang-up). */
  close(key: string): void;
  /** A new session on the same device in the tab (after it ended or failed). */
  reconnect(key: string): void;
  setFontSize(size: number): void;
}

function readFontSize(): number {
  try {
    const n = Number(localStorage.getItem(FONT_KEY));
    if (Number.isInteger(n) && n >= FONT_SIZES.min && n <= FONT_SIZES.max) return n;
  } catch {
    // storage unavailable
  }
  return FONT_SIZES.default;
}

/** The terminal of each tab, by key (outside the store: xterm objects are not state). */
const sessions = new Map<string, TerminalSession>();
let nextKey = 1;

/** The terminal of a tab. */
export function sessionOf(key: string): TerminalSession | undefined {
  return sessions.get(key);
}

type Set_ = (fn: (s: TerminalsState) => Partial<TerminalsState>) => void;

/** A new tab with its session, shown on the Terminals page. */
function addTab(set: Set_, get: () => TerminalsState, target: SessionTarget, deviceId: string | null, name: string): void {
  const key = `t${nextKey++}`;
  const patch = (u: SessionUpdate): void => {
    set((s) => ({
      tabs: s.tabs.map((t) =>
        t.key === key ? { ...t, state: u.state, termId: u.termId, reason: u.reason, exitCode: u.exitCode, error: u.error, device: u.device ?? t.device } : t,
      ),
    }));
  };
  sessions.set(key, new TerminalSession(target, get().fontSize, patch));
  const tab: TerminalTab = { key, deviceId, device: name, state: 'connecting', termId: null, reason: null, exitCode: null, error: null };
  set((s) => ({ tabs: [...s.tabs, tab], active: key }));
  useUi.getState().navigate('terminals');
}

/** The terminals store. */
export const useTerminals = create<TerminalsState>((set, get) => ({
  tabs: [],
  active: null,
  fontSize: readFontSize(),
  open(device) {
    addTab(set, get, { device: device.id }, device.id, device.name);
  },
  openLocal() {
    addTab(set, get, { local: true }, null, 'Local shell');
  },
  activate(key) {
    if (get().tabs.some((t) => t.key === key)) set({ active: key });
  },
  close(key) {
    sessions.get(key)?.dispose();
    sessions.delete(key);
    set((s) => {
      const i = s.tabs.findIndex((t) => t.key === key);
      const tabs = s.tabs.filter((t) => t.key !== key);
      const active = s.active !== key ? s.active : (tabs[Math.min(i, tabs.length - 1)]?.key ?? null);
      return { tabs, active };
    });
  },
  reconnect(key) {
    sessions.get(key)?.reconnect();
  },
  setFontSize(size) {
    const n = Math.max(FONT_SIZES.min, Math.min(FONT_SIZES.max, Math.round(size)));
    try {
      localStorage.setItem(FONT_KEY, String(n));
    } catch {
      // not remembered; still applied
    }
    for (const s of sessions.values()) s.setFontSize(n);
    set({ fontSize: n });
  },
}));
