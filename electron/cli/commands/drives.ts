import type { Command } from 'commander';
import { formatSize } from '../../core/flash/drives';
import { table } from '../output';
import type { CommandKit } from '../program';

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
