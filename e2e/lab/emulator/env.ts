/**
 * What the emulator needs from the world. main.ts (the bundled entry, written by the lab) builds
 * this from process, fs and a registry client; unit tests build it from fakes. Nothing else in
 * the emulator touches process or fs, except state.ts's file functions (which take a directory).
 */
import type { ImageReference, ImageSource, ResolvedImage } from './types';

/** One disk the device can see, as `lsblk` would describe it. */
export interface DiskInfo {
  /** e.g. /dev/vdb, /dev/loop3, or a regular file for --via-loopback. */
  path: string;
  /** Bytes. */
  size: number;
  /** The disk already has a partition table with partitions (lsblk children). */
  hasPartitions: boolean;
  /** Paths of the existing partitions, in order (printed by --wipe as "Wiping <part>"). */
  partitions?: string[];
  /** The disk or one of its partitions is mounted. */
  mounted: boolean;
  /** 'block' for a block device, 'file' for a regular file (only valid with --via-loopback). */
  kind?: 'block' | 'file';
  serial?: string | null;
  model?: string | null;
}

/** What `bootc install to-disk` asks the lab to write. */
export interface InstallPlan {
  /** The target as given on the command line. */
  device: string;
  wipe: boolean;
  filesystem: 'xfs' | 'ext4' | 'btrfs';
  /** Root partition size in bytes (from --root-size), or null for "the rest of the disk". */
  rootSize: number | null;
  /** Kernel arguments of the installed deployment (root=UUID=…, rw, then --karg values, minus --karg-delete). */
  kargs: string[];
  /** The image the installed system will boot and track for updates (--target-imgref etc.). */
  image: { ref: ImageReference; resolved: ResolvedImage };
  /** Contents of --root-ssh-authorized-keys, or null. */
  authorizedKeys: string | null;
  stateroot: string;
  bootloader: 'grub' | 'systemd' | 'none' | 'grub-cc';
  /** Partition paths bootc prints (ESP may be null on s390x / ppc64le). */
  partitions: { esp: string | null; root: string };
  /** UUID bootc generated for the root filesystem (also in kargs as root=UUID=…). */
  rootUuid: string;
  viaLoopback: boolean;
  genericImage: boolean;
}

/** Block-device operations for `bootc install to-disk`; the lab implements them. */
export interface DiskOps {
  /** Every disk the device sees. */
  list(): Promise<DiskInfo[]>;
  /**
   * Writes the GPT and filesystems and records the installed image. Returns the lines the
   * underlying tools printed to stdout (wipefs, sfdisk…); the emulator prints them right after
   * bootc's "Block setup" lines. Rejects with an Error whose message becomes `error: Installing
   * to disk: <message>`.
   */
  install(path: string, plan: InstallPlan): Promise<string[]>;
}

/** Set by the lab's podman shim when bootc runs inside `podman run <image> bootc …`. */
export interface ContainerContext {
  /** The image podman runs: the default install source. */
  image: ImageReference;
  /** podman run --pid=host was given. */
  pidHost: boolean;
  /** podman run --privileged was given. */
  privileged: boolean;
  /** Rootless podman. */
  rootless: boolean;
}

/** The install configuration baked into an image (/usr/lib/bootc/install/*.toml). */
export interface ImageInstallConfig {
  /** [install.filesystem.root] type */
  rootFsType?: 'xfs' | 'ext4' | 'btrfs' | null;
}

export interface EmulatorEnv {
  /** Effective uid of the caller (0 = root). */
  uid: number;
  /** stdout is a terminal (`ssh -t`): decides humanreadable vs YAML for `bootc status`. */
  stdoutIsTTY: boolean;
  /** stderr is a terminal (default: same as stdoutIsTTY); indicatif output goes there. */
  stderrIsTTY?: boolean;
  /** Writes to stdout exactly what is given (no newline added). */
  out(s: string): void;
  /** Writes to stderr exactly what is given. */
  err(s: string): void;
  now(): Date;
  /** Holds device.json, faults.json, state.json and reboot-required (the device's /run stand-in). */
  varDir: string;
  images: ImageSource;
  /** Writes the reboot request; never resolves (the lab kills the session). */
  requestReboot(opts: { soft: boolean }): Promise<never>;
  /** Drops the SSH connection; never resolves. */
  dropConnection(): Promise<never>;
  sleep(ms: number): Promise<void>;
  disks: DiskOps;
  /** Reads a file on the device (for --root-ssh-authorized-keys). */
  readFile(path: string): Promise<string>;
  /**
   * Inside `podman run`? Real bootc install requires it unless --source-imgref is given. The
   * emulator only applies the podman checks (--pid=host, --privileged, rootless, uid 0 inside
   * the container) when this is set; see requirePodman for the missing-container case.
   */
  container?: ContainerContext | null;
  /**
   * Enforce "must run inside podman" for `install` without --source-imgref (real bootc does).
   * Default false: the emulator then installs the device's current image instead, so the lab
   * can test install without a podman shim.
   */
  requirePodman?: boolean;
  /** The install configuration of an image; absent or null = the image has none. */
  installConfig?(ref: ImageReference, image: ResolvedImage): Promise<ImageInstallConfig | null>;
}
