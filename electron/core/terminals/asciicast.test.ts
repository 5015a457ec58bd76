import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AsciicastWriter, parseAsciicast } from './asciicast';

const dir = mkdtempSync(join(tmpdir(), 'bootfleet-cast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('asciicast v2', () => {
  it('writes a header and timed output and resize events that read back to the published format', () => {
    let now = 1000;
    const path = join(dir, 'a.cast');
    const w = new AsciicastWriter(path, { width: 80, height: 24, timestamp: 1764000000, title: 'plc-1', env: { TERM: 'xterm-256color' } }, () => now);
    now += 248.8484;
    w.output('\u001b[1;31mHello\u001b[0m\r\n');
    now += 1000;
    w.resize(120, 40);
    w.output('');
    now -= 5; // a clock that steps back: the recording's time does not go backwards
    w.output('é ✓ "quoted" \\ done');
    w.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe('{"version":2,"width":80,"height":24,"timestamp":1764000000,"title":"plc-1","env":{"TERM":"xterm-256color"}}');
    expect(text.endsWith('\n')).toBe(true);
    const { header, events } = parseAsciicast(text);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(events).toEqual([
      [0.248848, 'o', '\u001b[1;31mHello\u001b[0m\r\n'],
      [1.248848, 'r', '120x40'],
      [1.248848, 'o', 'é ✓ "quoted" \\ done'],
    ]);
    expect(w.bytes).toBe(Buffer.byteLength(text));
  });

  it('refuses what is not asciicast v2, naming the line', () => {
    const h = '{"version":2,"width":80,"height":24}';
    expect(() => parseAsciicast('')).toThrow(/empty/);
    expect(() => parseAsciicast('{"version":1,"width":80,"height":24}\n')).toThrow(/version must be 2/);
    expect(() => parseAsciicast('{"version":2,"width":0,"height":24}\n')).toThrow(/width and height/);
    expect(() => parseAsciicast(`${h}\n[1, "o", "a"]\n[0.5, "o", "b"]\n`)).toThrow(/line 3: the time goes backwards/);
    expect(() => parseAsciicast(`${h}\n[1, "x", "a"]\n`)).toThrow(/line 2: unknown event type/);
    expect(() => parseAsciicast(`${h}\n[1, "r", "wide"]\n`)).toThrow(/COLSxROWS/);
    expect(() => parseAsciicast(`${h}\n{"t":1}\n`)).toThrow(/line 2 is not a \[time, type, data\] event/);
    expect(() => parseAsciicast(`${h}\nnot json\n`)).toThrow(/line 2 is not JSON/);
    expect(parseAsciicast(`${h}\n`).events).toEqual([]);
  });

  it('never overwrites an existing recording', () => {
    const path = join(dir, 'b.cast');
    new AsciicastWriter(path, { width: 80, height: 24 }).close();
    expect(() => new AsciicastWriter(path, { width: 80, height: 24 })).toThrow(/EEXIST/);
  });
});
