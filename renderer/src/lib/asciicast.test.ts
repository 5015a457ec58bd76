import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CastError, CastPlayer, castFileName, formatClock, parseCast, timeline, type CastSink, type PlayerState } from './asciicast';

const header = JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1700000000, title: 'edge-1', env: { TERM: 'xterm-256color' } });
const cast = (...lines: string[]): string => [header, ...lines].join('\n') + '\n';

describe('parseCast', () => {
  it('reads the header, output and resize events', () => {
    const c = parseCast(cast('[0.1, "o", "$ "]', '[0.5, "r", "100x30"]', '[1.25, "o", "recorded 42\\r\\n"]'));
    expect(c.header).toEqual({ width: 80, height: 24, timestamp: 1700000000, title: 'edge-1' });
    expect(c.events).toEqual([
      { time: 0.1, kind: 'o', data: '$ ' },
      { time: 0.5, kind: 'r', cols: 100, rows: 30 },
      { time: 1.25, kind: 'o', data: 'recorded 42\r\n' },
    ]);
    expect(c.skipped).toBe(0);
  });

  it('skips and counts bad event lines, ignores other event types', () => {
    const c = parseCast(cast('[0.1, "o", "a"]', 'not json', '{"x":1}', '[0.2, "r", "wide"]', '[0.3, "i", "typed"]', '[0.05, "o", "backwards"]', '[0.4, "o"', '[0.5, "o", "b"]'));
    expect(c.events.map((e) => (e.kind === 'o' ? e.data : 'r'))).toEqual(['a', 'b']);
    expect(c.skipped).toBe(5);
    expect(c.firstSkippedLine).toBe(3);
  });

  it('refuses what has no usable header', () => {
    expect(() => parseCast('')).toThrow(CastError);
    expect(() => parseCast('hello\n[0, "o", "x"]')).toThrow(/not JSON/);
    expect(() => parseCast('[1, "o", "x"]')).toThrow(CastError);
    expect(() => parseCast('{"version":1,"width":80,"height":24}')).toThrow(/version 1/);
    expect(() => parseCast('{"version":2,"width":0,"height":24}')).toThrow(/width and height/);
  });
});

describe('helpers', () => {
  it('shortens long pauses on the timeline', () => {
    const events = parseCast(cast('[1, "o", "a"]', '[10, "o", "b"]', '[10.5, "o", "c"]')).events;
    expect(timeline(events, null)).toEqual([1, 10, 10.5]);
    expect(timeline(events, 2)).toEqual([1, 3, 3.5]);
  });

  it('formats clocks and file names', () => {
    expect(formatClock(7.9)).toBe('0:07');
    expect(formatClock(723)).toBe('12:03');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(castFileName({ device: 'plant-7/plc 1', startedAt: '2025-03-04T05:06:07.123Z' })).toBe('bootfleet-plant-7_plc_1-2025-03-04T05-06-07Z.cast');
  });
});

describe('CastPlayer', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());

  const advance = (ms: number): void => {
    for (let i = 0; i < ms; i += 10) {
      clock += 10;
      vi.advanceTimersByTime(10);
    }
  };

  function setup(text: string, drawnAtOnce = true) {
    const log: string[] = [];
    const later: (() => void)[] = [];
    const sink: CastSink = {
      write: (d, done) => {
        log.push(d);
        if (drawnAtOnce) done();
        else later.push(done);
      },
      resize: (c, r) => log.push(`resize ${c}x${r}`),
      reset: (c, r) => log.push(`reset ${c}x${r}`),
    };
    const states: PlayerState[] = [];
    const player = new CastPlayer(parseCast(text), sink, (s) => states.push(s), { now: () => clock });
    return { log, later, states, player };
  }

  it('plays with the timing, resizes, and ends', () => {
    const { log, player } = setup(cast('[0.5, "o", "a"]', '[1, "r", "100x30"]', '[1, "o", "b"]', '[1.5, "o", "c"]'));
    player.play();
    advance(400);
    expect(log).toEqual([]);
    advance(200);
    expect(log).toEqual(['a']);
    advance(500);
    expect(log).toEqual(['a', 'resize 100x30', 'b']);
    advance(500);
    expect(log).toEqual(['a', 'resize 100x30', 'b', 'c']);
    expect(player.state).toMatchObject({ playing: false, ended: true, position: 1.5 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('caps idle time at 2 s, or not; doubles the speed; pauses', () => {
    const text = cast('[0, "o", "a"]', '[30, "o", "b"]');
    const a = setup(text);
    expect(a.player.duration).toBe(2);
    a.player.play();
    advance(2100);
    expect(a.log).toEqual(['a', 'b']);

    const b = setup(text);
    b.player.setIdleLimit(false);
    expect(b.player.duration).toBe(30);
    b.player.setSpeed(4);
    b.player.play();
    advance(7000);
    expect(b.log).toEqual(['a']);
    b.player.pause();
    const at = b.player.position;
    expect(at).toBeCloseTo(28, 0);
    advance(5000);
    expect(b.player.position).toBe(at);
    expect(b.log).toEqual(['a']);
    b.player.play();
    advance(600);
    expect(b.log).toEqual(['a', 'b']);
  });

  it('restarts from a reset terminal, and stops every timer when disposed', () => {
    const { log, player } = setup(cast('[0.1, "o", "a"]', '[5, "o", "b"]'));
    player.play();
    advance(200);
    player.restart();
    expect(log).toEqual(['a', 'reset 80x24']);
    advance(200);
    expect(log).toEqual(['a', 'reset 80x24', 'a']);
    player.dispose();
    expect(vi.getTimerCount()).toBe(0);
    advance(5000);
    expect(log).toHaveLength(3);
  });

  it('waits for the terminal to draw a flood before it goes on', () => {
    const big = 'x'.repeat(60 * 1024);
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify([0.01 * (i + 1), 'o', big]));
    const { log, later, player } = setup(cast(...lines), false);
    player.play();
    advance(1000);
    const chars = (): number => log.join('').length;
    expect(chars()).toBeLessThan(20 * big.length);
    // The clock stopped with the output.
    expect(player.position).toBeLessThan(0.2);
    for (let i = 0; i < 10 && chars() < 20 * big.length; i++) {
      while (later.length) later.shift()!();
      advance(100);
    }
    expect(chars()).toBe(20 * big.length);
    expect(player.state.ended).toBe(true);
  });
});
