import { describe, expect, it } from 'vitest';
import { parseChallenge } from './client';
import { isLoopbackRegistry, manifestReference, parseImageReference, pinnedDigest } from './reference';

const HEX = 'a'.repeat(64);

describe('parseImageReference', () => {
  it.each([
    ['quay.io/fedora/fedora-bootc:42', { registry: 'quay.io', repository: 'fedora/fedora-bootc', tag: '42', digest: null }],
    ['registry.local:5000/os', { registry: 'registry.local:5000', repository: 'os', tag: 'latest', digest: null }],
    [`127.0.0.1:5000/os/edge:1.1@sha256:${HEX}`, { registry: '127.0.0.1:5000', repository: 'os/edge', tag: '1.1', digest: `sha256:${HEX}` }],
    [`quay.io/os@sha256:${HEX}`, { registry: 'quay.io', repository: 'os', tag: null, digest: `sha256:${HEX}` }],
    ['fedora', { registry: 'docker.io', repository: 'library/fedora', tag: 'latest', digest: null }],
    ['org/os:1', { registry: 'docker.io', repository: 'org/os', tag: '1', digest: null }],
    ['localhost/os:dev', { registry: 'localhost', repository: 'os', tag: 'dev', digest: null }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });

  it('refuses what is not a reference, saying why', () => {
    expect(() => parseImageReference('quay.io/Org/os:1')).toThrow(/lower-case/);
    expect(() => parseImageReference('quay.io/os@md5')).toThrow(/not a digest/);
    expect(() => parseImageReference('quay.io/os:bad tag')).toThrow(/not a valid tag/);
  });

  it('asks the registry for the digest when a reference pins one', () => {
    expect(manifestReference(parseImageReference(`quay.io/os:1@sha256:${HEX}`))).toBe(`sha256:${HEX}`);
    expect(manifestReference(parseImageReference('quay.io/os:1'))).toBe('1');
    expect(pinnedDigest(`quay.io/os:1@sha256:${HEX}`)).toBe(`sha256:${HEX}`);
    expect(pinnedDigest('quay.io/os:1')).toBeNull();
  });

  it('knows loopback registries', () => {
    expect(['127.0.0.1:5000', '127.31.0.1:5001', 'localhost:5000', '[::1]:5000'].map(isLoopbackRegistry)).toEqual([true, true, true, true]);
    expect(['quay.io', '10.0.0.1:5000', '127.example.net'].map(isLoopbackRegistry)).toEqual([false, false, false]);
  });
});

describe('parseChallenge', () => {
  it('reads a bearer challenge whose scope holds commas', () => {
    expect(parseChallenge('Bearer realm="https://auth.example.net/token",service="registry.example.net",scope="repository:os:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.net/token', service: 'registry.example.net', scope: 'repository:os:pull,push' },
    });
  });
  it('reads a basic challenge and unquoted values', () => {
    expect(parseChallenge('Basic realm=Registry')).toEqual({ scheme: 'basic', params: { realm: 'Registry' } });
    expect(parseChallenge('')).toBeNull();
  });
});
