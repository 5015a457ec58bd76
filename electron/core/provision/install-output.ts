/**
 * Reading what `bootc install to-disk` (and podman before it) prints: where the install stands,
 * and, when it fails, what the technician should do next.
 */

/** Lines that start a stage, the words shown for it, and whether the disk is being written from then on. */
const STAGES: [RegExp, string, boolean][] = [
  [/^(Trying to pull|Getting image source signatures|Copying blob|Copying config|Writing manifest)/, 'Pulling the image', false],
  [/^Installing image:/, 'Checking the image', false],
  [/^Wiping/, 'Wiping the disk', true],
  [/^Block setup:/, 'Partitioning the disk', true],
  [/^Creating root filesystem/, 'Creating the root filesystem', true],
  [/^Creating ESP filesystem/, 'Creating the EFI system partition', true],
  [/^Initializing ostree layout/, 'Deploying the image', true],
  [/^(Installing bootloader|Running bootupctl)/, 'Installing the bootloader', true],
  [/^(Trimming|Finalizing filesystem|Unmounting filesystems)/, 'Finishing the filesystems', true],
  [/^Installation complete!/, 'Installation complete', true],
];

/**
 * Returns a line reader that calls `onStage(words, writing)` when a new stage starts. Once a
 * stage that writes the disk has begun, `writing` stays true (a cancel then waits for the end).
 */
export function installProgress(onStage: (detail: string, writing: boolean) => void): (line: string) => void {
  let current = '';
  let writing = false;
  return (raw: string) => {
    const line = raw.trim();
    for (const [re, words, writes] of STAGES) {
      if (!re.test(line)) continue;
      writing ||= writes;
      if (words !== current) {
        current = words;
        onStage(words, writing);
      }
      return;
    }
  };
}

/** What to do about a failure, from the box's own error text (null when nothing specific fits). */
export function nextStep(text: string): string | null {
  const rules: [RegExp, string][] = [
    [/Detected existing partitions|has partitions/i, 'The disk has partitions: choose wipe (and type the disk\'s name to confirm), or choose an empty disk.'],
    [/is mounted/i, 'The disk is mounted by the live system: unmount it there, or choose another disk.'],
    [/rootless podman|must be executed with full privileges|requires full root privileges|must be root|Querying root privilege/i, 'podman needs root: log in as root, or as a user with passwordless sudo.'],
    [/--pid=host/i, 'The install must run with podman --pid=host (Bootfleet adds it: check the podman wrapper on the live system).'],
    [/no space left|insufficient space|not enough space/i, 'There is not enough space: choose a larger disk or a smaller root size, and check free space for the image in /var/lib/containers on the live system (live media keep it in RAM).'],
    [/No root filesystem specified/i, 'The image sets no root filesystem type: choose one (xfs, ext4 or btrfs).'],
    [/manifest unknown|not found|name unknown|unauthorized|authentication required|denied/i, 'The box could not pull the image: check the reference, and that the box reaches the registry with the credentials it needs.'],
    [/x509|certificate|https? response to https|server gave HTTP response/i, 'The box refused the registry\'s TLS: add the registry to the live system\'s registries.conf as insecure, or use a registry with a trusted certificate.'],
    [/connection refused|no route to host|network is unreachable|i\/o timeout|dial tcp|lookup .* no such host/i, 'The box cannot reach the registry: check its network and DNS (the install pulls the image from the box itself).'],
    [/refused the stored password|refused the key|refused the keys/i, 'The box refused the login: check the user and password (live media often set them on the boot screen).'],
    [/sudo: a password is required|SUDO_PASSWORD/i, 'sudo on the box asks for a password: log in as root instead.'],
    [/host key .* changed/i, 'The box presents another host key than the one pinned for its address: if it was rebooted into live media, accept the new key after checking it.'],
  ];
  for (const [re, next] of rules) if (re.test(text)) return next;
  return null;
}
