/**
 * UI state that is not inventory data: theme, the current page (kept in the URL hash so
 * a reload stays put: `#/devices`, or `#/devices/<id>` for one device), the open dialog,
 * toasts and the global error bar.
 */
import { create } from 'zustand';
import type { DesiredScope, Device, DeviceFilter, HostKey, Registry, Rollout, RolloutAction, Site } from '../../../shared/contract';
import { asAppError, errorText, isExpectedError } from '../lib/error-text';

/** The user's theme choice; "system" follows the OS setting. */
export type ThemePref = 'light' | 'dark' | 'system';

/** A desired image's owner: a site (by id), a tag (by name) or a device (by id), with the name to show. */
export interface DesiredTarget {
  scope: DesiredScope;
  target: string;
  targetName: string;
}

/** What the rollout wizard starts from: the devices (by a filter or by name) and, optionally, the action. */
export interface RolloutPreset {
  filter?: DeviceFilter;
  devices?: string[];
  /** Where the selection comes from, in words: "the Devices page filter". */
  source?: string;
  action?: RolloutAction;
  /** The image offered for a switch (e.g. the desired image of the devices behind it). */
  image?: string;
}

/** Which dialog is open (one at a time). */
export type DialogState =
  | { kind: 'device-form'; device: Device | null }
  | { kind: 'device-delete'; device: Device }
  | { kind: 'device-import' }
  | { kind: 'ssh-import'; mode?: 'config' | 'known-hosts' }
  | { kind: 'site-form'; site: Site | null }
  | { kind: 'site-delete'; site: Site }
  | { kind: 'hostkey-accept'; device: Device; hostKey: HostKey }
  | { kind: 'snapshot'; device: Device; snapshotId: number }
  /** Set a desired image: for a given owner (`for`, fixed), or choosing one. */
  | { kind: 'desired-set'; for: DesiredTarget | null; image?: string; requireSigned?: boolean }
  | { kind: 'desired-clear'; for: DesiredTarget; image: string; deviceCount: number }
  | { kind: 'registry-form'; registry: Registry | null }
  | { kind: 'registry-remove'; registry: Registry }
  /** The rollout wizard: devices and action, policy, review. */
  | { kind: 'rollout-new'; preset?: RolloutPreset }
  | { kind: 'rollout-cancel'; rollout: Rollout }
  /** Bundles: export (images chosen by library id, a site) or import; Keys… inside it. */
  | { kind: 'bundles'; mode?: 'export' | 'import'; refs?: string[]; site?: string | null }
  | null;

/** A transient notice in the corner. */
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
}

/** An unexpected error, shown with its code until dismissed. */
export interface GlobalError {
  code: string;
  message: string;
  context: string | undefined;
}

const THEME_KEY = 'bootfleet.theme';
const DEFAULT_ROUTE = 'fleet';

function readTheme(): ThemePref {
  try {
    const v = localStorage.getItem(THEME_KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // storage unavailable: fall through
  }
  return 'system';
}

const darkQuery = (): MediaQueryList | null => (typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null);

/** Sets `data-theme` on <html> to the palette in effect ("system" resolved from the OS); CSS picks it. */
export function applyTheme(theme: ThemePref): void {
  const effective = theme === 'system' ? (darkQuery()?.matches ? 'dark' : 'light') : theme;
  document.documentElement.dataset.theme = effective;
  document.documentElement.dataset.themePref = theme;
}

/** Where the UI is: a page of the navigation and, for a detail view, the item's id. */
export interface Route {
  page: string;
  /** e.g. the device id of `#/devices/<id>`; null on the page itself. */
  id: string | null;
}

function routeFromHash(): Route {
  const m = /^#\/?([a-z0-9-]+)(?:\/([^/?#]+))?/i.exec(location.hash);
  if (!m?.[1]) return { page: DEFAULT_ROUTE, id: null };
  let id: string | null = null;
  if (m[2]) {
    try {
      id = decodeURIComponent(m[2]);
    } catch {
      id = null;
    }
  }
  return { page: m[1].toLowerCase(), id };
}

/** The hash of a route: `#/devices`, `#/devices/<id>`. */
export function routeHref(page: string, id?: string | null): string {
  return id ? `#/${page}/${encodeURIComponent(id)}` : `#/${page}`;
}

interface UiState {
  theme: ThemePref;
  route: Route;
  dialog: DialogState;
  toasts: Toast[];
  globalError: GlobalError | null;
  setTheme(theme: ThemePref): void;
  /** light → dark → system → light. */
  cycleTheme(): void;
  /** Goes to a page, or to one item's detail view with `id`. */
  navigate(page: string, id?: string | null): void;
  openDialog(dialog: Exclude<DialogState, null>): void;
  closeDialog(): void;
  toast(kind: Toast['kind'], message: string): void;
  dismissToast(id: number): void;
  /**
   * Reports a failure: expected codes become an error toast with a readable sentence,
   * anything else goes to the global error bar with its code.
   */
  reportError(err: unknown, context?: string): void;
  dismissError(): void;
}

let toastId = 1;

/** The UI store. */
export const useUi = create<UiState>((set, get) => ({
  theme: readTheme(),
  route: routeFromHash(),
  dialog: null,
  toasts: [],
  globalError: null,
  setTheme(theme) {
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // not persisted; still applied
    }
    applyTheme(theme);
    set({ theme });
  },
  cycleTheme() {
    const order: ThemePref[] = ['light', 'dark', 'system'];
    const next = order[(order.indexOf(get().theme) + 1) % order.length] ?? 'system';
    get().setTheme(next);
  },
  navigate(page, id = null) {
    const href = routeHref(page, id);
    if (location.hash !== href) location.hash = href;
    set({ route: { page, id } });
  },
  openDialog(dialog) {
    set({ dialog });
  },
  closeDialog() {
    set({ dialog: null });
  },
  toast(kind, message) {
    const id = toastId++;
    set((s) => ({ toasts: [...s.toasts.slice(-4), { id, kind, message }] }));
    setTimeout(() => get().dismissToast(id), kind === 'error' ? 8000 : 4000);
  },
  dismissToast(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
  reportError(err, context) {
    const e = asAppError(err);
    if (isExpectedError(e.code)) {
      // DISCONNECTED is already shown by the connection banner.
      if (e.code !== 'DISCONNECTED') get().toast('error', e.message || errorText[e.code] || e.code);
      return;
    }
    console.error('Bootfleet:', context ?? '', e);
    set({ globalError: { code: e.code, message: e.message, context } });
  },
  dismissError() {
    set({ globalError: null });
  },
}));

/** Starts following the URL hash and the OS colour scheme; call once at startup. */
export function startUi(): void {
  applyTheme(useUi.getState().theme);
  darkQuery()?.addEventListener('change', () => applyTheme(useUi.getState().theme));
  window.addEventListener('hashchange', () => useUi.setState({ route: routeFromHash() }));
  if (!location.hash) history.replaceState(null, '', `#/${DEFAULT_ROUTE}`);
}
