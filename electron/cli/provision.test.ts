import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabDevice } from '../../e2e/lab';
import { cleanupTempDirs, tempDir } from '../core/test-support';
import { runCli } from './program';

/** `bootfleet provision` against a lab box booted from "live media" (needs root, as CI has). */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the provision CLI tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
const PW = 'field tech 1';
const dev = (name: string): LabDevice => lab.devices.find((d) => d.name === name)!;

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ rebootMs: 300, devices: [{ name: 'live-podman', image: null, rootLogin: true, password: PW, podman: true, disks: [{ sizeMiB: 256 }] }] });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  cleanupTempDirs();
}, 60_000);

suite('bootfleet provision', () => {
  it('bootfleet provision inspect: the password from stdin, a readable summary; an empty stdin is refused', async () => {
    const d = dev('live-podman');
    const dataDir = tempDir();
    const cli = async (args: string[], stdin: string) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => stdin });
      return { code, stdout, stderr };
    };
    const r = await cli(['provision', 'inspect', d.host, '--password-stdin'], `${PW}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Host key:     ${d.hostKeyFingerprint} (ssh-ed25519), pinned`);
    expect(r.stdout).toContain('Install with: podman run ... bootc install to-disk (the documented way)');
    expect(r.stdout).toMatch(new RegExp(`${d.disks[0]}\\s+268\\.4 MB\\s+Loop device\\s+-\\s+nothing\\s+yes`));
    const noAuth = await cli(['provision', 'inspect', d.host, '--password-stdin'], '');
    expect(noAuth.code).not.toBe(0);
    expect(noAuth.stderr).toContain('Standard input was empty');
  });

  it('bootfleet provision plan: prints the exact command and writes nothing', async () => {
    const d = dev('live-podman');
    const dataDir = tempDir();
    let stdout = '';
    let stderr = '';
    const image = `${lab.registry!.host}/bootfleet/os:stable`;
    const code = await runCli(['--data-dir', dataDir, 'provision', 'plan', d.host, '--password-stdin', '--image', image, '--disk', d.disks[0]!, '--karg', 'console=ttyS0'], {
      stdout: (x) => (stdout += x),
      stderr: (x) => (stderr += x),
      readStdin: async () => `${PW}\n`,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.startsWith(`Installs ${image} (sha256:`)).toBe(true);
    expect(stdout).toContain(`on ${d.disks[0]} of ${d.host}:22 with this command:\n\n  podman run --rm --privileged`);
    expect(stdout).toContain(`bootc install to-disk --karg=console=ttyS0 --target-imgref `);
    expect(stdout).toContain('! No SSH keys are authorized for root');
    expect(execFileSync('wipefs', ['--no-act', d.disks[0]!]).toString()).toBe(''); // still blank

    // From an archive for a site with no registry: the command reads the uploaded file.
    const release = lab.images.find((i) => i.tag === '1.0')!;
    let fromArchive = '';
    const code2 = await runCli(['--data-dir', dataDir, 'provision', 'plan', d.host, '--password-stdin', '--image', 'registry.example.invalid/os:1.0', '--archive', release.archive, '--disk', d.disks[0]!], {
      stdout: (x) => (fromArchive += x),
      stderr: (x) => (stderr += x),
      readStdin: async () => `${PW}\n`,
    });
    expect(stderr).toBe('');
    expect(code2).toBe(0);
    expect(fromArchive).toContain(`Installs ${release.archive} (following registry.example.invalid/os:1.0) (${release.digests.amd64})`);
    expect(fromArchive).toContain(`oci-archive:/var/tmp/bootfleet/${release.indexDigest.slice(7)}.oci.tar bootc install to-disk --source-imgref oci-archive:/var/tmp/bootfleet/`);

    // From the image library: --image defaults to the library image's name; the same file goes to the box.
    const quiet = { stdout: () => undefined, stderr: (x: string) => (stderr += x), readStdin: async () => '' };
    expect(await runCli(['--data-dir', dataDir, 'images', 'import', release.archive, '--name', 'registry.example.invalid/os'], quiet)).toBe(0);
    let fromLibrary = '';
    const code3 = await runCli(['--data-dir', dataDir, 'provision', 'plan', d.host, '--password-stdin', '--from-library', '1.0', '--disk', d.disks[0]!], {
      stdout: (x) => (fromLibrary += x),
      stderr: (x) => (stderr += x),
      readStdin: async () => `${PW}\n`,
    });
    expect(stderr).toBe('');
    expect(code3).toBe(0);
    expect(fromLibrary).toContain(`Installs registry.example.invalid/os:1.0 from the library (${release.digests.amd64})`);
    expect(fromLibrary).toContain(`--source-imgref oci-archive:/var/tmp/bootfleet/${release.indexDigest.slice(7)}.oci.tar`);
  });

  it('bootfleet provision run: the plan without --yes; with it, installs, reboots, verifies and enters the device', async () => {
    const d = dev('live-podman');
    const dataDir = tempDir();
    const cli = async (args: string[], stdin = '') => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => stdin });
      return { code, stdout, stderr };
    };
    const image = `${lab.registry!.host}/bootfleet/os:stable`;
    const digest = lab.images.find((i) => i.tag === '1.0')!.digests.amd64!;
    const args = ['provision', 'run', d.host, '--password-stdin', '--image', image, '--disk', d.disks[0]!, '--name', 'edge-{n}', '--tag', 'bench', '--login-key', d.key];
    const plan = await cli(args, `${PW}\n`);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe(`Authorizing ${d.key}.pub for root on the installed system.\n`);
    expect(plan.stdout).toContain(`edge-1: installs ${image} (${digest}) on ${d.disks[0]} of ${d.host}:22 with this command:`);
    expect(plan.stdout).toContain('--root-ssh-authorized-keys /run/bootfleet-root-authorized_keys');
    expect(plan.stdout).toContain('Nothing was done. Run again with --yes');
    expect(execFileSync('wipefs', ['--no-act', d.disks[0]!]).toString()).toBe('');

    const run = await cli([...args, '--yes', '--accept-new-host-key'], `${PW}\n`);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('edge-1: installing (Creating the root filesystem)');
    expect(run.stderr).toContain('edge-1: host-key');
    expect(run.stdout).toMatch(new RegExp(`${d.host}:22\\s+edge-1\\s+${d.disks[0]}\\s+done\\s+${digest.slice(7, 19)}`));
    expect(run.stdout).toContain('1 of 1 provisioned and verified.');
    const listed = JSON.parse((await cli(['--json', 'devices', 'list'])).stdout) as { items: { name: string; user: string; keyPath: string; tags: string[] }[] };
    expect(listed.items).toEqual([expect.objectContaining({ name: 'edge-1', user: 'root', keyPath: d.key, tags: ['bench'] })]);
    const runs = JSON.parse((await cli(['--json', 'provision', 'list'])).stdout) as { id: string }[];
    const shown = await cli(['provision', 'show', runs[0]!.id, '--log']);
    expect(shown.stdout).toContain(`Booted:   ${digest}`);
    expect(shown.stdout).toContain('Installation complete!');
    // The batch form needs a name pattern.
    const alike = await cli(['provision', 'run', d.host, '10.9.9.9', '--image', image, '--disk', 'sda', '--name', 'edge']);
    expect(alike.code).toBe(1);
    expect(alike.stderr).toContain('--name "edge" would name all 2 boxes alike: put {n}');
  });
});
