import { describe, expect, it } from 'vitest';
import { bootedImageOf, bootedImageTitle, choiceFor, deployedAs, followedName, formatRate, parseRate, sendFields, sendingNow, sendText } from './via-library';

const LAYOUT = '/var/lib/bootfleet/images';

describe('parseRate', () => {
  it('reads MB/s as decimal bytes per second, as the CLI reads 50M', () => {
    expect(parseRate('50')).toEqual({ bytesPerSecond: 50_000_000, error: null });
    expect(parseRate(' 2.5 ')).toEqual({ bytesPerSecond: 2_500_000, error: null });
    expect(parseRate('.5')).toEqual({ bytesPerSecond: 500_000, error: null });
  });
  it('takes an empty field as no limit', () => {
    expect(parseRate('')).toEqual({ bytesPerSecond: undefined, error: null });
    expect(parseRate('   ')).toEqual({ bytesPerSecond: undefined, error: null });
  });
  it('refuses less than 1 KiB/s, as the contract does', () => {
    expect(parseRate('0.001').error).toMatch(/at least 1 KiB\/s/);
    expect(parseRate('0').error).toMatch(/at least 1 KiB\/s/);
    expect(parseRate('0.002')).toEqual({ bytesPerSecond: 2000, error: null });
  });
  it('refuses what is not a number', () => {
    for (const t of ['fast', '-5', '5e3', '1,5', '50M', '1.2.3']) expect(parseRate(t).error).toMatch(/as a number/);
  });
});

describe('formatRate', () => {
  it('says a rate in the unit it is typed in', () => {
    expect(formatRate(50_000_000)).toBe('50 MB/s');
    expect(formatRate(2_500_000)).toBe('2.5 MB/s');
    expect(formatRate(800_000)).toBe('800 kB/s');
    expect(formatRate(1024)).toBe('1.02 kB/s');
  });
});

describe('sendFields', () => {
  it('adds nothing when the devices pull the image', () => {
    expect(sendFields({ via: 'device', format: 'oci-archive', rate: '5' })).toEqual({});
  });
  it('sends via the library in the form chosen, with the rate when it is valid', () => {
    expect(sendFields({ via: 'library', format: 'oci', rate: '' })).toEqual({ via: 'library', transport: 'oci' });
    expect(sendFields({ via: 'library', format: 'oci-archive', rate: '10' })).toEqual({ via: 'library', transport: 'oci-archive', maxBytesPerSecond: 10_000_000 });
    expect(sendFields({ via: 'library', format: 'oci', rate: 'x' })).toEqual({ via: 'library', transport: 'oci' });
  });
});

describe('sendText', () => {
  it('is null when the devices pull the image', () => {
    expect(sendText({ via: 'device', transport: 'registry' })).toBeNull();
  });
  it('reads the form (registry, the default, is the layout) and the limit', () => {
    expect(sendText({ via: 'library', transport: 'registry', maxBytesPerSecond: null })).toBe('OCI layout, only missing layers sent · no rate limit');
    expect(sendText({ via: 'library', transport: 'oci-archive', maxBytesPerSecond: 50_000_000 }, true)).toBe('one oci-archive file · at most 50 MB/s for all devices together');
  });
});

describe('choiceFor', () => {
  it('starts from the library, in the same form, for a device that follows a library path', () => {
    expect(choiceFor({ transport: 'oci', image: `${LAYOUT}:v2` })).toEqual({ via: 'library', format: 'oci', rate: '' });
    expect(choiceFor({ transport: 'oci-archive', image: '/var/lib/bootfleet/archives/os-v2.oci.tar' })).toMatchObject({ via: 'library', format: 'oci-archive' });
  });
  it('starts from the registry otherwise', () => {
    expect(choiceFor({ transport: 'registry', image: 'registry.local/os:v2' }).via).toBe('device');
    expect(choiceFor({ transport: 'oci', image: '/srv/other:v2' }).via).toBe('device');
    expect(choiceFor(null).via).toBe('device');
  });
});

describe('the booted image', () => {
  const library = { bootedImage: `oci:${LAYOUT}:v2`, bootedAs: 'registry.local/fleet/os:v2', booted: { digest: 'sha256:aa', version: null } };
  const registry = { bootedImage: 'registry.local/fleet/os:v1', bootedAs: null, booted: { digest: 'sha256:bb', version: null } };

  it('shows the registry image a library path stands for, with the path on the device', () => {
    expect(bootedImageOf(library)).toEqual({ shown: 'registry.local/fleet/os:v2', viaLibrary: true, onDevice: `oci:${LAYOUT}:v2` });
    expect(bootedImageTitle(library)).toContain(`on the device: oci:${LAYOUT}:v2`);
  });
  it('shows bootc’s reference otherwise, and nothing when none is known', () => {
    expect(bootedImageOf(registry)).toEqual({ shown: 'registry.local/fleet/os:v1', viaLibrary: false, onDevice: null });
    expect(bootedImageTitle(registry)).toBe('registry.local/fleet/os:v1');
    expect(bootedImageOf({ bootedImage: null, bootedAs: null })).toBeNull();
  });
  it('names a deployment only when it is the booted one of the summary (same path and digest)', () => {
    const ref = { transport: 'oci', image: `${LAYOUT}:v2` };
    expect(deployedAs(ref, 'sha256:aa', library)).toBe('registry.local/fleet/os:v2');
    expect(deployedAs(ref, 'sha256:cc', library)).toBeNull();
    expect(deployedAs({ transport: 'oci', image: `${LAYOUT}:v1` }, 'sha256:aa', library)).toBeNull();
    expect(deployedAs(ref, 'sha256:aa', registry)).toBeNull();
  });
  it('tells the name a device follows: a registry image, or what its library path stands for', () => {
    expect(followedName({ transport: 'registry', image: 'registry.local/fleet/os:v1' }, registry)).toBe('registry.local/fleet/os:v1');
    expect(followedName({ transport: 'oci', image: `${LAYOUT}:v2` }, library)).toBe('registry.local/fleet/os:v2');
    expect(followedName({ transport: 'oci', image: `${LAYOUT}:v3` }, library)).toBeNull();
    expect(followedName({ transport: 'containers-storage', image: 'localhost/os' }, registry)).toBeNull();
  });
});

describe('sendingNow', () => {
  it('counts the devices being sent to and adds their speeds', () => {
    const t = (bytesPerSecond: number) => ({ done: 1, total: 2, bytesPerSecond });
    expect(
      sendingNow([
        { phase: 'transferring', state: 'running', transfer: t(100) },
        { phase: 'transferring', state: 'running', transfer: null },
        { phase: 'staging', state: 'running', transfer: t(50) },
        { phase: 'transferring', state: 'failed', transfer: t(70) },
      ]),
    ).toEqual({ devices: 2, bytesPerSecond: 100 });
  });
});
