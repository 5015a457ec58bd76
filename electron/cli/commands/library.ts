import { resolve } from 'node:path';
import type { Command } from 'commander';
import { shortDigest } from '../../../shared/contract';
import { formatSize, formatTransfer } from '../../core/flash/drives';
import { keyValues, table } from '../output';
import type { CommandKit } from '../program';

/** `bootfleet images`: the image library for sites with no registry. */
export function registerLibrary(program: Command, kit: CommandKit): void {
  const images = program.command('images').description('the image library: OCI images kept here for sites with no registry');

  images
    .command('list')
    .alias('ls')
    .description('every image in the library, and what the library takes on disk')
    .action(
      kit.run(async (s, o) => {
        const l = await s.call('library.list', {});
        kit.print(o, l, () =>
          l.images.length
            ? `${table(
                ['IMAGE', 'VERSION', 'ARCH', 'DIGEST', 'SIZE', 'ADDED'],
                l.images.map((i) => [i.reference ?? i.tag ?? '-', i.version ?? '-', i.architectures.join(',') || '-', shortDigest(i.digest), formatSize(i.size), i.addedAt.slice(0, 10)]),
              )}${l.images.length} image${l.images.length === 1 ? '' : 's'}, ${formatSize(l.bytes)} on disk (${l.blobs} blobs, shared ones stored once).\n`
            : 'The library is empty: bootfleet images import FILE|DIR.\n',
        );
      }),
    );

  images
    .command('show')
    .argument('<ref>', 'NAME:TAG, TAG, a digest (prefix) or an id')
    .description('one image: its platforms, layers and where it came from')
    .action(
      kit.run(async (s, o, ref) => {
        const i = await s.call('library.get', { ref: ref! });
        kit.print(o, i, () => {
          const head = keyValues([
            ['Image', i.reference ?? i.tag ?? '-'],
            ['Digest', `${i.digest} (${i.mediaType.includes('index') ? 'index' : 'manifest'})`],
            ['Version', i.version ?? '-'],
            ['Created', i.created ?? '-'],
            ['Size', formatSize(i.size)],
            ['Source', i.source],
            ['Added', `${i.addedAt} by ${i.addedBy}`],
          ]);
          const platforms = table(
            ['PLATFORM', 'MANIFEST', 'LAYERS', 'SIZE'],
            i.manifests.map((m) => [`${m.os ?? '?'}/${m.architecture ?? '?'}${m.variant ? `/${m.variant}` : ''}`, m.digest, String(m.layers.length), formatSize(m.size)]),
            120,
          );
          return `${head}\n${platforms}`;
        });
      }),
    );

  images
    .command('pull')
    .argument('<ref>', 'a registry reference, NAME:TAG or NAME@sha256:...')
    .option('--platform <os/arch>', 'one platform only, e.g. linux/arm64 (default: all of them)')
    .description('copy an image from its registry into the library (logins as set with `registries set`); an interrupted pull resumes')
    .action(
      kit.run(async (s, o, ref) => {
        const core = s.open();
        const off = core.bus.subscribe((event, payload) => {
          if (event !== 'library.progress' || o.json || !kit.io.stderrIsTty) return;
          kit.io.stderr(`\r${formatTransfer(payload as { done: number; total: number; bytesPerSecond: number })}\x1b[K`);
        });
        // Ctrl-C simply stops: the partial downloads stay, and the next pull resumes them.
        try {
          const i = await s.call('library.pull', { ref: ref!, ...(o.platform ? { platform: o.platform as string } : {}) });
          if (kit.io.stderrIsTty && !o.json) kit.io.stderr('\n');
          kit.print(o, i, () => `Pulled ${i.reference ?? ref!} (${i.digest}, ${i.architectures.join(', ')}, ${formatSize(i.size)}; ${formatSize(i.downloaded)} downloaded).\n`);
        } finally {
          off();
        }
      }),
    );

  images
    .command('import')
    .argument('<path>', 'an oci-archive file or an OCI layout directory (as skopeo copy writes them)')
    .option('--name <repository>', 'the repository it is known as, e.g. registry.local/fleet/os')
    .option('--tag <tag>', 'its tag (default: the one the archive names)')
    .description('add an image: every blob is checked against its digest; a corrupt or missing one refuses it all')
    .action(
      kit.run(async (s, o, path) => {
        const added = await s.call('library.import', { path: resolve(path!), ...(o.name ? { name: o.name as string } : {}), ...(o.tag ? { tag: o.tag as string } : {}) });
        kit.print(o, added, () => added.map((i) => `Imported ${i.reference ?? i.tag ?? i.digest} (${i.digest}, ${i.architectures.join(', ')}, ${formatSize(i.size)}).\n`).join(''));
      }),
    );

  images
    .command('export')
    .argument('<ref>', 'the image')
    .requiredOption('-o, --output <path>', 'the file (oci-archive) or new directory (oci) to write')
    .option('--format <f>', 'oci-archive (one file, default) or oci (a layout directory)', 'oci-archive')
    .description('write an image as skopeo and bootc read it, with the same digest')
    .action(
      kit.run(async (s, o, ref) => {
        const r = await s.call('library.export', { ref: ref!, path: resolve(o.output as string), format: o.format as 'oci-archive' | 'oci' });
        kit.print(o, r, () => `Wrote ${r.path} (${r.format}, ${r.digest}, ${formatSize(r.bytes)}).\n`);
      }),
    );

  images
    .command('push')
    .argument('<ref>', 'the image')
    .requiredOption('--to <target>', 'REGISTRY/NAME[:TAG] (default tag: the image\'s own)')
    .description('push an image to a (site) registry; blobs it already has are not sent')
    .action(
      kit.run(async (s, o, ref) => {
        const r = await s.call('library.push', { ref: ref!, to: o.to as string });
        kit.print(o, r, () => `Pushed ${r.target} (${r.digest}): ${formatSize(r.pushedBytes)} sent, ${formatSize(r.skippedBytes)} already there.\n`);
      }),
    );

  images
    .command('rm')
    .argument('<ref>', 'the image')
    .description('remove an image; blobs no other image uses are deleted')
    .action(
      kit.run(async (s, o, ref) => {
        const r = await s.call('library.remove', { ref: ref! });
        kit.print(o, r, () => `Removed ${r.digest}; ${formatSize(r.freedBytes)} freed.\n`);
      }),
    );

  images
    .command('gc')
    .description('delete blobs no image uses')
    .action(
      kit.run(async (s, o) => {
        const r = await s.call('library.gc', {});
        kit.print(o, r, () => `${r.removed} unused blob${r.removed === 1 ? '' : 's'} deleted, ${formatSize(r.freedBytes)} freed.\n`);
      }),
    );

  const bundle = program.command('bundle').description('carry library images and site data between places with no network (a signed folder or .tar, e.g. on a USB stick)');
  bundle
    .command('export')
    .argument('[refs...]', 'library images')
    .option('--site <site>', "also the site's data: devices, desired state, status snapshots, activity")
    .option('--since <time>', 'with --site: snapshots and activity from this moment on only')
    .requiredOption('-o, --output <path>', 'a new folder, or a .tar file')
    .description("write images and/or a site's data, with a manifest, SHA256SUMS over every file, and this installation's signature")
    .action(
      kit.run(async (s, o, ...rest) => {
        const refs = (rest as unknown as string[][]).flat().filter((x) => typeof x === 'string');
        const r = await s.call('bundle.export', { refs, path: resolve(o.output as string), ...(o.site ? { site: o.site as string } : {}), ...(o.since ? { since: o.since as string } : {}) });
        kit.print(o, r, () => `Wrote ${r.path} (${r.format === 'oci' ? 'folder' : 'tar'}): ${r.images} image${r.images === 1 ? '' : 's'}${r.site ? ` and the data of site ${r.site}` : ''}, ${formatSize(r.bytes)}, signed.\n`);
      }),
    );
  bundle
    .command('import')
    .argument('<path>', 'the bundle folder or .tar')
    .description("check a bundle's signature (a key this installation trusts) and every file, then add its images to the library")
    .action(
      kit.run(async (s, o, path) => {
        const r = await s.call('bundle.import', { path: resolve(path!) });
        kit.print(
          o,
          r,
          () =>
            `Signed by ${r.signedBy.name} (${r.signedBy.fingerprint})${r.signedBy.own ? ', this installation' : ''}.\n` +
            (r.images.length ? `${r.added} image${r.added === 1 ? '' : 's'} added, ${r.unchanged} already here: ${r.images.map((i) => i.reference ?? i.digest).join(', ')}.\n` : '') +
            (r.site
              ? `Site ${r.site.site}: ${r.site.devicesAdded} devices, ${r.site.snapshotsAdded} status snapshots, ${r.site.activityAdded} activity entries and ${r.site.recordingsAdded} terminal recordings added.\n${r.site.conflicts.map((c) => `! ${c}\n`).join('')}`
              : ''),
        );
      }),
    );
}
