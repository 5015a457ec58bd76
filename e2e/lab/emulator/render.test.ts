import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { fakeImage } from './fake-env';
import { chronoSerde, formatSize, hostDocument, parseRfc3339, renderHuman, toJson, toYaml, type DocValue } from './render';
import { bootNext, createState, type CreateStateOptions } from './state';
import type { DeploymentState, DeviceState, ImageReference, ResolvedImage } from './types';
import { featuresFor, type BootcFeatures } from './versions';

/** bootc's own fixtures, vendored (see fixtures/README.md). */
const REF = join(__dirname, 'fixtures', 'bootc');
const SPREAD = ['0.1.14', '0.1.15', '1.1.2', '1.1.6', '1.1.7', '1.3.0', '1.5.0', '1.7.0', '1.12.0', '1.14.0', '1.16.9'];
const OS: ImageReference = { image: 'quay.io/example/os:latest', transport: 'registry' };
const A = fakeImage('a', { timestamp: '2025-08-15T03:55:10Z' });
const B = fakeImage('b', { timestamp: '2025-09-15T04:01:02.123456789Z' });
const C = fakeImage('c', { version: null, timestamp: null });

/** The states every version's JSON is checked on. */
const STATES: Record<string, CreateStateOptions> = {
  bootedOnly: { booted: { image: OS, resolved: A } },
  bootedStaged: { booted: { image: OS, resolved: A }, staged: { image: OS, resolved: B } },
  bootedRollback: { booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A } },
  rollbackQueued: { booted: { image: OS, resolved: B }, rollback: { image: OS, resolved: A }, rollbackQueued: true },
  downloadOnly: { booted: { image: OS, resolved: A }, staged: { image: OS, resolved: B, downloadOnly: true } },
  cachedUpdate: { booted: { image: OS, resolved: A, cachedUpdate: C } },
  usrOverlay: { booted: { image: OS, resolved: A }, usrOverlay: { accessMode: 'readWrite', persistence: 'transient' } },
  pinnedOther: { booted: { image: OS, resolved: A, pinned: true }, otherDeployments: [{ image: OS, resolved: C, pinned: true }] },
  signatures: {
    booted: { image: { ...OS, signature: { ostreeRemote: 'fedora' } }, resolved: A },
    staged: { image: { image: '/var/mnt/osupdate', transport: 'oci', signature: 'containerPolicy' }, resolved: fakeImage('oci', { version: '1.0' }) },
  },
  nonBootc: { bootcDeployed: false },
};

const schema = JSON.parse(readFileSync(`${REF}/schema/host-v1.schema.json`, 'utf8')) as { $defs: Record<string, { required?: string[] }> };

/**
 * The current schema requires fields older releases did not have (architecture < 1.1.7,
 * stateroot < 1.3.0); for those releases validate against the same schema minus those
 * requirements (everything else, including types and enums, unchanged).
 */
function schemaFor(f: BootcFeatures): object {
  const s = JSON.parse(JSON.stringify(schema)) as typeof schema;
  const drop = (def: string, field: string): void => {
    const d = s.$defs[def];
    if (d?.required) d.required = d.required.filter((r) => r !== field);
  };
  if (!f.architecture) drop('ImageStatus', 'architecture');
  if (!f.stateroot) drop('BootEntryOstree', 'stateroot');
  return s;
}

const DECL: Record<string, string[]> = {
  host: ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
  spec: ['image', 'bootOrder'],
  ref: ['image', 'transport', 'signature'],
  status: ['staged', 'booted', 'rollback', 'otherDeployments', 'rollbackQueued', 'type', 'usrOverlay', 'readOnly'],
  entry: ['image', 'cachedUpdate', 'incompatible', 'pinned', 'softRebootCapable', 'downloadOnly', 'store', 'ostree', 'composefs'],
  imageStatus: ['image', 'version', 'timestamp', 'imageDigest', 'architecture'],
  ostree: ['stateroot', 'checksum', 'deploySerial'],
  overlay: ['accessMode', 'persistence'],
};

/** The keys a release emits for one object, in the order it emits them. */
function expectedKeys(kind: string, f: BootcFeatures, obj: Record<string, unknown>): string[] {
  const allowed = (DECL[kind] ?? []).filter((k) => {
    if (kind === 'ref' && k === 'signature') return 'signature' in obj;
    if (kind === 'status' && k === 'otherDeployments') return f.otherDeployments && 'otherDeployments' in obj;
    if (kind === 'status' && k === 'usrOverlay') return f.usrOverlayField;
    if (kind === 'status' && k === 'readOnly') return f.readOnlyField;
    if (kind === 'entry' && k === 'softRebootCapable') return f.softReboot;
    if (kind === 'entry' && k === 'downloadOnly') return f.downloadOnly;
    if (kind === 'entry' && k === 'store') return f.storeField;
    if (kind === 'entry' && k === 'composefs') return f.composefsField;
    if (kind === 'imageStatus' && k === 'architecture') return f.architecture;
    if (kind === 'ostree' && k === 'stateroot') return f.stateroot;
    return true;
  });
  return f.sortedJson ? [...allowed].sort() : allowed;
}

function checkKeys(kind: string, f: BootcFeatures, obj: unknown, path: string): void {
  if (obj === null) return;
  const o = obj as Record<string, unknown>;
  expect(Object.keys(o), path).toEqual(expectedKeys(kind, f, o));
  const entry = (k: string): void => checkKeys('entry', f, o[k], `${path}.${k}`);
  if (kind === 'host') {
    checkKeys('spec', f, o.spec, 'spec');
    checkKeys('status', f, o.status, 'status');
  } else if (kind === 'spec') checkKeys('ref', f, o.image, `${path}.image`);
  else if (kind === 'status') {
    entry('staged');
    entry('booted');
    entry('rollback');
    ((o.otherDeployments as unknown[] | undefined) ?? []).forEach((d, i) => checkKeys('entry', f, d, `${path}.otherDeployments[${i}]`));
    checkKeys('overlay', f, o.usrOverlay ?? null, `${path}.usrOverlay`);
  } else if (kind === 'entry') {
    checkKeys('imageStatus', f, o.image, `${path}.image`);
    checkKeys('imageStatus', f, o.cachedUpdate, `${path}.cachedUpdate`);
    checkKeys('ostree', f, o.ostree, `${path}.ostree`);
  } else if (kind === 'imageStatus') checkKeys('ref', f, o.image, `${path}.image`);
}

describe('status JSON by release', () => {
  for (const version of SPREAD) {
    const f = featuresFor(version);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // The two formats the schema uses, checked rather than ignored.
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    ajv.addFormat('uint32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 4294967295 });
    const validate = ajv.compile(schemaFor(f));
    for (const [name, opts] of Object.entries(STATES)) {
      it(`${version} ${name}: one schema-valid line, right apiVersion, key order and fields`, () => {
        const json = toJson(hostDocument(createState(opts), f), f.sortedJson);
        expect(json.endsWith('\n')).toBe(false);
        expect(json).not.toContain('\n');
        const doc = JSON.parse(json) as { apiVersion: string; status: Record<string, unknown> };
        expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
        expect(doc.apiVersion).toBe(version === '0.1.14' ? 'org.containers.bootc/v1alpha1' : 'org.containers.bootc/v1');
        checkKeys('host', f, doc, '$');
      });
    }
  }

  it('prints the non-bootc document byte for byte as spec-v1-null.json for 0.1.15–1.4.x', () => {
    const fixture = readFileSync(`${REF}/spec-v1-null.json`, 'utf8');
    for (const v of ['0.1.15', '1.1.6', '1.3.0', '1.4.0']) {
      expect(toJson(hostDocument(createState({ bootcDeployed: false }), featuresFor(v)), featuresFor(v).sortedJson)).toBe(fixture);
    }
  });

  it('sorts the non-bootc document from 1.5.0 and adds usrOverlay (1.14) and readOnly (1.16.7)', () => {
    const nb = createState({ bootcDeployed: false });
    const render = (v: string): string => toJson(hostDocument(nb, featuresFor(v)), featuresFor(v).sortedJson);
    expect(render('1.5.0')).toBe(
      '{"apiVersion":"org.containers.bootc/v1","kind":"BootcHost","metadata":{"name":"host"},"spec":{"bootOrder":"default","image":null},"status":{"booted":null,"rollback":null,"rollbackQueued":false,"staged":null,"type":null}}',
    );
    expect(render('1.14.0')).toContain('"type":null,"usrOverlay":null}}');
    expect(render('1.16.9')).toContain('"readOnly":false,"rollback":null');
    expect(render('1.16.6')).not.toContain('readOnly');
  });

  it('derives spec, bootOrder, type, store and the rollback-queued flag from the state', () => {
    const f = featuresFor('1.16.9');
    const doc = JSON.parse(toJson(hostDocument(createState(STATES.rollbackQueued as CreateStateOptions), f), true)) as {
      spec: { bootOrder: string };
      status: { rollbackQueued: boolean; type: string; booted: { store: string; ostree: { stateroot: string } } };
    };
    expect(doc.spec.bootOrder).toBe('rollback');
    expect(doc.status.rollbackQueued).toBe(true);
    expect(doc.status.type).toBe('bootcHost');
    expect(doc.status.booted.ostree.stateroot).toBe('default');
    const plain = createState({ booted: { checksum: 'f'.repeat(64) } });
    const old = JSON.parse(toJson(hostDocument(plain, featuresFor('1.1.6')), false)) as { spec: { image: null }; status: { type: null; booted: { store: null } } };
    expect(old.spec.image).toBeNull();
    expect(old.status.type).toBeNull();
    expect(old.status.booted.store).toBeNull();
    const now = JSON.parse(toJson(hostDocument(plain, f), true)) as { status: { booted: { store: string } } };
    expect(now.status.booted.store).toBe('ostreeContainer');
  });

  it('writes timestamps the way chrono serializes them', () => {
    expect(chronoSerde(parseRfc3339('2023-10-14T19:22:15.42Z') ?? { epochSeconds: 0, nanos: 0 })).toBe('2023-10-14T19:22:15.420Z');
    expect(chronoSerde(parseRfc3339('2025-09-15T06:01:02.123456789+02:00') ?? { epochSeconds: 0, nanos: 0 })).toBe('2025-09-15T04:01:02.123456789Z');
    expect(chronoSerde(parseRfc3339('2025-09-15T04:01:02.000100Z') ?? { epochSeconds: 0, nanos: 0 })).toBe('2025-09-15T04:01:02.000100Z');
    expect(parseRfc3339('yesterday')).toBeNull();
    const doc = hostDocument(createState({ booted: { image: OS, resolved: fakeImage('t', { timestamp: 'not a date' }) } }), featuresFor('1.16.9'));
    expect(toJson(doc, true)).toContain('"timestamp":null');
  });

  it('applies --booted from 1.1.7 only and keeps otherDeployments', () => {
    const s = createState({ ...(STATES.bootedStaged as CreateStateOptions), rollback: { image: OS, resolved: C }, otherDeployments: [{ image: OS, resolved: fakeImage('p'), pinned: true }] });
    const filtered = JSON.parse(toJson(hostDocument(s, featuresFor('1.7.0'), { bootedOnly: true }), true)) as { status: Record<string, unknown> };
    expect(filtered.status.staged).toBeNull();
    expect(filtered.status.rollback).toBeNull();
    expect(filtered.status.otherDeployments).toHaveLength(1);
    const ignored = JSON.parse(toJson(hostDocument(s, featuresFor('1.1.6'), { bootedOnly: true }), false)) as { status: Record<string, unknown> };
    expect(ignored.status.staged).not.toBeNull();
  });
});

describe('status YAML', () => {
  const customTags = [{ tag: '!ostreeRemote', resolve: (s: string) => ({ ostreeRemote: s }) }];
  for (const version of ['0.1.14', '1.1.6', '1.16.9']) {
    const f = featuresFor(version);
    for (const [name, opts] of Object.entries(STATES)) {
      it(`${version} ${name}: parses to the same object as the JSON and ends with a newline`, () => {
        const doc = hostDocument(createState(opts), f);
        const yaml = toYaml(doc);
        expect(yaml.endsWith('\n')).toBe(true);
        expect(yaml.endsWith('\n\n')).toBe(false);
        expect(parseYaml(yaml, { customTags })).toEqual(JSON.parse(toJson(doc, false)));
      });
    }
  }

  it('follows serde_yaml: indentless sequences, tags, quoted number-like strings, declaration order', () => {
    const f = featuresFor('1.16.9');
    const yaml = toYaml(hostDocument(createState(STATES.pinnedOther as CreateStateOptions), f));
    expect(yaml).toMatch(/\n {2}otherDeployments:\n {2}- image:\n {6}image:\n {8}image: quay\.io\/example\/os:latest\n/);
    expect(yaml.startsWith('apiVersion: org.containers.bootc/v1\nkind: BootcHost\nmetadata:\n  name: host\nspec:\n  image:\n')).toBe(true);
    const sig = toYaml(hostDocument(createState(STATES.signatures as CreateStateOptions), f));
    expect(sig).toContain('    signature: containerPolicy\n');
    expect(sig).toContain("      version: '1.0'\n");
    const remote = toYaml(hostDocument(createState(STATES.bootedOnly as CreateStateOptions), f).spec as DocValue);
    expect(remote).toBe('image:\n  image: quay.io/example/os:latest\n  transport: registry\nbootOrder: default\n');
    const tagged = toYaml(hostDocument(createState({ booted: { image: { ...OS, signature: { ostreeRemote: 'fedora' } }, resolved: A } }), f).spec as DocValue);
    expect(tagged).toContain('  signature: !ostreeRemote fedora\n');
    for (const v of ['20231230.1', 'true', 'null', '0123', '1e3', '42', '']) {
      const y = toYaml({ version: v });
      expect(parseYaml(y)).toEqual({ version: v });
      expect(y.startsWith("version: '")).toBe(true);
    }
    expect(toYaml({ version: 'stream9.20240807.0', t: '2023-10-14T19:22:15.420Z', d: 'sha256:ab' })).toBe('version: stream9.20240807.0\nt: 2023-10-14T19:22:15.420Z\nd: sha256:ab\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Human-readable output against bootc's own unit-test expectations (crates/lib/src/status.rs)

interface FixtureImageStatus {
  image: ImageReference;
  version?: string | number | null;
  timestamp?: string | null;
  imageDigest: string;
  architecture?: string;
}
interface FixtureEntry {
  image: FixtureImageStatus | null;
  cachedUpdate?: FixtureImageStatus | null;
  incompatible?: boolean;
  pinned?: boolean;
  downloadOnly?: boolean;
  softRebootCapable?: boolean;
  ostree: { checksum: string; deploySerial: number; stateroot?: string } | null;
}
interface FixtureHost {
  status: {
    staged?: FixtureEntry | null;
    booted?: FixtureEntry | null;
    rollback?: FixtureEntry | null;
    otherDeployments?: FixtureEntry[];
    rollbackQueued?: boolean;
    usrOverlay?: { accessMode: 'readOnly' | 'readWrite'; persistence: 'transient' | 'persistent' } | null;
  };
}

function resolvedOf(s: FixtureImageStatus): ResolvedImage {
  return { digest: s.imageDigest, version: s.version == null ? null : String(s.version), timestamp: s.timestamp ?? null, architecture: s.architecture ?? 'amd64', layers: [] };
}

function entryOf(e: FixtureEntry | null | undefined): DeploymentState | null {
  if (!e) return null;
  return {
    image: e.image ? e.image.image : null,
    resolved: e.image ? resolvedOf(e.image) : null,
    checksum: e.ostree?.checksum ?? '',
    deploySerial: e.ostree?.deploySerial ?? 0,
    stateroot: e.ostree?.stateroot ?? 'default',
    pinned: e.pinned ?? false,
    downloadOnly: e.downloadOnly ?? false,
    softRebootCapable: e.softRebootCapable ?? false,
    cachedUpdate: e.cachedUpdate ? resolvedOf(e.cachedUpdate) : null,
    kargs: [],
    incompatible: e.incompatible ?? false,
  };
}

/** Converts one of bootc's fixture documents to an emulator state. */
function fixtureState(file: string): DeviceState {
  const host = parseYaml(readFileSync(`${REF}/${file}`, 'utf8'), { customTags: [{ tag: '!ostreeRemote', resolve: (s: string) => ({ ostreeRemote: s }) }] }) as FixtureHost;
  const st = host.status;
  return {
    version: 1,
    staged: entryOf(st.staged),
    booted: entryOf(st.booted),
    rollback: entryOf(st.rollback),
    otherDeployments: (st.otherDeployments ?? []).map((e) => entryOf(e) as DeploymentState),
    rollbackQueued: st.rollbackQueued ?? false,
    usrOverlay: st.usrOverlay ?? null,
    layers: [],
    imported: {},
    softRebootSupported: false,
    readOnly: false,
  };
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('human-readable status (current style)', () => {
  const f = featuresFor('1.16.9');
  const cases: [string, string][] = [
    [
      'spec-staged-booted.yaml',
      lines(
        '  Staged image: quay.io/example/someimage:latest',
        '        Digest: sha256:16dc2b6256b4ff0d2ec18d2dbfb06d117904010c8cf9732cdb022818cf7a7566 (arm64)',
        '       Version: nightly (2023-10-14T19:22:15Z)',
        '',
        '● Booted image: quay.io/example/someimage:latest',
        '        Digest: sha256:736b359467c9437c1ac915acaae952aad854e07eb4a16a94999a48af08c83c34 (arm64)',
        '       Version: nightly (2023-09-30T19:22:16Z)',
      ),
    ],
    [
      'spec-rfe-ostree-deployment.yaml',
      lines(
        '  Staged ostree',
        '         Commit: 1c24260fdd1be20f72a4a97a75c582834ee3431fbb0fa8e4f482bb219d633a45',
        '',
        '● Booted ostree',
        '           Commit: f9fa3a553ceaaaf30cf85bfe7eed46a822f7b8fd7e14c1e3389cbc3f6d27f791',
      ),
    ],
    [
      'spec-ostree-to-bootc.yaml',
      lines(
        '  Staged image: quay.io/centos-bootc/centos-bootc:stream9',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b38 (s390x)',
        '       Version: stream9.20240807.0',
        '',
        '● Booted ostree',
        '           Commit: f9fa3a553ceaaaf30cf85bfe7eed46a822f7b8fd7e14c1e3389cbc3f6d27f791',
      ),
    ],
    [
      'spec-via-local-oci.yaml',
      lines(
        '● Booted image: oci:/var/mnt/osupdate',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b38 (amd64)',
        '       Version: stream9.20240807.0',
      ),
    ],
    [
      'spec-booted-pinned.yaml',
      lines(
        '● Booted image: quay.io/centos-bootc/centos-bootc:stream9',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b38 (arm64)',
        '       Version: stream9.20240807.0',
        '        Pinned: yes',
        '',
        '   Other image: quay.io/centos-bootc/centos-bootc:stream9',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b37 (arm64)',
        '       Version: stream9.20240807.0',
        '        Pinned: yes',
      ),
    ],
    [
      'spec-booted-with-update.yaml',
      lines(
        '● Booted image: quay.io/centos-bootc/centos-bootc:stream9',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b38 (arm64)',
        '       Version: stream9.20240807.0 (2024-08-07T12:00:00Z)',
        ' UpdateVersion: stream9.20240901.0 (2024-09-01T12:00:00Z)',
        '  UpdateDigest: sha256:a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0',
      ),
    ],
    [
      'spec-booted-with-update-no-version.yaml',
      lines(
        '● Booted image: quay.io/centos-bootc/centos-bootc:stream9',
        '        Digest: sha256:47e5ed613a970b6574bfa954ab25bb6e85656552899aa518b5961d9645102b38 (arm64)',
        '       Version: stream9.20240807.0',
        '        Update: Available',
        '  UpdateDigest: sha256:b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1',
      ),
    ],
    [
      'spec-booted-usroverlay.yaml',
      lines(
        '● Booted image: quay.io/example/someimage:latest',
        '        Digest: sha256:736b359467c9437c1ac915acaae952aad854e07eb4a16a94999a48af08c83c34 (arm64)',
        '       Version: nightly (2023-09-30T19:22:16Z)',
        '  /usr overlay: transient, read/write',
      ),
    ],
    ['spec-staged-rollback.yaml', 'System is not deployed via bootc.\n'],
  ];
  for (const [file, expected] of cases) {
    it(`renders ${file} exactly as bootc's unit test expects`, () => {
      expect(renderHuman(fixtureState(file), f)).toBe(expected);
    });
  }

  it('renders download-only staged like staged, and shows it with -v', () => {
    const s = fixtureState('spec-staged-download-only.yaml');
    expect(renderHuman(s, f)).toBe(renderHuman(fixtureState('spec-staged-booted.yaml'), f));
    expect(renderHuman(s, f, { verbose: true })).toContain('Download-only: yes');
    expect(renderHuman(fixtureState('spec-staged-booted.yaml'), f, { verbose: true })).toContain('Download-only: no');
  });

  it('hides a cached update with the same digest', () => {
    const out = renderHuman(fixtureState('spec-booted-update-same-digest.yaml'), f);
    expect(out).not.toContain('UpdateVersion');
    expect(out).not.toContain('UpdateDigest');
  });

  it('indents the rollback entry under its 16-column prefix', () => {
    const s = createState({ booted: { image: OS, resolved: B }, rollback: { image: { image: 'quay.io/example/os:latest', transport: 'registry' }, resolved: fakeImage('r', { version: '42.20250815.0', timestamp: '2025-08-15T03:55:10Z' }) } });
    const out = renderHuman(s, featuresFor('1.7.0'));
    expect(out).toContain(
      lines(
        '',
        '  Rollback image: quay.io/example/os:latest',
        `          Digest: ${fakeImage('r').digest} (amd64)`,
        '         Version: 42.20250815.0 (2025-08-15T03:55:10Z)',
      ),
    );
  });

  it('adds -v rows from 1.5.0 (soft-reboot from 1.7.0, signature when set)', () => {
    const s = createState({ booted: { image: { ...OS, signature: 'containerPolicy' }, resolved: A } });
    const d = s.booted as DeploymentState;
    const v = renderHuman(s, featuresFor('1.7.0'), { verbose: true });
    expect(v).toContain(
      lines('     StateRoot: default', ' Deploy serial: 0', '        Staged: no', `        Commit: ${d.checksum}`, '     Signature: container-policy', '   Soft-reboot: no'),
    );
    expect(renderHuman(s, featuresFor('1.5.0'), { verbose: true })).not.toContain('Soft-reboot');
    expect(renderHuman(s, featuresFor('1.3.0'), { verbose: true })).not.toContain('StateRoot');
  });
});

describe('human-readable status (older styles)', () => {
  const s = createState({ booted: { image: OS, resolved: fakeImage('a', { timestamp: '2024-11-12T21:11:21Z', version: '41.1' }) }, staged: { image: OS, resolved: fakeImage('b', { timestamp: '2024-11-13T08:00:00.5Z' }) } });

  it('1.1.3–1.1.6: current layout, chrono Display timestamps, no architecture', () => {
    const out = renderHuman(s, featuresFor('1.1.6'));
    expect(out).toContain(`        Digest: ${fakeImage('a').digest}\n       Version: 41.1 (2024-11-12 21:11:21 UTC)\n`);
    expect(out).toContain('(2024-11-13 08:00:00.500 UTC)');
  });

  it('1.1.0–1.1.2: "Current booted image" lines', () => {
    expect(renderHuman(s, featuresFor('1.1.2'))).toBe(
      lines(
        `Current staged image: quay.io/example/os:latest`,
        `    Image version: 42.b (2024-11-13 08:00:00.500 UTC)`,
        `    Image digest: ${fakeImage('b').digest}`,
        'Current booted image: quay.io/example/os:latest',
        '    Image version: 41.1 (2024-11-12 21:11:21 UTC)',
        `    Image digest: ${fakeImage('a').digest}`,
        'No rollback image present',
      ),
    );
  });

  it('after a reboot the old booted entry keeps its cachedUpdate', () => {
    const withCache = createState({ booted: { image: OS, resolved: A, cachedUpdate: B }, staged: { image: OS, resolved: B } });
    const after = bootNext(withCache, { healthCheckFails: false });
    const out = renderHuman(after, featuresFor('1.16.9'));
    expect(out).not.toMatch(/● Booted image[^]*UpdateDigest[^]*Rollback/);
    expect(out).toMatch(/Rollback image[^]*Version: 42\.a[^]*\n\s+UpdateDigest: /);
  });
});

describe('formatSize', () => {
  it('matches glib::format_size (decimal units, no-break space, bytes below 1 kB)', () => {
    expect(formatSize(61_000_000)).toBe('61.0\u00a0MB');
    expect(formatSize(1_200_000_000)).toBe('1.2\u00a0GB');
    expect(formatSize(60_100_000)).toBe('60.1\u00a0MB');
    expect(formatSize(999)).toBe('999 bytes');
    expect(formatSize(1)).toBe('1 byte');
    expect(formatSize(1000)).toBe('1.0\u00a0kB');
  });
});
