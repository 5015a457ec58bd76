import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device, DeviceAdd, FieldIssue } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { SECRET_KEY_FILE } from '../paths';
import { cleanupTempDirs, closeTestCores, countRows, fails, ok, openTestCore, recordEvents, steppingClock } from '../test-support';

let core: BootfleetCore;

beforeEach(() => {
  core = openTestCore({ clock: steppingClock() });
});

afterEach(() => {
  closeTestCores();
  cleanupTempDirs();
});

const add = (input: DeviceAdd) => ok(core, 'devices.add', input);
const names = (items: Device[]) => items.map((d) => (d.siteName ? `${d.siteName}/${d.name}` : d.name));

describe('devices: add, get, update, remove', () => {
  it('adds a device with defaults and reads it back by name and by id', async () => {
    const d = await add({ name: 'edge-01', host: '10.0.0.1' });
    expect(d).toMatchObject({
      name: 'edge-01',
      host: '10.0.0.1',
      port: 22,
      user: null,
      auth: 'agent',
      keyPath: null,
      hasSecret: false,
      sudo: false,
      tags: [],
      notes: '',
      desiredImage: null,
      siteId: null,
      siteName: null,
    });
    expect(d.createdAt).toBe(d.updatedAt);
    expect(await ok(core, 'devices.get', { device: 'edge-01' })).toEqual(d);
    expect(await ok(core, 'devices.get', { device: d.id })).toEqual(d);
    expect(await ok(core, 'devices.get', { device: 'EDGE-01' })).toEqual(d);
  });

  it('stores every field of a new device', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    const d = await add({
      name: 'e1',
      host: '[fe80::1]',
      port: '2222' as unknown as number,
      user: 'core',
      keyPath: '/root/.ssh/id_ed25519',
      site: 'LAB',
      tags: ['ring=canary', 'edge', 'EDGE'],
      sudo: true,
      notes: 'rack 4',
      desiredImage: 'quay.io/fedora/fedora-bootc:42',
    });
    expect(d).toMatchObject({
      host: 'fe80::1',
      port: 2222,
      user: 'core',
      auth: 'key',
      keyPath: '/root/.ssh/id_ed25519',
      siteName: 'lab',
      tags: ['edge', 'ring=canary'],
      sudo: true,
      notes: 'rack 4',
      desiredImage: 'quay.io/fedora/fedora-bootc:42',
    });
  });

  it('refuses a device in a site that does not exist', async () => {
    const err = await fails(core, 'devices.add', { name: 'e1', host: 'h', site: 'nowhere' });
    expect(err.code).toBe(ErrorCode.NOT_FOUND);
    expect(countRows(core, 'devices')).toBe(0);
  });

  it('refuses a second device with the same name in the same site, whatever the case', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'edge', host: 'a', site: 'lab' });
    const err = await fails(core, 'devices.add', { name: 'EDGE', host: 'b', site: 'lab' });
    expect(err.code).toBe(ErrorCode.NAME_TAKEN);
    expect(err.message).toContain('lab');
    expect((err.details as { issues: FieldIssue[] }).issues[0]?.path).toBe('name');
    await add({ name: 'x', host: 'a' });
    expect((await fails(core, 'devices.add', { name: 'X', host: 'b' })).code).toBe(ErrorCode.NAME_TAKEN);
    expect(countRows(core, 'devices')).toBe(2);
  });

  it('allows one name in two sites; then the bare name is ambiguous and SITE/NAME picks one', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await ok(core, 'sites.add', { name: 'plant' });
    const a = await add({ name: 'edge', host: 'a', site: 'lab' });
    const b = await add({ name: 'edge', host: 'b', site: 'plant' });
    const err = await fails(core, 'devices.get', { device: 'edge' });
    expect(err.code).toBe(ErrorCode.AMBIGUOUS);
    expect((err.details as { candidates: string[] }).candidates).toEqual(['lab/edge', 'plant/edge']);
    expect((await ok(core, 'devices.get', { device: 'lab/edge' })).id).toBe(a.id);
    expect((await ok(core, 'devices.get', { device: 'PLANT/EDGE' })).id).toBe(b.id);
    expect((await fails(core, 'devices.update', { device: 'edge', patch: { notes: 'x' } })).code).toBe(ErrorCode.AMBIGUOUS);
    expect((await fails(core, 'devices.remove', { device: 'edge' })).code).toBe(ErrorCode.AMBIGUOUS);
    expect(countRows(core, 'devices')).toBe(2);
  });

  it('resolves /NAME to the device without a site', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'edge', host: 'a', site: 'lab' });
    const loose = await add({ name: 'edge', host: 'b' });
    expect((await fails(core, 'devices.get', { device: 'edge' })).code).toBe(ErrorCode.AMBIGUOUS);
    expect((await ok(core, 'devices.get', { device: '/edge' })).id).toBe(loose.id);
  });

  it('says NOT_FOUND for an unknown name, site or SITE/NAME', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    expect((await fails(core, 'devices.get', { device: 'ghost' })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'devices.get', { device: 'nosite/ghost' })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'devices.get', { device: 'lab/ghost' })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'devices.get', { device: '/ghost' })).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('changes only the fields in a patch; null clears a field; tags are replaced', async () => {
    const d = await add({ name: 'e1', host: 'h1', user: 'core', tags: ['a', 'b'], notes: 'n', desiredImage: 'quay.io/x/os:1' });
    const u = await ok(core, 'devices.update', { device: 'e1', patch: { user: null, tags: ['c'], port: 2200 } });
    expect(u).toMatchObject({ id: d.id, host: 'h1', user: null, tags: ['c'], port: 2200, notes: 'n', desiredImage: 'quay.io/x/os:1' });
    expect(u.updatedAt > d.updatedAt).toBe(true);
    expect(u.createdAt).toBe(d.createdAt);
    const cleared = await ok(core, 'devices.update', { device: d.id, patch: { desiredImage: null, tags: [] } });
    expect(cleared.desiredImage).toBeNull();
    expect(cleared.tags).toEqual([]);
    expect(await ok(core, 'tags.list', {})).toEqual([]);
  });

  it('moves a device between sites and out of any site', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'e1', host: 'h' });
    expect((await ok(core, 'devices.update', { device: 'e1', patch: { site: 'lab' } })).siteName).toBe('lab');
    expect((await ok(core, 'devices.update', { device: 'lab/e1', patch: { site: null } })).siteName).toBeNull();
  });

  it('renames a device, and refuses a rename onto a name already used in the site', async () => {
    await add({ name: 'e1', host: 'h1' });
    await add({ name: 'e2', host: 'h2' });
    const err = await fails(core, 'devices.update', { device: 'e1', patch: { name: 'E2' } });
    expect(err.code).toBe(ErrorCode.NAME_TAKEN);
    expect((await ok(core, 'devices.get', { device: 'e1' })).name).toBe('e1');
    // Changing only the case of its own name is allowed.
    expect((await ok(core, 'devices.update', { device: 'e1', patch: { name: 'E1' } })).name).toBe('E1');
    expect((await ok(core, 'devices.update', { device: 'e1', patch: { name: 'e3' } })).name).toBe('e3');
  });

  it('refuses a move into a site where the name is already taken', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'e1', host: 'h1', site: 'lab' });
    await add({ name: 'e1', host: 'h2' });
    expect((await fails(core, 'devices.update', { device: '/e1', patch: { site: 'lab' } })).code).toBe(ErrorCode.NAME_TAKEN);
  });

  it('writes nothing and logs nothing for a patch that changes nothing', async () => {
    const d = await add({ name: 'e1', host: 'h1', tags: ['a', 'b'] });
    const before = countRows(core, 'activity');
    const u = await ok(core, 'devices.update', { device: 'e1', patch: { host: 'h1', tags: ['B', 'a'] } });
    expect(u.updatedAt).toBe(d.updatedAt);
    expect(countRows(core, 'activity')).toBe(before);
  });

  it('removes a device, its tags no other device uses, and its secret', async () => {
    await add({ name: 'e1', host: 'h1', tags: ['only', 'shared'], auth: 'password', secret: 'pw' });
    await add({ name: 'e2', host: 'h2', tags: ['shared'] });
    expect(countRows(core, 'secrets')).toBe(1);
    const r = await ok(core, 'devices.remove', { device: 'e1' });
    expect(r).toMatchObject({ name: 'e1', siteName: null });
    expect((await fails(core, 'devices.get', { device: 'e1' })).code).toBe(ErrorCode.NOT_FOUND);
    expect(await ok(core, 'tags.list', {})).toEqual([{ name: 'shared', count: 1 }]);
    expect(countRows(core, 'secrets')).toBe(0);
  });
});

describe('authentication and secrets', () => {
  it('needs a key path for auth=key and a password for auth=password', async () => {
    const key = await fails(core, 'devices.add', { name: 'e1', host: 'h', auth: 'key' });
    expect(key.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((key.details as { issues: FieldIssue[] }).issues.map((i) => i.path)).toContain('keyPath');
    const pw = await fails(core, 'devices.add', { name: 'e1', host: 'h', auth: 'password' });
    expect((pw.details as { issues: FieldIssue[] }).issues.map((i) => i.path)).toContain('secret');
    expect(countRows(core, 'devices')).toBe(0);
  });

  it('infers auth=key from a key path and auth=password from a secret', async () => {
    expect((await add({ name: 'k', host: 'h', keyPath: '~/.ssh/id' })).auth).toBe('key');
    const p = await add({ name: 'p', host: 'h', secret: 'pw' });
    expect(p.auth).toBe('password');
    expect(p.hasSecret).toBe(true);
  });

  it('refuses to switch to auth=key without a key path, and to auth=password without a stored password', async () => {
    await add({ name: 'e1', host: 'h' });
    const k = await fails(core, 'devices.update', { device: 'e1', patch: { auth: 'key' } });
    expect(k.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((k.details as { issues: FieldIssue[] }).issues[0]?.path).toBe('keyPath');
    const p = await fails(core, 'devices.update', { device: 'e1', patch: { auth: 'password' } });
    expect((p.details as { issues: FieldIssue[] }).issues[0]?.path).toBe('secret');
    expect((await ok(core, 'devices.update', { device: 'e1', patch: { auth: 'password', secret: 'pw' } })).hasSecret).toBe(true);
  });

  it('refuses to clear the key path of a device that authenticates with a key', async () => {
    await add({ name: 'e1', host: 'h', keyPath: '/k' });
    const err = await fails(core, 'devices.update', { device: 'e1', patch: { keyPath: null } });
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((await ok(core, 'devices.get', { device: 'e1' })).keyPath).toBe('/k');
  });

  it('drops the stored password when the device switches to ssh-agent', async () => {
    await add({ name: 'e1', host: 'h', auth: 'password', secret: 'hunter2' });
    const u = await ok(core, 'devices.update', { device: 'e1', patch: { auth: 'agent' } });
    expect(u).toMatchObject({ auth: 'agent', hasSecret: false });
    expect(countRows(core, 'secrets')).toBe(0);
  });

  it('replaces a stored password with a new one, and forgets it on clearSecret', async () => {
    const d = await add({ name: 'e1', host: 'h', keyPath: '/k', secret: 'old-passphrase' });
    await ok(core, 'devices.update', { device: 'e1', patch: { secret: 'new-passphrase' } });
    expect(countRows(core, 'secrets')).toBe(1);
    const secretId = core.inventory.devices.row(d.id)!.secret_id!;
    expect(core.secrets.get(secretId)).toBe('new-passphrase');
    const c = await ok(core, 'devices.update', { device: 'e1', patch: { clearSecret: true } });
    expect(c).toMatchObject({ auth: 'key', hasSecret: false });
    expect(countRows(core, 'secrets')).toBe(0);
  });

  it('never stores a password in plain text, and decrypts it with the 0600 key file', async () => {
    const password = 'Pl41nText-Sentinel-7f3a9c';
    const d = await add({ name: 'e1', host: 'h', user: 'core', auth: 'password', secret: password });
    await ok(core, 'devices.update', { device: 'e1', patch: { notes: 'touched' } });
    // Every byte written in the data directory: SQLite's main file, WAL and shared memory, and the rest.
    const sentinel = Buffer.from(password, 'utf8');
    for (const f of readdirSync(core.dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      expect(readFileSync(join(f.parentPath, f.name)).includes(sentinel), `${f.name} holds the password`).toBe(false);
    }
    core.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(core.databasePath).includes(sentinel)).toBe(false);
    const rows = core.db.prepare('SELECT scheme, ciphertext FROM secrets').all() as { scheme: string; ciphertext: Buffer }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.scheme).toBe('keyfile');
    expect(rows[0]!.ciphertext.includes(sentinel)).toBe(false);
    const activity = JSON.stringify(core.db.prepare('SELECT * FROM activity').all());
    expect(activity).not.toContain(password);

    const secretId = core.inventory.devices.row(d.id)!.secret_id!;
    expect(core.secrets.get(secretId)).toBe(password);
    expect(statSync(join(core.dataDir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    // The contract never hands the secret out.
    expect(JSON.stringify(await ok(core, 'devices.get', { device: 'e1' }))).not.toContain(password);

    // Another process on the same data directory reads it with the same key file.
    const again = openTestCore({ dataDir: core.dataDir });
    expect(again.secrets.get(secretId)).toBe(password);
  });
});

describe('secrets that cannot be read', () => {
  it('refuses to store a password when the key file is damaged, and writes nothing', async () => {
    writeFileSync(join(core.dataDir, SECRET_KEY_FILE), 'short');
    const err = await fails(core, 'devices.add', { name: 'e1', host: 'h', auth: 'password', secret: 'pw' });
    expect(err.code).toBe(ErrorCode.SECRET_UNAVAILABLE);
    expect(err.message).toContain(SECRET_KEY_FILE);
    expect(countRows(core, 'devices')).toBe(0);
    expect(countRows(core, 'secrets')).toBe(0);
    expect(countRows(core, 'activity')).toBe(0);
  });

  it('says SECRET_UNAVAILABLE for a secret written with another key', async () => {
    const d = await add({ name: 'e1', host: 'h', auth: 'password', secret: 'pw' });
    const secretId = core.inventory.devices.row(d.id)!.secret_id!;
    writeFileSync(join(core.dataDir, SECRET_KEY_FILE), randomBytes(32));
    const other = openTestCore({ dataDir: core.dataDir });
    expect(() => other.secrets.get(secretId)).toThrow(expect.objectContaining({ code: ErrorCode.SECRET_UNAVAILABLE }));
  });

  it('says SECRET_UNAVAILABLE for a secret the desktop app stored in the OS keychain', async () => {
    // Stands in for Electron's safeStorage: any reversible cipher with that scheme name.
    const keychain = {
      scheme: 'safeStorage' as const,
      encrypt: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)),
      decrypt: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)),
    };
    const desktop = openTestCore({ cipher: keychain });
    const d = await ok(desktop, 'devices.add', { name: 'e1', host: 'h', auth: 'password', secret: 'pw' });
    const secretId = desktop.inventory.devices.row(d.id)!.secret_id!;
    expect(desktop.secrets.get(secretId)).toBe('pw');
    const cli = openTestCore({ dataDir: desktop.dataDir, via: 'cli' });
    expect(() => cli.secrets.get(secretId)).toThrow(expect.objectContaining({ code: ErrorCode.SECRET_UNAVAILABLE, message: expect.stringMatching(/keychain/) }));
  });

  it('never keeps a password on a device that authenticates with ssh-agent', async () => {
    await add({ name: 'e1', host: 'h' });
    const r = await core.call('devices.update', { device: 'e1', patch: { secret: 'pw' } });
    // Either refused, or the device stops using the agent; never auth=agent with a stored secret.
    if (r.ok) expect(r.value).not.toMatchObject({ auth: 'agent', hasSecret: true });
    else expect(r.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    const d = await ok(core, 'devices.get', { device: 'e1' });
    expect(d.auth === 'agent' && d.hasSecret).toBe(false);
  });
});

describe('validation', () => {
  it('reports every bad field with its path', async () => {
    const err = await fails(core, 'devices.add', { name: 'a/b', host: 'x y', port: 70000, tags: ['ok', 'not ok'] });
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    const paths = (err.details as { issues: FieldIssue[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'host', 'port', 'tags.1']));
    expect(err.message).toMatch(/^Invalid devices\.add input: name: /);
    expect(countRows(core, 'devices')).toBe(0);
  });

  it('refuses an unknown method and a missing input', async () => {
    expect((await fails(core, 'devices.nuke', {})).code).toBe(ErrorCode.UNKNOWN_METHOD);
    expect((await fails(core, 'devices.add', undefined)).code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((await fails(core, 'toString', {})).code).toBe(ErrorCode.UNKNOWN_METHOD);
  });

  it('reports a patch field error with its path under patch', async () => {
    await add({ name: 'e1', host: 'h' });
    const err = await fails(core, 'devices.update', { device: 'e1', patch: { port: 0 } });
    expect((err.details as { issues: FieldIssue[] }).issues.map((i) => i.path)).toEqual(['patch.port']);
  });
});

describe('sites', () => {
  it('adds, lists with device counts, and refuses a duplicate name in any case', async () => {
    const s = await ok(core, 'sites.add', { name: 'lab', notes: 'bench' });
    expect(s).toMatchObject({ name: 'lab', notes: 'bench', deviceCount: 0 });
    await ok(core, 'sites.add', { name: 'Alpha' });
    await add({ name: 'e1', host: 'h', site: 'lab' });
    const err = await fails(core, 'sites.add', { name: 'LAB' });
    expect(err.code).toBe(ErrorCode.NAME_TAKEN);
    expect((await ok(core, 'sites.list', {})).map((x) => [x.name, x.deviceCount])).toEqual([
      ['Alpha', 0],
      ['lab', 1],
    ]);
  });

  it('renames a site and its devices follow', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await ok(core, 'sites.add', { name: 'plant' });
    await add({ name: 'e1', host: 'h', site: 'lab' });
    const r = await ok(core, 'sites.rename', { site: 'lab', name: 'bench' });
    expect(r).toMatchObject({ name: 'bench', deviceCount: 1 });
    expect((await ok(core, 'devices.get', { device: 'bench/e1' })).siteName).toBe('bench');
    expect((await fails(core, 'devices.get', { device: 'lab/e1' })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'sites.rename', { site: 'bench', name: 'PLANT' })).code).toBe(ErrorCode.NAME_TAKEN);
    expect((await fails(core, 'sites.rename', { site: 'nowhere', name: 'x' })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await ok(core, 'sites.rename', { site: 'bench', name: 'Bench' })).name).toBe('Bench');
  });

  it('refuses to delete a site that still has devices, and deletes it once they are gone', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'e1', host: 'h', site: 'lab' });
    await add({ name: 'e2', host: 'h', site: 'lab' });
    const err = await fails(core, 'sites.remove', { site: 'lab' });
    expect(err.code).toBe(ErrorCode.SITE_IN_USE);
    expect(err.details).toEqual({ devices: 2 });
    expect(countRows(core, 'sites')).toBe(1);
    await ok(core, 'devices.remove', { device: 'lab/e1' });
    await ok(core, 'devices.update', { device: 'lab/e2', patch: { site: null } });
    expect(await ok(core, 'sites.remove', { site: 'LAB' })).toMatchObject({ name: 'lab' });
    expect(await ok(core, 'sites.list', {})).toEqual([]);
    expect((await fails(core, 'sites.remove', { site: 'lab' })).code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('activity log', () => {
  it('records each change with actor, host, action and summary, newest first', async () => {
    const alice = { actor: { user: 'alice', via: 'serve' as const } };
    expect((await core.call('sites.add', { name: 'lab' }, alice)).ok).toBe(true);
    const d = await add({ name: 'e1', host: '10.0.0.1', site: 'lab' });
    await ok(core, 'devices.update', { device: 'lab/e1', patch: { port: 2222, tags: ['x'] } });
    await ok(core, 'sites.rename', { site: 'lab', name: 'bench' });
    await ok(core, 'devices.remove', { device: 'bench/e1' });
    await ok(core, 'sites.remove', { site: 'bench' });
    // A refused change leaves no entry.
    await fails(core, 'sites.remove', { site: 'bench' });

    const { items, nextBefore } = await ok(core, 'activity.list', {});
    expect(nextBefore).toBeNull();
    expect(items.map((e) => e.action)).toEqual(['site.removed', 'device.removed', 'site.renamed', 'device.updated', 'device.added', 'site.added']);
    expect(items.map((e) => e.id)).toEqual([...items.map((e) => e.id)].sort((a, b) => b - a));
    const me = userInfo().username;
    expect(items[5]).toMatchObject({ actor: 'alice', via: 'serve', entityType: 'site', entityName: 'lab', summary: 'Added site lab' });
    expect(items[4]).toMatchObject({ actor: me, via: 'desktop', entityType: 'device', entityId: d.id, entityName: 'lab/e1', summary: 'Added device e1 (10.0.0.1:22)' });
    expect(items[3]!.summary).toBe('Changed port, tags of e1');
    expect(items[3]!.details).toEqual({
      changes: [
        { field: 'port', from: 22, to: 2222 },
        { field: 'tags', from: [], to: ['x'] },
      ],
    });
    expect(items[2]).toMatchObject({ summary: 'Renamed site lab to bench', details: { from: 'lab', to: 'bench' } });
    for (const e of items) expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('names a secret change without showing it', async () => {
    await add({ name: 'e1', host: 'h', keyPath: '/k' });
    await ok(core, 'devices.update', { device: 'e1', patch: { secret: 'sssh-123' } });
    const [last] = (await ok(core, 'activity.list', { limit: 1 })).items;
    expect(last!.details).toEqual({ changes: [{ field: 'secret' }] });
    expect(JSON.stringify(last)).not.toContain('sssh-123');
  });

  it('filters by text and by entity type', async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await add({ name: 'alpha', host: 'h' });
    await add({ name: 'beta', host: 'h' });
    const search = await ok(core, 'activity.list', { search: 'alpha' });
    expect(search.items.map((e) => e.entityName)).toEqual(['alpha']);
    const sitesOnly = await ok(core, 'activity.list', { entityType: 'site' });
    expect(sitesOnly.items.map((e) => e.action)).toEqual(['site.added']);
    const byAction = await ok(core, 'activity.list', { action: 'device.added' });
    expect(byAction.items.map((e) => e.entityName)).toEqual(['beta', 'alpha']);
    // LIKE wildcards are literal.
    expect((await ok(core, 'activity.list', { search: '%' })).items).toEqual([]);
  });

  it('pages backwards with nextBefore', async () => {
    for (let i = 0; i < 5; i++) await add({ name: `d${i}`, host: 'h' });
    const p1 = await ok(core, 'activity.list', { limit: 2 });
    expect(p1.items.map((e) => e.entityName)).toEqual(['d4', 'd3']);
    expect(p1.nextBefore).toBe(p1.items[1]!.id);
    const p2 = await ok(core, 'activity.list', { limit: 2, before: p1.nextBefore! });
    expect(p2.items.map((e) => e.entityName)).toEqual(['d2', 'd1']);
    const p3 = await ok(core, 'activity.list', { limit: 2, before: p2.nextBefore! });
    expect(p3.items.map((e) => e.entityName)).toEqual(['d0']);
    expect(p3.nextBefore).toBeNull();
  });
});

describe('listing devices', () => {
  beforeEach(async () => {
    await ok(core, 'sites.add', { name: 'lab' });
    await ok(core, 'sites.add', { name: 'plant' });
    await add({ name: 'charlie', host: '10.0.0.3', site: 'lab', tags: ['edge', 'prod'], notes: '100% ready' });
    await add({ name: 'alpha', host: '10.0.0.9', site: 'plant', tags: ['edge'], notes: '1000 ready' });
    await add({ name: 'Bravo', host: '10.0.0.1', tags: ['prod'], desiredImage: 'quay.io/org/os:42' });
    await add({ name: 'a_b', host: 'z.example', site: 'lab' });
    await add({ name: 'axb', host: 'y.example', site: 'plant' });
  });

  it('sorts by name, case-insensitively, ascending by default', async () => {
    const page = await ok(core, 'devices.list', {});
    expect(page.total).toBe(5);
    expect(page.offset).toBe(0);
    expect(page.items.map((d) => d.name)).toEqual(['a_b', 'alpha', 'axb', 'Bravo', 'charlie']);
    expect((await ok(core, 'devices.list', { dir: 'desc' })).items.map((d) => d.name)).toEqual(['charlie', 'Bravo', 'axb', 'alpha', 'a_b']);
  });

  it('sorts by site (devices without a site last) and by host, both ways', async () => {
    expect(names((await ok(core, 'devices.list', { sort: 'site' })).items)).toEqual(['lab/a_b', 'lab/charlie', 'plant/alpha', 'plant/axb', 'Bravo']);
    expect(names((await ok(core, 'devices.list', { sort: 'site', dir: 'desc' })).items)).toEqual(['plant/axb', 'plant/alpha', 'lab/charlie', 'lab/a_b', 'Bravo']);
    expect((await ok(core, 'devices.list', { sort: 'host' })).items.map((d) => d.host)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.9', 'y.example', 'z.example']);
    expect((await ok(core, 'devices.list', { sort: 'host', dir: 'desc' })).items.map((d) => d.host)).toEqual([
      'z.example',
      'y.example',
      '10.0.0.9',
      '10.0.0.3',
      '10.0.0.1',
    ]);
    expect((await ok(core, 'devices.list', { sort: 'createdAt' })).items.map((d) => d.name)).toEqual(['charlie', 'alpha', 'Bravo', 'a_b', 'axb']);
  });

  it('searches name, host, image and notes, treating % and _ literally', async () => {
    const search = async (s: string) => (await ok(core, 'devices.list', { search: s })).items.map((d) => d.name);
    expect(await search('a_b')).toEqual(['a_b']);
    expect(await search('0%')).toEqual(['charlie']);
    expect(await search('%')).toEqual(['charlie']);
    expect(await search('_')).toEqual(['a_b']);
    expect(await search('EXAMPLE')).toEqual(['a_b', 'axb']);
    expect(await search('os:42')).toEqual(['Bravo']);
    expect(await search('ready')).toEqual(['alpha', 'charlie']);
    expect(await search('\\')).toEqual([]);
  });

  it('filters by site name or id, and by no site with the empty string', async () => {
    const sites = await ok(core, 'sites.list', {});
    const plant = sites.find((s) => s.name === 'plant')!;
    expect((await ok(core, 'devices.list', { site: 'LAB' })).items.map((d) => d.name)).toEqual(['a_b', 'charlie']);
    expect((await ok(core, 'devices.list', { site: plant.id })).items.map((d) => d.name)).toEqual(['alpha', 'axb']);
    const none = await ok(core, 'devices.list', { site: '' });
    expect(none.items.map((d) => d.name)).toEqual(['Bravo']);
    expect(none.total).toBe(1);
    expect((await fails(core, 'devices.list', { site: 'nowhere' })).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('requires every listed tag to match, without regard to case', async () => {
    expect((await ok(core, 'devices.list', { tags: ['edge'] })).items.map((d) => d.name)).toEqual(['alpha', 'charlie']);
    expect((await ok(core, 'devices.list', { tags: ['EDGE', 'prod'] })).items.map((d) => d.name)).toEqual(['charlie']);
    expect((await ok(core, 'devices.list', { tags: ['edge', 'missing'] })).total).toBe(0);
    expect((await ok(core, 'devices.list', { tags: ['prod'], site: '' })).items.map((d) => d.name)).toEqual(['Bravo']);
  });

  it('pages with offset and limit and reports the total', async () => {
    const p1 = await ok(core, 'devices.list', { limit: 2 });
    const p2 = await ok(core, 'devices.list', { limit: 2, offset: 2 });
    const p3 = await ok(core, 'devices.list', { limit: 2, offset: 4 });
    expect([p1.total, p2.total, p3.total]).toEqual([5, 5, 5]);
    expect(p2.offset).toBe(2);
    expect([...p1.items, ...p2.items, ...p3.items].map((d) => d.name)).toEqual(['a_b', 'alpha', 'axb', 'Bravo', 'charlie']);
    expect((await ok(core, 'devices.list', { offset: 10 })).items).toEqual([]);
    expect((await fails(core, 'devices.list', { limit: 0 })).code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((await fails(core, 'devices.list', { limit: 1001 })).code).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('counts devices per tag', async () => {
    expect(await ok(core, 'tags.list', {})).toEqual([
      { name: 'edge', count: 2 },
      { name: 'prod', count: 2 },
    ]);
    const info = await ok(core, 'app.info', {});
    expect(info.counts).toEqual({ devices: 5, sites: 2, tags: 2 });
    expect(info).toMatchObject({ product: 'Bootfleet', via: 'desktop', secretStore: 'keyfile', dataDir: core.dataDir });
  });

  it('keeps the first spelling of a tag for every device that uses it', async () => {
    await add({ name: 'd', host: 'h', tags: ['PROD'] });
    expect((await ok(core, 'devices.get', { device: 'd' })).tags).toEqual(['prod']);
    expect(await ok(core, 'tags.list', {})).toContainEqual({ name: 'prod', count: 3 });
  });
});

describe('events', () => {
  it('announces each change on the bus, and nothing for a refused change', async () => {
    const rec = recordEvents(core);
    const s = await ok(core, 'sites.add', { name: 'lab' });
    const d = await add({ name: 'e1', host: 'h', site: 'lab' });
    await ok(core, 'devices.update', { device: d.id, patch: { notes: 'x' } });
    await ok(core, 'sites.rename', { site: 'lab', name: 'bench' });
    await ok(core, 'devices.remove', { device: d.id });
    await ok(core, 'sites.remove', { site: s.id });
    const countBefore = rec.events.length;
    await fails(core, 'devices.add', { name: 'e1', host: 'h', site: 'gone' });
    await fails(core, 'devices.add', { name: '', host: 'h' });
    expect(rec.events.length).toBe(countBefore);
    rec.stop();
    await ok(core, 'sites.add', { name: 'after' });
    expect(rec.events.length).toBe(countBefore);

    const changed = rec.events.filter((e) => e.name === 'inventory.changed').map((e) => e.payload);
    expect(changed).toEqual([
      { entity: 'sites', ids: [s.id] },
      { entity: 'devices', ids: [d.id] },
      { entity: 'devices', ids: [d.id] },
      { entity: 'all', ids: [s.id] },
      { entity: 'devices', ids: [d.id] },
      { entity: 'sites', ids: [s.id] },
    ]);
    const appended = rec.events.filter((e) => e.name === 'activity.appended').map((e) => (e.payload as { lastId: number }).lastId);
    expect(appended).toHaveLength(6);
    expect(appended).toEqual([...appended].sort((a, b) => a - b));
    expect(appended[5]).toBe((await ok(core, 'activity.list', { limit: 2 })).items[1]!.id);
  });
});

describe('activity of a site move', () => {
  it('names the sites, not their ids, in the change details', async () => {
    const core = openTestCore();
    await ok(core, 'sites.add', { name: 'north' });
    await ok(core, 'sites.add', { name: 'south' });
    await ok(core, 'devices.add', { name: 'mover', host: '192.0.2.9', site: 'north' });
    await ok(core, 'devices.update', { device: 'mover', patch: { site: 'south' } });
    const log = await ok(core, 'activity.list', { action: 'device.updated' });
    expect(log.items[0]!.details).toEqual({ changes: [{ field: 'site', from: 'north', to: 'south' }] });
  });
});
