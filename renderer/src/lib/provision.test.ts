import { describe, expect, it } from 'vitest';
import { provisionStartSchema } from '../../../shared/contract';
import { fitsArchitectures, isLibraryArchive, ociArchitecture, optionErrors, phasesOf, planInput, startInput, type BoxDraft, type LiveLogin, type ProvisionOptions } from './provision';

const login: LiveLogin = { user: 'root', auth: 'password', password: 'pw', keyPath: '' };
const box: BoxDraft = { id: 1, host: '192.0.2.10', port: '22', own: false, login, disk: '/dev/sda', wipe: false, confirm: '', name: 'edge-01', site: '', tags: '' };
const options: ProvisionOptions = {
  image: 'registry.local/fleet/os:1.0',
  source: 'library',
  archive: '/srv/os.oci.tar',
  library: 'img-1',
  filesystem: '',
  rootSize: '',
  kargs: '',
  authorizedKeys: '',
  loginUser: 'root',
  loginKeyPath: '',
  acceptNewHostKey: false,
  waitSeconds: '900',
  parallel: '10',
};

describe('the library source', () => {
  it('sends the library image and not the archive typed before', () => {
    const plan = planInput(box, login, options);
    expect(plan).toMatchObject({ image: 'registry.local/fleet/os:1.0', library: 'img-1' });
    expect(plan).not.toHaveProperty('archive');
    const start = startInput([box], login, options);
    expect(start).toMatchObject({ image: 'registry.local/fleet/os:1.0', library: 'img-1' });
    expect(start).not.toHaveProperty('archive');
    expect(provisionStartSchema.safeParse(start).success).toBe(true);
  });
  it('sends neither from the other sources', () => {
    expect(planInput(box, login, { ...options, source: 'archive' })).toMatchObject({ archive: '/srv/os.oci.tar' });
    expect(planInput(box, login, { ...options, source: 'archive' })).not.toHaveProperty('library');
    const registry = planInput(box, login, { ...options, source: 'registry' });
    expect(registry).not.toHaveProperty('library');
    expect(registry).not.toHaveProperty('archive');
  });
  it('needs an image chosen', () => {
    expect(optionErrors({ ...options, library: '' }).library).toBe('Choose a library image');
    expect(optionErrors(options)).toEqual({});
    expect(optionErrors({ ...options, source: 'registry', library: '' })).toEqual({});
  });
});

describe('library images and boxes', () => {
  it('names architectures as OCI does', () => {
    expect(ociArchitecture('x86_64')).toBe('amd64');
    expect(ociArchitecture('aarch64')).toBe('arm64');
    expect(ociArchitecture('riscv64')).toBe('riscv64');
  });
  it('fits an image with a build for every box', () => {
    expect(fitsArchitectures({ architectures: ['amd64', 'arm64'] }, ['amd64', 'arm64'])).toBe(true);
    expect(fitsArchitectures({ architectures: ['amd64'] }, ['amd64', 'arm64'])).toBe(false);
    expect(fitsArchitectures({ architectures: [] }, ['amd64'])).toBe(true);
    expect(fitsArchitectures({ architectures: ['arm64'] }, [])).toBe(true);
  });
});

describe('a run from the library', () => {
  const hex = 'ab'.repeat(32);
  it('is told from its archive, which the library writes in its cache', () => {
    expect(isLibraryArchive(`/root/.config/Bootfleet/library/archives/${hex}.oci.tar`)).toBe(true);
    expect(isLibraryArchive(`C:\\Users\\tech\\AppData\\Bootfleet\\library\\archives\\${hex}.oci.tar`)).toBe(true);
    expect(isLibraryArchive('/srv/images/os-1.0.oci.tar')).toBe(false);
    // A device send's per-platform archive is named with its tag: not a provisioning archive.
    expect(isLibraryArchive(`/data/library/archives/${hex}-1.0.oci.tar`)).toBe(false);
  });
  it('shows the upload like any archive', () => {
    const run = { archive: `/data/library/archives/${hex}.oci.tar`, keysAuthorized: false } as Parameters<typeof phasesOf>[0];
    expect(phasesOf(run)).toContain('uploading');
  });
});
