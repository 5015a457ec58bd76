import { describe, expect, it } from 'vitest';
import { deviceAddSchema, devicePatchSchema } from './devices';
import {
  formatHostPort,
  hostSchema,
  imageRefSchema,
  isIPv6,
  isValidHost,
  keyPathSchema,
  nameSchema,
  portSchema,
  sshUserSchema,
  tagSchema,
  tagsSchema,
} from './fields';

const HEX64 = '0123456789abcdef'.repeat(4);

describe('hostSchema', () => {
  it.each(['example.com', 'edge-01', 'edge-01.lab.example.com', 'EXAMPLE.com', 'host.', '10.0.0.1', '0.0.0.0', '255.255.255.255'])(
    'accepts the host name or IPv4 address %s',
    (h) => {
      expect(hostSchema.parse(h)).toBe(h);
    },
  );

  it.each(['::1', 'fe80::1', '::ffff:1.2.3.4', '2001:db8::8a2e:370:7334', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::', '1:2:3:4:5:6:1.2.3.4'])(
    'accepts the IPv6 literal %s',
    (h) => {
      expect(hostSchema.parse(h)).toBe(h);
      expect(isIPv6(h)).toBe(true);
    },
  );

  it('strips the brackets around an IPv6 literal', () => {
    expect(hostSchema.parse('[::1]')).toBe('::1');
    expect(hostSchema.parse('  [fe80::1]  ')).toBe('fe80::1');
  });

  it('trims surrounding whitespace', () => {
    expect(hostSchema.parse('  edge-01  ')).toBe('edge-01');
  });

  it.each(['x y', '1.2.3.256', '-a.com', 'a-.com', 'a..b', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', 'host_name', 'a/b', '[::1', `${'a'.repeat(64)}.com`])(
    'rejects %j',
    (h) => {
      const r = hostSchema.safeParse(h);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/host name, an IPv4 address or an IPv6 address/);
    },
  );

  it('rejects an empty host as required', () => {
    const r = hostSchema.safeParse('   ');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('is required');
  });

  it('does not take a malformed IPv4 address for a host name', () => {
    expect(isValidHost('999.1.1.1')).toBe(false);
    expect(isValidHost('1.2.3.4.5')).toBe(false);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 literals only', () => {
    expect(formatHostPort('::1', 22)).toBe('[::1]:22');
    expect(formatHostPort('edge', 2222)).toBe('edge:2222');
  });
});

describe('portSchema', () => {
  it('coerces a digit string to a number', () => {
    expect(portSchema.parse('22')).toBe(22);
    expect(portSchema.parse(' 2222 ')).toBe(2222);
    expect(portSchema.parse(65535)).toBe(65535);
    expect(portSchema.parse(1)).toBe(1);
  });

  it.each([0, 65536, -1, '2x', '', 22.5])('rejects %j', (p) => {
    expect(portSchema.safeParse(p).success).toBe(false);
  });

  it('explains the range', () => {
    expect(portSchema.safeParse(65536).error?.issues[0]?.message).toBe('must be between 1 and 65535');
    expect(portSchema.safeParse(0).error?.issues[0]?.message).toBe('must be between 1 and 65535');
  });
});

describe('nameSchema', () => {
  it.each(['edge-01', 'a', 'A.b_c-d', '0lab', 'x'.repeat(63)])('accepts %s', (n) => {
    expect(nameSchema.parse(n)).toBe(n);
  });

  it.each(['a/b', '.hidden', '-dash', '_under', 'a b', 'x'.repeat(64), '', 'ü'])('rejects %j', (n) => {
    expect(nameSchema.safeParse(n).success).toBe(false);
  });

  it('says why a 64-character name is refused', () => {
    expect(nameSchema.safeParse('x'.repeat(64)).error?.issues[0]?.message).toBe('must be at most 63 characters');
  });
});

describe('imageRefSchema', () => {
  it.each([
    'quay.io/fedora/fedora-bootc:42',
    `localhost:5000/os@sha256:${HEX64}`,
    'registry.example.com:5000/a/b:tag',
    'fedora-bootc',
    'quay.io/org/os:42@sha256:' + HEX64,
    'ghcr.io/org/my_image__x:v1.2.3-rc1',
  ])('accepts %s', (ref) => {
    expect(imageRefSchema.parse(ref)).toBe(ref);
  });

  it('rejects an image reference with an upper-case repository', () => {
    // The first path component is only a registry when it has a '.' or ':' or is
    // "localhost" (the distribution reference grammar); otherwise it must be lower-case.
    expect(imageRefSchema.safeParse('UPPER/case').success).toBe(false);
  });

  it.each(['quay.io/Fedora/os:42', 'Fedora', 'quay.io/org/os:', 'quay.io//os', 'os:tag with space', 'quay.io/org/os:-bad'])(
    'rejects %j',
    (ref) => {
      expect(imageRefSchema.safeParse(ref).success).toBe(false);
    },
  );

  it.each([
    ['a short digest', 'quay.io/os@sha256:abc123'],
    ['an upper-case digest', `quay.io/os@sha256:${HEX64.toUpperCase()}`],
    ['a 65-character digest', `quay.io/os@sha256:${HEX64}0`],
    ['a digest with a non-hex character', `quay.io/os@sha256:${HEX64.slice(0, 63)}g`],
  ])('rejects %s', (_what, ref) => {
    expect(imageRefSchema.safeParse(ref).success).toBe(false);
  });
});

describe('tags', () => {
  it('drops duplicates without regard to case, keeping the first spelling and the order', () => {
    expect(tagsSchema.parse(['Prod', 'edge', 'prod', 'EDGE', 'x'])).toEqual(['Prod', 'edge', 'x']);
  });

  it.each(['a b', '', '-x', 'a/b'])('rejects the tag %j', (t) => {
    expect(tagSchema.safeParse(t).success).toBe(false);
  });

  it('accepts key=value and namespaced tags', () => {
    expect(tagSchema.parse('ring=canary')).toBe('ring=canary');
    expect(tagSchema.parse('env:prod')).toBe('env:prod');
  });

  it('refuses more than 64 tags', () => {
    expect(tagsSchema.safeParse(Array.from({ length: 65 }, (_, i) => `t${i}`)).success).toBe(false);
  });
});

describe('other fields', () => {
  it('accepts POSIX login names and refuses the rest', () => {
    expect(sshUserSchema.parse('core')).toBe('core');
    expect(sshUserSchema.parse('_svc-1.x')).toBe('_svc-1.x');
    expect(sshUserSchema.safeParse('1root').success).toBe(false);
    expect(sshUserSchema.safeParse('a b').success).toBe(false);
  });

  it('wants key paths absolute or under ~/', () => {
    expect(keyPathSchema.parse('/root/.ssh/id_ed25519')).toBe('/root/.ssh/id_ed25519');
    expect(keyPathSchema.parse('~/.ssh/id')).toBe('~/.ssh/id');
    expect(keyPathSchema.safeParse('id_rsa').success).toBe(false);
    expect(keyPathSchema.safeParse('/a\0b').success).toBe(false);
  });
});

describe('device schemas', () => {
  it('fills in the defaults of a new device', () => {
    expect(deviceAddSchema.parse({ name: 'e1', host: '10.0.0.1' })).toEqual({
      name: 'e1',
      host: '10.0.0.1',
      port: 22,
      tags: [],
      sudo: false,
      notes: '',
    });
  });

  it('requires a key path for auth=key and a secret for auth=password', () => {
    const key = deviceAddSchema.safeParse({ name: 'e1', host: 'h', auth: 'key' });
    expect(key.error?.issues.map((i) => i.path.join('.'))).toContain('keyPath');
    const pw = deviceAddSchema.safeParse({ name: 'e1', host: 'h', auth: 'password' });
    expect(pw.error?.issues.map((i) => i.path.join('.'))).toContain('secret');
  });

  it('refuses a secret with ssh-agent authentication', () => {
    const r = deviceAddSchema.safeParse({ name: 'e1', host: 'h', auth: 'agent', secret: 'pw' });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['secret']);
  });

  it('leaves out of a patch what was not given', () => {
    expect(devicePatchSchema.parse({ user: null })).toEqual({ user: null });
    expect(devicePatchSchema.parse({})).toEqual({});
  });
});
