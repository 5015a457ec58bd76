import { describe, expect, it } from 'vitest';
import { bundleName, exportErrors, keyFileName, keyLineName, refusedSigner, siteMergeText, trustErrorField } from './bundles';

describe('bundleName', () => {
  it('names the site, or images', () => {
    expect(bundleName('plant 7/a', '2026-11-24')).toBe('bootfleet-plant-7-a-2026-11-24');
    expect(bundleName(null, '2026-11-24')).toBe('bootfleet-images-2026-11-24');
  });
});

describe('exportErrors', () => {
  const ok = { refs: [], site: 'plant-7', since: '', path: '/media/usb/b' };
  it('accepts a site alone', () => expect(exportErrors(ok)).toEqual({}));
  it('needs images or a site', () => expect(exportErrors({ ...ok, site: null, refs: [] }).refs).toBeTruthy());
  it('checks since', () => {
    expect(exportErrors({ ...ok, since: 'yesterday-ish' }).since).toMatch(/date/);
    expect(exportErrors({ ...ok, since: '2026-11-01' }).since).toBeUndefined();
    expect(exportErrors({ ...ok, site: null, refs: ['x'], since: '2026-11-01' }).since).toMatch(/site/);
  });
  it('needs an absolute path', () => {
    expect(exportErrors({ ...ok, path: '' }).path).toBeTruthy();
    expect(exportErrors({ ...ok, path: 'usb/b' }).path).toMatch(/full path/);
  });
});

describe('refusedSigner', () => {
  it('finds the fingerprint of an untrusted key', () => {
    const m = '/media/b: Signed by SHA256:abc+/XYZ09 (plant-7), a key this installation does not trust: check the fingerprint with its owner, then `bootfleet keys trust`. Nothing was imported.';
    expect(refusedSigner(m)).toEqual({ fingerprint: 'SHA256:abc+/XYZ09', revoked: false });
  });
  it('and of a revoked one', () => {
    expect(refusedSigner('/b: Signed by hq (SHA256:Q1w), whose trust was revoked on 2026-11-01. Nothing was imported.')).toEqual({ fingerprint: 'SHA256:Q1w', revoked: true });
  });
  it('ignores other refusals', () => {
    expect(refusedSigner('/b: The signature by SHA256:Q1w does not match the content: it was altered after signing.')).toBeNull();
    expect(refusedSigner('No bundle at /b.')).toBeNull();
  });
});

describe('trustErrorField', () => {
  it('maps refusals to fields', () => {
    expect(trustErrorField("The key's fingerprint is SHA256:a, not the SHA256:b you typed: check it with the key's owner. Nothing was trusted.")).toBe('fingerprint');
    expect(trustErrorField('Not a Bootfleet public key: it should read "bootfleet-ed25519 BASE64 NAME"')).toBe('publicKey');
    expect(trustErrorField('The key is 12 bytes, not the 32 of an Ed25519 key: it was cut or altered.')).toBe('publicKey');
    expect(trustErrorField("That is this installation's own key.")).toBe('publicKey');
    expect(trustErrorField('Something else')).toBeNull();
  });
});

describe('key lines and files', () => {
  it('reads the name of a key line', () => {
    expect(keyLineName('bootfleet-ed25519 AAAA plant 7 hq')).toBe('plant 7 hq');
    expect(keyLineName('bootfleet-ed25519 AAAA')).toBe('');
  });
  it('names a key file', () => {
    expect(keyFileName('ops@hq laptop')).toBe('ops-hq-laptop.pub');
    expect(keyFileName('')).toBe('bootfleet-key.pub');
  });
});

describe('siteMergeText', () => {
  it('counts what was added', () => {
    expect(siteMergeText({ devicesAdded: 1, snapshotsAdded: 0, activityAdded: 1200 })).toBe('1 device, 0 snapshots, 1,200 activity entries added');
    expect(siteMergeText({ devicesAdded: 0, snapshotsAdded: 2, activityAdded: 3, recordingsAdded: 1 })).toBe('0 devices, 2 snapshots, 3 activity entries, 1 terminal recording added');
  });
});
