import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import { type KnownHostsEntry, type KnownHostsMarker, keyFingerprint, matchKnownHost, parseKnownHosts, parseProxyJump, parseSshConfig } from './openssh-files';

// Checked against the real OpenSSH tools: ssh-keygen -l/-H/-F for known_hosts, ssh -G for configs.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bf-openssh-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key pair in the temp dir: its path, its `type base64` public line and ssh-keygen's fingerprint. */
function makeKey(name: string, type: 'ed25519' | 'ecdsa'): { pub: string; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  const [keyType, base64] = readFileSync(`${path}.pub`, 'utf8').split(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { pub: `${keyType} ${base64}`, fingerprint };
}

describe('known_hosts', () => {
  let k1: ReturnType<typeof makeKey>, k2: ReturnType<typeof makeKey>, k3: ReturnType<typeof makeKey>;
  let plainFile: string, hashedFile: string;
  beforeAll(() => {
    k1 = makeKey('k1', 'ed25519');
    k2 = makeKey('k2', 'ed25519');
    k3 = makeKey('k3', 'ecdsa');
    plainFile = join(dir, 'known_hosts');
    hashedFile = join(dir, 'known_hosts.hashed');
    const text = [
      '# written by hand',
      `web1.lan,10.0.0.1 ${k1.pub} web1 key`,
      `[127.0.0.5]:2222 ${k2.pub}`,
      `[127.0.0.5]:2222 ${k3.pub}`,
      '',
      `db.lan ${k3.pub}`,
      `*.lan,!secret.lan ${k2.pub}`,
      `?.example ${k1.pub}`,
      `@revoked web1.lan ${k1.pub}`,
      `@cert-authority *.lan ${k3.pub}`,
      `[::1]:2200 ${k1.pub}`,
    ].join('\n');
    writeFileSync(plainFile, text + '\n');
    writeFileSync(hashedFile, text + '\n');
    execFileSync('ssh-keygen', ['-H', '-f', hashedFile], { stdio: 'ignore' });
  });

  /** Lines ssh-keygen -F reports for a host, as `line:kind` (kind: key, REVOKED, CA). */
  function keygenFind(file: string, name: string): string[] {
    const out = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }).stdout;
    return [...out.matchAll(/found: line (\d+) ?(\S*)/g)].map((m) => `${m[1]}:${m[2] || 'key'}`).sort();
  }

  function ours(entries: KnownHostsEntry[], host: string, port: number): string[] {
    const kinds: [KnownHostsMarker, string][] = [[null, 'key'], ['revoked', 'REVOKED'], ['cert-authority', 'CA']];
    return kinds.flatMap(([marker, kind]) => matchKnownHost(entries, host, port, marker).map((k) => `${k.line}:${kind}`)).sort();
  }

  it('computes the fingerprints ssh-keygen -l prints', () => {
    const { entries, errors } = parseKnownHosts(readFileSync(plainFile, 'utf8'));
    expect(errors).toEqual([]);
    expect(entries.map((e) => e.line)).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11]);
    const byLine = new Map(entries.map((e) => [e.line, e.fingerprint]));
    expect([byLine.get(2), byLine.get(3), byLine.get(4)]).toEqual([k1.fingerprint, k2.fingerprint, k3.fingerprint]);
    expect(keyFingerprint(entries[0]!.key)).toBe(k1.fingerprint);
    expect(entries[0]).toMatchObject({ marker: null, patterns: ['web1.lan', '10.0.0.1'], hashed: [], keyType: 'ssh-ed25519', comment: 'web1 key' });
    expect(entries[3]!.keyType).toBe('ecdsa-sha2-nistp256');
    expect(entries.filter((e) => e.marker).map((e) => [e.line, e.marker])).toEqual([[9, 'revoked'], [10, 'cert-authority']]);
  });

  it('reads the names ssh-keygen -H hashed, one per line, and leaves wildcard and marker lines as written', () => {
    const { entries, errors } = parseKnownHosts(readFileSync(hashedFile, 'utf8'));
    expect(errors).toEqual([]);
    const hashed = entries.filter((e) => e.hashed.length);
    expect(hashed.map((e) => e.fingerprint)).toEqual([k1.fingerprint, k1.fingerprint, k2.fingerprint, k3.fingerprint, k3.fingerprint, k1.fingerprint]);
    for (const e of hashed) expect([e.patterns, e.hashed.length, e.hashed[0]!.salt.length, e.hashed[0]!.hash.length]).toEqual([[], 1, 20, 20]);
    expect(entries.filter((e) => !e.hashed.length).map((e) => e.patterns.join(','))).toEqual(['*.lan,!secret.lan', '?.example', 'web1.lan', '*.lan']);
  });

  const queries: [string, number][] = [
    ['web1.lan', 22], ['10.0.0.1', 22], ['127.0.0.5', 2222], ['127.0.0.5', 22], ['db.lan', 22], ['db.lan', 2222],
    ['secret.lan', 22], ['x.example', 22], ['xy.example', 22], ['.example', 22], ['::1', 2200], ['::1', 22], ['nowhere', 22],
  ];
  it.each(queries)('finds the lines ssh-keygen -F finds for %s port %i, hashed or not', (host, port) => {
    const name = port === 22 ? host : `[${host}]:${port}`;
    for (const file of [plainFile, hashedFile]) {
      expect(ours(parseKnownHosts(readFileSync(file, 'utf8')).entries, host, port), file).toEqual(keygenFind(file, name));
    }
  });

  it('ignores the case of the host name, hashed or not, as ssh (which lowercases it) does', () => {
    // ssh-keygen -F differs here: it hashes the name as typed, so WEB1.lan misses a hashed web1.lan.
    const { entries } = parseKnownHosts(readFileSync(hashedFile, 'utf8'));
    expect(ours(entries, 'WEB1.Lan', 22)).toEqual(ours(entries, 'web1.lan', 22));
    expect(ours(entries, 'WEB1.Lan', 22)).toEqual(keygenFind(hashedFile, 'web1.lan'));
  });

  it('returns the plain keys for a host and flags one a matching @revoked line lists', () => {
    const { entries } = parseKnownHosts(readFileSync(hashedFile, 'utf8'));
    const web1 = matchKnownHost(entries, 'web1.lan', 22);
    expect(web1.map((k) => [k.fingerprint, k.revoked])).toEqual([[k1.fingerprint, true], [k2.fingerprint, false]]);
    expect(matchKnownHost(entries, '127.0.0.5', 2222).map((k) => [k.keyType, k.fingerprint, k.revoked])).toEqual([
      ['ssh-ed25519', k2.fingerprint, false],
      ['ecdsa-sha2-nistp256', k3.fingerprint, false],
    ]);
    expect(matchKnownHost(entries, 'web1.lan', 22, 'revoked').map((k) => k.fingerprint)).toEqual([k1.fingerprint]);
    expect(matchKnownHost(entries, 'db.lan', 22, 'cert-authority').map((k) => k.fingerprint)).toEqual([k3.fingerprint]);
    expect(matchKnownHost(entries, 'secret.lan', 22)).toEqual([]);
  });

  it('reports each malformed line with its number and keeps the good ones', () => {
    const text = [
      '# comment',
      `good.host ${k1.pub}`,
      'bad.host ssh-ed25519 AAAA!!!notbase64',
      'missing.key ssh-ed25519',
      `typo.host ${k1.pub.replace('ssh-ed25519', 'ssh-rsa')}`,
      `@trusted host ${k1.pub}`,
      `|1|abc|def ${k1.pub}`,
      '',
      'just-a-host',
      `  other.host\t${k1.pub}   trailing  comment\r`,
      `short.host ssh-ed25519 AAAA`,
    ].join('\n');
    const { entries, errors } = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.patterns, e.comment])).toEqual([[2, ['good.host'], null], [10, ['other.host'], 'trailing comment']]);
    expect(errors).toEqual([
      { line: 3, message: 'the key is not valid base64' },
      { line: 4, message: 'no key' },
      { line: 5, message: 'the key is ssh-ed25519, not ssh-rsa' },
      { line: 6, message: 'unknown marker @trusted (expected @cert-authority or @revoked)' },
      { line: 7, message: 'bad hashed host name |1|abc|def (expected |1|salt|hash)' },
      { line: 9, message: 'no key type' },
      { line: 11, message: 'the key is not an SSH public key blob' },
    ]);
  });
});

describe('ssh config', () => {
  const home = '/home/me';
  const local = { home, user: 'me' };

  /** What `ssh -G` (OpenSSH's own evaluation, no connection) says for an alias. */
  function sshG(configText: string, alias: string): Map<string, string> {
    const file = join(dir, 'ssh_config');
    writeFileSync(file, configText);
    const out = execFileSync('ssh', ['-G', '-F', file, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const seen = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [key = '', ...value] = line.split(' ');
      if (!seen.has(key)) seen.set(key, value.join(' '));
    }
    return seen;
  }

  const realistic = () => `# Specific hosts first, defaults last (ssh_config(5): the first value obtained wins)
Include ${dir}/config.d/*.conf

Host bastion
  HostName Bastion.Example.com
  User jump
  Port 2200
  IdentityFile ~/.ssh/bastion_ed25519

Host web1 web2
  HostName %h.lan.example.com
  ProxyJump bastion

Host db
  HostName 10.0.0.5
  User postgres
  Port=2222
  ProxyJump ssh://jump@bastion.example.com:2200,admin@[fd00::1]:22

Host legacy
  HostName 192.168.1.10
  ProxyCommand ssh -W %h:%p bastion

Host nojump
  HostName 10.0.0.9
  ProxyJump none

Host dev? !dev9
  User developer
Host dev1 dev9
  HostName %h.dev.example.com

Host *.lan !printer.lan
  User lanadmin
  Port 2022

Host nas.lan printer.lan
  IdentityFile "%d/.ssh/%u-%r@%h"

Match originalhost never-used
  User matched

Host *
  IdentityFile ~/.ssh/id_ed25519
  ServerAliveInterval 30
`;

  it('makes one entry per concrete alias with the values ssh would use', () => {
    const hosts = parseSshConfig(realistic(), local);
    const all = ['Include ' + dir + '/config.d/*.conf was not followed.', 'Match originalhost never-used was not evaluated; settings under it were not imported.'];
    const idDefault = `${home}/.ssh/id_ed25519`;
    expect(hosts).toEqual([
      { alias: 'bastion', hostName: 'bastion.example.com', user: 'jump', port: 2200, identityFile: `${home}/.ssh/bastion_ed25519`, proxyJump: null, error: null, warnings: [...all, 'Only the first IdentityFile was imported; not ~/.ssh/id_ed25519.'] },
      { alias: 'web1', hostName: 'web1.lan.example.com', user: null, port: 22, identityFile: idDefault, proxyJump: 'bastion', error: null, warnings: all },
      { alias: 'web2', hostName: 'web2.lan.example.com', user: null, port: 22, identityFile: idDefault, proxyJump: 'bastion', error: null, warnings: all },
      { alias: 'db', hostName: '10.0.0.5', user: 'postgres', port: 2222, identityFile: idDefault, proxyJump: 'ssh://jump@bastion.example.com:2200,admin@[fd00::1]:22', error: null, warnings: all },
      { alias: 'legacy', hostName: '192.168.1.10', user: null, port: 22, identityFile: idDefault, proxyJump: null, error: null, warnings: [...all, 'ProxyCommand is not supported; "ssh -W %h:%p bastion" was not imported.'] },
      { alias: 'nojump', hostName: '10.0.0.9', user: null, port: 22, identityFile: idDefault, proxyJump: null, error: null, warnings: all },
      { alias: 'dev1', hostName: 'dev1.dev.example.com', user: 'developer', port: 22, identityFile: idDefault, proxyJump: null, error: null, warnings: all },
      { alias: 'dev9', hostName: 'dev9.dev.example.com', user: null, port: 22, identityFile: idDefault, proxyJump: null, error: null, warnings: all },
      { alias: 'nas.lan', hostName: 'nas.lan', user: 'lanadmin', port: 2022, identityFile: `${home}/.ssh/me-lanadmin@nas.lan`, proxyJump: null, error: null, warnings: [...all, 'Only the first IdentityFile was imported; not ~/.ssh/id_ed25519.'] },
      { alias: 'printer.lan', hostName: 'printer.lan', user: null, port: 22, identityFile: `${home}/.ssh/me-me@printer.lan`, proxyJump: null, error: null, warnings: [...all, 'Only the first IdentityFile was imported; not ~/.ssh/id_ed25519.'] },
    ]);
    expect(parseProxyJump(hosts[3]!.proxyJump!)).toEqual([{ user: 'jump', host: 'bastion.example.com', port: 2200 }, { user: 'admin', host: 'fd00::1', port: 22 }]);
  });

  it('agrees with ssh -G on host name, user, port and ProxyJump for every alias', () => {
    const text = realistic();
    for (const h of parseSshConfig(text, local)) {
      const g = sshG(text, h.alias);
      expect([h.hostName, h.user ?? userInfo().username, String(h.port), h.proxyJump ?? undefined], h.alias).toEqual([g.get('hostname'), g.get('user'), g.get('port'), g.get('proxyjump')]);
    }
  });

  it('takes settings before the first Host for every alias, and the first of ProxyCommand or ProxyJump', () => {
    const text = 'User global\n\nHost a\n  User mine\n  ProxyCommand nc %h %p\nHost a\n  ProxyJump j1\nHost b\n  ProxyJump j2\nHost b c\n  ProxyCommand nc %h %p\n';
    const hosts = parseSshConfig(text, local);
    expect(hosts.map((h) => [h.alias, h.user, h.proxyJump, h.warnings])).toEqual([
      ['a', 'global', null, ['ProxyCommand is not supported; "nc %h %p" was not imported.']],
      ['b', 'global', 'j2', []],
      ['c', 'global', null, ['ProxyCommand is not supported; "nc %h %p" was not imported.']],
    ]);
    for (const h of hosts) expect([h.user, h.proxyJump ?? undefined]).toEqual([sshG(text, h.alias).get('user'), sshG(text, h.alias).get('proxyjump')]);
  });

  it('flags an invalid Port or ProxyJump instead of importing it', () => {
    const hosts = parseSshConfig('Host p\n  Port 0\nHost q\n  Port ssh\nHost j\n  ProxyJump a,,b\nHost ok\n  Port 65535\n', local);
    expect(hosts.map((h) => [h.alias, h.port, h.error])).toEqual([
      ['p', 22, 'Port "0" is not a number from 1 to 65535.'],
      ['q', 22, 'Port "ssh" is not a number from 1 to 65535.'],
      ['j', 22, 'Invalid ProxyJump "a,,b": a hop is empty.'],
      ['ok', 65535, null],
    ]);
  });

  it('expands ~ and the simple % tokens in IdentityFile and warns about the rest', () => {
    const text = 'Host a\n  HostName A.example\n  User bob\n  Port 2022\n  IdentityFile ~/k/%n_%h_%p_%r_%u_%%\nHost b\n  IdentityFile ~alice/k_%C\n';
    const [a, b] = parseSshConfig(text, local);
    expect(a!.identityFile).toBe(`${home}/k/a_a.example_2022_bob_me_%`);
    expect(b!.identityFile).toBe('~alice/k_%C');
    expect(b!.warnings).toEqual(['"~alice/k_%C": ~user paths are not expanded.', 'IdentityFile "~alice/k_%C": token %C was not expanded.']);
  });

  it('matches ? against exactly one character, case-sensitively, as ssh does', () => {
    const text = 'Host web?\n  User q\nHost web web1 Web1\n  Port 2000\n';
    const hosts = parseSshConfig(text, local);
    expect(hosts.map((h) => [h.alias, h.user])).toEqual([['web', null], ['web1', 'q'], ['Web1', null]]);
    for (const h of hosts) expect(h.user ?? userInfo().username).toBe(sshG(text, h.alias).get('user'));
  });

  it('refuses text the parser cannot read', () => {
    expect(() => parseSshConfig('Host a\n  User "unclosed\n', local)).toThrow(AppError);
    expect(() => parseSshConfig('Host a\n  User "unclosed\n', local)).toThrow(/ssh config cannot be read/);
  });
});

describe('parseProxyJump', () => {
  it.each([
    ['bastion', [{ user: null, host: 'bastion', port: null }]],
    ['jump@bastion:2200', [{ user: 'jump', host: 'bastion', port: 2200 }]],
    ['a@h1,b@h2:2022,h3', [{ user: 'a', host: 'h1', port: null }, { user: 'b', host: 'h2', port: 2022 }, { user: null, host: 'h3', port: null }]],
    ['ssh://jump@bastion.example.com:2200', [{ user: 'jump', host: 'bastion.example.com', port: 2200 }]],
    ['ssh://us%65r;fp=x@host/', [{ user: 'user', host: 'host', port: null }]],
    ['[::1]:22', [{ user: null, host: '::1', port: 22 }]],
    ['admin@[fd00::1]', [{ user: 'admin', host: 'fd00::1', port: null }]],
    // OpenSSH 9.2 refuses a bracketed address inside ssh:// (it checks the host as a domain name); its meaning is plain.
    ['ssh://admin@[fd00::1]:2222', [{ user: 'admin', host: 'fd00::1', port: 2222 }]],
    ['me@corp@gw', [{ user: 'me@corp', host: 'gw', port: null }]],
    ['host:', [{ user: null, host: 'host', port: null }]],
    ['none', []],
  ])('reads %s', (spec, hops) => {
    expect(parseProxyJump(spec)).toEqual(hops);
  });

  it.each([
    ['', 'a hop is empty'],
    ['a,,b', 'a hop is empty'],
    ['a, b', '" b" contains whitespace'],
    ['@host', 'empty user'],
    ['host:0', 'port "0"'],
    ['host:65536', 'port "65536"'],
    ['host:ssh', 'port "ssh"'],
    ['::1', 'put an IPv6 address in brackets'],
    ['fd00::1:22', 'put an IPv6 address in brackets'],
    ['[::1', 'is not [user@]host[:port]'],
    ['a@[::1]x', 'is not [user@]host[:port]'],
    ['host/path', 'contains "/"'],
    ['SSH://host', 'contains "/"'],
    ['ssh://@host', 'empty user'],
    ['ssh://host/path', 'has a path'],
    ['ssh://host:22/x', 'has a path'],
  ])('refuses %j (%s)', (spec, why) => {
    expect(() => parseProxyJump(spec)).toThrow(AppError);
    expect(() => parseProxyJump(spec)).toThrow(why);
  });

  it('accepts exactly what ssh accepts', () => {
    // Not `host:ssh`: ssh also takes service names from /etc/services there; we take numbers only.
    const specs = ['bastion', 'jump@bastion:2200', 'a@h1,b@h2:2022,h3', 'ssh://jump@bastion.example.com:2200', '[::1]:22', 'admin@[fd00::1]', 'me@corp@gw', 'host:', 'ssh://u;x@h', 'ssh://h:',
      'a,,b', 'a, b', '@host', 'host:0', 'host:65536', '::1', '[::1', 'a@[::1]x', 'host/path', 'SSH://host', 'ssh://@host', 'ssh://host/path', 'ssh://host:22/x'];
    const file = join(dir, 'jump_config');
    for (const spec of specs) {
      writeFileSync(file, `Host target\n  ProxyJump ${spec}\n`);
      const sshAccepts = spawnSync('ssh', ['-G', '-F', file, 'target'], { stdio: 'ignore' }).status === 0;
      let weAccept = true;
      try {
        parseProxyJump(spec);
      } catch {
        weAccept = false;
      }
      expect(weAccept, spec).toBe(sshAccepts);
    }
  });
});
