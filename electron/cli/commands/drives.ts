import type { Command } from 'commander';
import type { Flash } from '../../../shared/contract';
import { formatSize } from '../../core/flash/drives';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';
import { collect } from './options';

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
            ...(i.bootc ? ([['Installs', `${i.bootc.imageRef}${i.bootc.transport && i.bootc.transport !== 'registry' ? ` (${i.bootc.transport})` : ''} (from ${i.bootc.source})`]] as [string, string][]) : []),
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

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

function eta(s: number | null): string {
  if (s === null) return '';
  return s >= 3600 ? ` ETA ${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}` : s >= 60 ? ` ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : ` ETA ${s}s`;
}

/** One line per drive on a terminal: a bar, the phase, bytes, speed and time left. */
export function progressLines(targets: Flash['targets'], width = 24): string[] {
  const name = Math.max(...targets.map((t) => t.path.length));
  return targets.map((t) => {
    const done = t.phase === 'verifying' ? t.verified : t.written;
    const moving = t.phase === 'writing' || t.phase === 'verifying';
    const frac = t.total ? Math.min(1, done / t.total) : t.phase === 'done' ? 1 : 0;
    const fill = Math.round(frac * width);
    const bar = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]`;
    const pct = t.total ? `${String(Math.floor(frac * 100)).padStart(3)}%` : '    ';
    const detail = moving ? ` ${mb(done)}${t.total ? `/${mb(t.total)}` : ''} ${mb(t.bytesPerSecond)}/s${eta(t.etaSeconds)}` : t.condition ? ` ${t.condition}` : '';
    return `${t.path.padEnd(name)} ${bar} ${pct} ${t.phase.padEnd(9)}${detail}`;
  });
}

export function registerFlash(program: Command, kit: CommandKit): void {
  program
    .command('flash')
    .argument('<image>', '.iso, .raw, .img, or those as .xz, .gz, .zst')
    .requiredOption('--drive <path>', 'a drive from `bootfleet drives` (repeat to write several at once)', collect)
    .option('--sha256 <hex>', 'the SHA-256 the image must have (else SHA256SUMS next to it is used, if any)')
    .option('--sha256sums <file>', 'a checksum file listing the image')
    .option('--no-verify', 'do not read the drives back (faster; nothing then proves they hold the image)')
    .option('--no-eject', 'leave USB sticks and SD cards attached when done (default: eject them)')
    .option('--confirm <name>', 'the name of an internal disk (e.g. sda), to confirm writing it', collect)
    .option('--yes', 'go ahead: everything on the drives is erased')
    .description('write an install image to one or more drives, verify each, and record it')
    .addHelpText('after', '\nWriting a drive needs root. Exit status 0 only when every drive was written (and verified).')
    .action(
      kit.run(async (s, o, image) => {
        const drives = o.drive as string[];
        if (!o.yes) {
          const info = await s.call('images.inspect', { path: image!, ...(o.sha256 ? { sha256: o.sha256 as string } : {}), ...(o.sha256sums ? { sumsFile: o.sha256sums as string } : {}) });
          const all = await s.call('drives.list', { all: true, ...(info.size ? { imageSize: info.size } : {}) });
          const lines = drives.map((p) => {
            const d = all.find((x) => x.path === p);
            if (!d) return `  ${p}: not a drive Bootfleet lists`;
            return `  ${p}: ${d.description}${d.serial ? `, serial ${d.serial}` : ''}${d.problems.length ? ` — REFUSED: ${d.problems.map((x) => x.message).join('; ')}` : d.needsTypedConfirmation ? ' — internal disk: add --confirm ' + d.name : ''}`;
          });
          kit.io.stdout(
            `Image ${info.path}: ${info.size ? formatSize(info.size) : 'size unknown'}${info.volumeLabel ? `, "${info.volumeLabel}"` : ''}; SHA-256 ${info.checksum.result === 'matched' ? 'matched' : info.checksum.result === 'failed' ? 'DOES NOT MATCH' : 'not checked'}.\n` +
              `Everything on these drives will be erased:\n${lines.join('\n')}\n\nNothing was done. Run again with --yes to write.\n`,
          );
          kit.exitWith(1);
          return;
        }
        if (o.verify === false) kit.io.stderr('Warning: --no-verify: the drives will not be read back, so nothing will prove they hold the image.\n');
        const core = s.open();
        const started = await s.call('flash.start', {
          image: image!,
          drives,
          verify: o.verify !== false,
          eject: o.eject !== false,
          confirm: (o.confirm as string[] | undefined) ?? [],
          ...(o.sha256 ? { sha256: o.sha256 as string } : {}),
          ...(o.sha256sums ? { sumsFile: o.sha256sums as string } : {}),
        });
        // On a terminal: a bar per drive, redrawn in place. Otherwise: a line when a drive changes phase.
        let drawn = 0;
        const phases = new Map<string, string>();
        const off = core.bus.subscribe((event, payload) => {
          if (o.json || event !== 'flash.progress') return;
          const f = payload as typeof started;
          if (f.id !== started.id) return;
          if (kit.io.stderrIsTty) {
            const lines = progressLines(f.targets);
            kit.io.stderr(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\r\x1b[K${l}\n`).join('')}`);
            drawn = lines.length;
            return;
          }
          for (const t of f.targets) {
            if (phases.get(t.path) === t.phase) continue;
            phases.set(t.path, t.phase);
            kit.io.stderr(`${t.path}: ${t.phase}${t.condition ? ` (${t.condition})` : ''}\n`);
          }
        });
        const onSigint = (): void => void s.call('flash.cancel', { id: started.id }).catch(() => undefined);
        process.once('SIGINT', onSigint);
        try {
          const f = await core.flash.wait(started.id);
          kit.print(o, f, () => {
            const errors = f.targets.filter((t) => t.error);
            return (
              table(['DRIVE', 'RESULT', 'CONDITION', 'DRIVE MODEL'], f.targets.map((t) => [t.path, t.phase, t.condition ?? '-', `${t.description}${t.serial ? `, serial ${t.serial}` : ''}`]), 90) +
              errors.map((t) => `\n${t.path}: ${t.error!.message} [${t.error!.code}]\n`).join('') +
              `\nImage SHA-256 ${f.imageSha256 ?? '-'} (${f.checksum === 'matched' ? 'matched its published SHA-256' : 'not checked'}); wrote ${f.bytes ?? 0} bytes${f.contentDigest ? ` (${f.contentDigest})` : ''}.\n`
            );
          });
          if (f.state !== 'done') kit.exitWith(1);
        } finally {
          process.off('SIGINT', onSigint);
          off();
        }
      }),
    );
}

export function registerVerify(program: Command, kit: CommandKit): void {
  program
    .command('verify')
    .argument('<image>', 'the image the drive should hold')
    .requiredOption('--drive <path>', 'the drive to read back')
    .description('read a drive back and say whether it holds the image')
    .addHelpText('after', '\nExit status 1 when the drive does not hold the image.')
    .action(
      kit.run(async (s, o, image) => {
        const r = await s.call('flash.verify', { image: image!, drive: o.drive as string });
        kit.print(o, r, () => (r.match ? `${o.drive as string} holds ${image} (${r.bytes} bytes, SHA-256 ${r.imageSha256}).\n` : `${o.drive as string} does NOT hold ${image}: its first ${r.bytes} bytes hash to ${r.driveSha256}, the image to ${r.imageSha256}.\n`));
        if (!r.match) kit.exitWith(1);
      }),
    );
}

export function registerFlashes(program: Command, kit: CommandKit): void {
  program
    .command('flashes')
    .description('past flashes, newest first: which stick carries which image')
    .option('--limit <n>', 'how many', (v) => Number(v), 20)
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('flash.list', { limit: o.limit as number });
        kit.print(o, list, () =>
          list.length
            ? table(
                ['WHEN', 'IMAGE', 'SHA-256', 'DRIVE', 'SERIAL', 'RESULT', 'BY'],
                list.flatMap((f) =>
                  f.targets.map((t) => [
                    f.startedAt.replace('T', ' ').slice(0, 16),
                    f.image.split('/').pop() ?? f.image,
                    f.imageSha256 ? `${f.imageSha256.slice(0, 12)} (${f.checksum})` : '-',
                    `${t.path} ${t.description}`,
                    t.serial ?? '-',
                    t.condition ?? t.phase,
                    f.actor,
                  ]),
                ),
                80,
              )
            : 'No flashes yet.\n',
        );
      }),
    );
}
