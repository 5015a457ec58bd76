import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../../e2e/lab';
import { ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore, recordEvents } from '../test-support';

/** The image library against the lab's real images (umoci-built, skopeo-written archives). Needs root for the lab. */
const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the image library tests need root for the device lab');
const suite = canRun ? describe : describe.skip;

let lab: Lab;
let core: BootfleetCore;
let work: string;
const release = (tag: string) => lab.images.find((i) => i.tag === tag)!;
/** The digest of the top manifest skopeo reads from REF (`inspect --raw` prints its bytes and a newline). */
const skopeoDigest = (ref: string): string => {
  const raw = execFileSync('skopeo', ['inspect', '--raw', ...(ref.startsWith('docker://') ? ['--tls-verify=false'] : []), ref]);
  return createHash('sha256').update(raw.subarray(0, raw.at(-1) === 0x0a ? -1 : undefined)).digest('hex');
};

beforeAll(async () => {
  if (!canRun) return;
  lab = await startLab({ devices: [{ name: 'unused', image: null }], authRegistry: { user: 'fleet', password: 's3cret' } });
  core = openTestCore();
  work = mkdtempSync(join(tmpdir(), 'bf-library-'));
}, 180_000);

afterAll(async () => {
  closeTestCores();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  cleanupTempDirs();
}, 60_000);

const blobFiles = () => readdirSync(join(core.dataDir, 'library', 'blobs', 'sha256'));

suite('image library', () => {
  it('imports an oci-archive: every platform, the version, the blobs once; importing it again changes nothing', async () => {
    const r = release('1.0');
    const [img] = await ok(core, 'library.import', { path: r.archive, name: 'registry.local/fleet/os' });
    expect(img).toMatchObject({ reference: 'registry.local/fleet/os:1.0', digest: r.indexDigest, version: r.version, architectures: ['amd64', 'arm64'], source: `oci-archive:${r.archive}` });
    const shown = await ok(core, 'library.get', { ref: 'registry.local/fleet/os:1.0' });
    expect(shown.manifests.map((m) => [m.architecture, m.digest])).toEqual([
      ['amd64', r.digests.amd64],
      ['arm64', r.digests.arm64],
    ]);
    const before = blobFiles().length;
    // The index, a manifest and a config per architecture, and two layers both architectures share.
    expect(before).toBe(1 + 2 * 2 + 2);
    await ok(core, 'library.import', { path: r.archive, name: 'registry.local/fleet/os' });
    expect(blobFiles().length).toBe(before);
    expect((await ok(core, 'library.list', {})).images).toHaveLength(1);
  });

  it('imports an OCI layout directory; images share the blobs they have in common', async () => {
    const layout = join(work, 'layout-1.1');
    execFileSync('skopeo', ['copy', '--quiet', '--all', `oci-archive:${release('1.1').archive}:1.1`, `oci:${layout}:1.1`]);
    const before = blobFiles().length;
    const [img] = await ok(core, 'library.import', { path: layout, name: 'registry.local/fleet/os' });
    expect(img).toMatchObject({ tag: '1.1', digest: release('1.1').indexDigest, version: release('1.1').version });
    // The base layer is shared with 1.0: only the index, manifests, configs and the release layer are new.
    expect(blobFiles().length - before).toBe(1 + 2 * 2 + 1);
    const list = await ok(core, 'library.list', {});
    // Newest first within a repository.
    expect(list.images.map((i) => i.reference)).toEqual(['registry.local/fleet/os:1.1', 'registry.local/fleet/os:1.0']);
    expect(list.bytes).toBeLessThan(list.images.reduce((n, i) => n + i.size, 0));
  });

  it('refuses a corrupt blob and a truncated archive, naming the blob, and keeps nothing of them', async () => {
    const r = release('2.0');
    const before = blobFiles().sort();
    // Corrupt: one byte of a layer changed in a layout copy.
    const layout = join(work, 'layout-2.0-corrupt');
    execFileSync('skopeo', ['copy', '--quiet', '--all', `oci-archive:${r.archive}:2.0`, `oci:${layout}:2.0`]);
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', r.digests.amd64!.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    const layer = manifest.layers[1]!.digest;
    const file = join(layout, 'blobs', 'sha256', layer.slice(7));
    const bytes = readFileSync(file);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(file, bytes);
    const corrupt = await fails(core, 'library.import', { path: layout });
    expect(corrupt.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(corrupt.message).toBe(`the layout ${layout}: layer 2 of the linux/amd64 image ${layer} is corrupt: its content hashes to sha256:${execFileSync('sha256sum', [file]).toString().split(' ')[0]}.`);
    expect(blobFiles().sort()).toEqual(before);

    // Truncated: the archive cut in the middle of its blobs.
    const cut = join(work, 'os-2.0-cut.oci.tar');
    copyFileSync(r.archive, cut);
    truncateSync(cut, Math.floor(readFileSync(r.archive).length * 0.6));
    const truncated = await fails(core, 'library.import', { path: cut });
    expect(truncated.message).toMatch(new RegExp(`^the archive ${cut} is truncated: it ends (inside|after) blobs/sha256/[0-9a-f]{64}(, with no end-of-archive marker)? \\(a copy cut short\\?\\)\\.$`));
    expect(blobFiles().sort()).toEqual(before);
    expect((await ok(core, 'library.list', {})).images.map((i) => i.tag)).not.toContain('2.0');
    expect(existsSync(join(core.dataDir, 'library', 'tmp')) && readdirSync(join(core.dataDir, 'library', 'tmp'))).toEqual([]);
  });

  it('exports an oci-archive and a layout that skopeo reads with the same digest', async () => {
    const archive = join(work, 'out', 'os-1.0.oci.tar');
    const a = await ok(core, 'library.export', { ref: 'registry.local/fleet/os:1.0', path: archive });
    expect(a.digest).toBe(release('1.0').indexDigest);
    expect(`sha256:${skopeoDigest(`oci-archive:${archive}:1.0`)}`).toBe(release('1.0').indexDigest);
    // skopeo sees each platform of the export as it sees the original archive.
    const seen = (ref: string, arch: string) => JSON.parse(execFileSync('skopeo', ['inspect', '--override-arch', arch, ref]).toString()) as { Digest: string; Layers: string[]; Architecture: string };
    for (const arch of ['amd64', 'arm64']) {
      const exported = seen(`oci-archive:${archive}:1.0`, arch);
      expect(exported).toEqual(seen(`oci-archive:${release('1.0').archive}:1.0`, arch));
      expect(exported.Architecture).toBe(arch);
    }
    const layout = join(work, 'out-layout');
    await ok(core, 'library.export', { ref: '1.1', path: layout, format: 'oci' });
    expect(`sha256:${skopeoDigest(`oci:${layout}:1.1`)}`).toBe(release('1.1').indexDigest);
    // A round trip: the exported archive imports into another library as the same image.
    const other = openTestCore();
    const [again] = await ok(other, 'library.import', { path: archive });
    expect(again!.digest).toBe(release('1.0').indexDigest);
  });

  it('removes an image, deleting only the blobs no other image uses; gc clears strays', async () => {
    const list = await ok(core, 'library.list', {});
    const removed = await ok(core, 'library.remove', { ref: 'registry.local/fleet/os:1.1' });
    expect(removed.freedBytes).toBeGreaterThan(0);
    const after = await ok(core, 'library.list', {});
    expect(after.images.map((i) => i.tag)).toEqual(['1.0']);
    expect(after.bytes).toBe(list.bytes - removed.freedBytes);
    // 1.0 is whole: it still exports.
    await ok(core, 'library.export', { ref: '1.0', path: join(work, 'after-rm.oci.tar') });
    writeFileSync(join(core.dataDir, 'library', 'blobs', 'sha256', 'f'.repeat(64)), 'stray');
    const seen = recordEvents(core);
    expect(await ok(core, 'library.gc', {})).toEqual({ removed: 1, freedBytes: 5 });
    expect(await ok(core, 'library.gc', {})).toEqual({ removed: 0, freedBytes: 0 });
    seen.stop();
    // Windows showing the library refetch it: once, for the clean-up that changed something.
    expect(seen.events.filter((e) => e.name === 'library.changed')).toHaveLength(1);
    expect((await fails(core, 'library.get', { ref: '1.1' })).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('pulls from a token-protected registry with the stored login; one platform only with --platform', async () => {
    const pulling = openTestCore();
    const ref = `${lab.authRegistry!.host}/bootfleet/os:2.0`;
    expect((await fails(pulling, 'library.pull', { ref })).code).toBe(ErrorCode.REGISTRY_AUTH_FAILED);
    await ok(pulling, 'registries.set', { host: lab.authRegistry!.host, username: 'fleet', password: 's3cret' });
    const progress: number[] = [];
    const stop = pulling.bus.subscribe((e, p) => e === 'library.progress' && progress.push((p as { done: number }).done));
    const arm = await ok(pulling, 'library.pull', { ref, platform: 'linux/arm64' });
    stop();
    expect(arm).toMatchObject({ reference: ref.replace(':2.0', '') + ':2.0', digest: release('2.0').digests.arm64, architectures: ['arm64'], version: release('2.0').version, source: `docker://${ref}` });
    expect(arm.downloaded).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(arm.downloaded);
    // The whole index next: the arm64 blobs are here already, only the amd64 ones are fetched.
    const all = await ok(pulling, 'library.pull', { ref });
    expect(all.digest).toBe(release('2.0').indexDigest);
    expect(all.architectures).toEqual(['amd64', 'arm64']);
    expect(all.downloaded).toBeLessThan(arm.downloaded + all.size);
    const out = join(work, 'pulled.oci.tar');
    await ok(pulling, 'library.export', { ref: all.digest, path: out });
    expect(`sha256:${skopeoDigest(`oci-archive:${out}:2.0`)}`).toBe(release('2.0').indexDigest);
    expect((await fails(pulling, 'library.pull', { ref, platform: 'linux/s390x' })).message).toBe(`${ref} has no linux/s390x image; it has linux/amd64, linux/arm64.`);
  });

  it('an interrupted pull resumes: the bytes already downloaded are not fetched again', async () => {
    const pulling = openTestCore();
    const ref = `${lab.registry!.host}/bootfleet/os:1.1`;
    // What an interrupted pull leaves: the first half of the largest layer in its partial file.
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${lab.registry!.host}/bootfleet/os@${release('1.1').digests.amd64}`]).toString()) as { layers: { digest: string; size: number }[] };
    const layer = [...manifest.layers].sort((a, b) => b.size - a.size)[0]!;
    const blob = join(work, 'blob');
    execFileSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${lab.registry!.host}/bootfleet/os@${release('1.1').digests.amd64}`, `oci:${blob}:x`]);
    const bytes = readFileSync(join(blob, 'blobs', 'sha256', layer.digest.slice(7)));
    const half = Math.floor(bytes.length / 2);
    writeFileSync(join(pulling.dataDir, 'library', 'partial', layer.digest.slice(7)), bytes.subarray(0, half));
    const fresh = openTestCore();
    const whole = await ok(fresh, 'library.pull', { ref, platform: 'linux/amd64' });
    const resumed = await ok(pulling, 'library.pull', { ref, platform: 'linux/amd64' });
    expect(resumed.digest).toBe(whole.digest);
    expect(resumed.downloaded).toBe(whole.downloaded - half);
    // A partial file that does not match is caught by the digest check and dropped.
    const other = openTestCore();
    writeFileSync(join(other.dataDir, 'library', 'partial', layer.digest.slice(7)), Buffer.alloc(half, 1));
    const bad = await fails(other, 'library.pull', { ref, platform: 'linux/amd64' });
    expect(bad.message).toContain(`${layer.digest} arrived corrupt`);
    expect(existsSync(join(other.dataDir, 'library', 'partial', layer.digest.slice(7)))).toBe(false);
    expect((await ok(other, 'library.pull', { ref, platform: 'linux/amd64' })).digest).toBe(whole.digest);
  });

  it('pushes to a site registry with the same digest; a second push sends no blob again', async () => {
    const target = `${lab.registry!.host}/site/os`;
    const first = await ok(core, 'library.push', { ref: 'registry.local/fleet/os:1.0', to: target });
    expect(first).toMatchObject({ target: `${target}:1.0`, digest: release('1.0').indexDigest, skippedBytes: 0 });
    expect(first.pushedBytes).toBeGreaterThan(0);
    expect(`sha256:${skopeoDigest(`docker://${target}:1.0`)}`).toBe(release('1.0').indexDigest);
    const again = await ok(core, 'library.push', { ref: '1.0', to: `${target}:again` });
    expect(again).toMatchObject({ pushedBytes: 0, skippedBytes: first.pushedBytes });
    // What the registry serves pulls back into another library as the same image.
    const other = openTestCore();
    expect((await ok(other, 'library.pull', { ref: `${target}:again` })).digest).toBe(release('1.0').indexDigest);
  });

  it('a signed bundle round trip between two data directories; the same bundle twice changes nothing; a tampered, unsigned, unknown or future one is refused, named', async () => {
    const src = openTestCore();
    const srcKey = await ok(src, 'keys.show', {});
    const trusting = async () => {
      const site = openTestCore();
      await ok(site, 'keys.trust', { publicKey: srcKey.publicKey, fingerprint: srcKey.fingerprint, name: 'depot laptop' });
      return site;
    };
    for (const tag of ['1.0', '2.0']) await ok(src, 'library.import', { path: release(tag).archive, name: 'registry.local/fleet/os' });
    for (const [path, format] of [[join(work, 'usb', 'bundle'), 'oci'], [join(work, 'usb', 'bundle.tar'), 'oci-archive']] as const) {
      const out = await ok(src, 'bundle.export', { refs: ['registry.local/fleet/os:1.0', '2.0'], path });
      expect(out).toMatchObject({ path, format, images: 2 });
      // A key this installation does not trust: refused before anything is read.
      expect((await fails(openTestCore(), 'bundle.import', { path })).message).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}: Signed by ${srcKey.fingerprint.replace(/[+/]/g, '\\$&')} \\(.*\\), a key this installation does not trust`));
      const site = await trusting();
      const first = await ok(site, 'bundle.import', { path });
      expect(first).toMatchObject({ added: 2, unchanged: 0, signedBy: { fingerprint: srcKey.fingerprint, name: 'depot laptop', own: false } });
      expect(first.images.map((i) => [i.reference, i.digest])).toEqual([
        ['registry.local/fleet/os:1.0', release('1.0').indexDigest],
        ['registry.local/fleet/os:2.0', release('2.0').indexDigest],
      ]);
      const activity = (await ok(site, 'activity.list', {})).items.length;
      expect(await ok(site, 'bundle.import', { path })).toMatchObject({ added: 0, unchanged: 2 });
      expect((await ok(site, 'activity.list', {})).items.length).toBe(activity);
      // It is a plain OCI layout too: skopeo reads each image by its reference.
      expect(`sha256:${skopeoDigest(`${format}:${path}:registry.local/fleet/os:2.0`)}`).toBe(release('2.0').indexDigest);
    }
    // Tampered: one byte of a layer changed, a file added, a file removed.
    const dir = join(work, 'usb', 'bundle');
    const layerFile = readdirSync(join(dir, 'blobs', 'sha256')).map((f) => join(dir, 'blobs', 'sha256', f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const bytes = readFileSync(layerFile);
    bytes[20] = bytes[20]! ^ 1;
    writeFileSync(layerFile, bytes);
    const site = await trusting();
    const altered = await fails(site, 'bundle.import', { path: dir });
    expect(altered.message).toBe(`${dir}: ${layerFile.slice(dir.length + 1)} was altered (its SHA-256 is not the one SHA256SUMS lists); nothing was imported.`);
    bytes[20] = bytes[20]! ^ 1;
    writeFileSync(layerFile, bytes);
    writeFileSync(join(dir, 'extra.sh'), 'echo hi');
    expect((await fails(site, 'bundle.import', { path: dir })).message).toBe(`${dir}: extra.sh is not listed in SHA256SUMS (added after the bundle was made?); nothing was imported.`);
    rmSync(join(dir, 'extra.sh'));
    rmSync(layerFile);
    expect((await fails(site, 'bundle.import', { path: dir })).message).toBe(`${dir}: ${layerFile.slice(dir.length + 1)} is missing (SHA256SUMS lists it); nothing was imported.`);
    // SHA256SUMS rewritten to match a change: the signature no longer does.
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
    writeFileSync(join(dir, 'SHA256SUMS'), sums.split('\n').filter((l) => !l.endsWith(layerFile.slice(dir.length + 1))).join('\n'));
    expect((await fails(site, 'bundle.import', { path: dir })).message).toContain('does not match the content: it was altered after signing. Nothing was imported.');
    rmSync(join(dir, 'SHA256SUMS.sig'));
    expect((await fails(site, 'bundle.import', { path: dir })).message).toBe(`${dir} is not signed (no SHA256SUMS.sig); Bootfleet imports only signed bundles. Nothing was imported.`);
    expect((await ok(site, 'library.list', {})).images).toEqual([]);
    // Made "in the future" by a machine whose clock runs a day ahead: refused.
    const ahead = openTestCore({ clock: { now: () => new Date(Date.now() - 86_400_000).toISOString() } });
    await ok(ahead, 'keys.trust', { publicKey: srcKey.publicKey, fingerprint: srcKey.fingerprint });
    expect((await fails(ahead, 'bundle.import', { path: join(work, 'usb', 'bundle.tar') })).message).toMatch(/was made in the future \(.*; this machine's clock says .*\): check both clocks; nothing was imported\.$/);
  });
});
