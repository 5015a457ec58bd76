import type { Faults } from './emulator/types';

/** One device as a test asks for it. Everything is optional. */
export interface LabDeviceSpec {
  /** Default `dev-001`, `dev-002`, ... */
  name?: string;
  /** The bootc release this device emulates. Default: the lab's `versions`, round robin. */
  bootcVersion?: string;
  /** OCI architecture. Default amd64. */
  architecture?: string;
  /** Login user (who must use `sudo -n` for bootc). Default `core`. */
  user?: string;
  /** Log in as root directly instead of a sudo user. */
  rootLogin?: boolean;
  /** Also accept this password for the login user (live media often has only a password). */
  password?: string;
  /**
   * The image the device booted, as a tag of the lab's image repository (`1.0`, `stable`, ...), or
   * null for a host that is not deployed with bootc (status.booted null). Default `stable`.
   */
  image?: string | null;
  /** An older tag that is the device's rollback deployment. Default: none. */
  rollbackImage?: string | null;
  /** The device has podman (for `podman run IMAGE bootc install to-disk`). Default false. */
  podman?: boolean;
  /** Target disks for `bootc install to-disk`, sizes in MiB. Default none. */
  disks?: { sizeMiB: number }[];
  /** Faults set from the start. */
  faults?: Faults;
}

/** Options of startLab() and `npm run lab -- start`. */
export interface LabOptions {
  /** Where everything lives; created if missing. Default: a new temp directory. */
  dir?: string;
  /** How many devices (names and versions by default), or each device's spec. */
  devices: number | LabDeviceSpec[];
  /** bootc versions given round robin to devices without one. Default ['1.16.9']. */
  versions?: string[];
  /** Faults by device name. */
  faults?: Record<string, Faults>;
  /** How long a reboot keeps a device offline, in ms. Default 1500. */
  rebootMs?: number;
  /** Tear the lab down when this process exits (tests). Default: the caller's pid for startLab, none for the CLI. */
  ownerPid?: number | null;
  /** Skip building and pushing images (a lab of non-bootc hosts, or a pure SSH test). Default false. */
  noImages?: boolean;
  /**
   * Also start a registry that requires bearer tokens (Docker token auth) from a token server that
   * knows this one user, serving the same storage as the anonymous registry. Default none.
   */
  authRegistry?: { user: string; password: string; anonymousPull?: boolean };
}

/** A device as the lab built it: what a client needs to connect. */
export interface LabDevice {
  name: string;
  host: string;
  port: number;
  user: string;
  /** Path of the private key that logs in as `user`. */
  key: string;
  bootcVersion: string;
  architecture: string;
  /** Whether bootc needs `sudo -n` (false when the login is root). */
  sudo: boolean;
  password: string | null;
  /** SHA256 fingerprint of the device's host key, as OpenSSH prints it. */
  hostKeyFingerprint: string;
  /** The device's directory on this machine (its /var is `<dir>/var`). */
  dir: string;
  /** Loop devices backing the device's target disks. */
  disks: string[];
}

/** An image the lab built and pushed. */
export interface LabImage {
  /** e.g. `1.0` */
  tag: string;
  /** Full reference, e.g. `127.31.0.1:5000/bootfleet/os:1.0`. */
  ref: string;
  version: string;
  /** Digest of the index (what the tag points to). */
  indexDigest: string;
  /** Per-architecture manifest digests (what bootc reports). */
  digests: Record<string, string>;
  /** An oci-archive of the image with the same digests, for registry-less tests. */
  archive: string;
}

/** The token-authenticated registry: same images, tags and digests as the anonymous one. */
export interface LabAuthRegistry {
  /** `127.X.0.1:5001` */
  host: string;
  url: string;
  user: string;
  password: string;
  /** The token endpoint (the realm of the registry's `WWW-Authenticate: Bearer` challenge). */
  tokenUrl: string;
  /** The registry's service name (the challenge's `service`, the tokens' `aud`). */
  service: string;
  /** Whether a token requested without credentials grants pull. */
  anonymousPull: boolean;
}

/** What the lab writes to `<dir>/lab.json` and `npm run lab -- start` prints. */
export interface LabManifest {
  dir: string;
  pid: number;
  control: string;
  registry: { url: string; host: string; repository: string } | null;
  /** Only when LabOptions.authRegistry asked for it. */
  authRegistry?: LabAuthRegistry;
  images: LabImage[];
  devices: LabDevice[];
}

export const MANIFEST_FILE = 'lab.json';
export const OPTIONS_FILE = 'lab-options.json';
export const CONTROL_SOCKET = 'control.sock';
export const DAEMON_LOG = 'lab.log';
