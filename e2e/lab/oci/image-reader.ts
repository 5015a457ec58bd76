import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageReference, ResolvedImage } from '../emulator/types';
import { listTar, readTarEntry, type TarEntry } from './tar';
import {
  INDEX_TYPES, getBlob, getManifest, parseRegistryRef, sha256Digest,
  type FetchedManifest, type ManifestJson, type RegistryClientOptions,
} from './registry-client';

/**
 * Reads an image the way containers-image-proxy does for bootc: from a registry, an OCI layout
 * directory, an OCI archive or (in the lab) a containers-storage stand-in, resolving an index to
 * the manifest for one architecture.
 */
export interface ImageStore {
  /** The top-level manifest or index the reference names. */
  top(): Promise<FetchedManifest>;
  /** A blob by digest, digest-checked. */
  blob(digest: string): Promise<Buffer>;
  /** A manifest by digest (a registry serves those apart from blobs). */
  manifest(digest: string, mediaType?: string): Promise<FetchedManifest>;
}

interface ImageConfigJson {
  architecture?: string;
  created?: string;
  config?: { Labels?: Record<string, string> | null };
}

function manifestFrom(bytes: Buffer, mediaType?: string): FetchedManifest {
  const json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  return {
    bytes,
    json,
    digest: sha256Digest(bytes),
    mediaType: json.mediaType ?? mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
  };
}

function checked(digest: string, bytes: Buffer): Buffer {
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new Error(`blob ${digest}: digest mismatch, got ${actual}`);
  return bytes;
}

/** Splits `path[:reference]` as the oci and oci-archive transports do. */
export function splitPathRef(spec: string): { path: string; reference: string | undefined } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { path: spec, reference: undefined };
  return { path: spec.slice(0, colon), reference: spec.slice(colon + 1) || undefined };
}

function pickFromIndex(index: ManifestJson, reference: string | undefined, where: string) {
  const all = index.manifests ?? [];
  const match = reference === undefined
    ? (all.length === 1 ? all[0] : undefined)
    : all.find((m) => (m as { annotations?: Record<string, string> }).annotations?.['org.opencontainers.image.ref.name'] === reference);
  if (!match) {
    throw new Error(reference === undefined
      ? `more than one image in oci, choose an image`
      : `no descriptor found for reference "${reference}" in ${where}`);
  }
  return match;
}

/** An OCI image layout directory (`oci:` transport). */
export function layoutStore(dir: string, reference: string | undefined): ImageStore {
  const blobPath = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
  return {
    async top() {
      let indexBytes: Buffer;
      try {
        indexBytes = await readFile(join(dir, 'index.json'));
      } catch {
        throw new Error(`open ${join(dir, 'index.json')}: no such file or directory`);
      }
      const desc = pickFromIndex(JSON.parse(indexBytes.toString('utf8')) as ManifestJson, reference, dir);
      return manifestFrom(checked(desc.digest, await readFile(blobPath(desc.digest))), desc.mediaType);
    },
    async blob(digest) {
      return checked(digest, await readFile(blobPath(digest)));
    },
    async manifest(digest, mediaType) {
      return manifestFrom(checked(digest, await readFile(blobPath(digest))), mediaType);
    },
  };
}

/** An OCI layout in a tar file (`oci-archive:` transport). */
export function archiveStore(file: string, reference: string | undefined): ImageStore {
  let entries: Promise<Map<string, TarEntry>> | undefined;
  const entry = async (name: string): Promise<Buffer> => {
    entries ??= listTar(file).catch(() => {
      throw new Error(`creating temp directory: untarring file "${file}": open ${file}: no such file or directory`);
    });
    const found = (await entries).get(name);
    if (!found) throw new Error(`${file}: no ${name} in archive`);
    return readTarEntry(file, found);
  };
  return {
    async top() {
      const desc = pickFromIndex(JSON.parse((await entry('index.json')).toString('utf8')) as ManifestJson, reference, file);
      return manifestFrom(checked(desc.digest, await entry(`blobs/${desc.digest.replace(':', '/')}`)), desc.mediaType);
    },
    async blob(digest) {
      return checked(digest, await entry(`blobs/${digest.replace(':', '/')}`));
    },
    async manifest(digest, mediaType) {
      return manifestFrom(checked(digest, await entry(`blobs/${digest.replace(':', '/')}`)), mediaType);
    },
  };
}

/** A registry repository (`registry:`/`docker://` transport). */
export function registryStore(image: string, opts: RegistryClientOptions): ImageStore {
  const ref = parseRegistryRef(image);
  return {
    top: () => getManifest(ref, opts),
    blob: (digest) => getBlob(ref, digest, opts),
    manifest: (digest) => getManifest({ ...ref, reference: digest }, opts),
  };
}

/** Resolves the store's image for one architecture: per-platform manifest digest, labels, layers. */
export async function resolveFromStore(store: ImageStore, architecture: string): Promise<ResolvedImage> {
  let manifest = await store.top();
  if (INDEX_TYPES.has(manifest.mediaType) || (manifest.json.manifests && !manifest.json.layers)) {
    const entry = (manifest.json.manifests ?? []).find(
      (m) => m.platform?.architecture === architecture && (m.platform.os ?? 'linux') === 'linux',
    );
    if (!entry) {
      throw new Error(`choosing image instance: no image found in image index for architecture "${architecture}", variant "", OS "linux"`);
    }
    manifest = await store.manifest(entry.digest, entry.mediaType);
  }
  const configDesc = manifest.json.config;
  if (!configDesc) throw new Error(`manifest ${manifest.digest} has no config`);
  const config = JSON.parse((await store.blob(configDesc.digest)).toString('utf8')) as ImageConfigJson;
  const labels = config.config?.Labels ?? {};
  return {
    digest: manifest.digest,
    version: labels['org.opencontainers.image.version'] ?? labels.version ?? null,
    timestamp: labels['org.opencontainers.image.created'] ?? config.created ?? null,
    architecture: config.architecture ?? architecture,
    layers: (manifest.json.layers ?? []).map((l) => ({ digest: l.digest, size: l.size })),
  };
}

/** Where the lab keeps the stand-in for the device's containers-storage: an OCI layout keyed by name. */
export const CONTAINERS_STORAGE_LAYOUT = '/var/lib/containers/bootfleet-lab-oci';

/** The store for a bootc image reference (transport + name). */
export function storeFor(ref: ImageReference, opts: RegistryClientOptions & { containersStorage?: string }): ImageStore {
  switch (ref.transport) {
    case 'registry':
    case 'docker':
      return registryStore(ref.image, opts);
    case 'oci': {
      const { path, reference } = splitPathRef(ref.image);
      return layoutStore(path, reference);
    }
    case 'oci-archive': {
      const { path, reference } = splitPathRef(ref.image);
      return archiveStore(path, reference);
    }
    case 'containers-storage': {
      const name = ref.image.includes(':') ? ref.image : `${ref.image}:latest`;
      return layoutStore(opts.containersStorage ?? CONTAINERS_STORAGE_LAYOUT, name);
    }
    default:
      throw new Error(`Invalid transport: ${ref.transport}`);
  }
}
