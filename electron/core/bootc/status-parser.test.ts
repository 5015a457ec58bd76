import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { bootcStatusSchema } from '../../../shared/contract/status';
import { AppError } from '../../../shared/errors';
import { parseBootcStatus } from './status-parser';

/** bootc's own fixtures (vendored with the device lab; MIT OR Apache-2.0). */
const FIXTURES = join(__dirname, '..', '..', '..', 'e2e', 'lab', 'emulator', 'fixtures', 'bootc');

/** Fixture YAML as the JSON bootc would print (serde_yaml writes `!ostreeRemote x` for the tagged variant). */
function fixtureJson(path: string): string {
  // bootc reads `version: 20231230.1` into a String; a generic YAML parser would make it a number.
  const text = readFileSync(path, 'utf8').replace(/^(\s*version:\s*)(?!null\b)([^\s'"].*)$/gm, "$1'$2'");
  if (path.endsWith('.json')) return text;
  const doc: unknown = parseYaml(text, {
    customTags: [{ tag: '!ostreeRemote', resolve: (value: string) => ({ ostreeRemote: value }) }],
  });
  return JSON.stringify(doc);
}

function fixtures(): string[] {
  const top = readdirSync(FIXTURES).filter((f) => /^spec-.*\.(ya?ml|json)$/.test(f)).map((f) => join(FIXTURES, f));
  const old = join(FIXTURES, 'containers-bootc-8e2cf08');
  return [...top, ...readdirSync(old).filter((f) => /^spec-/.test(f)).map((f) => join(old, f))];
}

function invalidAt(raw: string): string {
  try {
    parseBootcStatus(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BOOTC_OUTPUT_INVALID');
    return (err as AppError & { details: { at: string } }).details.at;
  }
  throw new Error('expected BOOTC_OUTPUT_INVALID');
}

describe('parseBootcStatus', () => {
  it.each(fixtures().map((f) => [f.slice(FIXTURES.length + 1), f]))('reads bootc\'s fixture %s', (_name, path) => {
    const status = parseBootcStatus(fixtureJson(path));
    expect(bootcStatusSchema.parse(status)).toEqual(status);
  });

  it('reads staged, booted and rollback with every field, and knows a pending reboot', () => {
    const s = parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-staged-booted.yaml')));
    expect(s.bootcHost).toBe(true);
    expect(s.staged?.image?.digest).toBe('sha256:16dc2b6256b4ff0d2ec18d2dbfb06d117904010c8cf9732cdb022818cf7a7566');
    expect(s.booted?.image?.digest).toBe('sha256:736b359467c9437c1ac915acaae952aad854e07eb4a16a94999a48af08c83c34');
    expect(s.booted?.image?.architecture).toBe('arm64');
    expect(s.pendingReboot).toBe(true);
    const dl = parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-staged-download-only.yaml')));
    expect(dl.staged?.downloadOnly).toBe(true);
    expect(dl.pendingReboot).toBe(false);
  });

  it('sees an update only when the cached digest differs from the booted one', () => {
    expect(parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-booted-with-update.yaml'))).updateAvailable).toBe(true);
    expect(parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-booted-update-same-digest.yaml'))).updateAvailable).toBe(false);
  });

  it('defaults what old releases leave out, and reads signatures and overlays', () => {
    const old = parseBootcStatus(fixtureJson(join(FIXTURES, 'containers-bootc-8e2cf08', 'spec-only-booted.yaml')));
    expect(old.booted?.image?.architecture).toBeNull();
    expect(old.booted?.ostree?.stateroot).toBeNull();
    expect(old.others).toEqual([]);
    expect(parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-ostree-remote.yaml'))).specImage?.signature).toBe('ostreeRemote:fedora');
    expect(parseBootcStatus(fixtureJson(join(FIXTURES, 'spec-booted-usroverlay.yaml'))).usrOverlay)
      .toEqual({ accessMode: 'readWrite', persistence: 'transient' });
  });

  it('recognizes a host that is not deployed with bootc', () => {
    const s = parseBootcStatus(readFileSync(join(FIXTURES, 'spec-v1-null.json'), 'utf8'));
    expect(s.bootcHost).toBe(false);
    expect(s.booted).toBeNull();
    expect(s.specImage).toBeNull();
  });

  it('says where malformed, truncated or foreign output breaks', () => {
    const good = readFileSync(join(FIXTURES, 'spec-v1-null.json'), 'utf8');
    expect(invalidAt(good.slice(0, 100))).toMatch(/^byte 100 \(end of output/);
    const head = '{"apiVersion":"org.containers.bootc/v1",';
    expect(invalidAt(`${head},"kind":"BootcHost"}`)).toBe(`byte ${head.length}`);
    expect(invalidAt('')).toBe('byte 0');
    expect(invalidAt('apiVersion: org.containers.bootc/v1\n')).toBe('byte 0');
    expect(invalidAt('{"apiVersion":"org.containers.bootc/v2","kind":"BootcHost"}')).toBe('apiVersion');
    const badDigest = JSON.parse(fixtureJson(join(FIXTURES, 'spec-only-booted.yaml'))) as { status: { booted: { image: { imageDigest: string } } } };
    badDigest.status.booted.image.imageDigest = 'sha256:xyz';
    expect(invalidAt(JSON.stringify(badDigest))).toBe('status.booted.image.imageDigest');
  });

  it('never throws anything but BOOTC_OUTPUT_INVALID on random input', () => {
    const base = fixtureJson(join(FIXTURES, 'spec-staged-booted.yaml'));
    fc.assert(fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
        fc.tuple(fc.nat({ max: base.length - 1 }), fc.string({ maxLength: 3 })).map(([n, s]) => base.slice(0, n) + s + base.slice(n + 1)),
      ),
      (raw) => {
        try {
          bootcStatusSchema.parse(parseBootcStatus(raw));
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'BOOTC_OUTPUT_INVALID') throw err;
        }
      },
    ), { numRuns: 2000 });
  });
});
