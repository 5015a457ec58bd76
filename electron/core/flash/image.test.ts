import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { cleanupTempDirs, closeTestCores, fails, ok, openTestCore, tempDir } from '../test-support';
import { findInSums } from './image';

/** Image inspection and checksum checks on real ISOs (xorriso), disk images (sfdisk) and compressed copies. */

let dir: string;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

beforeAll(() => {
  dir = tempDir();
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'boot'), { recursive: true });
  writeFileSync(join(tree, 'boot', 'boot.img'), Buffer.alloc(2048));
  writeFileSync(join(tree, 'README'), 'a bootc install image for tests\n');
  const quiet = { stdio: 'ignore' as const };
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'PLAIN_ISO', '-o', join(dir, 'plain.iso'), tree], quiet);
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTC_LIVE', '-b', 'boot/boot.img', '-no-emul-boot', '-boot-load-size', '4', '--protective-msdos-label', '-o', join(dir, 'live.iso'), tree], quiet);
  execFileSync('xz', ['-k', join(dir, 'live.iso')]);
  execFileSync('zstd', ['-q', join(dir, 'live.iso')]);
  execFileSync('gzip', ['-k', join(dir, 'live.iso')]);
  execFileSync('truncate', ['-s', '4M', join(dir, 'disk.raw')]);
  execFileSync('sfdisk', ['--quiet', join(dir, 'disk.raw')], { input: 'label: gpt\n,,L\n' });
  writeFileSync(join(dir, 'notes.img'), 'just text, not an image\n'.repeat(100));
  writeFileSync(join(dir, 'broken.iso.xz'), Buffer.concat([readFileSync(join(dir, 'live.iso.xz')).subarray(0, 12), Buffer.alloc(64, 7)]));
});

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe('images.inspect', () => {
  it('reads an El Torito hybrid ISO, plain and compressed three ways, with its decompressed size', async () => {
    const core = openTestCore();
    const size = readFileSync(join(dir, 'live.iso')).length;
    for (const [file, compression] of [
      ['live.iso', 'none'],
      ['live.iso.xz', 'xz'],
      ['live.iso.zst', 'zstd'],
      ['live.iso.gz', 'gzip'],
    ] as const) {
      const i = await ok(core, 'images.inspect', { path: join(dir, file) });
      expect([file, i]).toMatchObject([file, { compression, size, format: 'iso', volumeLabel: 'BOOTC_LIVE', elTorito: true, mbr: true }]);
    }
    expect(await ok(core, 'images.inspect', { path: join(dir, 'plain.iso') })).toMatchObject({ format: 'iso', volumeLabel: 'PLAIN_ISO', elTorito: false, mbr: false });
    expect(await ok(core, 'images.inspect', { path: join(dir, 'disk.raw') })).toMatchObject({ format: 'disk', mbr: true, elTorito: false, volumeLabel: null });
    expect(await ok(core, 'images.inspect', { path: join(dir, 'notes.img') })).toMatchObject({ format: 'unknown', mbr: false });
  });

  it('says whether the SHA-256 matched a pasted value or a SHA256SUMS next to the image, and refuses nonsense', async () => {
    const core = openTestCore();
    const iso = join(dir, 'live.iso');
    expect((await ok(core, 'images.inspect', { path: iso })).checksum).toEqual({ result: 'unchecked', actual: sha(iso), expected: null, source: null });
    expect((await ok(core, 'images.inspect', { path: iso, sha256: `SHA256:${sha(iso).toUpperCase()}` })).checksum).toMatchObject({ result: 'matched', source: 'pasted' });
    expect((await ok(core, 'images.inspect', { path: iso, sha256: 'f'.repeat(64) })).checksum).toMatchObject({ result: 'failed', expected: 'f'.repeat(64) });
    writeFileSync(join(dir, 'SHA256SUMS'), `${sha(join(dir, 'plain.iso'))}  plain.iso\n${sha(iso)} *live.iso\n`);
    expect((await ok(core, 'images.inspect', { path: iso })).checksum).toMatchObject({ result: 'matched', source: join(dir, 'SHA256SUMS') });
    expect((await fails(core, 'images.inspect', { path: iso, sha256: 'abc' })).message).toBe('A SHA-256 is 64 hexadecimal characters.');
    expect((await fails(core, 'images.inspect', { path: join(dir, 'live.iso.zst'), sumsFile: join(dir, 'SHA256SUMS') })).message).toMatch(/lists no SHA-256 for live\.iso\.zst/);
    expect((await fails(core, 'images.inspect', { path: join(dir, 'missing.iso') })).code).toBe(ErrorCode.NOT_FOUND);
    expect((await fails(core, 'images.inspect', { path: join(dir, 'broken.iso.xz') })).message).toMatch(/broken\.iso\.xz could not be decompressed/);
  });
});

describe('findInSums', () => {
  const hex = 'ab'.repeat(32);
  it('reads GNU text and binary lines and BSD lines, by file name', () => {
    expect(findInSums(`${hex}  images/os.iso\n`, '/tmp/os.iso')).toBe(hex);
    expect(findInSums(`${hex.toUpperCase()} *os.raw.xz\r\n`, 'os.raw.xz')).toBe(hex);
    expect(findInSums(`SHA256 (os.iso) = ${hex}\n`, 'os.iso')).toBe(hex);
    expect(findInSums(`${hex}  other.iso\n`, 'os.iso')).toBeNull();
  });
});
