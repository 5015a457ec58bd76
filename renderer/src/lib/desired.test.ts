import { describe, expect, it } from 'vitest';
import { requiresSigned } from './desired';

describe('requiresSigned', () => {
  const D = `sha256:${'a'.repeat(64)}`;
  const entries = [
    { image: 'reg.example/os:2.0', requireSigned: true },
    { image: `reg.example/os:3.0@${D}`, requireSigned: true },
    { image: 'reg.example/os:1.0', requireSigned: false },
  ];
  it('is true for the image of an entry that requires signed images, a pinned digest aside', () => {
    expect(requiresSigned(entries, 'reg.example/os:2.0')).toBe(true);
    expect(requiresSigned(entries, ' reg.example/os:2.0 ')).toBe(true);
    expect(requiresSigned(entries, 'reg.example/os:3.0')).toBe(true);
    expect(requiresSigned(entries, `reg.example/os:2.0@${D}`)).toBe(true);
  });
  it('is false for other images, entries that do not require it, and nothing to go on', () => {
    expect(requiresSigned(entries, 'reg.example/os:1.0')).toBe(false);
    expect(requiresSigned(entries, 'reg.example/os:2')).toBe(false);
    expect(requiresSigned(entries, '')).toBe(false);
    expect(requiresSigned(null, 'reg.example/os:2.0')).toBe(false);
  });
});
