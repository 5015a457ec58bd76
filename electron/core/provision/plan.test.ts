import { describe, expect, it } from 'vitest';
import type { ProvisionHost } from '../../../shared/contract';
import { parseInspect } from './inspect';
import { AUTHORIZED_KEYS_PATH, planInstall } from './plan';

const lsblk = (disks: { name: string; size: number; mount?: string }[]) =>
  JSON.stringify({ blockdevices: disks.map((d) => ({ name: d.name, path: `/dev/${d.name}`, type: 'disk', size: d.size, tran: 'sata', rm: false, ro: false, mountpoints: [d.mount ?? null] })) });

function host(over: { podman?: boolean; uid?: string; arch?: string; wipefs?: string } = {}): ProvisionHost {
  const out = [
    `@@arch\n${over.arch ?? 'x86_64'}`,
    '@@bootc\nbootc 1.16.9',
    over.podman === false ? '@@podman' : '@@podman\npodman version 5.4.0',
    `@@uid\n${over.uid ?? '0'}`,
    '@@sudo\nyes',
    `@@lsblk\n${lsblk([{ name: 'sda', size: 16e9, mount: '/run/initramfs/live' }, { name: 'nvme0n1', size: 512e9 }])}`,
    `@@wipefs\n==/dev/sda\n{"signatures":[{"type":"iso9660"}]}\n==/dev/nvme0n1\n${over.wipefs ?? ''}`,
  ].join('\n');
  return parseInspect(out, '10.0.0.5:22', null);
}
const index = {
  ref: 'quay.io/fleet/os:stable',
  digest: `sha256:${'a'.repeat(64)}`,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  platforms: [
    { digest: `sha256:${'1'.repeat(64)}`, os: 'linux', architecture: 'amd64', variant: null },
    { digest: `sha256:${'2'.repeat(64)}`, os: 'linux', architecture: 'arm64', variant: null },
  ],
};
const choice = { image: 'quay.io/fleet/os:stable', disk: '/dev/nvme0n1', wipe: false, kargs: [] as string[] };

describe('the install command', () => {
  it('runs the documented podman command, pulling the platform digest and following the tag', () => {
    const p = planInstall(host(), { ...choice, kargs: ['console=ttyS0,115200n8'], filesystem: 'xfs', rootSize: '20G', authorizedKeys: 'ssh-ed25519 AAAA tech@bench' }, index);
    expect(p.digest).toBe(`sha256:${'1'.repeat(64)}`);
    expect(p.argv).toEqual([
      'podman', 'run', '--rm', '--privileged', '--pid=host', '-v', '/var/lib/containers:/var/lib/containers', '-v', '/dev:/dev', '--security-opt', 'label=type:unconfined_t',
      `quay.io/fleet/os@sha256:${'1'.repeat(64)}`, 'bootc', 'install', 'to-disk',
      '--filesystem', 'xfs', '--root-size', '20G', '--karg=console=ttyS0,115200n8', '--root-ssh-authorized-keys', AUTHORIZED_KEYS_PATH, '--target-imgref', 'quay.io/fleet/os:stable', '/dev/nvme0n1',
    ]);
    // The line sent to the box, quoted by shell-quote: what the review shows is what runs.
    expect(p.command).toContain('--security-opt label=type:unconfined_t');
    expect(p.warnings).toEqual([]);
  });

  it('uses bootc directly where the live system has no podman, through sudo where the login is not root, on arm64', () => {
    const p = planInstall(host({ podman: false, uid: '1000', arch: 'aarch64' }), choice, index);
    expect(p.argv).toEqual(['sudo', '-n', '--', 'bootc', 'install', 'to-disk', '--source-imgref', `docker://quay.io/fleet/os@sha256:${'2'.repeat(64)}`, '--target-imgref', 'quay.io/fleet/os:stable', '/dev/nvme0n1']);
    expect(p.warnings).toEqual(['No SSH keys are authorized for root: after the install, logging in needs whatever the image itself allows.']);
  });

  it('installs from an uploaded archive: the podman container runs from it, bootc reads it, the registry is not asked', () => {
    const archive = { ...index, ref: '/srv/images/os.oci.tar' };
    const remote = `/var/tmp/bootfleet/${'a'.repeat(64)}.oci.tar`;
    const viaPodman = planInstall(host(), { ...choice, archive: '/srv/images/os.oci.tar' }, archive);
    expect(viaPodman.remoteArchive).toBe(remote);
    expect(viaPodman.digest).toBe(`sha256:${'1'.repeat(64)}`);
    expect(viaPodman.argv.slice(11)).toEqual([
      '-v', '/var/tmp/bootfleet:/var/tmp/bootfleet', `oci-archive:${remote}`, 'bootc', 'install', 'to-disk',
      '--source-imgref', `oci-archive:${remote}`, '--skip-fetch-check', '--target-imgref', 'quay.io/fleet/os:stable', '/dev/nvme0n1',
    ]);
    const direct = planInstall(host({ podman: false }), { ...choice, archive: '/srv/images/os.oci.tar' }, archive);
    expect(direct.argv).toEqual(['bootc', 'install', 'to-disk', '--source-imgref', `oci-archive:${remote}`, '--skip-fetch-check', '--target-imgref', 'quay.io/fleet/os:stable', '/dev/nvme0n1']);
  });

  it('refuses the live medium, a missing disk, an image with no build for the box, and bad sizes or kernel arguments', () => {
    expect(() => planInstall(host(), { ...choice, disk: '/dev/sda' }, index)).toThrow('/dev/sda cannot take the install: it has mounted filesystems (/run/initramfs/live): the live system is using it.');
    expect(() => planInstall(host(), { ...choice, disk: '/dev/sdz' }, index)).toThrow(/has no disk \/dev\/sdz; it has \/dev\/sda \(.*\), \/dev\/nvme0n1/);
    expect(() => planInstall(host({ arch: 's390x' }), choice, index)).toThrow('quay.io/fleet/os:stable has no build for s390x (it has amd64, arm64).');
    expect(() => planInstall(host(), { ...choice, rootSize: '20 GB' }, index)).toThrow(/is not a size/);
    expect(() => planInstall(host(), { ...choice, kargs: ['a b'] }, index)).toThrow(/has spaces/);
  });

  it('wipes a disk that holds data only when asked and its name is typed', () => {
    const full = host({ wipefs: '{"signatures":[{"type":"gpt"},{"type":"PMBR"}]}' });
    expect(() => planInstall(full, choice, index)).toThrow('/dev/nvme0n1 holds data (gpt, PMBR): choose wipe to erase it, and type its name "nvme0n1" to confirm.');
    expect(() => planInstall(full, { ...choice, wipe: true, confirm: 'sda' }, index)).toThrow(/type its name "nvme0n1" to confirm/);
    expect(planInstall(full, { ...choice, wipe: true, confirm: 'nvme0n1' }, index).argv).toContain('--wipe');
  });

  it('warns that a single-architecture image could not be checked', () => {
    const single = { ...index, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: [] };
    const p = planInstall(host(), { ...choice, authorizedKeys: 'k' }, single);
    expect(p.digest).toBe(index.digest);
    expect(p.warnings).toEqual(['quay.io/fleet/os:stable is a single-architecture image: its architecture could not be checked against amd64 before installing.']);
  });
});
