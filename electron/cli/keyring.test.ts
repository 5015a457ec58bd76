import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors';
import { openCore } from '../core/app';
import { SECRET_KEY_FILE } from '../core/paths';
import { hostSecretCipher, KEYRING_MARKER } from '../core/secrets/keyring';
import { cleanupTempDirs, ok, tempDir } from '../core/test-support';
import { runCli } from './program';

/**
 * The CLI's and serve's secret store against a real Secret Service: GNOME Keyring's daemon on a
 * D-Bus session bus of this test's own, reached through libsecret's secret-tool, as on a desktop.
 */
const tools = ['dbus-daemon', 'gnome-keyring-daemon', 'secret-tool'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
if (!tools && process.env.CI) throw new Error('the keyring tests need dbus-daemon, gnome-keyring and libsecret-tools (installed by .ci/install)');

let bus: ChildProcess | undefined;
let keyring: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;
const noKeyring = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e.DBUS_SESSION_BUS_ADDRESS;
  delete e.BOOTFLEET_SECRET_STORE;
  return e;
};
const lookup = (dataDir: string) => spawnSync('secret-tool', ['lookup', 'application', 'bootfleet', 'data-dir', resolve(dataDir)], { env, encoding: 'utf8' });

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen in 10 s`);
}

function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

beforeAll(async () => {
  if (!tools) return;
  const home = tempDir();
  const run = join(home, 'run');
  mkdirSync(run, { mode: 0o700 });
  bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(run, 'bus')}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((r) => bus!.stdout!.once('data', (d: Buffer) => r(d.toString().trim())));
  env = { ...noKeyring(), DBUS_SESSION_BUS_ADDRESS: address, HOME: home, XDG_RUNTIME_DIR: run, XDG_DATA_HOME: join(home, 'data') };
  keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  keyring.stdin!.end('test-login-password');
  // Asked before it has made its login collection from the password on stdin, it never makes it:
  // wait for its control socket, then until it stores an item.
  await until(() => existsSync(join(run, 'keyring', 'control')), 'the keyring daemon');
  await until(() => spawnSync('secret-tool', ['store', '--label=probe', 'application', 'bootfleet-test', 'probe', 'up'], { env, input: 'x' }).status === 0, 'the Secret Service');
  spawnSync('secret-tool', ['clear', 'application', 'bootfleet-test', 'probe', 'up'], { env });
}, 20_000);

afterAll(async () => {
  await stop(keyring);
  await stop(bus);
  cleanupTempDirs();
});

describe.runIf(tools)('secrets of the CLI and serve in the OS keyring', () => {
  it('keeps a new data directory’s key in the keyring, never in a file, and says so', async () => {
    const dataDir = tempDir();
    const cipher = hostSecretCipher(dataDir, env);
    const core = openCore({ dataDir, via: 'cli', cipher, log: () => {} });
    try {
      await ok(core, 'devices.add', { name: 'plc-1', host: '10.0.0.1', auth: 'password', secret: 'hunter2' });
      const info = await ok(core, 'app.info', {});
      expect(info).toMatchObject({ secretStore: 'keyring', secretStoreWhy: 'the Secret Service answered' });
      const id = (core.db.prepare('SELECT secret_id AS id FROM devices').get() as { id: string }).id;
      expect(core.secrets.get(id)).toBe('hunter2');
      expect(existsSync(join(dataDir, SECRET_KEY_FILE))).toBe(false);
      expect(JSON.parse(readFileSync(join(dataDir, KEYRING_MARKER), 'utf8'))).toMatchObject({ store: 'keyring', attributes: { application: 'bootfleet', 'data-dir': resolve(dataDir) } });
      expect(Buffer.from(lookup(dataDir).stdout.trim(), 'base64')).toHaveLength(32);
      // The password itself is in neither the database nor the keyring entry.
      expect(readFileSync(join(dataDir, 'bootfleet.db')).includes('hunter2')).toBe(false);
    } finally {
      core.close();
    }

    // Later, without the keyring (an SSH session): a clear refusal, and no new key that would orphan the secrets.
    const away = openCore({ dataDir, via: 'cli', cipher: hostSecretCipher(dataDir, noKeyring()), log: () => {} });
    try {
      const id = (away.db.prepare('SELECT secret_id AS id FROM devices').get() as { id: string }).id;
      expect(() => away.secrets.get(id)).toThrow(expect.objectContaining({ code: ErrorCode.SECRET_UNAVAILABLE, message: expect.stringMatching(/kept in the desktop keyring, which cannot be reached here \(.*\)\. Run Bootfleet in the desktop session/) }));
      expect(existsSync(join(dataDir, SECRET_KEY_FILE))).toBe(false);
    } finally {
      away.close();
    }
  });

  it('moves an existing key file into the keyring, keeping every stored secret readable, and removes the file', async () => {
    const dataDir = tempDir();
    const before = openCore({ dataDir, via: 'cli', cipher: hostSecretCipher(dataDir, noKeyring()), log: () => {} });
    await ok(before, 'devices.add', { name: 'plc-2', host: '10.0.0.2', auth: 'password', secret: 'correct horse' });
    expect((await ok(before, 'app.info', {})).secretStore).toBe('keyfile');
    const key = readFileSync(join(dataDir, SECRET_KEY_FILE));
    before.close();

    const after = openCore({ dataDir, via: 'cli', cipher: hostSecretCipher(dataDir, env), log: () => {} });
    try {
      const id = (after.db.prepare('SELECT secret_id AS id FROM devices').get() as { id: string }).id;
      expect(after.secrets.get(id)).toBe('correct horse');
      expect(existsSync(join(dataDir, SECRET_KEY_FILE))).toBe(false);
      expect(Buffer.from(lookup(dataDir).stdout.trim(), 'base64').equals(key)).toBe(true);
      expect((await ok(after, 'app.info', {})).secretStore).toBe('keyring');
    } finally {
      after.close();
    }
  });

  it('uses the key file where no keyring answers, or where BOOTFLEET_SECRET_STORE=file says so', async () => {
    const plain = tempDir();
    const c = hostSecretCipher(plain, noKeyring());
    expect(c.store).toBe('keyfile');
    expect(c.why()).toBe('no keyring: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)');
    const chosen = tempDir();
    const f = hostSecretCipher(chosen, { ...env, BOOTFLEET_SECRET_STORE: 'file' });
    expect(f.decrypt(f.encrypt(Buffer.from('x'))).toString()).toBe('x');
    expect(f.store).toBe('keyfile');
    expect(existsSync(join(chosen, SECRET_KEY_FILE))).toBe(true);
    expect(lookup(chosen).status).toBe(1);
    expect(() => hostSecretCipher(tempDir(), { ...noKeyring(), BOOTFLEET_SECRET_STORE: 'keyring' }).store).toThrow(/BOOTFLEET_SECRET_STORE=keyring, but no keyring is reachable: no D-Bus session/);
  });

  it('bootfleet doctor reports the store in use', async () => {
    const dataDir = tempDir();
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = env.DBUS_SESSION_BUS_ADDRESS;
    let out = '';
    try {
      const code = await runCli(['doctor', '--json', '--data-dir', dataDir], { stdout: (t: string) => void (out += t), stderr: () => undefined, readStdin: async () => '' });
      expect(code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
    const checks = JSON.parse(out) as { check: string; status: string; detail: string }[];
    expect(checks.find((c) => c.check === 'secrets')).toEqual({ check: 'secrets', status: 'ok', detail: 'encrypted with a key kept in the OS keyring (Secret Service): the Secret Service answered' });
  });

  it('processes using a new data directory at the same moment agree on one key, in the keyring or in the file', async () => {
    const script = join(tempDir(), 'encrypt.ts');
    writeFileSync(
      script,
      `import { hostSecretCipher } from ${JSON.stringify(resolve(__dirname, '../core/secrets/keyring'))};
const cipher = hostSecretCipher(process.argv[2]!);
while (Date.now() < Number(process.argv[4])) {} // all at the same moment
process.stdout.write(cipher.encrypt(Buffer.from(process.argv[3]!)).toString('base64'));`,
    );
    for (const [label, e] of [['keyring', env], ['key file', noKeyring()]] as const) {
      const dataDir = tempDir();
      const at = String(Date.now() + 3000); // after every process has started
      const run = (word: string) =>
        new Promise<string>((done, fail) => {
          const p = spawn(process.execPath, ['--import', 'tsx', script, dataDir, word, at], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
          p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
          p.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`${label}: exit ${code}: ${err}`))));
        });
      const words = ['alpha', 'bravo', 'charlie', 'delta'];
      const blobs = await Promise.all(words.map(run));
      const reader = hostSecretCipher(dataDir, e);
      expect(blobs.map((b) => reader.decrypt(Buffer.from(b, 'base64')).toString()), label).toEqual(words);
      expect(existsSync(join(dataDir, 'secret-key.lock')), label).toBe(false);
    }
  }, 60_000);
});
