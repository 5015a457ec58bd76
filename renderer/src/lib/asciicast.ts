/**
 * Terminal recordings (asciicast v2, as the core writes them: a JSON header line, then one
 * `[seconds, "o" | "r", data]` line per event) read defensively, and a player that writes them into
 * a terminal with their timing: play / pause, speed, an idle time limit (long pauses shortened),
 * restart. The player schedules itself with setTimeout and holds back while the terminal has not
 * drawn what it was given, so a flood in a recording cannot outrun it; nothing here touches React.
 */
import type { Recording } from '../../../shared/contract';

/** The longest pause replayed as it was, in seconds, while idle time is skipped. */
export const IDLE_LIMIT = 2;
/** The speeds offered. */
export const SPEEDS = [1, 2, 4] as const;

export interface CastHeader {
  width: number;
  height: number;
  /** Unix seconds, when given. */
  timestamp: number | null;
  title: string | null;
}

/** One event: output, or a resize to `cols` x `rows`. */
export type CastEvent = { time: number; kind: 'o'; data: string } | { time: number; kind: 'r'; cols: number; rows: number };

export interface Cast {
  header: CastHeader;
  events: CastEvent[];
  /** Event lines that could not be read (skipped), with the first one's line number. */
  skipped: number;
  firstSkippedLine: number | null;
}

/** A cast that cannot be played at all. */
export class CastError extends Error {}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 10_000;

/**
 * Reads an asciicast v2 text. A missing or unreadable header throws CastError; a bad event line
 * (not JSON, wrong shape, time going backwards) is skipped and counted; event types other than
 * "o" and "r" (input, markers) are ignored, as players do.
 */
export function parseCast(text: string): Cast {
  const lines = text.split('\n');
  const first = lines[0]?.trim() ?? '';
  if (!first) throw new CastError('The recording is empty.');
  let raw: unknown;
  try {
    raw = JSON.parse(first);
  } catch {
    throw new CastError('The recording does not start with an asciicast header (line 1 is not JSON).');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CastError('The recording does not start with an asciicast header.');
  const h = raw as Record<string, unknown>;
  if (h.version !== 2) throw new CastError(`The recording is asciicast version ${JSON.stringify(h.version ?? null)}; only version 2 can be replayed.`);
  if (!positiveInt(h.width) || !positiveInt(h.height)) throw new CastError('The recording’s header has no valid width and height.');
  const header: CastHeader = {
    width: h.width,
    height: h.height,
    timestamp: typeof h.timestamp === 'number' && Number.isFinite(h.timestamp) ? h.timestamp : null,
    title: typeof h.title === 'string' ? h.title : null,
  };
  const events: CastEvent[] = [];
  let skipped = 0;
  let firstSkippedLine: number | null = null;
  let last = 0;
  const skip = (i: number): void => {
    skipped++;
    firstSkippedLine ??= i + 1;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      skip(i);
      continue;
    }
    if (!Array.isArray(e) || e.length < 3 || typeof e[0] !== 'number' || !Number.isFinite(e[0]) || e[0] < 0 || typeof e[1] !== 'string' || typeof e[2] !== 'string') {
      skip(i);
      continue;
    }
    // Time never goes backwards in a cast; a line that does is damaged.
    const time = e[0] as number;
    if (time < last) {
      skip(i);
      continue;
    }
    if (e[1] === 'o') {
      events.push({ time, kind: 'o', data: e[2] as string });
      last = time;
    } else if (e[1] === 'r') {
      const m = /^(\d+)x(\d+)$/.exec(e[2] as string);
      const cols = m ? Number(m[1]) : 0;
      const rows = m ? Number(m[2]) : 0;
      if (!positiveInt(cols) || !positiveInt(rows)) {
        skip(i);
        continue;
      }
      events.push({ time, kind: 'r', cols, rows });
      last = time;
    }
  }
  return { header, events, skipped, firstSkippedLine };
}

/** The events' times with every pause longer than `limit` seconds shortened to it (no limit: null). */
export function timeline(events: readonly CastEvent[], limit: number | null): number[] {
  const at: number[] = [];
  let prev = 0;
  let t = 0;
  for (const e of events) {
    const gap = e.time - prev;
    t += limit === null ? gap : Math.min(gap, limit);
    prev = e.time;
    at.push(t);
  }
  return at;
}

/** "0:07", "12:03", "1:02:03". */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** The download's name: `bootfleet-<device>-<startedAt>.cast`, safe on every file system. */
export function castFileName(r: Pick<Recording, 'device' | 'startedAt'>): string {
  const device = r.device.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'device';
  const when = r.startedAt.replace(/\.\d+(?=Z$)/, '').replace(/:/g, '-');
  return `bootfleet-${device}-${when}.cast`;
}

/** Where the player writes. */
export interface CastSink {
  /** Writes output; `done` once it is drawn. */
  write(data: string, done: () => void): void;
  resize(cols: number, rows: number): void;
  /** Clears the screen and state, at the recording's first size (restart). */
  reset(cols: number, rows: number): void;
}

/** What the player shows. */
export interface PlayerState {
  playing: boolean;
  /** Seconds played, on the timeline in effect (idle time skipped or not). */
  position: number;
  duration: number;
  speed: number;
  idleLimit: boolean;
  ended: boolean;
}

/** Characters written in one go; more that is due follows on the next turn. */
const CHUNK = 64 * 1024;
/** Undrawn characters at which the player waits for the terminal, and where it goes on. */
const HIGH = 512 * 1024;
const LOW = 128 * 1024;
/** The progress is told at least this often while playing. */
const TICK_MS = 100;

/** Plays a cast into a sink. */
export class CastPlayer {
  private at: number[];
  private index = 0;
  private playing = false;
  private speed = 1;
  private idleLimit: boolean;
  /** The clock: `anchorPos` seconds at `anchorWall` (ms) while playing. */
  private anchorPos = 0;
  private anchorWall = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending = 0;
  private stalled = false;
  private disposed = false;
  private lastTold = 0;

  constructor(
    private readonly cast: Cast,
    private readonly sink: CastSink,
    private readonly onChange: (s: PlayerState) => void,
    opts: { idleLimit?: boolean; now?: () => number } = {},
  ) {
    this.idleLimit = opts.idleLimit ?? true;
    if (opts.now) this.now = opts.now;
    this.at = timeline(cast.events, this.idleLimit ? IDLE_LIMIT : null);
  }

  private now: () => number = () => performance.now();

  get duration(): number {
    return this.at[this.at.length - 1] ?? 0;
  }

  /** Seconds played. */
  get position(): number {
    if (!this.playing || this.stalled) return Math.min(this.anchorPos, this.duration);
    return Math.min(this.anchorPos + ((this.now() - this.anchorWall) / 1000) * this.speed, this.duration);
  }

  get state(): PlayerState {
    return { playing: this.playing, position: this.position, duration: this.duration, speed: this.speed, idleLimit: this.idleLimit, ended: this.index >= this.at.length };
  }

  play(): void {
    if (this.disposed || this.playing) return;
    if (this.index >= this.at.length) {
      this.restart();
      return;
    }
    this.playing = true;
    this.anchorWall = this.now();
    this.schedule(0);
    this.tell(true);
  }

  pause(): void {
    if (!this.playing) return;
    this.anchorPos = this.position;
    this.playing = false;
    this.stalled = false;
    this.clear();
    this.tell(true);
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed: number): void {
    if (speed <= 0 || speed === this.speed) return;
    this.anchorPos = this.position;
    this.anchorWall = this.now();
    this.speed = speed;
    if (this.playing && !this.stalled) this.schedule(0);
    this.tell(true);
  }

  /** Skips idle time (pauses cut to IDLE_LIMIT) or not; the place in the recording is kept. */
  setIdleLimit(on: boolean): void {
    if (on === this.idleLimit) return;
    const pos = this.position;
    // Where we are between the last event written and the next, kept as a fraction of that gap.
    const i = this.index;
    const before = i > 0 ? this.at[i - 1]! : 0;
    const after = this.at[i] ?? before;
    const frac = after > before ? Math.min(1, Math.max(0, (pos - before) / (after - before))) : 0;
    this.idleLimit = on;
    this.at = timeline(this.cast.events, on ? IDLE_LIMIT : null);
    const nb = i > 0 ? this.at[i - 1]! : 0;
    const na = this.at[i] ?? nb;
    this.anchorPos = nb + frac * (na - nb);
    this.anchorWall = this.now();
    if (this.playing && !this.stalled) this.schedule(0);
    this.tell(true);
  }

  /** From the start: the terminal is reset to the recording's first size, and it plays. */
  restart(): void {
    if (this.disposed) return;
    this.clear();
    this.index = 0;
    this.anchorPos = 0;
    this.stalled = false;
    this.sink.reset(this.cast.header.width, this.cast.header.height);
    this.playing = true;
    this.anchorWall = this.now();
    this.schedule(0);
    this.tell(true);
  }

  /** Stops for good: no timer is left. */
  dispose(): void {
    this.disposed = true;
    this.playing = false;
    this.clear();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.clear();
    this.timer = setTimeout(() => this.tick(), Math.max(0, ms));
  }

  private tell(now = false): void {
    const t = this.now();
    if (!now && t - this.lastTold < TICK_MS) return;
    this.lastTold = t;
    this.onChange(this.state);
  }

  private tick(): void {
    this.timer = null;
    if (!this.playing || this.disposed) return;
    if (this.pending > HIGH) {
      // The terminal is behind: the clock stops where the output is until it has drawn.
      this.anchorPos = this.index > 0 ? this.at[this.index - 1]! : 0;
      this.stalled = true;
      return;
    }
    const pos = this.position;
    const events = this.cast.events;
    let out = '';
    let written = 0;
    const flush = (): void => {
      if (!out) return;
      const n = out.length;
      this.pending += n;
      this.sink.write(out, () => this.drawn(n));
      out = '';
    };
    while (this.index < events.length && this.at[this.index]! <= pos && written < CHUNK) {
      const e = events[this.index++]!;
      if (e.kind === 'o') {
        out += e.data;
        written += e.data.length;
      } else {
        flush();
        this.sink.resize(e.cols, e.rows);
      }
    }
    flush();
    if (this.index >= events.length) {
      this.playing = false;
      this.anchorPos = this.duration;
      this.tell(true);
      return;
    }
    const next = this.at[this.index]!;
    this.schedule(next <= pos ? 0 : Math.min(((next - pos) / this.speed) * 1000, TICK_MS));
    this.tell();
  }

  private drawn(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.stalled && this.pending <= LOW && !this.disposed) {
      this.stalled = false;
      this.anchorWall = this.now();
      if (this.playing) this.schedule(0);
    }
  }
}
