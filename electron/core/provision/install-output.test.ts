import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../shared/errors';
import { installProgress, nextStep } from './install-output';
import { checkAuthorizedKeys } from './provision-service';

describe('installProgress', () => {
  it('names each stage once, and says the disk is being written from the wipe on', () => {
    const seen: [string, boolean][] = [];
    const read = installProgress((detail, writing) => seen.push([detail, writing]));
    for (const line of [
      'Trying to pull quay.io/fedora/fedora-bootc:42...',
      'Copying blob sha256:abc',
      'Copying blob sha256:def',
      'Installing image: docker://quay.io/fedora/fedora-bootc:42',
      'Digest: sha256:0123',
      'Wiping /dev/sda1',
      'Wiping device /dev/sda',
      'Block setup: direct',
      '       Size: 1000',
      'Creating root filesystem (xfs) on device /dev/sda4 (size=9.5G)',
      '> mkfs.xfs -m uuid=x -L root /dev/sda4',
      'Initializing ostree layout',
      'Installing bootloader via bootupd',
      'Trimming root',
      'Installation complete!',
    ]) read(line);
    expect(seen).toEqual([
      ['Pulling the image', false],
      ['Checking the image', false],
      ['Wiping the disk', true],
      ['Partitioning the disk', true],
      ['Creating the root filesystem', true],
      ['Deploying the image', true],
      ['Installing the bootloader', true],
      ['Finishing the filesystems', true],
      ['Installation complete', true],
    ]);
  });
});

describe('nextStep', () => {
  it('turns the box\'s own errors into what to do', () => {
    expect(nextStep('error: Installing to disk: Creating rootfs: Detected existing partitions on /dev/vda; use e.g. `wipefs` or --wipe')).toMatch(/^The disk has partitions: choose wipe/);
    expect(nextStep('error: Cannot install from rootless podman; this command must be run as root')).toMatch(/^podman needs root/);
    expect(nextStep('Error: writing blob: storing blob to file "/var/tmp/x": write /var/tmp/x: no space left on device')).toMatch(/not enough space/);
    expect(nextStep('Error: initializing source docker://r/os:9: reading manifest 9 in r/os: manifest unknown')).toMatch(/could not pull the image/);
    expect(nextStep('Error: pinging container registry r:5000: Get "https://r:5000/v2/": http: server gave HTTP response to HTTPS client')).toMatch(/TLS/);
    expect(nextStep('something nobody has seen')).toBeNull();
  });
});

describe('checkAuthorizedKeys', () => {
  it('takes public key lines (with options and comments), refuses anything else by name', () => {
    expect(() => checkAuthorizedKeys('# bench\nssh-ed25519 AAAAC3Nza tech@bench\nfrom="10.0.0.0/8" ecdsa-sha2-nistp256 AAAAE2 x\n')).not.toThrow();
    expect(() => checkAuthorizedKeys('\n# only a comment\n')).toThrow(/empty/);
    expect(() => checkAuthorizedKeys('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n')).toThrow(/private key: give the public key/);
    const e = (() => {
      try {
        checkAuthorizedKeys('ssh-ed25519 AAAA ok\nhello world\n');
      } catch (err) {
        return err as AppError;
      }
      return null;
    })();
    expect(e?.message).toBe('"hello world" is not an SSH public key: give lines such as those of a .pub file or authorized_keys.');
  });
});
