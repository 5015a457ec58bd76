import { describe, expect, it } from 'vitest';
import { isLoopbackHost, readCookie, tokenMatches } from './security';

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1'])('treats %s as loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', 'localhost.example.com', '128.0.0.1', '::ffff:10.0.0.1', ''])(
    'treats %j as reachable from elsewhere',
    (h) => {
      expect(isLoopbackHost(h)).toBe(false);
    },
  );
});

describe('tokenMatches', () => {
  it('matches only the exact token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
  });
});

describe('readCookie', () => {
  it('reads one cookie among several, decoding its value', () => {
    expect(readCookie('a=1; bootfleet_session_1=t%2Fk; b=2', 'bootfleet_session_1')).toBe('t/k');
    expect(readCookie('a=1;b=2', 'b')).toBe('2');
  });

  it('does not confuse a cookie whose name merely contains the one asked for', () => {
    expect(readCookie('xbootfleet=1; bootfleetx=2', 'bootfleet')).toBeUndefined();
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(readCookie('novalue', 'novalue')).toBeUndefined();
  });
});
