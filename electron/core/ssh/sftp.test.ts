import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimit } from './sftp';

describe('RateLimit', () => {
  afterEach(() => vi.useRealTimers());

  it('lets a second of bytes through at once, then one second per second of bytes, for all takers together', async () => {
    vi.useFakeTimers({ now: 0 });
    const limit = new RateLimit(1000);
    const at: Record<string, number> = {};
    const mark = (name: string) => () => (at[name] = Date.now());
    const a = limit.take(1000).then(mark('a'));
    const b = limit.take(500).then(mark('b'));
    const c = limit.take(500).then(mark('c'));
    await vi.runAllTimersAsync();
    await Promise.all([a, b, c]);
    expect(at.a).toBe(0);
    // Served in order: b after half a second of refill, c after another half.
    expect(at.b).toBe(500);
    expect(at.c).toBe(1000);
  });
});
