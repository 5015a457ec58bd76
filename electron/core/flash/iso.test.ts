import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, tempDir } from '../test-support';
import { imageFromKickstart, readBootcIsoImage } from './iso';
import { inspectImage } from './image';

afterAll(cleanupTempDirs);

/** Kickstarts laid out as bootc-image-builder's anaconda-iso writes them (osbuild/images' AnacondaInstallerISOTree). */
const BASE_KS = `ostreecontainer --url=/run/install/repo/container --transport=oci --no-signature-verification\n`;
const MAIN_KS = `%include /run/install/repo/osbuild-base.ks\nreqpart --add-boot\n\npart swap --fstype=swap --size=1024\npart / --fstype=ext4 --grow\n\nreboot --eject\n%post\nbootc switch --mutate-in-place --transport registry registry.example.com/fleet/edge-os:stable\n%end\n`;

function iso(files: Record<string, string>, rockRidge = true): string {
  const dir = tempDir();
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'images'), { recursive: true });
  writeFileSync(join(tree, 'images', 'install.img'), Buffer.alloc(4096, 1));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tree, name), text);
  const out = join(dir, 'installer.iso');
  // xorriso writes Rock Ridge names unless told not to (then only ISO 9660's upper-case names remain).
  execFileSync('xorriso', [...(rockRidge ? [] : ['-rockridge', 'off', '-joliet', 'off']), '-outdev', out, '-volid', 'Fedora-bootc', '-map', tree, '/'], { stdio: 'ignore' });
  return out;
}

describe('the image a bootc installer ISO installs', () => {
  it('reads the ref that bootc-image-builder points the installed system at, with or without Rock Ridge names', async () => {
    for (const rr of [true, false]) {
      const path = iso({ 'osbuild-base.ks': BASE_KS, 'osbuild.ks': MAIN_KS }, rr);
      expect(await readBootcIsoImage(path)).toEqual({ imageRef: 'registry.example.com/fleet/edge-os:stable', transport: 'registry', source: rr ? 'osbuild.ks' : 'OSBUILD.KS' });
    }
    const info = await inspectImage(iso({ 'osbuild-base.ks': BASE_KS, 'osbuild.ks': MAIN_KS }));
    expect(info).toMatchObject({ format: 'iso', volumeLabel: 'Fedora-bootc', bootc: { imageRef: 'registry.example.com/fleet/edge-os:stable' } });
  });

  it('says nothing for an ISO without a kickstart, or one that installs only from the ISO itself', async () => {
    expect(await readBootcIsoImage(iso({ 'README.txt': 'hello' }))).toBeNull();
    expect(await readBootcIsoImage(iso({ 'osbuild-base.ks': BASE_KS }))).toBeNull();
    expect((await inspectImage(iso({}))).bootc).toBeNull();
  });

  it('reads hand-written kickstarts: ostreecontainer from a registry, and the bootc command', () => {
    expect(imageFromKickstart('text\nostreecontainer --url quay.io/fedora/fedora-bootc:42 --no-signature-verification\n')).toEqual({ imageRef: 'quay.io/fedora/fedora-bootc:42', transport: 'registry' });
    expect(imageFromKickstart('ostreecontainer --url="quay.io/test/test_c:stable" --transport=registry\n')).toEqual({ imageRef: 'quay.io/test/test_c:stable', transport: 'registry' });
    expect(imageFromKickstart('bootc --source-imgref=registry:quay.io/fedora/fedora-bootc:rawhide\n')).toEqual({ imageRef: 'quay.io/fedora/fedora-bootc:rawhide', transport: 'registry' });
    expect(imageFromKickstart('# ostreecontainer --url quay.io/commented/out:1\n')).toBeNull();
  });
});
