/**
 * One terminal tab's xterm.js and its session on the device (terminals.open|input|resize|ack|close,
 * the terminal.output and terminal.exit events). Output is written straight into xterm, never into
 * React or zustand state; what xterm has drawn is acknowledged in batches, so the core keeps a flood
 * to about 256 KiB in flight. The xterm element lives as long as the tab: the Terminals page moves
 * it into view and out again, so leaving the page keeps the scrollback and the session.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type ITheme } from '@xterm/xterm';
import { TERMINAL_FLOW } from '../../../shared/contract';
import { client } from './api';
import { copyText } from './clipboard';
import { asAppError } from './error-text';

/** Lines kept above the screen. */
export const SCROLLBACK = 5000;
/** Acknowledge drawn output once this much waits (the core resumes below TERMINAL_FLOW.low)... */
export const ACK_BYTES = TERMINAL_FLOW.low;
/** ...or after this long. */
export const ACK_MS = 100;
/** How long a container must keep its size before the terminal is refitted. */
const FIT_MS = 80;
/** Characters per terminals.input call (the contract takes up to 64 Ki). */
const INPUT_CHUNK = 32 * 1024;
/** Output kept for terminals whose terminals.open answer is still on its way. */
const EARLY_CAP = 512 * 1024;

/** Where a tab's session is. */
export type SessionState = 'connecting' | 'open' | 'ended' | 'failed';

/** Where a session's shell runs: on a device (by id), or on the machine Bootfleet runs on. */
export type SessionTarget = { device: string } | { local: true };

/** What a session tells its tab. */
export interface SessionUpdate {
  state: SessionState;
  /** The core's terminal id while one is open. */
  termId: string | null;
  /** NAME or SITE/NAME, as the core names the device. */
  device?: string;
  /** Why it ended ('closed', 'exited', 'the connection dropped', ...). */
  reason: string | null;
  exitCode: number | null;
  /** Why it could not be opened. */
  error: { code: string; message: string } | null;
}

const light: ITheme = {
  background: '#fbfbfc',
  foreground: '#1b1b1f',
  cursor: '#4f5bd5',
  cursorAccent: '#fbfbfc',
  selectionBackground: 'rgba(79, 91, 213, 0.22)',
  black: '#1b1b1f',
  red: '#c42b2b',
  green: '#1d7a45',
  yellow: '#8a5f00',
  blue: '#3443c4',
  magenta: '#9236a8',
  cyan: '#0f7387',
  white: '#6b6b76',
  brightBlack: '#5c5c66',
  brightRed: '#d03a3a',
  brightGreen: '#23874f',
  brightYellow: '#a36f00',
  brightBlue: '#4f5bd5',
  brightMagenta: '#a847c0',
  brightCyan: '#13849b',
  brightWhite: '#9a9aa4',
};

const dark: ITheme = {
  background: '#111114',
  foreground: '#e4e4ea',
  cursor: '#8390ff',
  cursorAccent: '#111114',
  selectionBackground: 'rgba(131, 144, 255, 0.3)',
  black: '#2b2b31',
  red: '#f07070',
  green: '#5cc98a',
  yellow: '#e6c06a',
  blue: '#7f8cf2',
  magenta: '#c792ea',
  cyan: '#5fc4d6',
  white: '#c9c9d2',
  brightBlack: '#6e6e78',
  brightRed: '#ff8f8f',
  brightGreen: '#7ee0a6',
  brightYellow: '#f5d58a',
  brightBlue: '#a3adff',
  brightMagenta: '#dab0f5',
  brightCyan: '#8adbe8',
  brightWhite: '#ffffff',
};

/** The terminal font stack (the app's monospace fonts). */
export const TERMINAL_FONT = "ui-monospace, 'SF Mono', 'Cascadia Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace";

/** The palette for the app's theme in effect (`data-theme` on <html>). */
export function currentTheme(): ITheme {
  return document.documentElement.dataset.theme === 'dark' ? dark : light;
}

const searchOptions = (): ISearchOptions => {
  const isDark = document.documentElement.dataset.theme === 'dark';
  return {
    decorations: {
      matchBackground: isDark ? '#5a4716' : '#fff1c2',
      matchOverviewRuler: '#d99a1e',
      activeMatchBackground: isDark ? '#8a5300' : '#f7c948',
      activeMatchColorOverviewRuler: '#d99a1e',
    },
  };
};

/** Every session of this window, to follow the theme. */
const all = new Set<TerminalSession>();
/** Other terminals that follow the theme (the recording player's). */
const followers = new Set<Terminal>();

/** Keeps a terminal's palette on the app's theme until the returned function is called. */
export function followTheme(term: Terminal): () => void {
  term.options.theme = currentTheme();
  followers.add(term);
  return () => {
    followers.delete(term);
  };
}
/** Sessions with an open terminal, by the core's id. */
const live = new Map<string, TerminalSession>();
/** Events for ids not known yet: output can arrive before the terminals.open answer. */
type Early = { kind: 'output'; data: string; bytes: number } | { kind: 'exit'; code: number | null; signal: string | null; reason: string };
const early = new Map<string, Early[]>();
let earlySize = 0;
let opening = 0;

function keepEarly(id: string, e: Early): void {
  // Only while this window waits for an answer; other windows' terminals are not ours.
  if (opening === 0) return;
  const size = e.kind === 'output' ? e.data.length : 0;
  if (earlySize + size > EARLY_CAP) return;
  earlySize += size;
  const list = early.get(id) ?? [];
  list.push(e);
  early.set(id, list);
}

client.on('terminal.output', (p) => {
  const s = live.get(p.id);
  if (s) s.output(p.data, p.bytes);
  else keepEarly(p.id, { kind: 'output', data: p.data, bytes: p.bytes });
});

client.on('terminal.exit', (p) => {
  const s = live.get(p.id);
  if (s) s.exited(p.reason, p.code, p.signal);
  else keepEarly(p.id, { kind: 'exit', code: p.code, signal: p.signal, reason: p.reason });
});

// After a reconnect, terminals of the old connection were closed with it (their exit went nowhere).
client.on('inventory.changed', (p) => {
  if (p.entity !== 'all' || live.size === 0) return;
  client.invoke('terminals.list', {}).then(
    (list) => {
      const open = new Set(list.map((t) => t.id));
      for (const [id, s] of [...live]) if (!open.has(id)) s.exited('the connection to Bootfleet dropped', null, null);
    },
    () => {},
  );
});

if (typeof MutationObserver === 'function') {
  new MutationObserver(() => {
    const theme = currentTheme();
    for (const s of all) s.term.options.theme = theme;
    for (const t of followers) t.options.theme = theme;
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
}

/** The line written when a session ends. */
export function endedLine(reason: string, code: number | null, signal: string | null): string {
  const how = code !== null ? `, exit status ${code}` : signal ? `, signal ${signal}` : '';
  return `[session ended: ${reason}${how}]`;
}

/** One tab's terminal. */
export class TerminalSession {
  readonly term: Terminal;
  /** xterm's parent; moved into the page's container while the tab is shown. */
  readonly host: HTMLDivElement;
  private readonly fitAddon = new FitAddon();
  private readonly searchAddon = new SearchAddon({ highlightLimit: 1000 });
  private termId: string | null = null;
  private state: SessionState = 'connecting';
  private started = false;
  private disposed = false;
  private unacked = 0;
  /** Bytes drawn and acknowledged since the tab opened (`data-drawn`, for tests). */
  private acked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private input = '';
  private fitTimer: ReturnType<typeof setTimeout> | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** Where the shell runs: a device (its id), or this machine. */
    private readonly target: SessionTarget,
    fontSize: number,
    private readonly update: (u: SessionUpdate) => void,
  ) {
    this.term = new Terminal({
      scrollback: SCROLLBACK,
      fontSize,
      fontFamily: TERMINAL_FONT,
      theme: currentTheme(),
      cursorBlink: true,
      allowProposedApi: true,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.searchAddon);
    this.term.loadAddon(new WebLinksAddon((_e, uri) => window.open(uri, '_blank', 'noopener,noreferrer')));
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    this.host = document.createElement('div');
    this.host.className = 'terminal-host';
    this.host.dataset.testid = 'terminal-host';
    this.term.onData((d) => this.send(d));
    this.term.onResize(({ cols, rows }) => {
      this.host.dataset.size = `${rows}x${cols}`;
      this.scheduleResize();
    });
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey) return true;
      if (e.code === 'KeyC') {
        const text = this.term.getSelection();
        if (text) void copyText(text).catch(() => {});
        e.preventDefault();
        return false;
      }
      // The browser's own paste (and Find, handled by the page) take these: not keys for the shell.
      if (e.code === 'KeyV' || e.code === 'KeyF') return false;
      return true;
    });
    all.add(this);
  }

  /** Shows the terminal in `container`; the first time, sizes it and opens the session. */
  attach(container: HTMLElement): void {
    if (this.disposed) return;
    if (this.host.parentElement !== container) container.appendChild(this.host);
    if (!this.term.element) this.term.open(this.host);
    this.fit();
    if (!this.started) void this.connect();
    this.term.focus();
  }

  /** Takes the terminal out of view (the tab or the page is left); the session goes on. */
  detach(): void {
    this.host.remove();
  }

  /** Fits the terminal to its container now (a size change goes to the device, debounced). */
  fit(): void {
    if (!this.host.isConnected || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
    try {
      this.fitAddon.fit();
    } catch {
      // not measurable yet
    }
    this.host.dataset.size = `${this.term.rows}x${this.term.cols}`;
  }

  /** Refits once the container has kept its size for a moment (window or panel resized). */
  scheduleFit(): void {
    if (this.fitTimer) clearTimeout(this.fitTimer);
    this.fitTimer = setTimeout(() => {
      this.fitTimer = null;
      this.fit();
    }, FIT_MS);
  }

  setFontSize(size: number): void {
    this.term.options.fontSize = size;
    this.fit();
  }

  /** Finds `text` after (or before) the current match; false when there is none. */
  find(text: string, backwards = false): boolean {
    if (!text) {
      this.searchAddon.clearDecorations();
      return false;
    }
    return backwards ? this.searchAddon.findPrevious(text, searchOptions()) : this.searchAddon.findNext(text, searchOptions());
  }

  clearSearch(): void {
    this.searchAddon.clearDecorations();
  }

  focus(): void {
    this.term.focus();
  }

  /** Opens a new session on the same device in this terminal (after one ended or failed). */
  reconnect(): void {
    if (this.disposed || this.state === 'open' || this.state === 'connecting') return;
    this.term.write('\r\n');
    void this.connect();
  }

  /** Closes the session (the remote shell gets a hang-up) and frees the terminal. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const id = this.termId;
    if (id && this.state === 'open') void client.invoke('terminals.close', { id }).catch(() => {});
    this.forget();
    for (const t of [this.fitTimer, this.resizeTimer, this.ackTimer]) if (t) clearTimeout(t);
    all.delete(this);
    this.term.dispose();
    this.host.remove();
  }

  /** Output for this terminal: drawn, then acknowledged (in batches). */
  output(data: string, bytes: number): void {
    if (this.disposed) return;
    this.term.write(data, () => this.drawn(bytes));
  }

  /** The session ended: say so in the terminal. */
  exited(reason: string, code: number | null, signal: string | null): void {
    if (this.disposed || this.state !== 'open') return;
    this.forget();
    this.state = 'ended';
    this.term.write(`\r\n\x1b[2m${endedLine(reason, code, signal)}\x1b[0m\r\n`);
    this.update({ state: 'ended', termId: null, reason, exitCode: code, error: null });
  }

  private async connect(): Promise<void> {
    this.started = true;
    this.state = 'connecting';
    this.update({ state: 'connecting', termId: null, reason: null, exitCode: null, error: null });
    opening++;
    try {
      const where = 'local' in this.target ? { local: true } : { device: this.target.device };
      const t = await client.invoke('terminals.open', { ...where, cols: this.term.cols, rows: this.term.rows });
      if (this.disposed) {
        void client.invoke('terminals.close', { id: t.id }).catch(() => {});
        return;
      }
      this.termId = t.id;
      this.state = 'open';
      this.unacked = 0;
      live.set(t.id, this);
      this.update({ state: 'open', termId: t.id, device: t.device, reason: null, exitCode: null, error: null });
      // The size may have changed on the way.
      if (t.cols !== this.term.cols || t.rows !== this.term.rows) this.scheduleResize();
      else this.host.dataset.remoteSize = `${t.rows}x${t.cols}`;
      for (const e of early.get(t.id) ?? []) {
        if (e.kind === 'output') this.output(e.data, e.bytes);
        else this.exited(e.reason, e.code, e.signal);
      }
      early.delete(t.id);
    } catch (err) {
      if (this.disposed) return;
      const e = asAppError(err);
      this.state = 'failed';
      this.term.write(`\x1b[31m[could not open a terminal: ${e.code}]\x1b[0m\r\n`);
      this.update({ state: 'failed', termId: null, reason: null, exitCode: null, error: { code: e.code, message: e.message } });
    } finally {
      opening--;
      if (opening === 0) {
        early.clear();
        earlySize = 0;
      }
    }
  }

  private forget(): void {
    if (this.termId) live.delete(this.termId);
    this.termId = null;
    this.unacked = 0;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  /** Keystrokes typed in the same moment go out together; nothing waits longer than that. */
  private send(data: string): void {
    if (this.state !== 'open' || !this.termId) return;
    const flush = this.input === '';
    this.input += data;
    if (!flush) return;
    queueMicrotask(() => {
      const text = this.input;
      this.input = '';
      const id = this.termId;
      if (!id || this.state !== 'open') return;
      for (let i = 0; i < text.length; i += INPUT_CHUNK) {
        void client.invoke('terminals.input', { id, data: text.slice(i, i + INPUT_CHUNK) }).catch(() => {});
      }
    });
  }

  private drawn(bytes: number): void {
    if (!this.termId) return;
    this.unacked += bytes;
    if (this.unacked >= ACK_BYTES) this.ack();
    else if (!this.ackTimer && this.unacked > 0) this.ackTimer = setTimeout(() => this.ack(), ACK_MS);
  }

  private ack(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const id = this.termId;
    const bytes = this.unacked;
    this.unacked = 0;
    if (!id || bytes === 0) return;
    this.acked += bytes;
    this.host.dataset.drawn = String(this.acked);
    void client.invoke('terminals.ack', { id, bytes }).catch(() => {});
  }

  private scheduleResize(): void {
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      const id = this.termId;
      if (!id || this.state !== 'open') return;
      const { cols, rows } = this.term;
      client.invoke('terminals.resize', { id, cols, rows }).then(
        () => {
          this.host.dataset.remoteSize = `${rows}x${cols}`;
        },
        () => {},
      );
    }, 100);
  }
}
