import { createHash } from 'node:crypto';

/**
 * A small OCI distribution API client for the lab: the emulated bootc reads images through it, and
 * tests use it to move tags. Anonymous access only; the lab's registries speak plain HTTP on loopback.
 */

/** Registry 2.8 answers MANIFEST_UNKNOWN for OCI manifests unless the Accept header lists them. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** `host[:port]/repo/name` with a tag or a digest. */
export interface RegistryRef {
  registry: string;
  repository: string;
  /** A tag, or a digest `sha256:…`. */
  reference: string;
}

/** Parses `127.0.0.1:5000/lab/os:1.0` or `…/lab/os@sha256:…` (a bare name gets tag `latest`). */
export function parseRegistryRef(image: string): RegistryRef {
  const slash = image.indexOf('/');
  if (slash <= 0) throw new Error(`invalid reference format: repository name must have a registry host: ${image}`);
  const registry = image.slice(0, slash);
  let rest = image.slice(slash + 1);
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (!/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(rest)) throw new Error(`invalid reference format: ${image}`);
  return { registry, repository: rest, reference };
}

/** sha256 digest of bytes, as `sha256:<hex>`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
  json: ManifestJson;
}

/** The parts of an OCI/Docker manifest or index the lab reads. */
export interface ManifestJson {
  mediaType?: string;
  config?: { digest: string; size: number; mediaType?: string };
  layers?: { digest: string; size: number; mediaType?: string }[];
  manifests?: { digest: string; size: number; mediaType?: string; platform?: { architecture?: string; os?: string; variant?: string } }[];
  annotations?: Record<string, string>;
}

export interface RegistryClientOptions {
  /** Registries reached over plain HTTP, as host:port. */
  insecure?: (registry: string) => boolean;
  signal?: AbortSignal;
}

function baseUrl(registry: string, opts: RegistryClientOptions): string {
  const insecure = opts.insecure?.(registry) ?? /^(127\.|localhost)/.test(registry);
  return `${insecure ? 'http' : 'https'}://${registry}/v2`;
}

async function request(url: string, init: RequestInit, ref: RegistryRef): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? 'connect: connection refused' : (cause?.code ?? (err as Error).message);
    throw new Error(`pinging container registry ${ref.registry}: Get "${url.replace(/\/v2\/.*/, '/v2/')}": dial tcp ${ref.registry}: ${why}`, { cause: err });
  }
}

async function registryError(res: Response, what: string, ref: RegistryRef): Promise<Error> {
  let detail = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.message) detail = first.message;
  } catch {
    // keep the status line
  }
  return new Error(`${what} ${ref.reference} in ${ref.registry}/${ref.repository}: ${detail}`);
}

/** GETs a manifest or index by tag or digest, checking a digest reference against the bytes. */
export async function getManifest(ref: RegistryRef, opts: RegistryClientOptions = {}): Promise<FetchedManifest> {
  const url = `${baseUrl(ref.registry, opts)}/${ref.repository}/manifests/${ref.reference}`;
  const res = await request(url, { headers: { Accept: MANIFEST_ACCEPT }, signal: opts.signal ?? null }, ref);
  if (!res.ok) throw await registryError(res, 'reading manifest', ref);
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = sha256Digest(bytes);
  if (ref.reference.startsWith('sha256:') && ref.reference !== digest) {
    throw new Error(`manifest digest mismatch: expected ${ref.reference}, got ${digest}`);
  }
  const json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  const mediaType = json.mediaType ?? res.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json';
  return { mediaType, digest, bytes, json };
}

/** GETs a blob and checks its digest. */
export async function getBlob(ref: RegistryRef, digest: string, opts: RegistryClientOptions = {}): Promise<Buffer> {
  const url = `${baseUrl(ref.registry, opts)}/${ref.repository}/blobs/${digest}`;
  const res = await request(url, { signal: opts.signal ?? null }, ref);
  if (!res.ok) throw await registryError(res, 'fetching blob', { ...ref, reference: digest });
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new Error(`blob ${digest}: digest mismatch, got ${actual}`);
  return bytes;
}

/** PUTs manifest bytes under a tag (moving the tag), returning the manifest digest. */
export async function putManifest(ref: RegistryRef, manifest: FetchedManifest, opts: RegistryClientOptions = {}): Promise<string> {
  const url = `${baseUrl(ref.registry, opts)}/${ref.repository}/manifests/${ref.reference}`;
  const res = await request(url, {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: new Uint8Array(manifest.bytes),
    signal: opts.signal ?? null,
  }, ref);
  if (!res.ok) throw await registryError(res, 'writing manifest', ref);
  return manifest.digest;
}
