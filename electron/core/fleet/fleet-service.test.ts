import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../../e2e/lab';
import type { MethodInput, RefreshProgress } from '../../../shared/contract';
import { ErrorCode } from '../../../shared/errors';
import { openCore, type BootfleetCore } from '../app';
import { closeTestCores, fails, ok, openTestCore } from '../test-support';

/**
 * Fleet status against the device lab: real sshd devices, the bootc emulator of each release,
 * a real registry. Needs root (the lab's namespaces); CI runs as root.
 */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the fleet status tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
const PWNED = '/tmp/bootfleet-pwned';

const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;
const digest = (tag: string, arch = 'amd64'): string => lab.images.find((i) => i.tag === tag)!.digests[arch]!;
const version = (tag: string): string => lab.images.find((i) => i.tag === tag)!.version;


function add(d: LabDevice, extra: Partial<MethodInput<'devices.add'>> = {}): Promise<unknown> {
  return ok(core, 'devices.add', {
    name: d.name,
    host: d.host,
    port: d.port,
    user: d.user,
    auth: d.password ? 'password' : 'key',
    ...(d.password ? { secret: d.password } : { keyPath: d.key }),
    sudo: d.sudo,
    ...extra,
  });
}

/** Refreshes the named devices and waits for the job to end. */
function refresh(names: string[], facts = false): Promise<RefreshProgress> {
  return core.fleet.refresh(core.actor, { devices: names, facts });
}

const errorOf = async (name: string) => (await ok(core, 'fleet.device', { device: name })).summary;

beforeAll(async () => {
  if (!canRun) return;
  await rm(PWNED, { force: true });
  lab = await startLab({
    rebootMs: 300,
    devices: [
      { name: 'current', bootcVersion: '1.16.9', rollbackImage: '1.0' },
      { name: 'ancient', bootcVersion: '0.1.14', rootLogin: true },
      { name: 'oldest', bootcVersion: '0.1.13' },
      { name: 'arm', bootcVersion: '1.1.6', architecture: 'arm64' },
      { name: 'plain', image: null },
      { name: 'faulty', bootcVersion: '1.12.0' },
      { name: 'live', password: 'field tech 1' },
    ],
  });
  core = openTestCore({ via: 'cli' });
  for (const d of lab.devices) await add(d);
}, 180_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
}, 60_000);

afterEach(async () => {
  if (canRun) await lab.clearFaults('faulty');
});

suite('fleet status over SSH against the lab', () => {
  it('reads every release: registry digests per platform, versions, facts on first contact, host keys pinned', async () => {
    const p = await refresh(['current', 'ancient', 'oldest', 'arm', 'live']);
    expect(p).toMatchObject({ state: 'done', total: 5, done: 5, ok: 5, failed: 0 });
    for (const name of ['current', 'ancient', 'oldest', 'live']) {
      const d = await ok(core, 'fleet.device', { device: name });
      expect(d.summary.reach, name).toBe('online');
      expect(d.summary.booted?.digest, name).toBe(digest('1.0'));
      expect(d.summary.booted?.version, name).toBe(version('1.0'));
      expect(d.summary.bootedImage).toBe(lab.images.find((i) => i.tag === '1.0')!.ref.replace(/:1\.0$/, ':stable'));
      expect(d.facts?.kernel).toMatch(/\d+\.\d+/);
      expect(d.facts?.architecture).toBe(process.arch === 'x64' ? 'x86_64' : 'aarch64');
      expect(d.facts?.bootId).toMatch(/^[0-9a-f-]{36}$/);
      expect(d.hostKey).toMatchObject({ fingerprint: dev(name).hostKeyFingerprint, source: 'first-use' });
    }
    // The arm device reports its own platform's manifest digest, not the index's or amd64's.
    const arm = await ok(core, 'fleet.device', { device: 'arm' });
    expect(arm.summary.booted?.digest).toBe(digest('1.0', 'arm64'));
    expect(arm.summary.booted?.digest).not.toBe(lab.images.find((i) => i.tag === '1.0')!.indexDigest);
    expect(arm.status?.booted?.image?.architecture).toBeNull(); // 1.1.6 predates the field
    // Old releases answered the fallback call.
    const ancient = await ok(core, 'fleet.device', { device: 'ancient' });
    expect(ancient.history[0]!.outcome).toBe('ok');
    const snap = await ok(core, 'fleet.snapshot', { id: ancient.history[0]!.id });
    expect(snap.command).toBe('bootc status --json');
    expect(ancient.status?.apiVersion).toBe('org.containers.bootc/v1alpha1');
    const current = await ok(core, 'fleet.snapshot', { id: (await ok(core, 'fleet.device', { device: 'current' })).history[0]!.id });
    expect(current.command).toBe('sudo -n -- bootc status --format=json --format-version=1');
  });

  it('shows staged and rollback deployments and a cached update, and keeps the history of digests', async () => {
    await refresh(['current']);
    const before = await ok(core, 'fleet.device', { device: 'current' });
    expect(before.summary.rollback?.digest).toBe(digest('1.0'));
    expect(before.summary.staged).toBeNull();
    await lab.retag('stable', '1.1');
    // Stage the update over Bootfleet's own connection to the device, as issue 5 will.
    const row = core.inventory.devices.contactRows({ ids: [before.device.id] })[0]!;
    await core.pool.with('stage', core.fleet.targetFor(row, 'current'), async (conn) => {
      const r = await conn.exec(['sudo', '-n', 'bootc', 'upgrade'], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    });
    await refresh(['current']);
    const after = await ok(core, 'fleet.device', { device: 'current' });
    expect(after.summary.staged).toEqual({ digest: digest('1.1'), version: version('1.1') });
    expect(after.summary.booted?.digest).toBe(digest('1.0'));
    expect(after.status?.pendingReboot).toBe(true);
    expect(after.history.length).toBeGreaterThanOrEqual(3);
    expect(after.history[0]!.stagedDigest).toBe(digest('1.1'));
    expect(after.history.at(-1)!.stagedDigest).toBeNull();
    await lab.retag('stable', '1.0');
  });

  it('says which hosts are not bootc hosts: bootc missing, or status.booted null', async () => {
    await lab.setFaults('faulty', { bootcMissing: true });
    const p = await refresh(['plain', 'faulty']);
    expect(p.failed).toBe(2);
    expect(p.groups).toEqual([expect.objectContaining({ code: ErrorCode.NOT_BOOTC_HOST, label: 'Not a bootc host', count: 2 })]);
    expect(await errorOf('plain')).toMatchObject({ reach: 'not-bootc', error: { message: expect.stringContaining('not booted via bootc') } });
    expect(await errorOf('faulty')).toMatchObject({ reach: 'not-bootc', error: { message: expect.stringContaining('bootc is not installed') } });
  });

  it('refuses malformed, truncated and huge status output with BOOTC_OUTPUT_INVALID or OUTPUT_TOO_LARGE, keeping the raw output', async () => {
    await refresh(['faulty']);
    for (const [mode, code, where] of [
      ['malformed', ErrorCode.BOOTC_OUTPUT_INVALID, /byte \d+/],
      ['truncated', ErrorCode.BOOTC_OUTPUT_INVALID, /end of output/],
      ['huge', ErrorCode.OUTPUT_TOO_LARGE, /more than 4 MiB/],
    ] as const) {
      await lab.setFaults('faulty', { statusOutput: mode });
      await refresh(['faulty']);
      const s = await errorOf('faulty');
      expect(s.error?.code, mode).toBe(code);
      expect(s.error?.message, mode).toMatch(where);
      const d = await ok(core, 'fleet.device', { device: 'faulty' });
      // The last good state is kept, marked stale.
      expect(d.summary).toMatchObject({ reach: 'error', stale: true, booted: { digest: digest('1.0') } });
      if (mode !== 'huge') {
        const snap = await ok(core, 'fleet.snapshot', { id: d.history[0]!.id });
        expect(snap.raw?.length).toBeGreaterThan(0);
      }
    }
  });

  it('reports a sudo that wants a password as such, without hanging', async () => {
    await lab.setFaults('faulty', { sudoPassword: true });
    const p = await refresh(['faulty']);
    expect(p.groups[0]).toMatchObject({ code: ErrorCode.SUDO_PASSWORD_REQUIRED, label: 'sudo wants a password' });
    expect(p.groups[0]!.devices[0]!.message).toMatch(/NOPASSWD/);
  });

  it('groups auth failures and unreachable devices, and the connect and command timeouts hold', async () => {
    // A second core on the same data directory with short timeouts (as a CLI run with its own settings).
    const fast = openCore({ dataDir: core.dataDir, via: 'cli', log: () => {}, ssh: { connectTimeoutMs: 1500, commandTimeoutMs: 1500 } });
    try {
      await lab.setFaults('faulty', { authRefused: true });
      let p = await fast.fleet.refresh(fast.actor, { devices: ['faulty'], facts: false });
      expect(p.groups[0]).toMatchObject({ code: ErrorCode.SSH_AUTH_FAILED });
      expect(p.groups[0]!.devices[0]!.message).toContain('refused the key');

      await lab.setFaults('faulty', { authRefused: null, unreachable: 'silent' });
      let t0 = Date.now();
      p = await fast.fleet.refresh(fast.actor, { devices: ['faulty'], facts: false });
      expect(Date.now() - t0).toBeLessThan(6000);
      expect(p.groups[0]).toMatchObject({ code: ErrorCode.SSH_UNREACHABLE, label: 'Unreachable' });
      expect(p.groups[0]!.devices[0]!.message).toMatch(/did not answer within 1\.5 s/);
      expect((await errorOf('faulty')).reach).toBe('offline');

      await lab.setFaults('faulty', { unreachable: 'refused' });
      p = await fast.fleet.refresh(fast.actor, { devices: ['faulty'], facts: false });
      expect(p.groups[0]!.devices[0]!.message).toMatch(/refused the connection/);

      await lab.setFaults('faulty', { unreachable: null, slowMs: 5000 });
      t0 = Date.now();
      p = await fast.fleet.refresh(fast.actor, { devices: ['faulty'], facts: false });
      expect(Date.now() - t0).toBeLessThan(6000);
      expect(p.groups[0]).toMatchObject({ code: ErrorCode.SSH_TIMEOUT, label: 'Timed out' });
    } finally {
      fast.close();
    }
  });

  it('refuses a changed host key, keeps the offer for review, and pins it only when accepted (logged)', async () => {
    await refresh(['faulty']);
    const pinned = dev('faulty').hostKeyFingerprint;
    await lab.setFaults('faulty', { hostKeyChanged: true });
    const p = await refresh(['faulty']);
    expect(p.groups[0]).toMatchObject({ code: ErrorCode.SSH_HOST_KEY_CHANGED, label: 'Host key changed' });
    const d = await ok(core, 'fleet.device', { device: 'faulty' });
    expect(d.hostKey?.fingerprint).toBe(pinned);
    expect(d.hostKey?.offered?.fingerprint).not.toBe(pinned);
    expect(d.summary.error?.message).toContain(pinned);
    // Still refused on the next refresh: nothing was accepted silently.
    expect((await refresh(['faulty'])).failed).toBe(1);
    expect(await fails(core, 'hostkeys.accept', { device: 'faulty', fingerprint: 'SHA256:wrong' })).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    const accepted = await ok(core, 'hostkeys.accept', { device: 'faulty', fingerprint: d.hostKey?.offered?.fingerprint });
    expect(accepted).toMatchObject({ fingerprint: d.hostKey?.offered?.fingerprint, source: 'accepted', offered: null, label: 'faulty' });
    expect((await refresh(['faulty'])).ok).toBe(1);
    const log = await ok(core, 'activity.list', { action: 'hostkey.accepted' });
    expect(log.items[0]?.summary).toContain(pinned);
    // Back to the original key: refused again until forgotten, then pinned on first use.
    await lab.setFaults('faulty', { hostKeyChanged: null });
    expect((await refresh(['faulty'])).failed).toBe(1);
    expect(await ok(core, 'hostkeys.forget', { device: 'faulty' })).toEqual({ forgotten: true });
    expect((await refresh(['faulty'])).ok).toBe(1);
    expect((await ok(core, 'fleet.device', { device: 'faulty' })).hostKey).toMatchObject({ fingerprint: pinned, source: 'first-use' });
  });

  it('connects with a key pinned from known_hosts and refuses a host whose key differs from the file', async () => {
    const pub = async (d: LabDevice) => (await readFile(join(d.dir, 'etc', 'host-key-original.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    await add(dev('arm'), { name: 'from-file' });
    await add(dev('live'), { name: 'wrong-in-file' });
    // The file vouches for arm's key at both addresses: right for one, wrong for the other.
    const r = await ok(core, 'hostkeys.import', { content: `${dev('arm').host} ${await pub(dev('arm'))}\n${dev('live').host} ${await pub(dev('arm'))}\n` });
    expect(r.pinned.map((p) => p.device).sort()).toEqual(['from-file', 'wrong-in-file']);
    const p = await refresh(['from-file', 'wrong-in-file']);
    expect(p).toMatchObject({ ok: 1, failed: 1 });
    expect(p.groups[0]).toMatchObject({ code: ErrorCode.SSH_HOST_KEY_CHANGED, devices: [{ name: 'wrong-in-file' }] });
    expect((await ok(core, 'fleet.device', { device: 'from-file' })).hostKey).toMatchObject({ source: 'known_hosts', fingerprint: dev('arm').hostKeyFingerprint });
  });

  it('reaches a device through a jump host chain, pinning the jump host too', async () => {
    const target = dev('ancient');
    const jump = dev('current');
    await add(target, { name: 'behind-jump', proxyJump: `${jump.user}@${jump.host}` });
    const p = await refresh(['behind-jump']);
    expect(p).toMatchObject({ ok: 1, failed: 0 });
    const d = await ok(core, 'fleet.device', { device: 'behind-jump' });
    expect(d.jumps).toEqual([`${jump.user}@${jump.host}:22`]);
    expect(d.summary.booted?.digest).toBe(digest('1.0'));
    const keys = await ok(core, 'hostkeys.list', {});
    expect(keys.find((k) => k.target === `jump:${jump.host}:22`)?.fingerprint).toBe(jump.hostKeyFingerprint);
  });

  it('never runs a crafted name, path or argument as shell', async () => {
    const d = dev('current');
    // Names and logins are refused at the door; what could still reach a command line is quoted.
    expect(await fails(core, 'devices.add', { name: `x$(touch ${PWNED})`, host: d.host })).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    expect(await fails(core, 'devices.add', { name: 'inj', host: d.host, user: `core;touch ${PWNED}` })).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    const row = core.inventory.devices.contactRows({ ids: [(await ok(core, 'fleet.device', { device: 'current' })).device.id] })[0]!;
    const out = await core.pool.with('inject', core.fleet.targetFor(row, 'inject'), (conn) =>
      conn.exec(['echo', `$(touch ${PWNED})`, `\`touch ${PWNED}\``, `; touch ${PWNED}`, `' "; touch ${PWNED}`], { timeoutMs: 10_000 }),
    );
    expect(out.stdout.toString()).toBe(`$(touch ${PWNED}) \`touch ${PWNED}\` ; touch ${PWNED} ' "; touch ${PWNED}\n`);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('runs a refresh as a cancellable job with progress', async () => {
    await lab.setFaults('faulty', { slowMs: 20_000 });
    const events: RefreshProgress[] = [];
    const off = core.bus.subscribe((e, p) => e === 'fleet.progress' && events.push(p as RefreshProgress));
    const { jobId } = await ok(core, 'fleet.refresh', { devices: ['faulty', 'current'] });
    // Cancel once the quick device is in and the slow one is still running.
    for (let i = 0; i < 200 && !events.some((e) => e.jobId === jobId && e.done === 1); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await ok(core, 'fleet.cancel', { jobId })).jobId).toBe(jobId);
    for (let i = 0; i < 50 && events.at(-1)?.state !== 'canceled'; i++) await new Promise((r) => setTimeout(r, 100));
    off();
    const last = events.at(-1)!;
    expect(last).toMatchObject({ state: 'canceled', total: 2, done: 1, ok: 1 });
    expect(last.message).toContain('Cancelled after 1 of 2');
  });
});
