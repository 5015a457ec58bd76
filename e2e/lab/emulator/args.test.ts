import { describe, expect, it } from 'vitest';
import { jaro, parseBootcArgs, type ParseOutcome } from './args';
import { featuresFor } from './versions';

function parse(version: string, ...argv: string[]): ParseOutcome {
  return parseBootcArgs(argv, featuresFor(version));
}

function stderrOf(o: ParseOutcome): string {
  expect(o.kind).toBe('exit');
  return o.kind === 'exit' ? o.stderr : '';
}

const HELP = "\n\nFor more information, try '--help'.\n";

describe('clap-style errors', () => {
  it('rejects a flag the release did not have, exactly as clap 4 does', () => {
    const o = parse('1.1.6', 'upgrade', '--soft-reboot', 'auto');
    expect(o).toMatchObject({ kind: 'exit', code: 2, stdout: '' });
    expect(stderrOf(o)).toBe(`error: unexpected argument '--soft-reboot' found\n\nUsage: bootc upgrade [OPTIONS]${HELP}`);
    expect(stderrOf(parse('1.11.0', 'upgrade', '--download-only'))).toBe(`error: unexpected argument '--download-only' found\n\nUsage: bootc upgrade [OPTIONS]${HELP}`);
    expect(stderrOf(parse('1.14.0', 'upgrade', '--tag=v2'))).toBe(`error: unexpected argument '--tag' found\n\nUsage: bootc upgrade [OPTIONS]${HELP}`);
  });

  it('uses the smart usage when other arguments were given, and suggests similar flags', () => {
    expect(stderrOf(parse('1.1.6', 'upgrade', '--check', '--soft-reboot=auto'))).toBe(`error: unexpected argument '--soft-reboot' found\n\nUsage: bootc upgrade --check${HELP}`);
    expect(stderrOf(parse('1.16.9', 'upgrade', '--chek'))).toBe(`error: unexpected argument '--chek' found\n\n  tip: a similar argument exists: '--check'\n\nUsage: bootc upgrade --check${HELP}`);
  });

  it('offers the "-- --x" tip on commands with positionals', () => {
    expect(stderrOf(parse('1.1.6', 'switch', '--soft-reboot', 'auto', 'quay.io/x'))).toBe(
      `error: unexpected argument '--soft-reboot' found\n\n  tip: to pass '--soft-reboot' as a value, use '-- --soft-reboot'\n\nUsage: bootc switch [OPTIONS] <TARGET>${HELP}`,
    );
  });

  it('rejects rollback --apply before 1.1.7 (a command without options)', () => {
    expect(stderrOf(parse('1.1.6', 'rollback', '--apply'))).toBe(`error: unexpected argument '--apply' found\n\nUsage: bootc rollback${HELP}`);
    expect(parse('1.1.7', 'rollback', '--apply').kind).toBe('run');
  });

  it('reports conflicts with the first given argument and a usage of the others', () => {
    const o = parse('1.16.9', 'upgrade', '--check', '--apply');
    expect(o).toMatchObject({ kind: 'exit', code: 2 });
    expect(stderrOf(o)).toBe(`error: the argument '--check' cannot be used with '--apply'\n\nUsage: bootc upgrade --check${HELP}`);
    expect(stderrOf(parse('1.16.9', 'upgrade', '--apply', '--check'))).toBe(`error: the argument '--apply' cannot be used with '--check'\n\nUsage: bootc upgrade --apply${HELP}`);
    expect(stderrOf(parse('1.16.9', 'upgrade', '--soft-reboot=auto', '--check'))).toBe(
      `error: the argument '--soft-reboot <SOFT_REBOOT>' cannot be used with '--check'\n\nUsage: bootc upgrade --soft-reboot <SOFT_REBOOT>${HELP}`,
    );
    expect(stderrOf(parse('1.16.9', 'upgrade', '--check', '--apply', '--download-only'))).toBe(
      `error: the argument '--check' cannot be used with:\n  --apply\n  --download-only\n\nUsage: bootc upgrade --check${HELP}`,
    );
    expect(stderrOf(parse('1.16.9', 'upgrade', '--from-downloaded', '--download-only'))).toContain("error: the argument '--from-downloaded' cannot be used with '--download-only'");
  });

  it('lists possible values for a bad or missing enum value', () => {
    expect(stderrOf(parse('1.16.9', 'status', '--format', 'xml'))).toBe(
      `error: invalid value 'xml' for '--format <FORMAT>'\n  [possible values: humanreadable, yaml, json]\n\n  tip: a similar value exists: 'yaml'${HELP}`,
    );
    expect(stderrOf(parse('0.1.14', 'status', '--format=humanreadable'))).toBe(`error: invalid value 'humanreadable' for '--format <FORMAT>'\n  [possible values: yaml, json]${HELP}`);
    expect(stderrOf(parse('1.16.9', 'status', '--format'))).toBe(`error: a value is required for '--format <FORMAT>' but none was supplied\n  [possible values: humanreadable, yaml, json]${HELP}`);
    expect(stderrOf(parse('1.16.9', 'status', '--format-version', 'one'))).toBe(`error: invalid value 'one' for '--format-version <FORMAT_VERSION>': invalid digit found in string${HELP}`);
  });

  it('reports missing positionals and repeated flags', () => {
    expect(stderrOf(parse('1.16.9', 'switch'))).toBe(`error: the following required arguments were not provided:\n  <TARGET>\n\nUsage: bootc switch [OPTIONS] <TARGET>${HELP}`);
    expect(stderrOf(parse('1.16.9', 'switch', '--apply'))).toBe(`error: the following required arguments were not provided:\n  <TARGET>\n\nUsage: bootc switch --apply <TARGET>${HELP}`);
    expect(stderrOf(parse('1.16.9', 'install', 'to-disk', '--wipe'))).toContain('  <DEVICE>\n\nUsage: bootc install to-disk --wipe <DEVICE>');
    expect(stderrOf(parse('1.16.9', 'upgrade', '--check', '--check'))).toBe(`error: the argument '--check' cannot be used multiple times\n\nUsage: bootc upgrade [OPTIONS]${HELP}`);
    expect(stderrOf(parse('1.16.9', 'upgrade', 'extra'))).toBe(`error: unexpected argument 'extra' found\n\nUsage: bootc upgrade [OPTIONS]${HELP}`);
  });

  it('rejects unknown verbs, suggesting a close one', () => {
    expect(stderrOf(parse('1.16.9', 'frobnicate'))).toBe(`error: unrecognized subcommand 'frobnicate'\n\nUsage: bootc <COMMAND>${HELP}`);
    expect(stderrOf(parse('1.16.9', 'stauts'))).toBe(`error: unrecognized subcommand 'stauts'\n\n  tip: a similar subcommand exists: 'status'\n\nUsage: bootc <COMMAND>${HELP}`);
    const bare = parse('1.16.9');
    expect(bare).toMatchObject({ kind: 'exit', code: 2, stdout: '' });
    expect(stderrOf(bare)).toContain('Usage: bootc <COMMAND>');
  });
});

describe('accepted command lines', () => {
  it('takes --flag=value and --flag value alike, and -v from 1.5.0', () => {
    const a = parse('1.16.9', 'status', '--format=json', '--format-version', '1', '-v');
    const b = parse('1.16.9', 'status', '--format', 'json', '--format-version=1', '--verbose');
    for (const o of [a, b]) {
      expect(o.kind).toBe('run');
      if (o.kind === 'run') {
        expect(o.args.values.get('format')).toBe('json');
        expect(o.args.values.get('format_version')).toBe('1');
        expect(o.args.flags.has('verbose')).toBe(true);
      }
    }
    expect(stderrOf(parse('1.3.0', 'status', '-v'))).toBe(`error: unexpected argument '-v' found\n\nUsage: bootc status [OPTIONS]${HELP}`);
  });

  it('accepts the hidden --soft-reboot of 1.7.0 and the update alias', () => {
    const o = parse('1.7.0', 'update', '--soft-reboot', 'required');
    expect(o.kind).toBe('run');
    if (o.kind === 'run') {
      expect(o.args.path).toEqual(['upgrade']);
      expect(o.args.values.get('soft_reboot')).toBe('required');
    }
  });

  it('collects repeated --karg and defaults --transport', () => {
    const o = parse('1.16.9', 'install', 'to-disk', '--karg=nosmt', '--karg', 'console=ttyS0,115200n8', '/dev/vdb');
    expect(o.kind).toBe('run');
    if (o.kind === 'run') {
      expect(o.args.lists.get('karg')).toEqual(['nosmt', 'console=ttyS0,115200n8']);
      expect(o.args.values.get('device')).toBe('/dev/vdb');
      expect(o.args.values.get('target_transport')).toBe('registry');
    }
    expect(stderrOf(parse('1.15.0', 'install', 'to-disk', '--karg-delete=quiet', '/dev/vdb'))).toContain("unexpected argument '--karg-delete' found");
    expect(stderrOf(parse('1.1.6', 'install', 'to-disk', '--run-fetch-check', '/dev/vdb'))).toContain("unexpected argument '--run-fetch-check' found");
  });

  it('prints the version and help with exit 0', () => {
    expect(parse('1.16.9', '--version')).toEqual({ kind: 'exit', code: 0, stdout: 'bootc 1.16.9\n', stderr: '' });
    const h = parse('1.16.9', 'upgrade', '--help');
    expect(h).toMatchObject({ kind: 'exit', code: 0 });
    if (h.kind === 'exit') expect(h.stdout).toContain('Usage: bootc upgrade [OPTIONS]');
  });
});

describe('jaro', () => {
  it('matches strsim::jaro', () => {
    expect(jaro('MARTHA', 'MARHTA')).toBeCloseTo(0.944, 3);
    expect(jaro('', '')).toBe(1);
    expect(jaro('abc', '')).toBe(0);
    expect(jaro('chek', 'check')).toBeGreaterThan(0.7);
    expect(jaro('soft-reboot', 'quiet')).toBeLessThan(0.7);
  });
});
