/**
 * The contract between the device lab (which starts devices, reboots them and injects faults)
 * and the bootc emulator that runs on each device. Both sides import only this file from each
 * other, so either can change inside without breaking the other.
 *
 * On a device (inside its own mount namespace) the lab's files live in LAB_VAR_DIR, which is in
 * the device's own /var: device.json (DeviceConfig, written by the lab), faults.json (Faults,
 * written by the lab, absent = none), state.json (DeviceState, written by the emulator and by
 * the lab when the device boots), reboot-request (written by the emulator or a shim, read and
 * removed by the lab).
 */

/** Where the lab's per-device files are, as seen from inside a device. */
export const LAB_VAR_DIR = '/var/lib/bootfleet-lab';
/** Lets unit tests point the emulator at a temp dir instead of LAB_VAR_DIR. */
export const LAB_VAR_ENV = 'BOOTFLEET_LAB_VAR';

export const DEVICE_FILE = 'device.json';
export const FAULTS_FILE = 'faults.json';
export const STATE_FILE = 'state.json';
export const REBOOT_REQUEST_FILE = 'reboot-request';

/** Static facts about one emulated device. */
export interface DeviceConfig {
  name: string;
  /** The bootc release this device emulates, e.g. "0.1.14", "1.1.6", "1.16.9". */
  bootcVersion: string;
  /** OCI architecture name (amd64, arm64, ...), used to pick a platform from an image index. */
  architecture: string;
  /** Registries the device reaches over plain HTTP (lab registries on loopback), as host:port. */
  insecureRegistries: string[];
}

/** Faults the emulator itself acts on (the lab handles network, auth and boot faults). */
export interface EmulatorFaults {
  /** upgrade and switch fail after contacting the source: stderr `error: Upgrading: <message>`, exit 1. */
  failUpgrade?: { message: string } | null;
  /** What `bootc status` prints in JSON/YAML instead of the real document. */
  statusOutput?: 'malformed' | 'truncated' | 'huge' | null;
  /** Every bootc invocation waits this long before it starts. */
  slowMs?: number | null;
  /** bootc prints the first part of its output, then the SSH connection drops. */
  dropMidCommand?: boolean | null;
}

/** Everything a test can set on one device. Absent or null = healthy. */
export interface Faults extends EmulatorFaults {
  /** Nothing answers: 'refused' (no listener) or 'silent' (TCP accepted, SSH never speaks). */
  unreachable?: 'refused' | 'silent' | null;
  /** Every public key is refused. */
  authRefused?: boolean | null;
  /** The device has a new host key (takes effect at once; the device restarts its sshd). */
  hostKeyChanged?: boolean | null;
  /** There is no bootc on the device. */
  bootcMissing?: boolean | null;
  /** A reboot takes the device offline and it never comes back (until the fault is cleared). */
  rebootHangs?: boolean | null;
  /** The next boot into a new deployment fails its health checks; greenboot falls back. */
  bootFails?: boolean | null;
  /** `sudo -n` asks for a password (so it fails) instead of running the command. */
  sudoPassword?: boolean | null;
}

/** An image reference as bootc's spec stores it: transport without colon, name without transport. */
export interface ImageReference {
  image: string;
  transport: string;
  signature?: 'containerPolicy' | { ostreeRemote: string } | 'insecure';
}

/** What an image source says about one image, for the device's architecture. */
export interface ResolvedImage {
  /** Digest of the per-architecture image manifest (never the index digest). */
  digest: string;
  /** Label org.opencontainers.image.version, else label `version`, else null. */
  version: string | null;
  /** Label org.opencontainers.image.created, else config `created`, as written in the image. */
  timestamp: string | null;
  architecture: string;
  layers: { digest: string; size: number }[];
}

/** Reads images from a registry, an OCI layout or an OCI archive, as containers-image-proxy does. */
export interface ImageSource {
  /** Manifest and config only. Rejects with an Error whose message reads like skopeo's. */
  resolve(ref: ImageReference, architecture: string): Promise<ResolvedImage>;
  /** Downloads layer blobs and checks their digests; reports bytes as they arrive. */
  fetchLayers(
    ref: ImageReference,
    layers: { digest: string; size: number }[],
    onBytes?: (done: number, total: number) => void,
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Additions by the emulator (state.ts owns the functions; the shapes live here so both sides
// share them).

/** The device's /run/reboot-required stand-in, written into LAB_VAR_DIR (bootc ≥ 1.9.0). */
export const REBOOT_REQUIRED_FILE = 'reboot-required';
/** The lock file state.ts's withStateLock creates next to state.json. */
export const STATE_LOCK_FILE = 'state.json.lock';

/** `bootc usr-overlay` state of the booted deployment (ostree unlock state). */
export interface UsrOverlayState {
  accessMode: 'readOnly' | 'readWrite';
  persistence: 'transient' | 'persistent';
}

/** One ostree deployment as the emulator keeps it. */
export interface DeploymentState {
  /** The image reference in the deployment's origin; null for a plain ostree (non-container) deployment. */
  image: ImageReference | null;
  /** What the image source said when the image was pulled; null when image is null. */
  resolved: ResolvedImage | null;
  /** 64-hex ostree commit: the image's merge commit, the same for every deployment of one image. */
  checksum: string;
  /** 0 unless the same commit is deployed more than once. */
  deploySerial: number;
  stateroot: string;
  pinned: boolean;
  /** Staged with `upgrade --download-only`: finalization locked, discarded at reboot. */
  downloadOnly: boolean;
  softRebootCapable: boolean;
  /** Newer manifest seen by a fetch for this image's reference (stored on the image commit). */
  cachedUpdate: ResolvedImage | null;
  /** Kernel arguments (install --karg, inherited by later deployments). */
  kargs: string[];
  /** The origin has rpm-ostree-only changes: image is shown as null and upgrade refuses. */
  incompatible: boolean;
}

/** The whole persistent state of one emulated device (state.json). */
export interface DeviceState {
  version: 1;
  booted: DeploymentState | null;
  staged: DeploymentState | null;
  rollback: DeploymentState | null;
  otherDeployments: DeploymentState[];
  /** `bootc rollback` was run: the rollback entry boots next (spec.bootOrder "rollback"). */
  rollbackQueued: boolean;
  usrOverlay: UsrOverlayState | null;
  /** Digests of the image layers already in the device's local storage. */
  layers: string[];
  /** Per image reference (refKey()), the image last imported for it: what ostree-ext calls "already present". */
  imported: Record<string, ResolvedImage>;
  /** New staged/rollback deployments are soft-reboot capable (same kernel and SELinux policy). */
  softRebootSupported: boolean;
  /** /sysroot on a read-only medium (status.readOnly, bootc ≥ 1.16.7). */
  readOnly: boolean;
}

/** Set by the lab's podman shim for `podman run IMAGE bootc …`: a JSON ContainerContext (env.ts). */
export const CONTAINER_ENV = 'BOOTFLEET_LAB_CONTAINER';
