import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError, ErrorCode } from '../../../shared/errors';
import { SECRET_KEY_FILE } from '../paths';
import { dataKeyCipher, readKeyFile, type SecretCipher } from './cipher';

/**
 * Where the CLI and `bootfleet serve` keep the data key that encrypts secrets: in the OS keyring
 * (the freedesktop Secret Service: GNOME Keyring, KWallet, KeePassXC) when one is reachable, through
 * libsecret's `secret-tool`; otherwise in a 0600 key file in the data directory. The desktop app
 * uses Electron's safeStorage instead.
 *
 * Once a data directory's key is in the keyring, a marker file (no secret in it) says so, and the
 * key is only ever looked for there: a run without the keyring (an SSH session with no D-Bus
 * session) then says why it cannot read secrets, rather than making a new key that would orphan
 * them. A key file found when the keyring is first used is moved into it (and the file removed).
 * BOOTFLEET_SECRET_STORE=file keeps a data directory that has no marker on the key file.
 */
export const KEYRING_MARKER = 'secret-key.keyring';
const SECRET_TOOL = 'secret-tool';

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  error?: Error;
}
function tool(args: string[], env: NodeJS.ProcessEnv, input?: Buffer): Run {
  const r = spawnSync(SECRET_TOOL, args, { env, input, timeout: 20_000, maxBuffer: 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: String(r.stderr ?? '').trim(), ...(r.error ? { error: r.error } : {}) };
}

/** The keyring entry's attributes: one key per data directory. */
const attributes = (dataDir: string): string[] => ['application', 'bootfleet', 'data-dir', resolve(dataDir)];

/**
 * Whether a Secret Service answers here: secret-tool is installed, there is a D-Bus session, and a
 * lookup either finds the entry or finds nothing (a missing service is an error, with a message).
 */
export function keyringReachable(env: NodeJS.ProcessEnv = process.env): { ok: boolean; why: string } {
  if (!env.DBUS_SESSION_BUS_ADDRESS) return { ok: false, why: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)' };
  const r = tool(['lookup', 'application', 'bootfleet', 'probe', 'reachable'], env);
  if (r.error) return { ok: false, why: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'secret-tool is not installed (Debian and Ubuntu: libsecret-tools)' : r.error.message };
  if (r.status === 0 || (r.status === 1 && !r.stderr)) return { ok: true, why: 'the Secret Service answered' };
  return { ok: false, why: r.stderr.split('\n')[0] || `secret-tool exited ${r.status}` };
}

function lookup(dataDir: string, env: NodeJS.ProcessEnv): Buffer | null {
  const r = tool(['lookup', ...attributes(dataDir)], env);
  if (r.status === 1 && !r.stderr) return null;
  if (r.status !== 0) {
    throw new AppError(
      ErrorCode.SECRET_UNAVAILABLE,
      `Secrets of ${dataDir} are encrypted with a key kept in the desktop keyring, which cannot be reached here (${r.stderr.split('\n')[0] || r.error?.message || `secret-tool exited ${r.status}`}). Run Bootfleet in the desktop session that holds the keyring, with it unlocked.`,
    );
  }
  const key = Buffer.from(r.stdout.toString('utf8').trim(), 'base64');
  if (key.length !== 32) throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `The keyring's Bootfleet key for ${dataDir} is damaged (expected 32 bytes, found ${key.length}).`);
  return key;
}

function store(dataDir: string, key: Buffer, env: NodeJS.ProcessEnv): void {
  const r = tool(['store', `--label=Bootfleet secrets key (${resolve(dataDir)})`, ...attributes(dataDir)], env, Buffer.from(key.toString('base64')));
  if (r.status !== 0) throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `The Bootfleet key could not be stored in the keyring: ${r.stderr || r.error?.message || `secret-tool exited ${r.status}`}.`);
  const back = lookup(dataDir, env);
  if (!back?.equals(key)) throw new AppError(ErrorCode.SECRET_UNAVAILABLE, 'The keyring did not give back the Bootfleet key it was given; the key file is kept.');
}

/** Overwrites the old key file before removing it: the key now lives in the keyring only. */
function shred(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, randomBytes(32), 0, 32, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(path);
}

const LOCK = 'secret-key.lock';
/** A lock older than this was left by a process that died (making a key takes well under a second). */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `fn` holding the data directory's key lock, so two processes using a data directory for
 * the first time (or one moving the key file into the keyring while another reads it) agree on one key.
 */
function withKeyLock<T>(dataDir: string, fn: () => T): T {
  const lock = join(dataDir, LOCK);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
      } catch {
        // gone meanwhile: try again
      }
      if (Date.now() > deadline) throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `Another Bootfleet process has held ${lock} for 10 s; if none runs, remove that file.`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The data key from the keyring, created there (or moved there from the key file) on first use. */
function keyringKey(dataDir: string, env: NodeJS.ProcessEnv): Buffer {
  const found = lookup(dataDir, env);
  const marker = join(dataDir, KEYRING_MARKER);
  if (found) {
    if (!existsSync(marker)) writeMarker(marker, dataDir);
    return found;
  }
  return withKeyLock(dataDir, () => firstKeyringKey(dataDir, env, marker));
}

/** Under the lock: another process may have made the key meanwhile; else make it, or move the key file's. */
function firstKeyringKey(dataDir: string, env: NodeJS.ProcessEnv, marker: string): Buffer {
  const found = lookup(dataDir, env);
  if (found) return found;
  if (existsSync(marker)) {
    throw new AppError(
      ErrorCode.SECRET_UNAVAILABLE,
      `The keyring has no Bootfleet key for ${dataDir} any more (it was removed, or this is another keyring), so stored passwords cannot be read. Enter them again, after removing ${marker}.`,
    );
  }
  const keyFile = join(dataDir, SECRET_KEY_FILE);
  const key = readKeyFile(keyFile, false) ?? randomBytes(32);
  store(dataDir, key, env);
  writeMarker(marker, dataDir);
  if (existsSync(keyFile)) shred(keyFile);
  return key;
}

function writeMarker(marker: string, dataDir: string): void {
  const body = JSON.stringify({ store: 'keyring', via: 'Secret Service (secret-tool)', attributes: Object.fromEntries([['application', 'bootfleet'], ['data-dir', resolve(dataDir)]]) }, null, 2);
  writeFileSync(`${marker}.tmp`, body + '\n', { mode: 0o600 });
  renameSync(`${marker}.tmp`, marker);
}

/** Which store the CLI and serve use, and why (for `bootfleet doctor`). */
function decide(dataDir: string, env: NodeJS.ProcessEnv): { cipher: SecretCipher; why: string } {
  const choice = env.BOOTFLEET_SECRET_STORE ?? 'auto';
  if (!['auto', 'keyring', 'file'].includes(choice)) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `BOOTFLEET_SECRET_STORE is '${choice}'; use keyring, file or auto (the default).`);
  }
  const keyring = (why: string) => ({ cipher: dataKeyCipher(() => keyringKey(dataDir, env), 'keyring', 'with the key in the desktop keyring'), why });
  if (existsSync(join(dataDir, KEYRING_MARKER))) return keyring(`this data directory's key is in the keyring (${KEYRING_MARKER})`);
  // The key file, read under the lock; if another process has moved the key into the keyring
  // meanwhile, it is read from there (never a new key file that would orphan the secrets).
  const file = (why: string) => ({
    cipher: dataKeyCipher(
      () =>
        withKeyLock(dataDir, () => {
          const marker = join(dataDir, KEYRING_MARKER);
          return existsSync(marker) ? (lookup(dataDir, env) ?? firstKeyringKey(dataDir, env, marker)) : readKeyFile(join(dataDir, SECRET_KEY_FILE), true)!;
        }),
      'keyfile',
      `with ${join(dataDir, SECRET_KEY_FILE)}`,
    ),
    why,
  });
  if (choice === 'file') return file('BOOTFLEET_SECRET_STORE=file');
  const reach = keyringReachable(env);
  if (reach.ok) return keyring(reach.why);
  if (choice === 'keyring') throw new AppError(ErrorCode.SECRET_UNAVAILABLE, `BOOTFLEET_SECRET_STORE=keyring, but no keyring is reachable: ${reach.why}.`);
  return file(`no keyring: ${reach.why}`);
}

/**
 * The secret cipher for the CLI and serve. The store is chosen when secrets are first used (or
 * asked about), so commands that touch no secret never talk to the keyring.
 */
export function hostSecretCipher(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretCipher & { why(): string } {
  let chosen: { cipher: SecretCipher; why: string } | undefined;
  const choose = () => (chosen ??= decide(dataDir, env));
  return {
    scheme: 'keyfile',
    get store() {
      return choose().cipher.store ?? 'keyfile';
    },
    why: () => choose().why,
    encrypt: (plain) => choose().cipher.encrypt(plain),
    decrypt: (blob) => choose().cipher.decrypt(blob),
  };
}
