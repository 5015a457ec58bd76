/**
 * bootc release numbers and what each release does differently, as far as a fleet manager can
 * see it. Every switch below was checked against the bootc sources (containers/bootc and
 * bootc-dev/bootc, by release tag) and reference/bootc-cli.md / bootc-status-schema.md; the
 * comment on each field names the first release that has the behaviour.
 */

/** A parsed release number, e.g. [1, 1, 6]. */
export type BootcVersion = readonly [number, number, number];

/** Releases of bootc (tags v0.1.x and v1.x; the v0.2.x tags in that repository are ostree-rs-ext). */
export const KNOWN_BOOTC_VERSIONS: readonly string[] = [
  '0.1.13', '0.1.14', '0.1.15', '0.1.16',
  '1.1.0', '1.1.2', '1.1.3', '1.1.4', '1.1.5', '1.1.6', '1.1.7', '1.1.8',
  '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.5.1', '1.6.0', '1.7.0', '1.7.1', '1.8.0', '1.9.0',
  '1.10.0', '1.11.0', '1.12.0', '1.12.1', '1.13.0', '1.14.0', '1.14.1', '1.15.0', '1.15.1',
  '1.15.2', '1.16.0', '1.16.1', '1.16.2', '1.16.3', '1.16.4', '1.16.5', '1.16.6', '1.16.7',
  '1.16.8', '1.16.9',
];

/**
 * Parses "1.16.9" (also "v1.16.9", "1.1.3-rc.0", "1.2"): the lab writes whatever the test asked
 * for into device.json, so be lenient and let a bad string fail loudly here rather than later.
 */
export function parseVersion(text: string): BootcVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  if (!m) throw new Error(`Not a bootc version: ${JSON.stringify(text)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Orders two versions (negative when a < b), for "since vX" checks and sorting. */
export function compareVersions(a: string | BootcVersion, b: string | BootcVersion): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when `version` is `min` or newer. */
export function atLeast(version: string | BootcVersion, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

/**
 * The known release whose behaviour an arbitrary version gets: the version itself when known,
 * else the nearest lower known release (and the oldest known one below that), so that e.g.
 * "1.16.12" behaves like 1.16.9 and "1.1.1" like 1.1.0.
 */
export function effectiveVersion(text: string): string {
  const v = parseVersion(text);
  let best: string | undefined;
  for (const k of KNOWN_BOOTC_VERSIONS) if (compareVersions(k, v) <= 0) best = k;
  return best ?? KNOWN_BOOTC_VERSIONS[0] ?? '0.1.13';
}

/** How `bootc status` renders humanreadable output. */
export type HumanStyle = 'none' | 'old' | 'current';

/** Everything version-dependent the emulator needs, computed once per invocation. */
export interface BootcFeatures {
  /** The version as configured (printed by --version). */
  version: string;
  /** The known release used for behaviour. */
  behaviour: string;
  /** org.containers.bootc/v1alpha1 before 0.1.15. */
  apiVersion: string;
  /** `status --format` (0.1.13). */
  statusFormat: boolean;
  /** `humanreadable` is a --format value (1.1.0). */
  formatHumanReadable: boolean;
  /** `status --format-version` (0.1.14); value 1 accepted from 0.1.15. */
  formatVersionFlag: boolean;
  formatVersionOne: boolean;
  /** none (<1.1.0: YAML even on a TTY), old (1.1.0–1.1.2), current (1.1.3+). */
  humanStyle: HumanStyle;
  /** Human timestamps as chrono Display "2023-10-14 19:22:15 UTC" (1.1.3–1.1.6). */
  humanChronoTimestamps: boolean;
  /** "Digest: … (arch)" in human output, ImageStatus.architecture, --booted effective, rollback --apply (1.1.7). */
  architecture: boolean;
  statusBootedEffective: boolean;
  rollbackApply: boolean;
  /** BootEntryOstree.stateroot, status.otherDeployments, human "Pinned: yes" (1.3.0). */
  stateroot: boolean;
  otherDeployments: boolean;
  humanPinned: boolean;
  /** Canonical (sorted) JSON and `status -v` (1.5.0). */
  sortedJson: boolean;
  statusVerbose: boolean;
  /** BootEntry.store exists (0.1.14); always "ostreeContainer" for ostree entries from 1.7.0. */
  storeField: boolean;
  storeAlways: boolean;
  /** softRebootCapable and --soft-reboot (1.7.0; the flag is hidden in --help until 1.8.0). */
  softReboot: boolean;
  softRebootHidden: boolean;
  /** BootEntry.composefs (1.9.0). */
  composefsField: boolean;
  /** /run/reboot-required after staging and rollback (1.9.0). */
  rebootRequired: boolean;
  /**
   * Storage initialisation from 1.11.0: no "Acquiring sysroot" context, the root check before
   * the "booted via bootc" check, `Switching (ostree)` / `Rollback (ostree)` contexts, status
   * calling prepare_for_write directly, usr-overlay refusing non-booted hosts itself.
   */
  newStorage: boolean;
  /** downloadOnly, --download-only, --from-downloaded; "Staged update present, not changed" without a period (1.12.0). */
  downloadOnly: boolean;
  /** status.usrOverlay, human "/usr overlay:" row; install checks the root filesystem before partitioning (1.14.0). */
  usrOverlayField: boolean;
  installEarlyFsCheck: boolean;
  /** upgrade --tag, human UpdateVersion/UpdateDigest, usr-overlay --read-only (1.15.0). */
  upgradeTag: boolean;
  humanUpdateLines: boolean;
  usrOverlayReadOnly: boolean;
  /** status.readOnly (1.16.7). */
  readOnlyField: boolean;
  /** `switch` with an unchanged spec still reboots with --apply when something is staged (1.16.3). */
  switchUnchangedApplies: boolean;
  /** switch --apply (0.1.16); switch --ostree-remote (until 1.1.4); --progress-fd (1.1.4). */
  switchApply: boolean;
  switchOstreeRemote: boolean;
  progressFd: boolean;
  /**
   * "Fetched layers: … in … (…/s)" after a pull: println! to stdout (unless --quiet) before
   * 1.1.2; from 1.1.2 through indicatif's MultiProgress, i.e. to stderr and only on a terminal.
   */
  fetchedLayersStdout: boolean;
  /** Root-check message: "This command requires root privileges" before 1.1.3. */
  rootMessage: string;
  /** install to-disk flags. */
  install: {
    stateroot: boolean; // 0.1.16
    boundImages: boolean; // 1.1.3
    runFetchCheck: boolean; // 1.1.7 (fetch check off by default from then)
    karg: boolean; // always
    bootloader: boolean; // 1.10.0 (also --composefs-backend, --uki-addon)
    bootupdSkipBootUuid: boolean; // 1.13.0
    allowMissingVerity: boolean; // 1.14.0
    kargDelete: boolean; // 1.15.1
    partitionsLine: boolean; // 1.15.2 " Partitions: UUID"
    bootloaderLine: boolean; // 1.10.0 "Bootloader: grub"
    bootupdLine: boolean; // 1.6.0 "Installing bootloader via bootupd" (before: "Running bootupctl …")
    experimentalUnifiedStorage: boolean; // 1.12.0, hidden
    ext4Verity: boolean; // 1.1.7: mkfs.ext4 ... -O verity
    grubCc: boolean; // 1.16.3: --bootloader grub-cc
    containerRootMessages: boolean; // 1.1.3: the "inside the container" / --privileged texts
  };
}

/** Computes the feature table for a device's configured bootc version. */
export function featuresFor(version: string): BootcFeatures {
  const b = effectiveVersion(version);
  const at = (min: string): boolean => atLeast(b, min);
  return {
    version,
    behaviour: b,
    apiVersion: at('0.1.15') ? 'org.containers.bootc/v1' : 'org.containers.bootc/v1alpha1',
    statusFormat: at('0.1.13'),
    formatHumanReadable: at('1.1.0'),
    formatVersionFlag: at('0.1.14'),
    formatVersionOne: at('0.1.15'),
    humanStyle: at('1.1.3') ? 'current' : at('1.1.0') ? 'old' : 'none',
    humanChronoTimestamps: at('1.1.3') && !at('1.1.7'),
    architecture: at('1.1.7'),
    statusBootedEffective: at('1.1.7'),
    rollbackApply: at('1.1.7'),
    stateroot: at('1.3.0'),
    otherDeployments: at('1.3.0'),
    humanPinned: at('1.3.0'),
    sortedJson: at('1.5.0'),
    statusVerbose: at('1.5.0'),
    storeField: at('0.1.14'),
    storeAlways: at('1.7.0'),
    softReboot: at('1.7.0'),
    softRebootHidden: !at('1.8.0'),
    composefsField: at('1.9.0'),
    rebootRequired: at('1.9.0'),
    newStorage: at('1.11.0'),
    downloadOnly: at('1.12.0'),
    usrOverlayField: at('1.14.0'),
    installEarlyFsCheck: at('1.14.0'),
    upgradeTag: at('1.15.0'),
    humanUpdateLines: at('1.15.0'),
    usrOverlayReadOnly: at('1.15.0'),
    readOnlyField: at('1.16.7'),
    switchUnchangedApplies: at('1.16.3'),
    switchApply: at('0.1.16'),
    switchOstreeRemote: !at('1.1.5'),
    progressFd: at('1.1.4'),
    fetchedLayersStdout: !at('1.1.2'),
    rootMessage: at('1.1.3') ? 'This command must be executed as the root user' : 'This command requires root privileges',
    install: {
      stateroot: at('0.1.16'),
      boundImages: at('1.1.3'),
      runFetchCheck: at('1.1.7'),
      karg: true,
      bootloader: at('1.10.0'),
      bootupdSkipBootUuid: at('1.13.0'),
      allowMissingVerity: at('1.14.0'),
      kargDelete: at('1.15.1'),
      partitionsLine: at('1.15.2'),
      bootloaderLine: at('1.10.0'),
      bootupdLine: at('1.6.0'),
      experimentalUnifiedStorage: at('1.12.0'),
      ext4Verity: at('1.1.7'),
      grubCc: at('1.16.3'),
      containerRootMessages: at('1.1.3'),
    },
  };
}
