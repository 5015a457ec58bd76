import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the format `asciinema play`
 * reads: newline-delimited JSON, a header object, then one `[seconds, type, data]` event per
 * line. Bootfleet writes output ("o") and resize ("r", "COLSxROWS") events only: never input
 * ("i"), so keystrokes (a password typed at a prompt with echo off) are not recorded.
 */

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  duration?: number;
  idle_time_limit?: number;
  command?: string;
  title?: string;
  env?: Record<string, string>;
}

export type AsciicastEvent = [number, 'o' | 'i' | 'm' | 'r', string];

/** Appends a recording to a file as it happens (a crash keeps everything written so far). */
export class AsciicastWriter {
  private fd: number | null;
  private readonly t0: number;
  private last = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    header: Omit<AsciicastHeader, 'version'>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = this.now();
    this.fd = openSync(path, 'wx', 0o600);
    this.line(JSON.stringify({ version: 2, ...header }));
  }

  output(text: string): void {
    if (text) this.event('o', text);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private event(type: 'o' | 'r', data: string): void {
    // Times never go backwards, with microsecond resolution as asciinema writes them.
    const t = Math.max(this.last, Math.round((this.now() - this.t0) * 1000) / 1_000_000);
    this.last = t;
    this.line(JSON.stringify([t, type, data]));
  }

  private line(json: string): void {
    if (this.fd === null) return;
    const b = Buffer.from(`${json}\n`, 'utf8');
    writeSync(this.fd, b);
    this.bytes += b.length;
  }
}

/**
 * Reads an asciicast v2 file and checks it against the published format: a header object with
 * integer version 2, width and height (and typed optional fields), then events that are arrays of
 * a non-negative, non-decreasing number, a known type and a string. Throws naming the bad line.
 */
export function parseAsciicast(text: string): { header: AsciicastHeader; events: AsciicastEvent[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (!lines.length) throw new Error('asciicast: the file is empty');
  let header: AsciicastHeader;
  try {
    header = JSON.parse(lines[0]!) as AsciicastHeader;
  } catch {
    throw new Error('asciicast: line 1 (the header) is not JSON');
  }
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('asciicast: line 1 (the header) is not an object');
  if (header.version !== 2) throw new Error(`asciicast: version must be 2, not ${String(header.version)}`);
  if (!int(header.width) || !int(header.height)) throw new Error('asciicast: width and height must be positive integers');
  if (header.timestamp !== undefined && !Number.isInteger(header.timestamp)) throw new Error('asciicast: timestamp must be an integer');
  for (const k of ['duration', 'idle_time_limit'] as const) if (header[k] !== undefined && typeof header[k] !== 'number') throw new Error(`asciicast: ${k} must be a number`);
  for (const k of ['command', 'title'] as const) if (header[k] !== undefined && typeof header[k] !== 'string') throw new Error(`asciicast: ${k} must be a string`);
  if (header.env !== undefined && (typeof header.env !== 'object' || Object.values(header.env).some((v) => typeof v !== 'string'))) throw new Error('asciicast: env must map names to strings');
  const events: AsciicastEvent[] = [];
  let last = 0;
  for (let i = 1; i < lines.length; i++) {
    let e: unknown;
    try {
      e = JSON.parse(lines[i]!);
    } catch {
      throw new Error(`asciicast: line ${i + 1} is not JSON`);
    }
    if (!Array.isArray(e) || e.length !== 3) throw new Error(`asciicast: line ${i + 1} is not a [time, type, data] event`);
    const [t, type, data] = e as [unknown, unknown, unknown];
    if (typeof t !== 'number' || !(t >= 0)) throw new Error(`asciicast: line ${i + 1}: the time must be a non-negative number`);
    if (t < last) throw new Error(`asciicast: line ${i + 1}: the time goes backwards`);
    if (type !== 'o' && type !== 'i' && type !== 'm' && type !== 'r') throw new Error(`asciicast: line ${i + 1}: unknown event type ${JSON.stringify(type)}`);
    if (typeof data !== 'string') throw new Error(`asciicast: line ${i + 1}: the data must be a string`);
    if (type === 'r' && !/^\d+x\d+$/.test(data)) throw new Error(`asciicast: line ${i + 1}: a resize must read COLSxROWS`);
    last = t;
    events.push([t, type, data]);
  }
  return { header, events };
}
