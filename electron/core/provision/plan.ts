import type { ProvisionHost } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ResolvedImage } from '../registry/client';
import { parseImageReference } from '../registry/reference';
import { shellLine, withSudo } from '../ssh/quote';

/** Where the authorized keys for root are put on the box before installing. */
export const AUTHORIZED_KEYS_PATH = '/run/bootfleet-root-authorized_keys';

/** Where image archives are kept on a box (in /var/tmp: not wiped by a reboot of the live system). */
export const ARCHIVE_DIR = '/var/tmp/bootfleet';

/** An archive's place on the box: named by the image digest it holds, so a second run finds it. */
export const remoteArchivePath = (digest: string): string => `${ARCHIVE_DIR}/${digest.replace(/^sha256:/, '')}.oci.tar`;

export interface InstallChoice {
  /** The registry reference the installed system will follow for updates (a tag). */
  image: string;
  disk: string;
  wipe: boolean;
  /** The disk's name, typed to confirm wiping what it holds. */
  confirm?: string | undefined;
  filesystem?: 'xfs' | 'ext4' | 'btrfs' | undefined;
  /** `20G`, `512M`: the root partition's size (default: the rest of the disk). */
  rootSize?: string | undefined;
  kargs: string[];
  /** Keys to authorize for root on the installed system (written to the box first). */
  authorizedKeys?: string | undefined;
  /** Install from an OCI archive on this machine (uploaded to the box) instead of pulling `image`. */
  archive?: string | undefined;
  /** The library image the archive was written from (messages name it, not the cached file). */
  library?: string | undefined;
}

/** uname -m to OCI architecture names. */
export function ociArchitecture(machine: string | null): string | null {
  if (!machine) return null;
  return ({ x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[machine] ?? machine;
}

export interface InstallPlan {
  /** As sent (with `sudo -n --` where the login needs it). */
  argv: string[];
  /** The install command itself, without sudo. */
  installArgv: string[];
  sudo: boolean;
  disk: ProvisionHost['disks'][number];
  command: string;
  /** The digest pulled (the platform's manifest where the image is multi-architecture). */
  digest: string;
  /** Where the archive goes on the box (archive installs). */
  remoteArchive: string | null;
  warnings: string[];
}

/**
 * The exact command that installs the image on the chosen disk, after checking every choice
 * against what the box is: the disk exists, nothing of the live system is on it, what it holds is
 * wiped only when asked and confirmed, and the image has a build for the box's architecture. The
 * image is pulled by digest (what was resolved is what gets installed) while the installed system
 * follows the reference given (`--target-imgref`), so updates come from the tag.
 */
export function planInstall(host: ProvisionHost, choice: InstallChoice, resolved: ResolvedImage): InstallPlan {
  if (host.method === 'none') throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${host.address} cannot be provisioned: ${host.problems.join(' ')}`);
  const disk = host.disks.find((d) => d.path === choice.disk || d.name === choice.disk);
  const what = choice.library ? `${choice.image} (from the library)` : (choice.archive ?? choice.image);
  if (!disk) throw new AppError(ErrorCode.NOT_FOUND, `${host.address} has no disk ${choice.disk}; it has ${host.disks.map((d) => `${d.path} (${d.description})`).join(', ') || 'none'}.`);
  if (disk.problems.length) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${disk.path} cannot take the install: it ${disk.problems.map((p) => p.message).join('; ')}.`);
  if (disk.needsTypedConfirmation) {
    const holds = [...disk.signatures, ...disk.partitions.map((p) => p.path)].join(', ');
    if (!choice.wipe) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${disk.path} holds data (${holds}): choose wipe to erase it, and type its name "${disk.name}" to confirm.`);
    if (choice.confirm !== disk.name) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${disk.path} holds data (${holds}) that installing erases: type its name "${disk.name}" to confirm.`);
  }
  if (choice.rootSize !== undefined && !/^\d+[MGT]?$/.test(choice.rootSize)) throw new AppError(ErrorCode.VALIDATION_FAILED, `Root size "${choice.rootSize}" is not a size: give a number with M, G or T (e.g. 20G).`);
  for (const k of choice.kargs) if (!k.trim() || /\s/.test(k)) throw new AppError(ErrorCode.VALIDATION_FAILED, `Kernel argument "${k}" is empty or has spaces: give each one separately (e.g. console=ttyS0,115200n8).`);

  const warnings: string[] = [];
  const arch = ociArchitecture(host.architecture);
  let digest = resolved.digest;
  if (resolved.platforms.length) {
    const match = resolved.platforms.find((p) => p.os === 'linux' && p.architecture === arch);
    if (!match) throw new AppError(ErrorCode.ACTION_NOT_POSSIBLE, `${what} has no build for ${arch ?? 'this box'} (it has ${resolved.platforms.map((p) => p.architecture).join(', ')}).`);
    digest = match.digest;
  } else warnings.push(`${what} is a single-architecture image: its architecture could not be checked against ${arch ?? 'the box'} before installing.`);

  const r = parseImageReference(choice.image);
  const pull = `${r.registry}/${r.repository}@${digest}`;
  // From an archive: the box reads the uploaded file; the registry may be out of its reach.
  const remoteArchive = choice.archive ? remoteArchivePath(resolved.digest) : null;
  const source = remoteArchive ? ['--source-imgref', `oci-archive:${remoteArchive}`, '--skip-fetch-check'] : [];
  const flags = [
    ...source,
    ...(choice.wipe ? ['--wipe'] : []),
    ...(choice.filesystem ? ['--filesystem', choice.filesystem] : []),
    ...(choice.rootSize ? ['--root-size', choice.rootSize] : []),
    ...choice.kargs.map((k) => `--karg=${k}`),
    ...(choice.authorizedKeys ? ['--root-ssh-authorized-keys', AUTHORIZED_KEYS_PATH] : []),
    '--target-imgref',
    choice.image,
  ];
  const podman = ['podman', 'run', '--rm', '--privileged', '--pid=host', '-v', '/var/lib/containers:/var/lib/containers', '-v', '/dev:/dev', '--security-opt', 'label=type:unconfined_t'];
  const argv =
    host.method === 'podman'
      ? remoteArchive
        ? [...podman, '-v', `${ARCHIVE_DIR}:${ARCHIVE_DIR}`, `oci-archive:${remoteArchive}`, 'bootc', 'install', 'to-disk', ...flags, disk.path]
        : [...podman, pull, 'bootc', 'install', 'to-disk', ...flags, disk.path]
      : remoteArchive
        ? ['bootc', 'install', 'to-disk', ...flags, disk.path]
        : ['bootc', 'install', 'to-disk', '--source-imgref', `docker://${pull}`, ...flags, disk.path];
  const full = withSudo(argv, host.privileged === 'sudo');
  if (!choice.authorizedKeys) warnings.push('No SSH keys are authorized for root: after the install, logging in needs whatever the image itself allows.');
  return { argv: full, installArgv: argv, sudo: host.privileged === 'sudo', disk, command: shellLine(full), digest, remoteArchive, warnings };
}
