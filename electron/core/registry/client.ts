import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors';
import { apiHost, isLoopbackRegistry, manifestReference, parseImageReference, type ImageReference } from './reference';

/** Every manifest kind a bootc image comes as; registries answer MANIFEST_UNKNOWN for kinds not listed. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;
const INDEX_TYPES = new Set<string>([MANIFEST_MEDIA_TYPES[0], MANIFEST_MEDIA_TYPES[2]]);
const MAX_MANIFEST = 4 * 1024 * 1024;

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryAccess {
  /** The login for a registry host, if one is configured. */
  credentials(registry: string): Credentials | null;
  /** Whether the registry is configured for plain HTTP. */
  insecure(registry: string): boolean;
}

export interface ResolvedImage {
  ref: string;
  digest: string;
  mediaType: string;
  platforms: { digest: string; os: string; architecture: string; variant: string | null }[];
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * A small client of the OCI distribution API: resolves references to digests, with the token
 * flow (anonymous, or with a login) and basic auth as registries ask for them. Tokens are kept
 * until they expire; a loopback registry that does not speak TLS is reached over plain HTTP.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; until: number }>();
  private readonly plainHttp = new Set<string>();
  private readonly basic = new Set<string>();

  constructor(
    private readonly access: RegistryAccess,
    private readonly opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
  ) {}

  /** What the reference points at now: the manifest or index digest, and each platform's digest. */
  async resolve(ref: string, signal?: AbortSignal): Promise<ResolvedImage> {
    const m = await this.manifest(ref, signal);
    let json: { manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[] };
    try {
      json = JSON.parse(m.body.toString('utf8')) as typeof json;
    } catch {
      throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: the manifest is not JSON.`);
    }
    const platforms = INDEX_TYPES.has(m.mediaType)
      ? (json.manifests ?? [])
          .filter((x) => x.platform?.architecture && x.platform.architecture !== 'unknown')
          .map((x) => ({ digest: x.digest, os: x.platform!.os ?? 'linux', architecture: x.platform!.architecture!, variant: x.platform!.variant ?? null }))
      : [];
    return { ref, digest: m.digest, mediaType: m.mediaType, platforms };
  }

  /** The manifest (or index) a reference names, as the registry stores it, checked against its digest. */
  async manifest(ref: string, signal?: AbortSignal): Promise<{ body: Buffer; digest: string; mediaType: string }> {
    const r = parseImageReference(ref);
    const res = await this.request(r, `/v2/${r.repository}/manifests/${manifestReference(r)}`, { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } }, signal);
    if (res.status === 404) throw new AppError(ErrorCode.IMAGE_NOT_FOUND, `${ref}: the registry has no such ${r.digest ? 'digest' : 'tag'} (${manifestReference(r)}) in ${r.repository}.`);
    if (!res.ok) throw await registryError(res, ref);
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_MANIFEST) throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: the manifest is ${length} bytes, more than a manifest can be.`);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (r.digest && r.digest.startsWith('sha256:') && r.digest !== digest) {
      throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: the registry returned a manifest whose digest is ${digest}, not the one asked for.`);
    }
    const header = res.headers.get('docker-content-digest');
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: the registry says the manifest is ${header} but its content hashes to ${digest}.`);
    }
    let declared: string | undefined;
    try {
      declared = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType;
    } catch {
      throw new AppError(ErrorCode.REGISTRY_ERROR, `${ref}: the manifest is not JSON.`);
    }
    const mediaType = declared ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? 'application/vnd.oci.image.manifest.v1+json';
    return { body, digest, mediaType };
  }

  /**
   * A blob of the reference's repository, from byte `start` on (a Range request; the answer says
   * whether the registry honoured it). No overall time limit: the caller watches for stalls.
   */
  async blob(ref: string, digest: string, start: number, signal: AbortSignal): Promise<{ body: ReadableStream<Uint8Array>; from: number; length: number | null }> {
    const r = parseImageReference(ref);
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const res = await this.request(r, `/v2/${r.repository}/blobs/${digest}`, { headers }, signal, false);
    if (res.status === 404) throw new AppError(ErrorCode.IMAGE_NOT_FOUND, `${ref}: the registry has no blob ${digest}.`);
    if (!res.ok || !res.body) throw await registryError(res, `${ref} blob ${digest}`);
    const from = res.status === 206 ? start : 0;
    const length = res.headers.get('content-length');
    return { body: res.body, from, length: length === null ? null : Number(length) };
  }

  /**
   * Pushes an image to `target` (REGISTRY/NAME[:TAG]): each blob the registry lacks (HEAD first),
   * then the manifests by digest, then the top one under the tag. `open` gives a blob's bytes.
   */
  async push(
    target: string,
    image: { top: { digest: string; mediaType: string; body: Buffer }; manifests: { digest: string; mediaType: string; body: Buffer }[]; blobs: { digest: string; size: number }[] },
    open: (digest: string) => NodeJS.ReadableStream,
    signal?: AbortSignal,
    onBlob?: (b: { digest: string; size: number; skipped: boolean }) => void,
  ): Promise<{ pushed: number; skipped: number }> {
    const r = parseImageReference(target);
    const repo = r.repository;
    let pushed = 0;
    let skipped = 0;
    for (const b of image.blobs) {
      const head = await this.request(r, `/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD' }, signal, true, true);
      if (head.ok) {
        skipped += b.size;
        onBlob?.({ ...b, skipped: true });
        continue;
      }
      const start = await this.request(r, `/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } }, signal, true, true);
      if (start.status !== 202) throw await registryError(start, `${target}: starting the upload of ${b.digest}`);
      const location = start.headers.get('location');
      if (!location) throw new AppError(ErrorCode.REGISTRY_ERROR, `${target}: the registry gave no upload location for ${b.digest}.`);
      const url = new URL(location, 'http://x');
      url.searchParams.set('digest', b.digest);
      const path = location.startsWith('http') ? `${new URL(location).pathname}?${url.searchParams}` : `${url.pathname}?${url.searchParams}`;
      const body = Readable.toWeb(Readable.from(open(b.digest) as AsyncIterable<Buffer>)) as ReadableStream<Uint8Array>;
      const put = await this.request(r, path, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.size) }, body, duplex: 'half' } as RequestInit, signal, false, true);
      if (put.status !== 201) throw await registryError(put, `${target}: uploading ${b.digest}`);
      pushed += b.size;
      onBlob?.({ ...b, skipped: false });
    }
    for (const m of [...image.manifests, image.top]) {
      const ref = m === image.top && r.tag ? r.tag : m.digest;
      const res = await this.request(r, `/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': m.mediaType }, body: new Uint8Array(m.body) }, signal, true, true);
      if (res.status !== 201) throw await registryError(res, `${target}: putting the manifest ${m.digest}`);
    }
    return { pushed, skipped };
  }

  /** One request with the auth the registry asks for: on 401, answer its challenge and retry once. */
  private async request(r: ImageReference, path: string, init: RequestInit, signal?: AbortSignal, timed = true, push = false): Promise<Response> {
    const scope = `repository:${r.repository}:${push ? 'pull,push' : 'pull'}`;
    const key = `${r.registry} ${scope}`;
    const headers = new Headers(init.headers);
    const cached = this.tokens.get(key);
    if (cached && cached.until > Date.now()) headers.set('authorization', `Bearer ${cached.token}`);
    else if (this.basic.has(r.registry)) {
      // Known to want Basic: sent at once, so a streamed body (a blob upload) is never sent twice.
      const c = this.access.credentials(r.registry);
      if (c) headers.set('authorization', `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`);
    }
    let res = await this.send(r.registry, path, { ...init, headers }, signal, timed);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    await res.arrayBuffer().catch(() => undefined);
    const creds = this.access.credentials(r.registry);
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const token = await this.fetchToken(r.registry, challenge.params, scope, creds, signal);
      this.tokens.set(key, token);
      headers.set('authorization', `Bearer ${token.token}`);
    } else if (challenge?.scheme === 'basic' && creds) {
      this.basic.add(r.registry);
      headers.set('authorization', `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`);
    } else {
      throw authFailed(r.registry, creds);
    }
    res = await this.send(r.registry, path, { ...init, headers }, signal, timed);
    if (res.status === 401 || res.status === 403) {
      this.tokens.delete(key);
      throw authFailed(r.registry, creds);
    }
    return res;
  }

  private async fetchToken(
    registry: string,
    params: Record<string, string>,
    scope: string,
    creds: Credentials | null,
    signal?: AbortSignal,
  ): Promise<{ token: string; until: number }> {
    const url = new URL(params.realm!);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    let res: Response;
    try {
      res = await this.fetchFn()(url, { headers, signal: this.signal(signal) });
    } catch (e) {
      throw unreachable(`${registry}'s token service (${url.host})`, e);
    }
    if (res.status === 401 || res.status === 403) throw authFailed(registry, creds);
    if (!res.ok) throw await registryError(res, `${registry}'s token service`);
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new AppError(ErrorCode.REGISTRY_ERROR, `${registry}'s token service answered without a token.`);
    // The spec's default lifetime is 60 s; renew a little early.
    return { token, until: Date.now() + Math.max(10, (body.expires_in ?? 60) - 10) * 1000 };
  }

  private async send(registry: string, path: string, init: RequestInit, signal?: AbortSignal, timed = true): Promise<Response> {
    const host = apiHost(registry);
    const plain = this.access.insecure(registry) || this.plainHttp.has(registry);
    try {
      const sig = timed || !signal ? this.signal(signal) : signal;
      return await this.fetchFn()(`${plain ? 'http' : 'https'}://${host}${path}`, { ...init, signal: sig, redirect: 'follow' });
    } catch (e) {
      // A loopback registry without TLS: the TLS handshake fails, plain HTTP works.
      if (!plain && isLoopbackRegistry(registry) && !signal?.aborted && isTlsFailure(e)) {
        this.plainHttp.add(registry);
        return this.send(registry, path, init, signal, timed);
      }
      throw unreachable(registry, e);
    }
  }

  private signal(user?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    return user ? AbortSignal.any([user, timeout]) : timeout;
  }

  private fetchFn(): typeof fetch {
    return this.opts.fetch ?? fetch;
  }
}

/** Parses `Bearer realm="https://…",service="…",scope="…"` (quoted values may hold commas). */
export function parseChallenge(header: string): Challenge | null {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (const p of m[2]!.matchAll(re)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

function causeOf(e: unknown): { code?: string; message: string } {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause) return { code: cause.code, message: cause.message ?? String(cause) };
  return { message: e instanceof Error ? e.message : String(e) };
}

function isTlsFailure(e: unknown): boolean {
  const c = causeOf(e);
  return /EPROTO|ERR_SSL|ECONNRESET/.test(c.code ?? '') || /wrong version number|ssl|tls|socket/i.test(c.message);
}

function unreachable(what: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  if ((e as Error)?.name === 'TimeoutError') return new AppError(ErrorCode.REGISTRY_UNREACHABLE, `${what} did not answer in time.`);
  if ((e as Error)?.name === 'AbortError') return new AppError(ErrorCode.CANCELED, 'Cancelled.');
  const c = causeOf(e);
  return new AppError(ErrorCode.REGISTRY_UNREACHABLE, `${what} could not be reached: ${c.code ? `${c.code} ` : ''}${c.message}`.trim());
}

function authFailed(registry: string, creds: Credentials | null): AppError {
  return new AppError(
    ErrorCode.REGISTRY_AUTH_FAILED,
    creds
      ? `${registry} refused the login of ${creds.username}; check it with \`bootfleet registries set ${registry} --user NAME --password-stdin\`.`
      : `${registry} wants a login; add one with \`bootfleet registries set ${registry} --user NAME --password-stdin\`.`,
  );
}

async function registryError(res: Response, what: string): Promise<AppError> {
  const text = await res.text().catch(() => '');
  let detail = text.slice(0, 200);
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
    if (errors?.length) detail = errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
  } catch {
    // not JSON: keep the text
  }
  return new AppError(ErrorCode.REGISTRY_ERROR, `${what}: the registry answered ${res.status}${detail ? ` (${detail})` : ''}.`);
}
