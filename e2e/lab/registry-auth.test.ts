import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabAuthRegistry } from './index';
import { MANIFEST_ACCEPT } from './oci/registry-client';
import { run, stopChild } from './procs';
import { startAuthRegistry, type RunningAuthRegistry } from './registry';

/**
 * The lab's token-authenticated registry, driven with plain fetch and skopeo: the Docker token
 * flow against distribution 2.8. Needs root like the other lab tests.
 */

const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the device lab tests need root (namespaces, mounts, loop devices)');
if (!canRun) console.warn('Skipping the registry auth lab tests: they need root (run them as root or in CI).');
const suite = canRun ? describe : describe.skip;

const USER = 'fleet';
const PASSWORD = 'lab: s3cret';
const REPO = 'bootfleet/os';

let lab: Lab;
let auth: LabAuthRegistry;
let work: string;
let anonPull: RunningAuthRegistry | null = null;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function getToken(registry: LabAuthRegistry, scope: string, authorization?: string): Promise<Response> {
  const query = new URLSearchParams({ service: registry.service, scope });
  return fetch(`${registry.tokenUrl}?${query}`, { headers: authorization ? { authorization } : {} });
}

async function tokenFor(registry: LabAuthRegistry, scope: string, authorization?: string): Promise<string> {
  const res = await getToken(registry, scope, authorization);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

function getManifest(url: string, tag: string, token?: string): Promise<Response> {
  return fetch(`${url}/v2/${REPO}/manifests/${tag}`, {
    headers: { accept: MANIFEST_ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

const indexDigest = (tag: string) => lab.images.find((i) => i.tag === tag)?.indexDigest;

beforeAll(async () => {
  if (!canRun) return;
  work = await mkdtemp(join(tmpdir(), 'lab-auth-test-'));
  lab = await startLab({ devices: 1, authRegistry: { user: USER, password: PASSWORD } });
  if (!lab.authRegistry) throw new Error('the lab did not report its auth registry');
  auth = lab.authRegistry;
}, 120_000);

afterAll(async () => {
  if (anonPull) {
    await stopChild(anonPull.registry.child);
    await anonPull.tokenServer.close();
  }
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

suite('a registry that requires bearer tokens', () => {
  it('answers 401 with a Bearer challenge naming the realm, service and scope', async () => {
    expect(auth).toMatchObject({ user: USER, password: PASSWORD, anonymousPull: false, url: `http://${auth.host}` });
    expect(auth.host.split(':')[0]).toBe(lab.registry?.host.split(':')[0]);
    const res = await getManifest(auth.url, 'stable');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate'))
      .toBe(`Bearer realm="${auth.tokenUrl}",service="${auth.service}",scope="repository:${REPO}:pull"`);
    const base = await fetch(`${auth.url}/v2/`);
    expect(base.status).toBe(401);
    expect(base.headers.get('www-authenticate')).toBe(`Bearer realm="${auth.tokenUrl}",service="${auth.service}"`);
  });

  it('issues a token for the right credentials that reads the same digests as the anonymous registry', async () => {
    const res = await getToken(auth, `repository:${REPO}:pull`, basic(USER, PASSWORD));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    expect(Date.parse(body.issued_at)).toBeGreaterThan(Date.now() - 60_000);
    const c = claims(body.token);
    expect(c).toMatchObject({ iss: expect.any(String), sub: USER, aud: auth.service, access: [{ type: 'repository', name: REPO, actions: ['pull'] }] });
    expect(Number(c.exp) - Number(c.iat)).toBe(300);
    expect(c.jti).toEqual(expect.any(String));

    for (const tag of ['stable', '1.0', '1.1', '2.0']) {
      const withToken = await getManifest(auth.url, tag, body.token);
      expect(withToken.status).toBe(200);
      const anonymous = await getManifest(lab.registry?.url ?? '', tag);
      expect(withToken.headers.get('docker-content-digest')).toBe(anonymous.headers.get('docker-content-digest'));
      expect(withToken.headers.get('docker-content-digest')).toBe(indexDigest(tag === 'stable' ? '1.0' : tag));
    }
  });

  it('sees a retag on the anonymous registry at once (shared storage)', async () => {
    const token = await tokenFor(auth, `repository:${REPO}:pull`, basic(USER, PASSWORD));
    await lab.retag('stable', '1.1');
    try {
      expect((await getManifest(auth.url, 'stable', token)).headers.get('docker-content-digest')).toBe(indexDigest('1.1'));
    } finally {
      await lab.retag('stable', '1.0');
    }
  });

  it('refuses a wrong password or an unknown user at the token endpoint', async () => {
    for (const authorization of [basic(USER, 'wrong'), basic('nobody', PASSWORD), 'Basic !!!']) {
      const res = await getToken(auth, `repository:${REPO}:pull`, authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('gives an anonymous caller a token that grants nothing, so the registry still refuses', async () => {
    const token = await tokenFor(auth, `repository:${REPO}:pull`);
    expect(claims(token)).toMatchObject({ sub: '', access: [] });
    const res = await getManifest(auth.url, 'stable', token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('with anonymousPull, lets an anonymous caller pull but not push', async () => {
    const address = auth.host.split(':')[0] ?? '';
    anonPull = await startAuthRegistry(join(work, 'anonymous-pull'), {
      host: `${address}:5010`, tokenHost: `${address}:5011`, storageDir: join(lab.dir, 'registry', 'storage'),
      user: USER, password: PASSWORD, anonymousPull: true,
    });
    const info = anonPull.info;
    expect(info.anonymousPull).toBe(true);
    const token = await tokenFor(info, `repository:${REPO}:pull,push`);
    expect(claims(token).access).toEqual([{ type: 'repository', name: REPO, actions: ['pull'] }]);
    const res = await getManifest(info.url, 'stable', token);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(indexDigest('1.0'));
    const push = await fetch(`${info.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(push.status).toBe(401);
    // The user still gets push.
    const userToken = await tokenFor(info, `repository:${REPO}:pull,push`, basic(USER, PASSWORD));
    const upload = await fetch(`${info.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${userToken}` } });
    expect(upload.status).toBe(202);
  });

  it('works for skopeo with --creds, and fails without them or with wrong ones', async () => {
    const ref = `docker://${auth.host}/${REPO}:stable`;
    const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, ref]);
    expect(JSON.parse(raw)).toMatchObject({ mediaType: 'application/vnd.oci.image.index.v1+json' });
    const digest = await run('skopeo', ['inspect', '--format', '{{.Digest}}', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, ref]);
    expect(digest.trim()).toBe(indexDigest('1.0'));
    const refused = (args: string[]) => run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...args, ref]).then(() => '', (e: Error) => e.message);
    expect(await refused([])).toMatch(/unauthorized|authentication required/i);
    expect(await refused(['--creds', `${USER}:wrong`])).toMatch(/unauthorized|401/i);
  });

  it('takes a push from skopeo with --dest-creds, visible on the anonymous registry with the same digest', async () => {
    await run('skopeo', [
      'copy', '--quiet', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASSWORD}`,
      `docker://${lab.registry?.host}/${REPO}:2.0`, `docker://${auth.host}/${REPO}:pushed`,
    ]);
    expect((await getManifest(lab.registry?.url ?? '', 'pushed')).headers.get('docker-content-digest')).toBe(indexDigest('2.0'));
  });

  it('stops the token server and the second registry with the lab', async () => {
    const pids = JSON.parse(await readFile(join(lab.dir, 'pids.json'), 'utf8')) as number[];
    const cmdlines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
    const registryPid = pids[cmdlines.findIndex((c) => c.includes(join(lab.dir, 'auth-registry')))];
    expect(registryPid).toBeGreaterThan(0);
    await lab.stop();
    expect(existsSync(`/proc/${registryPid}`)).toBe(false);
    await expect(fetch(auth.tokenUrl)).rejects.toThrow();
  });
});
