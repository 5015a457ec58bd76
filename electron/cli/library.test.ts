import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../e2e/lab';
import { cleanupTempDirs, tempDir } from '../core/test-support';
import { runCli } from './program';

/** `bootfleet images` against the lab's real image archives (the lab needs root, as CI has). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the images CLI tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
beforeAll(async () => {
  if (canRun) lab = await startLab({ rebootMs: 300, devices: [{ name: 'edge', bootcVersion: '1.16.9', image: '1.0' }] });
}, 120_000);
afterAll(async () => {
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('bootfleet images', () => {
  it('import, list, show, export (skopeo reads it), rm', async () => {
    const dataDir = tempDir();
    const cli = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
      return { code, stdout, stderr };
    };
    const r = lab.images.find((i) => i.tag === '2.0')!;
    const imported = await cli('images', 'import', r.archive, '--name', 'registry.local/fleet/os');
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(new RegExp(`^Imported registry.local/fleet/os:2.0 \\(${r.indexDigest}, amd64, arm64, [\\d.]+ kB\\)\\.\\n$`));
    const list = await cli('images', 'list');
    expect(list.stdout).toMatch(new RegExp(`registry.local/fleet/os:2.0\\s+${r.version.replace(/\./g, '\\.')}\\s+amd64,arm64\\s+${r.indexDigest.slice(7, 19)}`));
    expect(list.stdout).toMatch(/1 image, [\d.]+ kB on disk \(\d+ blobs, shared ones stored once\)\.\n$/);
    const show = await cli('images', 'show', '2.0');
    expect(show.stdout).toContain(`linux/arm64  ${r.digests.arm64}`);
    const out = `${tempDir()}/os.oci.tar`;
    expect((await cli('images', 'export', 'registry.local/fleet/os:2.0', '-o', out)).code).toBe(0);
    const seen = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${out}:2.0`]).toString()) as { Labels: Record<string, string> };
    expect(seen.Labels['org.opencontainers.image.version']).toBe(r.version);
    const missing = await cli('images', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No image "nope" in the library.');
    expect((await cli('images', 'rm', '2.0')).stdout).toMatch(/^Removed sha256:[0-9a-f]{64}; [\d.]+ kB freed\.\n$/);
    expect((await cli('images', 'list')).stdout).toBe('The library is empty: bootfleet images import FILE|DIR.\n');
    const usb = `${tempDir()}/usb-bundle`;
    await cli('images', 'import', r.archive, '--name', 'registry.local/fleet/os');
    const exported = await cli('bundle', 'export', '2.0', '-o', usb);
    expect(exported.stdout).toMatch(new RegExp(`^Wrote ${usb} \\(folder\\): 1 image, [\\d.]+ kB, signed\\.\\n$`));
    // At the site: trust the maker's key (its fingerprint checked), then import.
    const pub = `${tempDir()}/maker.pub`;
    const fp = /Fingerprint: (\S+)/.exec((await cli('keys', 'show', '-o', pub)).stdout)![1]!;
    const siteDir = tempDir();
    expect(await runCli(['--data-dir', siteDir, 'keys', 'trust', pub, '--fingerprint', fp, '--name', 'depot'], { stdout: () => undefined, stderr: () => undefined, readStdin: async () => '' })).toBe(0);
    let said = '';
    const other = await runCli(['--data-dir', siteDir, 'bundle', 'import', usb], { stdout: (x) => (said += x), stderr: () => undefined, readStdin: async () => '' });
    expect(other).toBe(0);
    expect(said).toBe(`Signed by depot (${fp}).\n1 image added, 0 already here: registry.local/fleet/os:2.0.\n`);
    await cli('images', 'rm', '2.0');
    const pulled = await cli('images', 'pull', `${lab.registry!.host}/bootfleet/os:1.0`, '--platform', 'linux/amd64');
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toMatch(new RegExp(`^Pulled ${lab.registry!.host}/bootfleet/os:1.0 \\(${lab.images.find((i) => i.tag === '1.0')!.digests.amd64}, amd64, [\\d.]+ kB; [\\d.]+ kB downloaded\\)\\.\\n$`));
  });

  it('switch and upgrade --via library: the status names the registry image, the upgrade takes the library\'s newer one', async () => {
    const dataDir = tempDir();
    const cli = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
      return { code, stdout, stderr };
    };
    const d = lab.devices[0]!;
    const digest = (tag: string) => lab.images.find((i) => i.tag === tag)!.digests.amd64!;
    expect((await cli('devices', 'add', d.name, '--host', d.host, '--port', String(d.port), '--user', d.user, '--key', d.key, '--sudo')).stderr).toBe('');
    const archive = (tag: string) => lab.images.find((i) => i.tag === tag)!.archive;
    await cli('images', 'import', archive('1.1'), '--name', 'registry.local/fleet/os', '--tag', 'stable');
    const sw = await cli('switch', 'edge', 'registry.local/fleet/os:stable', '--via', 'library', '--apply', '--yes', '--wait', '60');
    expect(sw.stderr).not.toContain('error');
    expect(sw.code).toBe(0);
    const status = await cli('status', 'edge');
    expect(status.stdout).toMatch(new RegExp(`edge\\s+-\\s+online\\s+registry\\.local/fleet/os:stable \\(library\\)\\s+${digest('1.1').slice(7, 19)}`));
    // Online upgrade would read the layout on the device: the plan says so and what to do instead.
    const plain = await cli('upgrade', 'edge');
    expect(plain.stdout).toContain('already up to date: nothing was staged');
    expect(plain.stderr).toContain('edge: note: It follows oci:/var/lib/bootfleet/images:stable (registry.local/fleet/os:stable), an image Bootfleet sent from the library: bootc upgrade reads that on the device, not a registry. Upgrade it via the library, or switch it to registry.local/fleet/os:stable to follow the registry again.');
    await cli('images', 'import', archive('2.0'), '--name', 'registry.local/fleet/os', '--tag', 'stable');
    const up = await cli('upgrade', 'edge', '--via', 'library', '--apply', '--yes', '--wait', '60');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(digest('2.0').slice(7, 19));
    const json = JSON.parse((await cli('status', 'edge', '--json')).stdout) as { bootedAs: string; booted: { digest: string } }[];
    expect(json[0]).toMatchObject({ bootedAs: 'registry.local/fleet/os:stable', booted: { digest: digest('2.0') } });
    // Rate and archive options are checked before anything is done.
    const bad = await cli('upgrade', 'edge', '--via', 'library', '--transport', 'dir', '--yes');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('with via library, the device reads oci (its own layout, only missing layers sent: the default) or oci-archive (one file per image)');
  }, 120_000);
});
