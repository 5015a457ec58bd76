import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellLine, withSudo } from './quote';

/** What a POSIX shell makes of the line: each argument printed on its own, NUL-separated. */
function parsedBySh(line: string): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`]).toString('utf8');
  return out.split('\0').slice(0, -1);
}

describe('shellLine', () => {
  const hostile = [
    'plain',
    '--pid=host',
    '127.0.0.1:5000/os@sha256:0123abcd',
    'a b',
    "it's",
    '$(touch /tmp/pwned)',
    '`id`',
    '; rm -rf /',
    '*',
    '~root',
    'x\ny',
    '',
    '"quoted"',
    'back\\slash',
    '$HOME',
    'a|b&c>d<e',
    '#comment',
    '!bang',
  ];

  it('leaves plain words bare, so the reviewed command reads as typed', () => {
    expect(shellLine(['podman', 'run', '--pid=host', '-v', '/dev:/dev', 'reg:5000/os@sha256:ab', '--karg=console=ttyS0,115200n8'])).toBe(
      'podman run --pid=host -v /dev:/dev reg:5000/os@sha256:ab --karg=console=ttyS0,115200n8',
    );
  });

  it('every argument reaches the shell as exactly one word, whatever it holds', () => {
    expect(parsedBySh(shellLine(hostile))).toEqual(hostile);
  });

  it('quotes a first word with = (it would be a variable assignment), and refuses NUL bytes', () => {
    expect(shellLine(['A=b', 'c'])).not.toMatch(/^A=b /);
    expect(() => shellLine(['a\0b'])).toThrow(/NUL/);
    expect(() => shellLine([])).toThrow(/empty/);
  });

  it('prefixes sudo -n -- only where asked', () => {
    expect(withSudo(['bootc', 'status'], true)).toEqual(['sudo', '-n', '--', 'bootc', 'status']);
    expect(withSudo(['bootc', 'status'], false)).toEqual(['bootc', 'status']);
  });
});
