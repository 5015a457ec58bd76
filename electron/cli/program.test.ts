import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device, Site } from '../../shared/contract';
import { ErrorCode } from '../../shared/errors';
import { DATABASE_FILE } from '../core/paths';
import { cleanupTempDirs, closeTestCores, countRows, openTestCore, tempDir } from '../core/test-support';
import { runCli } from './program';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** How many times the command read standard input. */
  stdinReads: number;
}

let dataDir: string;

/** Runs `bootfleet ARGS` against the test's data directory. */
async function cli(args: string[], opts: { stdin?: string; dataDir?: string | null } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let stdinReads = 0;
  const dir = opts.dataDir === undefined ? dataDir : opts.dataDir;
  const argv = dir === null ? args : ['--data-dir', dir, ...args];
  const code = await runCli(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: async () => {
      stdinReads++;
      return opts.stdin ?? '';
    },
  });
  return { code, stdout, stderr, stdinReads };
}

/** A failed command: exit 1 and exactly one line on stderr, starting with "bootfleet: ". */
function expectOneLineFailure(r: Run, code?: string): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^bootfleet: /);
  if (code) expect(lines[0]).toContain(`[${code}]`);
}

async function listJson(extra: string[] = []): Promise<{ total: number; items: Device[] }> {
  const r = await cli(['--json', 'devices', 'list', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { total: number; items: Device[] };
}

const savedEnv = process.env.BOOTFLEET_DATA_DIR;

beforeEach(() => {
  dataDir = tempDir();
});

afterEach(() => {
  if (savedEnv === undefined) delete process.env.BOOTFLEET_DATA_DIR;
  else process.env.BOOTFLEET_DATA_DIR = savedEnv;
  closeTestCores();
  cleanupTempDirs();
});

describe('bootfleet devices', () => {
  it('adds a device and lists it as JSON', async () => {
    const add = await cli(['devices', 'add', 'edge-01', '--host', '10.0.0.1', '--port', '2222', '--user', 'core', '--tag', 'edge', '--tag', 'prod', '--sudo']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe('Added edge-01 (10.0.0.1:2222).\n');
    expect(add.stderr).toBe('');
    const list = await listJson();
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ name: 'edge-01', host: '10.0.0.1', port: 2222, user: 'core', tags: ['edge', 'prod'], sudo: true, auth: 'agent' });
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
  });

  it('adds with --json and prints the device as JSON', async () => {
    const r = await cli(['devices', 'add', 'e1', '--host', 'h', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'e1', host: 'h' });
  });

  it('records the change in the activity log as made through the CLI', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h']);
    const r = await cli(['--json', 'activity']);
    const log = JSON.parse(r.stdout) as { items: { via: string; action: string }[] };
    expect(log.items).toEqual([expect.objectContaining({ via: 'cli', action: 'device.added' })]);
  });

  it('lists devices as a table, filtered by site, tag and search', async () => {
    await cli(['sites', 'add', 'lab']);
    await cli(['devices', 'add', 'e1', '--host', '10.0.0.1', '--site', 'lab', '--tag', 'edge']);
    await cli(['devices', 'add', 'e2', '--host', '::1', '--port', '2200']);
    const all = await cli(['devices', 'list']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAME\s+SITE\s+HOST\s+TAGS\s+DESIRED IMAGE$/);
    expect(all.stdout).toMatch(/e1\s+lab\s+10\.0\.0\.1\s+edge/);
    expect(all.stdout).toContain('[::1]:2200');
    expect((await listJson(['--site', 'lab'])).items.map((d) => d.name)).toEqual(['e1']);
    expect((await listJson(['--site', ''])).items.map((d) => d.name)).toEqual(['e2']);
    expect((await listJson(['--tag', 'edge'])).items.map((d) => d.name)).toEqual(['e1']);
    expect((await listJson(['--search', '::1'])).items.map((d) => d.name)).toEqual(['e2']);
    expect((await listJson(['--sort', 'host', '--desc'])).items.map((d) => d.name)).toEqual(['e2', 'e1']);
    const limited = await listJson(['--limit', '1', '--offset', '1']);
    expect(limited.total).toBe(2);
    expect(limited.items.map((d) => d.name)).toEqual(['e2']);
  });

  it('says so when no device matches', async () => {
    const r = await cli(['devices', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No devices match/);
  });

  it('shows one device', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h1', '--key', '/root/.ssh/id', '--notes', 'rack 4']);
    const r = await cli(['devices', 'show', 'e1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name:\s+e1$/m);
    expect(r.stdout).toMatch(/^auth:\s+key \(\/root\/\.ssh\/id\)$/m);
    expect(r.stdout).toMatch(/^notes:\s+rack 4$/m);
    const json = await cli(['devices', 'show', 'e1', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'e1', keyPath: '/root/.ssh/id' });
  });

  it('edits tags, sudo and the name', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h', '--tag', 'a', '--tag', 'b', '--sudo']);
    const r = await cli(['devices', 'edit', 'e1', '--add-tag', 'c', '--remove-tag', 'A', '--no-sudo', '--name', 'e9']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Updated e9.\n');
    const [d] = (await listJson()).items;
    expect(d).toMatchObject({ name: 'e9', tags: ['b', 'c'], sudo: false });
    const again = await cli(['devices', 'edit', 'e9', '--sudo', '--tag', 'only']);
    expect(again.code).toBe(0);
    expect((await listJson()).items[0]).toMatchObject({ tags: ['only'], sudo: true });
  });

  it('edits the site, user and image, and clears them', async () => {
    await cli(['sites', 'add', 'lab']);
    await cli(['devices', 'add', 'e1', '--host', 'h']);
    expect((await cli(['devices', 'edit', 'e1', '--site', 'lab', '--user', 'core', '--image', 'quay.io/org/os:42'])).code).toBe(0);
    expect((await listJson()).items[0]).toMatchObject({ siteName: 'lab', user: 'core', desiredImage: 'quay.io/org/os:42' });
    expect((await cli(['devices', 'edit', 'lab/e1', '--no-site', '--clear-user', '--clear-image'])).code).toBe(0);
    expect((await listJson()).items[0]).toMatchObject({ siteName: null, user: null, desiredImage: null });
  });

  it('refuses an edit that changes nothing', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h']);
    expectOneLineFailure(await cli(['devices', 'edit', 'e1']), ErrorCode.VALIDATION_FAILED);
  });

  it('keeps the device when rm is not confirmed with --yes, and removes it with --yes', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h']);
    const refused = await cli(['devices', 'rm', 'e1']);
    expectOneLineFailure(refused, ErrorCode.VALIDATION_FAILED);
    expect(refused.stderr).toContain('--yes');
    expect((await listJson()).total).toBe(1);
    const done = await cli(['devices', 'rm', 'e1', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('Deleted e1.\n');
    expect((await listJson()).total).toBe(0);
  });

  it('stores a password read from standard input, encrypted', async () => {
    const r = await cli(['devices', 'add', 'e1', '--host', 'h', '--password-stdin'], { stdin: 'correct horse\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdinReads).toBe(1);
    const core = openTestCore({ dataDir });
    const d = core.inventory.resolveDevice('e1');
    expect(d).toMatchObject({ auth: 'password', hasSecret: true });
    const secretId = core.inventory.devices.row(d.id)!.secret_id!;
    expect(core.secrets.get(secretId)).toBe('correct horse');
  });

  it('refuses an empty password on standard input', async () => {
    const r = await cli(['devices', 'add', 'e1', '--host', 'h', '--password-stdin'], { stdin: '' });
    expectOneLineFailure(r, ErrorCode.VALIDATION_FAILED);
    expect((await listJson()).total).toBe(0);
  });

  it('does not read standard input unless asked to', async () => {
    const r = await cli(['devices', 'add', 'e1', '--host', 'h']);
    expect(r.stdinReads).toBe(0);
  });

  it('names devices by SITE/NAME when a name is in several sites', async () => {
    await cli(['sites', 'add', 'lab']);
    await cli(['sites', 'add', 'plant']);
    await cli(['devices', 'add', 'edge', '--host', 'a', '--site', 'lab']);
    await cli(['devices', 'add', 'edge', '--host', 'b', '--site', 'plant']);
    expectOneLineFailure(await cli(['devices', 'show', 'edge']), ErrorCode.AMBIGUOUS);
    const r = await cli(['devices', 'show', 'plant/edge', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: 'b' });
  });
});

describe('bootfleet devices import and export', () => {
  it('checks a file with a bad row in a dry run, names the line, exits 1 and writes nothing', async () => {
    const file = join(dataDir, 'fleet.csv');
    writeFileSync(file, 'name,host,port\ne1,10.0.0.1,22\ne2,10.0.0.2,99999\n');
    const r = await cli(['devices', 'import', file, '--dry-run']);
    expectOneLineFailure(r, ErrorCode.CSV_INVALID);
    expect(r.stdout + r.stderr).toContain('line 3');
    expect(r.stdout).toMatch(/line 3 \(e2\): port: /);
    expect((await listJson()).total).toBe(0);
    const core = openTestCore({ dataDir });
    expect(countRows(core, 'activity')).toBe(0);
  });

  it('refuses a file with a bad row without --dry-run, with one line on stderr, and writes nothing', async () => {
    const file = join(dataDir, 'fleet.csv');
    writeFileSync(file, 'name,host,site\ne1,10.0.0.1,lab\ne2,x y,lab\n');
    const r = await cli(['devices', 'import', file]);
    expect(r.stdout + r.stderr).toContain('line 3');
    expect((await listJson()).total).toBe(0);
    expect(JSON.parse((await cli(['--json', 'sites', 'list'])).stdout)).toEqual([]);
    expectOneLineFailure(r, ErrorCode.CSV_INVALID);
  });

  it('imports a valid file, from a path or from standard input', async () => {
    const file = join(dataDir, 'fleet.csv');
    writeFileSync(file, 'name,host,site,tags\ne1,10.0.0.1,lab,a;b\ne2,10.0.0.2,,\n');
    const dry = await cli(['devices', 'import', file, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('2 valid');
    expect(dry.stdout).toContain('Would create site: lab');
    expect((await listJson()).total).toBe(0);
    const r = await cli(['devices', 'import', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Imported 2 devices.');
    const piped = await cli(['devices', 'import', '-'], { stdin: 'name,host\ne3,10.0.0.3\n' });
    expect(piped.code).toBe(0);
    expect((await listJson()).items.map((d) => d.name)).toEqual(['e1', 'e2', 'e3']);
  });

  it('fails on a file that does not exist', async () => {
    expectOneLineFailure(await cli(['devices', 'import', join(dataDir, 'nope.csv')]), ErrorCode.NOT_FOUND);
  });

  it('exports CSV to a file, and the file re-imports elsewhere', async () => {
    await cli(['sites', 'add', 'lab']);
    await cli(['devices', 'add', 'e1', '--host', '10.0.0.1', '--site', 'lab', '--tag', 'edge']);
    await cli(['devices', 'add', 'e2', '--host', '10.0.0.2']);
    const out = join(dataDir, 'out.csv');
    const r = await cli(['devices', 'export', '--format', 'csv', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Exported 2 devices');
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('name,host,port,user,site,tags,sudo,key,image,notes');
    expect(text).toContain('e1,10.0.0.1,22,,lab,edge,false,,');

    const other = tempDir();
    const imp = await cli(['devices', 'import', out], { dataDir: other });
    expect(imp.code, imp.stderr).toBe(0);
    const list = await cli(['--json', 'devices', 'list'], { dataDir: other });
    expect((JSON.parse(list.stdout) as { items: Device[] }).items.map((d) => [d.name, d.siteName, d.tags])).toEqual([
      ['e1', 'lab', ['edge']],
      ['e2', null, []],
    ]);
  });

  it('exports JSON to standard output, filtered', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h', '--tag', 'x']);
    await cli(['devices', 'add', 'e2', '--host', 'h']);
    const r = await cli(['devices', 'export', '--format', 'json', '--tag', 'x']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Device[]).map((d) => d.name)).toEqual(['e1']);
  });
});

describe('bootfleet sites', () => {
  it('adds, lists, renames and removes sites', async () => {
    expect((await cli(['sites', 'list'])).stdout).toMatch(/^No sites yet/);
    const add = await cli(['sites', 'add', 'lab', '--notes', 'bench']);
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('Added site lab.\n');
    await cli(['devices', 'add', 'e1', '--host', 'h', '--site', 'lab']);
    const list = await cli(['sites', 'list']);
    expect(list.stdout).toMatch(/^NAME\s+DEVICES\s+JUMP HOSTS\s+STALE AFTER\s+RECORDS TERMINALS\s+KEEPS RECORDINGS\s+NOTES\nlab\s+1\s+-\s+7 d \(default\)\s+no\s+forever\s+bench\n$/);
    const rename = await cli(['sites', 'rename', 'lab', 'bench']);
    expect(rename.code).toBe(0);
    expect(rename.stdout).toBe('Renamed site lab to bench.\n');
    expect((await listJson()).items[0]!.siteName).toBe('bench');

    expectOneLineFailure(await cli(['sites', 'rm', 'bench']), ErrorCode.SITE_IN_USE);
    await cli(['devices', 'rm', 'bench/e1', '--yes']);
    const rm = await cli(['sites', 'rm', 'bench']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe('Deleted site bench.\n');
    expect(JSON.parse((await cli(['--json', 'sites', 'ls'])).stdout) as Site[]).toEqual([]);
  });

  it('refuses a duplicate site', async () => {
    await cli(['sites', 'add', 'lab']);
    expectOneLineFailure(await cli(['sites', 'add', 'LAB']), ErrorCode.NAME_TAKEN);
  });
});

describe('the data directory', () => {
  it('uses BOOTFLEET_DATA_DIR when --data-dir is not given', async () => {
    const envDir = tempDir();
    process.env.BOOTFLEET_DATA_DIR = envDir;
    const r = await cli(['devices', 'add', 'e1', '--host', 'h'], { dataDir: null });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(envDir, DATABASE_FILE))).toBe(true);
    const info = await cli(['--json', 'info'], { dataDir: null });
    expect(JSON.parse(info.stdout)).toMatchObject({ dataDir: envDir, via: 'cli', counts: { devices: 1, sites: 0, tags: 0 } });
  });

  it('prefers --data-dir over BOOTFLEET_DATA_DIR', async () => {
    const envDir = tempDir();
    process.env.BOOTFLEET_DATA_DIR = envDir;
    expect((await cli(['devices', 'add', 'e1', '--host', 'h'])).code).toBe(0);
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
    expect(existsSync(join(envDir, DATABASE_FILE))).toBe(false);
  });

  it('fails with one line when the database is not an inventory', async () => {
    writeFileSync(join(dataDir, DATABASE_FILE), Buffer.alloc(4096, 7));
    expectOneLineFailure(await cli(['devices', 'list']), ErrorCode.DB_CORRUPT);
  });
});

describe('failures', () => {
  it.each([
    ['an unknown device', ['devices', 'show', 'ghost'], ErrorCode.NOT_FOUND],
    ['add without --host', ['devices', 'add', 'e1'], ErrorCode.VALIDATION_FAILED],
    ['an invalid host', ['devices', 'add', 'e1', '--host', 'x y'], ErrorCode.VALIDATION_FAILED],
    ['a site that does not exist', ['devices', 'add', 'e1', '--host', 'h', '--site', 'nowhere'], ErrorCode.NOT_FOUND],
    ['removing an unknown site', ['sites', 'rm', 'nowhere'], ErrorCode.NOT_FOUND],
    ['an invalid image', ['devices', 'add', 'e1', '--host', 'h', '--image', 'Not An Image'], ErrorCode.VALIDATION_FAILED],
  ])('exits 1 with one line on stderr for %s', async (_what, args, code) => {
    const r = await cli(args);
    expectOneLineFailure(r, code);
    expect(r.stdout).toBe('');
  });

  it('exits 1 with one line for a name that is taken', async () => {
    await cli(['devices', 'add', 'e1', '--host', 'h']);
    expectOneLineFailure(await cli(['devices', 'add', 'E1', '--host', 'h2']), ErrorCode.NAME_TAKEN);
  });

  it('prints the error as JSON on stdout with --json', async () => {
    const r = await cli(['--json', 'devices', 'show', 'ghost']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe(ErrorCode.NOT_FOUND);
    expect(r.stderr).toMatch(/^bootfleet: .*\n$/);
  });

  it('accepts --json after the subcommand too', async () => {
    const r = await cli(['devices', 'show', 'ghost', '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe(ErrorCode.NOT_FOUND);
  });

  it.each([
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['devices', 'list', '--colour']],
    ['a missing argument', ['devices', 'add']],
    ['a port out of range', ['devices', 'add', 'e1', '--host', 'h', '--port', '70000']],
    ['a bad --auth choice', ['devices', 'add', 'e1', '--host', 'h', '--auth', 'telepathy']],
    ['a bad --format choice', ['devices', 'export', '--format', 'xml']],
  ])('exits 2 for a usage error: %s', async (_what, args) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error/);
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(false);
  });
});

describe('help', () => {
  it('lists every option of devices add', async () => {
    const r = await cli(['devices', 'add', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--host', '--port', '--user', '--key', '--site', '--tag', '--sudo', '--auth', '--password-stdin', '--image', '--notes', '--data-dir', '--json']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('prints the version and exits 0', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('describes the exit status in the top-level help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit status');
    for (const cmd of ['devices', 'sites', 'activity', 'info', 'serve']) expect(r.stdout).toContain(cmd);
  });
});

describe('bootfleet devices import-ssh-config and hostkeys import', () => {
  it('previews, then adds devices from an ssh config, and pins keys from known_hosts', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), 'Host gw\n  HostName 198.51.100.7\n  User admin\n  Port 2200\n  ProxyCommand nc %h %p\n');
    const dry = await cli(['devices', 'import-ssh-config', join(dir, 'config'), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Would add 1, would update 0, unchanged 0, skipped 0 \(from .*config\)\.\n {2}note gw: .*ProxyCommand/);
    expect((await cli(['devices', 'list'])).stdout).toContain('No devices');
    expect((await cli(['devices', 'import-ssh-config', join(dir, 'config')])).stdout).toMatch(/^Added 1,/);
    expect((await cli(['devices', 'show', 'gw'])).stdout).toMatch(/host:\s+198\.51\.100\.7/);

    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ';
    writeFileSync(join(dir, 'known_hosts'), `[198.51.100.7]:2200 ${pub}\n`);
    const r = await cli(['hostkeys', 'import', join(dir, 'known_hosts')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pinned 1 host key from .*known_hosts; 0 already pinned, 0 devices not listed\.\n {2}gw: ssh-ed25519 SHA256:\S+\n$/);
    expect((await cli(['hostkeys', 'list'])).stdout).toMatch(/gw\s+ssh-ed25519\s+SHA256:\S+\s+known_hosts/);
  });
});
