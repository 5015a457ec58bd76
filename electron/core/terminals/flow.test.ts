import { describe, expect, it } from 'vitest';
import { FlowWindow } from './flow';

function source() {
  const calls: string[] = [];
  return { calls, pause: () => void calls.push('pause'), resume: () => void calls.push('resume') };
}

describe('FlowWindow', () => {
  it('pauses the source once more than the high mark waits for acknowledgement, and resumes under the low mark', () => {
    const s = source();
    const w = new FlowWindow(s, 1000, 200);
    w.sent(600);
    w.sent(400);
    expect(s.calls).toEqual([]); // exactly at the mark: still flowing
    w.sent(1);
    expect(s.calls).toEqual(['pause']);
    expect(w.isPaused).toBe(true);
    // Data already in flight still counts, and does not pause twice.
    w.sent(500);
    expect(s.calls).toEqual(['pause']);
    expect(w.pending).toBe(1501);
    w.ack(1000);
    expect(s.calls).toEqual(['pause']); // 501 still waiting: above the low mark
    w.ack(302);
    expect(s.calls).toEqual(['pause', 'resume']); // 199 < 200
    expect(w.isPaused).toBe(false);
  });

  it('never goes below zero on stray or repeated acknowledgements, and never resumes what it did not pause', () => {
    const s = source();
    const w = new FlowWindow(s, 100, 10);
    w.ack(50);
    w.ack(-5);
    expect(w.pending).toBe(0);
    expect(s.calls).toEqual([]);
    w.sent(101);
    w.ack(1000);
    w.ack(1000);
    expect(s.calls).toEqual(['pause', 'resume']);
  });

  it('bounds what waits: with a viewer that acknowledges in steps, the unacknowledged bytes never exceed high plus one chunk', () => {
    const s = source();
    const w = new FlowWindow(s, 64 * 1024, 8 * 1024);
    let paused = false;
    s.pause = () => void (paused = true);
    s.resume = () => void (paused = false);
    let max = 0;
    let drawn = 0;
    for (let i = 0; i < 10_000; i++) {
      if (!paused) w.sent(4096); // the source reads only while not paused
      max = Math.max(max, w.pending);
      if (i % 3 === 0) {
        w.ack(5000); // the viewer draws slower than the source writes
        drawn += 5000;
      }
    }
    expect(max).toBeLessThanOrEqual(64 * 1024 + 4096);
    expect(drawn).toBeGreaterThan(0);
  });

  it('refuses a low mark that is not below the high mark', () => {
    expect(() => new FlowWindow(source(), 10, 10)).toThrow(/low must be below high/);
  });
});
