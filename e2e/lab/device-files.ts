import { chmod, chown, copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { DEVICE_FILE, FAULTS_FILE, LAB_VAR_DIR, REBOOT_REQUEST_FILE, type DeviceConfig, type Faults } from './emulator/types';
import { run } from './procs';

/** The uid/gid of the device's login user (never a uid of this machine's own users). */
export const DEVICE_UID = 4242;

/** Everything the lab decided about one device before writing its files. */
export interface DevicePlan {
  name: string;
  dir: string;
  address: string;
  port: number;
  user: string;
  rootLogin: boolean;
  password: string | null;
  /** Whether the device has the podman shim. */
  podman: boolean;
  config: DeviceConfig;
}

/** Shared programs every device's shims call. */
export interface Runtime {
  /** Where the shared shims live (symlinked from each device's bin by absolute path, since the
   *  device sees its bin at /usr/local/sbin). */
  dir: string;
  node: string;
  /** The bundled emulator. */
  bootcJs: string;
  /** The public key every device accepts. */
  clientPub: string;
}

export const etc = (dev: DevicePlan, file: string) => join(dev.dir, 'etc', file);
export const labVar = (dev: DevicePlan, file = '') => join(dev.dir, 'var', LAB_VAR_DIR.replace(/^\/var\//, ''), file);
export const deviceBin = (dev: DevicePlan, file = '') => join(dev.dir, 'bin', file);

/** A line of /etc/shadow for a password, hashed with SHA-512 crypt by openssl (what sshd's crypt() reads). */
async function shadowHash(password: string | null): Promise<string> {
  if (password === null) return '*';
  return (await run('openssl', ['passwd', '-6', '-stdin'], { input: password })).trim();
}

function sudoersText(dev: DevicePlan, askPassword: boolean): string {
  return [
    '# The emulated device\'s own sudoers (bound over /etc/sudoers in its mount namespace).',
    'Defaults env_reset',
    'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
    'Defaults !lecture',
    'root ALL=(ALL:ALL) ALL',
    `${dev.user} ALL=(ALL:ALL) ${askPassword ? '' : 'NOPASSWD: '}ALL`,
    '',
  ].join('\n');
}

/** Rewrites the device's sudoers in place (it is bind-mounted, so the inode must stay). */
export async function writeSudoers(dev: DevicePlan, askPassword: boolean): Promise<void> {
  await writeFile(etc(dev, 'sudoers'), sudoersText(dev, askPassword));
  await chmod(etc(dev, 'sudoers'), 0o440);
}

/** Grants (or, for the authRefused fault, withdraws) the lab key for the login user and root. */
export async function writeAuthorizedKeys(dev: DevicePlan, clientPub: string, refused: boolean): Promise<void> {
  const dir = etc(dev, 'authorized_keys');
  await mkdir(dir, { recursive: true });
  const text = refused ? '' : clientPub;
  await writeFile(join(dir, dev.user), text);
  if (dev.user !== 'root') await writeFile(join(dir, 'root'), dev.rootLogin ? text : '');
}

/** Puts `bootc` on the device, or takes it away (the bootcMissing fault). */
export async function setBootcPresent(dev: DevicePlan, runtimeDir: string, present: boolean): Promise<void> {
  await rm(deviceBin(dev, 'bootc'), { force: true });
  if (present) await symlink(join(runtimeDir, 'bootc'), deviceBin(dev, 'bootc'));
}

/** The faults the emulator reads on the device. */
export async function writeFaults(dev: DevicePlan, faults: Faults): Promise<void> {
  const tmp = labVar(dev, `${FAULTS_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(faults));
  await rename(tmp, labVar(dev, FAULTS_FILE));
}

function sshdConfig(dev: DevicePlan): string {
  return [
    `# sshd of emulated device ${dev.name}`,
    `ListenAddress ${dev.address}:${dev.port}`,
    `HostKey ${etc(dev, 'ssh_host_ed25519_key')}`,
    'PidFile none',
    'UsePAM no',
    // The lab lives under /tmp (mode 1777), which StrictModes would refuse.
    'StrictModes no',
    `PasswordAuthentication ${dev.password === null ? 'no' : 'yes'}`,
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    `AuthorizedKeysFile ${etc(dev, 'authorized_keys')}/%u`,
    // Live media lets root in with a password; a deployed device only with a key.
    `PermitRootLogin ${dev.rootLogin ? (dev.password === null ? 'prohibit-password' : 'yes') : 'no'}`,
    'Subsystem sftp internal-sftp',
    'SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'AcceptEnv LANG LC_*',
    'PrintMotd no',
    'MaxStartups 200:30:400',
    'MaxSessions 64',
    'LogLevel INFO',
    '',
  ].join('\n');
}

/** The script that runs as PID 1 of the device's PID + mount namespace, then becomes its sshd. */
function bootScript(dev: DevicePlan): string {
  const files = ['passwd', 'group', 'shadow', 'sudoers'];
  return [
    'set -e',
    // -n: mount(8) records nothing in /run/mount, which is still the host's until /run is replaced.
    'mount -n -t tmpfs -o size=16m,mode=755 tmpfs /run',
    'mkdir -p /run/sshd /run/lock',
    'mount -n -t proc proc /proc',
    // A boot id of its own per boot (as the kernel gives each real boot), so reboots can be told apart.
    'cat /proc/sys/kernel/random/uuid > /run/.lab-boot-id',
    'mount -n --bind /run/.lab-boot-id /proc/sys/kernel/random/boot_id',
    `mount -n --bind ${join(dev.dir, 'var')} /var`,
    ...files.map((f) => `mount -n --bind ${etc(dev, f)} /etc/${f}`),
    `mount -n --bind ${deviceBin(dev)} /usr/local/sbin`,
    `exec /usr/sbin/sshd -D -f ${etc(dev, 'sshd_config')} -E ${join(dev.dir, 'sshd.log')}`,
    '',
  ].join('\n');
}

const SHIM_REQUEST = (by: string) =>
  `printf '{"by":"${by}"}' > ${LAB_VAR_DIR}/${REBOOT_REQUEST_FILE}.tmp && mv ${LAB_VAR_DIR}/${REBOOT_REQUEST_FILE}.tmp ${LAB_VAR_DIR}/${REBOOT_REQUEST_FILE}`;

/**
 * The lab's model of a device's /etc as ostree sees it: `usr-etc/` holds the image's defaults
 * (ostree's /usr/etc), `etc/` the device's own /etc (only these files; the namespace's real /etc
 * is the host's). A first boot changes what every machine changes (users, machine-id, hostname).
 */
export const ETC_DEFAULTS: Record<string, string> = {
  'chrony.conf': 'pool 2.fedora.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\nmakestep 1.0 3\nrtcsync\n',
  motd: '',
  passwd: 'root:x:0:0:root:/root:/bin/bash\n',
  'containers/policy.json': '{ "default": [{ "type": "insecureAcceptAnything" }] }\n',
  'sudoers.d/wheel': '%wheel ALL=(ALL) ALL\n',
  'ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\n',
};

async function writeEtcModel(dev: DevicePlan): Promise<void> {
  const firstBoot: Record<string, string> = {
    ...ETC_DEFAULTS,
    passwd: `${ETC_DEFAULTS.passwd}${dev.user}:x:${DEVICE_UID}:${DEVICE_UID}::/var/home/${dev.user}:/bin/bash\n`,
    'machine-id': `${createHash('md5').update(dev.name).digest('hex')}\n`,
    hostname: `${dev.name}\n`,
  };
  for (const [dir, files] of [['usr-etc', ETC_DEFAULTS], ['etc', firstBoot]] as const) {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(labVar(dev, join(dir, file))), { recursive: true });
      await writeFile(labVar(dev, join(dir, file)), text);
    }
  }
}

/**
 * `ostree admin config-diff` on an emulated device: the lab's /etc model against the image's
 * defaults, printed as ostree prints it (modified, then removed, then added; `X    path`).
 */
function ostreeShim(): string {
  const each = (dir: string, body: string) => `(cd "$base/${dir}" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do f=\${f#./}; ${body}; done)`;
  return ['#!/bin/sh', '# ostree on an emulated device: only `ostree admin config-diff`, over the lab\'s /etc model.',
    'if [ "$1" != admin ] || [ "$2" != config-diff ]; then echo "error: Unknown command \'$*\' (only \'ostree admin config-diff\' is emulated)" >&2; exit 1; fi',
    'if [ "$(id -u)" != 0 ]; then echo "error: You must be root to perform this command" >&2; exit 1; fi',
    `base=${LAB_VAR_DIR}`,
    each('usr-etc', 'if [ -f "$f" ] && [ -e "$base/etc/$f" ] && ! cmp -s "$f" "$base/etc/$f"; then printf \'M    %s\\n\' "$f"; fi'),
    each('usr-etc', '[ -e "$base/etc/$f" ] || printf \'D    %s\\n\' "$f"'),
    each('etc', '[ -e "$base/usr-etc/$f" ] || printf \'A    %s\\n\' "$f"'),
    'exit 0', ''].join('\n');
}

/** reboot(8) and systemctl(1) on an emulated device: they ask the lab to reboot the device. */
export function shimScripts(): Record<string, string> {
  const notRoot = (what: string) =>
    `if [ "$(id -u)" != 0 ]; then echo "Call to ${what} failed: Interactive authentication required." >&2; exit 1; fi`;
  return {
    ostree: ostreeShim(),
    lsblk: ['#!/bin/sh', '# lsblk on an emulated device: only the disks the lab gave this device.',
      'for a in "$@"; do case "$a" in /dev/*) exec /usr/bin/lsblk "$@" ;; esac; done',
      `disks=$(tr -d '[]"' < ${LAB_VAR_DIR}/disks.json 2>/dev/null | tr ',' ' ')`,
      'if [ -n "$disks" ]; then exec /usr/bin/lsblk "$@" $disks; fi',
      'for a in "$@"; do case "$a" in -J|--json|-*J*) echo \'{\n   "blockdevices": [\n   ]\n}\'; exit 0 ;; esac; done',
      'exit 0', ''].join('\n'),
    reboot: ['#!/bin/sh', '# reboot on an emulated device: the lab takes the device offline and boots it again.',
      notRoot('Reboot'), SHIM_REQUEST('reboot'), 'exit 0', ''].join('\n'),
    systemctl: ['#!/bin/sh', '# systemctl on an emulated device: reboot and soft-reboot go to the lab; the rest is not emulated.',
      'case "$1" in',
      `  reboot) ${notRoot('Reboot')}; ${SHIM_REQUEST('systemctl reboot')}; exit 0 ;;`,
      `  soft-reboot) ${notRoot('SoftReboot')}; ${SHIM_REQUEST('systemctl soft-reboot')}; exit 0 ;;`,
      '  is-system-running) echo running; exit 0 ;;',
      'esac',
      'echo "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2',
      'echo "Failed to connect to bus: Host is down" >&2',
      'exit 1', ''].join('\n'),
  };
}

/** Writes one device's directory: users, sudoers, sshd config, host key, /var, shims. */
export async function writeDeviceFiles(dev: DevicePlan, runtime: Runtime, faults: Faults): Promise<void> {
  for (const sub of ['etc', 'bin', 'var/tmp', 'var/log', 'var/cache', 'var/roothome', `var/home/${dev.user}`, 'var/lib/containers']) {
    await mkdir(join(dev.dir, sub), { recursive: true });
  }
  await mkdir(labVar(dev), { recursive: true });
  await writeEtcModel(dev);
  await chmod(join(dev.dir, 'var/tmp'), 0o1777);
  await symlink('../run', join(dev.dir, 'var/run'));
  await symlink('../run/lock', join(dev.dir, 'var/lock'));
  if (dev.user !== 'root') await chown(join(dev.dir, 'var/home', dev.user), DEVICE_UID, DEVICE_UID);

  const hash = await shadowHash(dev.password);
  const userLines = dev.user === 'root' ? [] : [{ name: dev.user, uid: DEVICE_UID, home: `/var/home/${dev.user}` }];
  await writeFile(etc(dev, 'passwd'), [
    `root:x:0:0:root:/var/roothome:/bin/sh`,
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'sshd:x:101:65534::/run/sshd:/usr/sbin/nologin',
    ...userLines.map((u) => `${u.name}:x:${u.uid}:${u.uid}:${u.name}:${u.home}:/bin/sh`),
    '',
  ].join('\n'));
  await writeFile(etc(dev, 'group'), ['root:x:0:', 'nogroup:x:65534:', ...userLines.map((u) => `${u.name}:x:${u.uid}:`), 'wheel:x:10:' + (dev.user === 'root' ? '' : dev.user), ''].join('\n'));
  const rootHash = dev.user === 'root' ? hash : '*';
  await writeFile(etc(dev, 'shadow'), [
    `root:${rootHash}:20000:0:99999:7:::`,
    'nobody:*:20000:0:99999:7:::',
    'sshd:*:20000:0:99999:7:::',
    ...userLines.map((u) => `${u.name}:${hash}:20000:0:99999:7:::`),
    '',
  ].join('\n'));
  await chmod(etc(dev, 'shadow'), 0o640);
  await writeSudoers(dev, faults.sudoPassword === true);
  await writeAuthorizedKeys(dev, runtime.clientPub, faults.authRefused === true);
  await writeFile(etc(dev, 'sshd_config'), sshdConfig(dev));
  await writeFile(join(dev.dir, 'boot.sh'), bootScript(dev));

  for (const name of Object.keys(shimScripts())) await symlink(join(runtime.dir, name), deviceBin(dev, name));
  await setBootcPresent(dev, runtime.dir, faults.bootcMissing !== true);
  if (dev.podman) await symlink(join(runtime.dir, 'podman'), deviceBin(dev, 'podman'));
  await writeFile(labVar(dev, DEVICE_FILE), JSON.stringify(dev.config, null, 2));
  await writeFaults(dev, faults);
}

/**
 * What the first boot of an installed system changes: sshd presents the host key that system
 * generated (a key of its own, not the live system's), root logs in only with the keys the install
 * authorized (`--root-ssh-authorized-keys`), and no account has a password. Later boots keep it.
 */
export async function becomeInstalledSystem(dev: DevicePlan, rootAuthorizedKeys: string | null): Promise<void> {
  const key = etc(dev, 'host-key-installed');
  await rm(key, { force: true });
  await rm(`${key}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${dev.name} installed system host key`, '-f', key]);
  await copyFile(key, etc(dev, 'ssh_host_ed25519_key'));
  await chmod(etc(dev, 'ssh_host_ed25519_key'), 0o600);
  await copyFile(`${key}.pub`, etc(dev, 'ssh_host_ed25519_key.pub'));
  const dir = etc(dev, 'authorized_keys');
  await writeFile(join(dir, 'root'), rootAuthorizedKeys ?? '');
  if (dev.user !== 'root') await writeFile(join(dir, dev.user), '');
  await writeFile(etc(dev, 'shadow'), ['root:*:20000:0:99999:7:::', 'nobody:*:20000:0:99999:7:::', 'sshd:*:20000:0:99999:7:::', ''].join('\n'));
  await writeFile(etc(dev, 'sshd_config'), sshdConfig({ ...dev, rootLogin: true, password: null }));
}

/** Host key files: the device's own, and the one it switches to under the hostKeyChanged fault. */
export async function useHostKey(dev: DevicePlan, changed: boolean): Promise<void> {
  const source = etc(dev, changed ? 'host-key-changed' : 'host-key-original');
  await copyFile(source, etc(dev, 'ssh_host_ed25519_key'));
  await chmod(etc(dev, 'ssh_host_ed25519_key'), 0o600);
  await copyFile(`${source}.pub`, etc(dev, 'ssh_host_ed25519_key.pub'));
}
