import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runBootc } from '../emulator/bootc';
import type { EmulatorEnv, ImageInstallConfig } from '../emulator/env';
import { readDeviceConfig } from '../emulator/state';
import {
  CONTAINER_ENV, LAB_VAR_DIR, LAB_VAR_ENV, REBOOT_REQUEST_FILE, REBOOT_REQUIRED_FILE,
  type ImageSource, type ResolvedImage,
} from '../emulator/types';
import { resolveFromStore, storeFor, type ImageStore } from '../oci/image-reader';
import { tarFiles } from '../oci/tar';
import { diskOps } from './disk-ops';

/**
 * The `bootc` program on an emulated device (bundled into one .mjs by the lab). It builds the
 * emulator's environment from the real process: the device's own /var (its mount namespace), the
 * lab registry over HTTP, the device's loop disks, and reboots that go through the lab.
 */

const varDir = process.env[LAB_VAR_ENV] ?? LAB_VAR_DIR;

/** bootc writes /run/reboot-required; the emulator keeps it in its var dir, so mirror it into /run. */
async function mirrorRebootRequired(): Promise<void> {
  await copyFile(join(varDir, REBOOT_REQUIRED_FILE), '/run/reboot-required').catch(() => undefined);
}

/** Walks up from this process to the sshd that serves this connection (the child of PID 1). */
async function sessionAncestors(): Promise<number[]> {
  const chain: number[] = [];
  let pid = process.pid;
  for (let i = 0; i < 32 && pid > 1; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!ppid) break;
    chain.push(pid);
    pid = ppid;
  }
  return chain;
}

/** Reads `[install.filesystem.root] type` from the image's /usr/lib/bootc/install/*.toml (later layers win). */
async function installConfig(image: ResolvedImage, store: ImageStore): Promise<ImageInstallConfig | null> {
  let found: ImageInstallConfig | null = null;
  for (const layer of image.layers) {
    for (const [name, bytes] of tarFiles(gunzipSync(await store.blob(layer.digest)))) {
      if (!/^usr\/lib\/bootc\/install\/[^/]+\.toml$/.test(name)) continue;
      const section = /\[install\.filesystem\.root\]([^[]*)/.exec(bytes.toString('utf8'))?.[1] ?? '';
      const type = /^\s*type\s*=\s*"(xfs|ext4|btrfs)"/m.exec(section)?.[1];
      if (type) found = { rootFsType: type as 'xfs' | 'ext4' | 'btrfs' };
    }
  }
  return found;
}

async function main(): Promise<number> {
  const config = await readDeviceConfig(varDir);
  const clientOpts = { insecure: (registry: string) => config.insecureRegistries.includes(registry) };
  const images: ImageSource = {
    resolve: (ref, architecture) => resolveFromStore(storeFor(ref, clientOpts), architecture),
    async fetchLayers(ref, layers, onBytes) {
      const store = storeFor(ref, clientOpts);
      const total = layers.reduce((n, l) => n + l.size, 0);
      let done = 0;
      for (const layer of layers) {
        await store.blob(layer.digest);
        done += layer.size;
        onBytes?.(done, total);
      }
    },
  };
  const env: EmulatorEnv = {
    uid: process.getuid?.() ?? 0,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    out: (s) => { process.stdout.write(s); },
    err: (s) => { process.stderr.write(s); },
    now: () => new Date(),
    varDir,
    images,
    async requestReboot({ soft }) {
      await mirrorRebootRequired();
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      const tmp = join(varDir, `${REBOOT_REQUEST_FILE}.tmp`);
      await writeFile(tmp, JSON.stringify({ by: soft ? 'bootc (soft-reboot)' : 'bootc' }));
      await rename(tmp, join(varDir, REBOOT_REQUEST_FILE));
      // Like bootc after `systemctl reboot`: park until the reboot kills us.
      return new Promise<never>(() => { setInterval(() => undefined, 1 << 30); });
    },
    async dropConnection() {
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      // Kill every process between us and the device's sshd (PID 1): sudo, the shell, and both
      // sshd processes of this connection, which all hold its socket. The client sees the
      // connection close with no exit status.
      for (const pid of (await sessionAncestors()).filter((p) => p !== process.pid).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // not ours to kill (a root-owned monitor when we are not root)
        }
      }
      process.exit(255);
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    disks: diskOps(varDir),
    readFile: (path) => readFile(path, 'utf8'),
    installConfig: (ref, image) => installConfig(image, storeFor(ref, clientOpts)),
    // Set by the device's podman shim for `podman run IMAGE bootc ...`.
    container: process.env[CONTAINER_ENV] ? (JSON.parse(process.env[CONTAINER_ENV]) as EmulatorEnv['container']) : null,
  };
  const code = await runBootc(process.argv.slice(2), env);
  await mirrorRebootRequired();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    await rm(join(varDir, 'state.json.tmp'), { force: true }).catch(() => undefined);
    process.exitCode = 1;
  },
);
