import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabImage } from './config';
import { run } from './procs';
import { getManifest, parseRegistryRef, putManifest, sha256Digest } from './oci/registry-client';

/** The repository the lab pushes its OS images to. */
export const LAB_REPOSITORY = 'bootfleet/os';
/** The moving tag devices track by default. */
export const STABLE_TAG = 'stable';

/** The OS releases the lab builds, oldest first; `stable` starts on the first. */
export const LAB_RELEASES = [
  { tag: '1.0', version: '42.20260901.0', created: '2026-09-01T04:12:33Z' },
  { tag: '1.1', version: '42.20261001.0', created: '2026-10-01T03:55:10Z' },
  { tag: '2.0', version: '43.20261101.0', created: '2026-11-01T05:01:02Z' },
] as const;

const ARCHES = ['amd64', 'arm64'] as const;

interface LayoutIndex {
  schemaVersion: number;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string>; platform?: object }[];
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/**
 * Builds the lab's OS images with umoci (a shared base layer plus a release layer, one image per
 * architecture joined in an OCI index), pushes them to the registry with skopeo, points `stable` at
 * the first release, and writes an oci-archive of each release for registry-less tests.
 */
export async function buildAndPushImages(dir: string, registryHost: string): Promise<LabImage[]> {
  const layout = join(dir, 'layout');
  const trees = join(dir, 'trees');
  await run('umoci', ['init', '--layout', layout]);
  await writeTree(join(trees, 'base'), {
    'usr/lib/os-release.d/00-base': 'NAME="Bootfleet Lab OS"\nID=bootfleet-lab\n',
    'usr/lib/bootc/install/00-lab.toml': '[install.filesystem.root]\ntype = "ext4"\n',
    'usr/share/bootfleet-lab/README': 'A tiny image the Bootfleet device lab builds; not bootable.\n',
  });
  const images: LabImage[] = [];
  for (const release of LAB_RELEASES) {
    await writeTree(join(trees, release.tag), {
      'usr/lib/os-release': `NAME="Bootfleet Lab OS"\nID=bootfleet-lab\nVERSION_ID=${release.version}\n`,
      'usr/share/bootfleet-lab/release': `${release.tag}\n`,
    });
    const platforms: LayoutIndex['manifests'] = [];
    const digests: Record<string, string> = {};
    for (const arch of ARCHES) {
      const name = `${release.tag}-${arch}`;
      const image = `${layout}:${name}`;
      await run('umoci', ['new', '--image', image]);
      await run('umoci', [
        'config', '--image', image, '--architecture', arch, '--os', 'linux',
        '--config.label', `org.opencontainers.image.version=${release.version}`,
        '--config.label', `org.opencontainers.image.created=${release.created}`,
        '--config.label', 'containers.bootc=1',
        '--config.label', 'ostree.bootable=1',
      ]);
      await run('umoci', ['insert', '--image', image, join(trees, 'base'), '/']);
      await run('umoci', ['insert', '--image', image, join(trees, release.tag), '/']);
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as LayoutIndex;
      const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === name);
      if (!desc) throw new Error(`umoci did not record ${name}`);
      digests[arch] = desc.digest;
      platforms.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, platform: { architecture: arch, os: 'linux' } });
    }
    // An OCI index over both architectures, tagged with the release.
    const indexBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: platforms,
    }));
    const indexDigest = sha256Digest(indexBytes);
    await writeFile(join(layout, 'blobs', 'sha256', indexDigest.slice(7)), indexBytes);
    const top = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as LayoutIndex;
    top.manifests.push({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: indexDigest,
      size: indexBytes.length,
      annotations: { 'org.opencontainers.image.ref.name': release.tag },
    });
    await writeFile(join(layout, 'index.json'), JSON.stringify(top));

    const ref = `${registryHost}/${LAB_REPOSITORY}:${release.tag}`;
    await run('skopeo', ['copy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${layout}:${release.tag}`, `docker://${ref}`]);
    const archive = join(dir, `os-${release.tag}.oci.tar`);
    await run('skopeo', ['copy', '--quiet', '--all', `oci:${layout}:${release.tag}`, `oci-archive:${archive}:${release.tag}`]);
    images.push({ tag: release.tag, ref, version: release.version, indexDigest, digests, archive });
  }
  const first = images[0];
  if (first) await retag(registryHost, STABLE_TAG, first.tag);
  return images;
}

/** Points `toTag` at whatever `fromTag` names (as a registry UI or `skopeo copy` would), returning the index digest. */
export async function retag(registryHost: string, toTag: string, fromTag: string): Promise<string> {
  const source = parseRegistryRef(`${registryHost}/${LAB_REPOSITORY}:${fromTag}`);
  const manifest = await getManifest(source);
  return putManifest({ ...source, reference: toTag }, manifest);
}
