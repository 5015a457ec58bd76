import { AppError, ErrorCode } from '../../../shared/errors';

/** An image reference split the way the distribution API needs it. */
export interface ImageReference {
  /** As written in references: `quay.io`, `registry.local:5000`, `docker.io`. */
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/;

/**
 * Parses `[registry[:port]/]repository[:tag][@digest]` as containers/image does: the first path
 * component is a registry only if it holds a `.` or `:` or is `localhost`; otherwise the image
 * is on Docker Hub (`docker.io`, with `library/` for one-component names). No tag and no digest
 * means `latest`.
 */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(ref, `"${digest}" is not a digest (algorithm:hex)`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    rest = rest.slice(slash + 1);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw invalid(ref, `"${tag}" is not a valid tag`);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw invalid(ref, 'the repository must be lower-case letters, digits and separators');
  }
  if (registry === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: rest, tag, digest };
}

/** The reference the registry is asked for: the digest when there is one, else the tag. */
export function manifestReference(r: ImageReference): string {
  return r.digest ?? r.tag ?? 'latest';
}

/** The digest pinned in a reference string, if any. */
export function pinnedDigest(ref: string): string | null {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(at + 1) : null;
}

/** Docker Hub's API lives on another host than the one references name. */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

/** Loopback registries may speak plain HTTP without being configured so (as Docker allows). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

function invalid(ref: string, why: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `"${ref}" is not an image reference: ${why}.`);
}
