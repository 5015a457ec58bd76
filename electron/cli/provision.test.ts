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

});
