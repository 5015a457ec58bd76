import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskInfo, DiskOps, InstallPlan } from '../emulator/env';
import type { ImageReference, ResolvedImage } from '../emulator/types';

/**
 * Real disk work for `bootc install to-disk` on an emulated device. It runs as root inside the
 * device's private mount namespace, on loop devices the lab attached for that device only, so
 * mounting and formatting never touch the host's own disks or mounts.
 */

/** The file (in the device's lab dir) naming the device's disks, written by the lab. */
export const DISKS_FILE = 'disks.json';
/** Written by an install; the lab boots the device into it at the next reboot. */
export const INSTALLED_FILE = 'installed.json';

/** What the lab reads after an install to boot the device on the new system. */
export interface InstalledRecord {
  disk: string;
  filesystem: string;
  ref: ImageReference;
  image: ResolvedImage;
  kargs: string[];
  stateroot: string;
  rootAuthorizedKeys: string | null;
  installedAt: string;
}

interface RunResult { code: number; out: string; err: string }

function exec(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
    child.stdin.on('error', () => undefined); // a tool that does not read stdin may exit first
    child.stdin.end(input ?? '');
  });
}

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await exec(cmd, args, input);
  // The tool's first line says what went wrong (mkfs.xfs follows it with its whole usage text).
  if (r.code !== 0) throw new Error(`${cmd}: ${(r.err || r.out).trim().split('\n')[0]}`);
  return r.out;
}

/** Sizes in bytes of the GPT layout the emulator writes (a scaled-down bootc layout). */
const MiB = 1024 * 1024;
const LAYOUT = { bios: 1 * MiB, esp: 16 * MiB, boot: 32 * MiB, first: 1 * MiB };

export function diskOps(varDir: string): DiskOps {
  const listPaths = async (): Promise<string[]> =>
    JSON.parse(await readFile(join(varDir, DISKS_FILE), 'utf8').catch(() => '[]')) as string[];

  return {
    /** The device's disks, as lsblk and sfdisk see them. */
    async list(): Promise<DiskInfo[]> {
      const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
      const disks: DiskInfo[] = [];
      for (const path of await listPaths()) {
        const size = Number((await must('blockdev', ['--getsize64', path])).trim());
        const table = await exec('sfdisk', ['--json', path]);
        const hasPartitions = table.code === 0 && /"partitions"\s*:\s*\[\s*\{/.test(table.out);
        const count = hasPartitions ? (table.out.match(/"node"/g) ?? []).length : 0;
        disks.push({
          path,
          size,
          hasPartitions,
          partitions: Array.from({ length: count }, (_, i) => `${path}p${i + 1}`),
          mounted: mounts.split('\n').some((l) => l.startsWith(`${path} `) || l.startsWith(`${path}p`)),
          kind: 'block',
          serial: null,
          model: null,
        });
      }
      return disks;
    },

    /**
     * Wipes (when asked), writes a GPT (BIOS boot, EFI system, boot, root), makes the filesystems,
     * writes an ostree-like deployment and the install record into them, and returns the lines
     * the tools printed.
     */
    async install(path: string, plan: InstallPlan): Promise<string[]> {
      const lines: string[] = [];
      const size = Number((await must('blockdev', ['--getsize64', path])).trim());
      if (plan.wipe) {
        const out = await must('wipefs', ['--all', '--force', path]);
        lines.push(...out.split('\n').filter(Boolean));
      }
      const rootStart = LAYOUT.first + LAYOUT.bios + LAYOUT.esp + LAYOUT.boot;
      const available = size - rootStart - MiB;
      const rootBytes = plan.rootSize ?? available;
      if (rootBytes > available || available < 32 * MiB) {
        throw new Error(`Creating rootfs: Insufficient space on ${path}: ${available} bytes available, ${rootBytes} needed`);
      }
      const sector = 512;
      const script = [
        'label: gpt',
        `start=${LAYOUT.first / sector}, size=${LAYOUT.bios / sector}, type=21686148-6449-6E6F-744E-656564454649, name="BIOS-BOOT"`,
        `size=${LAYOUT.esp / sector}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI-SYSTEM"`,
        `size=${LAYOUT.boot / sector}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="boot"`,
        `size=${rootBytes / sector}, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"`,
        '',
      ].join('\n');
      await must('sfdisk', ['--quiet', '--wipe', 'always', path], script);
      const parts = JSON.parse(await must('sfdisk', ['--json', path])) as {
        partitiontable: { partitions: { start: number; size: number; name?: string }[] };
      };
      const byName = (name: string) => {
        const p = parts.partitiontable.partitions.find((x) => x.name === name);
        if (!p) throw new Error(`partition ${name} missing after sfdisk`);
        return { offset: p.start * sector, size: p.size * sector };
      };
      const work = await mkdtemp(join(varDir, 'install-'));
      const attached: string[] = [];
      const attach = async (part: { offset: number; size: number }) => {
        const loop = (await must('losetup', ['--find', '--show', '--offset', String(part.offset), '--sizelimit', String(part.size), path])).trim();
        attached.push(loop);
        return loop;
      };
      const record: InstalledRecord = {
        disk: path,
        filesystem: plan.filesystem,
        ref: plan.image.ref,
        image: plan.image.resolved,
        kargs: plan.kargs,
        stateroot: plan.stateroot,
        rootAuthorizedKeys: plan.authorizedKeys ?? null,
        installedAt: new Date().toISOString(),
      };
      try {
        const esp = await attach(byName('EFI-SYSTEM'));
        lines.push(...(await must('mkfs.fat', ['-n', 'EFI-SYSTEM', esp])).split('\n').filter(Boolean));
        const boot = await attach(byName('boot'));
        await must('mkfs.ext4', ['-q', '-F', '-L', 'boot', boot]);
        const root = await attach(byName('root'));
        const mkfs = plan.filesystem === 'xfs' ? ['mkfs.xfs', ['-f', '-q', '-m', `uuid=${plan.rootUuid}`, '-L', 'root', root]] as const
          : plan.filesystem === 'btrfs' ? ['mkfs.btrfs', ['-f', '-q', '-U', plan.rootUuid, '-L', 'root', root]] as const
            : ['mkfs.ext4', ['-q', '-F', '-U', plan.rootUuid, '-L', 'root', root]] as const;
        await must(mkfs[0], [...mkfs[1]]);
        const mnt = join(work, 'root');
        await mkdir(mnt);
        await must('mount', [root, mnt]);
        try {
          const deployDir = join(mnt, 'ostree', 'deploy', plan.stateroot, 'deploy', `${plan.image.resolved.digest.slice(7)}.0`);
          await mkdir(join(deployDir, 'etc', 'tmpfiles.d'), { recursive: true });
          await mkdir(join(deployDir, 'usr', 'lib'), { recursive: true });
          await writeFile(join(deployDir, 'usr', 'lib', 'os-release'), `VERSION_ID=${plan.image.resolved.version ?? ''}\n`);
          if (plan.authorizedKeys) {
            const keys = plan.authorizedKeys.trim().split('\n').filter(Boolean);
            await writeFile(join(deployDir, 'etc', 'tmpfiles.d', 'bootc-root-ssh.conf'),
              keys.map((k) => `f~ /var/roothome/.ssh/authorized_keys 600 root root - ${Buffer.from(`${k}\n`).toString('base64')}`).join('\n') + '\n');
          }
          await writeFile(join(mnt, '.bootfleet-lab-install.json'), JSON.stringify(record, null, 2));
        } finally {
          await must('umount', [mnt]);
        }
      } finally {
        for (const loop of attached.reverse()) await exec('losetup', ['--detach', loop]);
        await rm(work, { recursive: true, force: true });
      }
      await writeFile(join(varDir, INSTALLED_FILE), JSON.stringify(record, null, 2));
      return lines;
    },
  };
}
