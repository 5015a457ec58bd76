import type { Command } from 'commander';
import { formatSize } from '../../core/flash/drives';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';

export function registerImages(program: Command, kit: CommandKit): void {
  program
    .command('image')
    .description('install images: what they are and whether they match a published SHA-256')
    .command('inspect')
    .argument('<file>', '.iso, .raw, .img, or those as .xz, .gz, .zst')
    .option('--sha256 <hex>', 'the SHA-256 the image should have')
    .option('--sha256sums <file>', 'a checksum file listing it (default: SHA256SUMS or FILE.sha256 next to it)')
    .addHelpText('after', '\nExit status 1 when the SHA-256 does not match.')
    .action(
      kit.run(async (s, o, file) => {
        const i = await s.call('images.inspect', { path: file!, ...(o.sha256 ? { sha256: o.sha256 as string } : {}), ...(o.sha256sums ? { sumsFile: o.sha256sums as string } : {}) });
        const c = i.checksum;
        kit.print(o, i, () =>
          keyValues([
            ['Image', i.path],
            ['Format', `${i.format === 'iso' ? 'ISO 9660' : i.format === 'disk' ? 'disk image' : 'unknown'}${i.compression === 'none' ? '' : `, ${i.compression}-compressed`}`],
            ['Size', `${i.size === null ? 'unknown until decompressed' : formatSize(i.size)}${i.compression === 'none' ? '' : ` (file ${formatSize(i.fileSize)})`}`],
            ...(i.volumeLabel ? ([['Volume label', i.volumeLabel]] as [string, string][]) : []),
            ['Bootable', i.mbr && i.elTorito ? 'yes: hybrid ISO (El Torito and MBR)' : i.mbr ? 'yes: MBR' : i.elTorito ? 'from optical media only (El Torito, no MBR for USB)' : 'no boot record found'],
            ['SHA-256', c.actual],
            ['Check', c.result === 'matched' ? `matched (${c.source})` : c.result === 'failed' ? `FAILED: ${c.source} says ${c.expected}` : 'not checked: no SHA-256 given and no SHA256SUMS next to the image'],
          ]),
        );
        if (c.result === 'failed') kit.exitWith(1);
      }),
    );
}

export function registerDrives(program: Command, kit: CommandKit): void {
  program
    .command('drives')
    .description('drives that can take an install image (USB sticks, SD cards), with what stands in the way of writing each')
    .option('--all', 'also loop devices, internal disks and the system disk')
    .action(
      kit.run(async (s, o) => {
        const drives = await s.call('drives.list', { all: !!o.all });
        kit.print(o, drives, () => {
          if (!drives.length) {
            return o.all ? 'No drives found.\n' : 'No removable drives found. Plug in a USB stick or SD card, or use --all to see every drive.\n';
          }
          const rows = drives.map((d) => [
            d.path,
            formatSize(d.size),
            d.description.replace(/ [\d.]+ [kMGT]?B( \(.*\))?$/, ''),
            d.bus ?? '-',
            d.serial ?? '-',
            d.mountpoints.join(', ') || '-',
            d.problems.length ? `refused: ${d.problems.map((p) => p.message).join('; ')}` : d.needsTypedConfirmation ? 'internal disk: confirm by typing its name' : d.mountpoints.length ? 'ok (will be unmounted)' : 'ok',
          ]);
          return table(['DRIVE', 'SIZE', 'MODEL', 'BUS', 'SERIAL', 'MOUNTED', 'WRITABLE'], rows, 70);
        });
      }),
    );
}
