import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { cleanupTempDirs, closeTestCores, countRows, fails, ok, openTestCore, tempDir } from '../test-support';

afterEach(() => {
  closeTestCores();
  cleanupTempDirs();
});

const CONFIG = `
Host *
  User ops
  ServerAliveInterval 30

Host bastion
  HostName 192.0.2.10
  User admin
  Port 2222

Host edge-01 edge-02
  HostName %h.plant.example
  IdentityFile ~/.ssh/edge_ed25519
  ProxyJump bastion

Host kiosk
  HostName 10.1.2.3
  Port 70000

Host *.lan
  User lanuser

Host bad_name!
  HostName 10.9.9.9
`;

describe('ssh config import', () => {
  it('adds a device per concrete Host with HostName, User, Port, IdentityFile and ProxyJump, skipping what it cannot use', async () => {
    const core = openTestCore();
    await ok(core, 'sites.add', { name: 'plant' });
    const dry = await ok(core, 'ssh.importConfig', { content: CONFIG, site: 'plant', dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, added: 3, updated: 0, skipped: 1 });
    expect(countRows(core, 'devices')).toBe(0);

    const r = await ok(core, 'ssh.importConfig', { content: CONFIG, site: 'plant' });
    expect(r).toMatchObject({ added: 3, skipped: 1 });
    expect(r.hosts.find((h) => h.alias === 'kiosk')).toMatchObject({ action: 'skip', reason: expect.stringMatching(/Port/i) });
    const bastion = await ok(core, 'devices.get', { device: 'plant/bastion' });
    // `Host *` comes first, so its User wins over bastion's own, as it does for ssh.
    expect(bastion).toMatchObject({ host: '192.0.2.10', port: 2222, user: 'ops', auth: 'agent', proxyJump: null });
    const edge = await ok(core, 'devices.get', { device: 'edge-02' });
    expect(edge).toMatchObject({ host: 'edge-02.plant.example', port: 22, user: 'ops', auth: 'key', proxyJump: 'bastion' });
    expect(edge.keyPath).toMatch(/\/\.ssh\/edge_ed25519$/);
    const log = await ok(core, 'activity.list', { action: 'devices.imported' });
    expect(log.items[0]?.summary).toContain('3 added');

    // Again: nothing changes; then a changed HostName updates the device in place.
    expect(await ok(core, 'ssh.importConfig', { content: CONFIG, site: 'plant' })).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
    const moved = CONFIG.replace('HostName 192.0.2.10', 'HostName 192.0.2.11');
    expect(await ok(core, 'ssh.importConfig', { content: moved, site: 'plant' })).toMatchObject({ added: 0, updated: 1, unchanged: 2 });
    expect((await ok(core, 'devices.get', { device: 'bastion' })).host).toBe('192.0.2.11');
  });

  it('reads ~/.ssh/config from a path and says clearly when the file is missing', async () => {
    const core = openTestCore();
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), 'Host gw\n  HostName 198.51.100.7\n');
    expect(await ok(core, 'ssh.importConfig', { path: join(dir, 'config') })).toMatchObject({ added: 1, source: join(dir, 'config') });
    const missing = await fails(core, 'ssh.importConfig', { path: join(dir, 'nope') });
    expect(missing).toMatchObject({ code: ErrorCode.NOT_FOUND, message: `There is no ${join(dir, 'nope')}.` });
  });
});

describe('known_hosts import', () => {
  function hostKey(dir: string, name: string): { pub: string; fingerprint: string } {
    const path = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`]).toString().split(' ')[1]!;
    return { pub: readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' '), fingerprint };
  }

  it('pins keys of hashed and plain entries for devices with none, leaves different pins alone, and logs it', async () => {
    const core = openTestCore();
    const dir = tempDir();
    const a = hostKey(dir, 'a');
    const b = hostKey(dir, 'b');
    const c = hostKey(dir, 'c');
    await ok(core, 'devices.add', { name: 'a', host: '192.0.2.1' });
    await ok(core, 'devices.add', { name: 'b', host: '192.0.2.2', port: 2222 });
    await ok(core, 'devices.add', { name: 'c', host: '192.0.2.3' });
    await ok(core, 'devices.add', { name: 'unlisted', host: '192.0.2.4' });
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `192.0.2.1 ${a.pub}\n[192.0.2.2]:2222 ${b.pub}\n192.0.2.3 ${c.pub}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    writeFileSync(file, readFileSync(file, 'utf8') + 'not a key line\n');
    expect(readFileSync(file, 'utf8')).not.toContain('192.0.2.1');
    // c already has another key pinned: the file's key is shown, not taken.
    const cId = (await ok(core, 'devices.get', { device: 'c' })).id;
    core.hostKeys.pinImported(`device:${cId}`, cId, 'ssh-ed25519', 'SHA256:alreadyPinnedElsewhere');

    const r = await ok(core, 'hostkeys.import', { path: file });
    expect(r.pinned.map((p) => [p.device, p.fingerprint]).sort()).toEqual([
      ['a', a.fingerprint],
      ['b', b.fingerprint],
    ]);
    expect(r.conflicts).toEqual([{ device: 'c', pinned: 'SHA256:alreadyPinnedElsewhere', inFile: c.fingerprint }]);
    expect(r).toMatchObject({ notListed: 1, alreadyPinned: 0, errors: [{ line: 4, message: expect.any(String) }] });
    const keys = await ok(core, 'hostkeys.list', {});
    expect(keys.find((k) => k.label === 'a')).toMatchObject({ fingerprint: a.fingerprint, source: 'known_hosts' });
    expect((await ok(core, 'activity.list', { action: 'hostkeys.imported' })).items[0]?.summary).toContain('Pinned 2 host keys');
    expect((await ok(core, 'hostkeys.import', { path: file })).alreadyPinned).toBe(2);
  });
});
