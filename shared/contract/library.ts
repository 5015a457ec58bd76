import { z } from 'zod';
import { method } from './define';

/**
 * The image library (issue 9): OCI images kept in the data directory for sites with no
 * registry. Blobs are stored once by digest, whatever images share them; every blob is checked
 * against its digest on the way in.
 */

/**
 * Where on a device Bootfleet puts images it sends from the library: an OCI layout (only the
 * blobs a device lacks are sent) or one oci-archive file per image. Both are in /var, which bootc
 * keeps across deployments.
 */
export const DEVICE_LAYOUT = '/var/lib/bootfleet/images';
export const DEVICE_ARCHIVES = '/var/lib/bootfleet/archives';

/**
 * The library path a device follows, from the image its `bootc upgrade` reads: `oci` with the
 * layout's tag, or `oci-archive` with the file. Null for anything Bootfleet did not put there
 * (a registry image, someone else's layout).
 */
export function libraryPathOf(ref: { transport: string; image: string } | null | undefined): { transport: 'oci'; tag: string; text: string } | { transport: 'oci-archive'; path: string; text: string } | null {
  if (!ref) return null;
  const text = `${ref.transport}:${ref.image}`;
  if (ref.transport === 'oci' && ref.image.startsWith(`${DEVICE_LAYOUT}:`)) return { transport: 'oci', tag: ref.image.slice(DEVICE_LAYOUT.length + 1), text };
  if (ref.transport === 'oci-archive' && ref.image.startsWith(`${DEVICE_ARCHIVES}/`)) return { transport: 'oci-archive', path: ref.image, text };
  return null;
}

/** An image as `images show` names it: its id, NAME:TAG, TAG (when one image has it) or a digest (prefix). */
export const libraryRefSchema = z.string().trim().min(1, 'is required');

export const libraryImageSchema = z.object({
  id: z.string(),
  /** The repository it is known as (`registry.local/fleet/os`), when known. */
  name: z.string().nullable(),
  tag: z.string().nullable(),
  /** `name:tag`, or null. */
  reference: z.string().nullable(),
  /** The top digest: the image index for a multi-platform image, else the manifest. */
  digest: z.string(),
  mediaType: z.string(),
  /** `org.opencontainers.image.version` (label or annotation). */
  version: z.string().nullable(),
  /** When the image was built (its config's `created`). */
  created: z.string().nullable(),
  architectures: z.array(z.string()),
  /** Bytes of all its blobs (shared ones counted in each image that uses them). */
  size: z.number(),
  /** Where it came from: `oci-archive:/path`, `oci:/path`, `docker://registry/name:tag`, `bundle:/path`. */
  source: z.string(),
  addedAt: z.string(),
  addedBy: z.string(),
  /** Devices whose last known status has one of its platform images booted, staged, or as rollback. */
  deployed: z.object({ booted: z.number(), staged: z.number(), rollback: z.number() }),
});
export type LibraryImage = z.infer<typeof libraryImageSchema>;

export const libraryManifestSchema = z.object({
  digest: z.string(),
  os: z.string().nullable(),
  architecture: z.string().nullable(),
  variant: z.string().nullable(),
  configDigest: z.string(),
  /** Config and layers. */
  size: z.number(),
  layers: z.array(z.object({ digest: z.string(), size: z.number() })),
});

export const libraryMethods = {
  'library.list': method({
    input: z.object({}).default({}),
    output: z.object({
      images: z.array(libraryImageSchema),
      /** What the library takes on disk (each blob once). */
      bytes: z.number(),
      blobs: z.number(),
    }),
    summary: 'The image library: every image with its versions, architectures and sizes, and what it takes on disk.',
  }),
  'library.get': method({
    input: z.object({ ref: libraryRefSchema }),
    output: libraryImageSchema.extend({
      manifests: z.array(libraryManifestSchema),
      /** The devices it is deployed on (up to 500), with the slot. */
      devices: z.array(z.object({ id: z.string(), name: z.string(), site: z.string().nullable(), slot: z.enum(['booted', 'staged', 'rollback']) })),
    }),
    summary: 'One library image with its per-platform manifests and layers.',
  }),
  'library.import': method({
    input: z.object({
      /** An oci-archive file or an OCI layout directory on this machine. */
      path: z.string().trim().min(1, 'is required'),
      /** The repository the image is known as (`registry.local/fleet/os`); its tag comes from the archive or `tag`. */
      name: z.string().trim().min(1).optional(),
      tag: z.string().trim().min(1).optional(),
    }),
    output: z.array(libraryImageSchema),
    summary: 'Import an oci-archive or OCI layout: every blob checked against its digest; a corrupt or missing one refuses the whole import and nothing is kept.',
  }),
  'library.pull': method({
    input: z.object({
      /** A registry reference: NAME:TAG or NAME@sha256:... */
      ref: z.string().trim().min(1, 'is required'),
      /** One platform only (`linux/arm64`): the image is then that platform's manifest. */
      platform: z.string().trim().regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'must be OS/ARCH[/VARIANT], e.g. linux/arm64').optional(),
    }),
    output: libraryImageSchema.extend({ downloaded: z.number() }),
    summary: 'Pull an image from its registry into the library (logins and tokens as for resolving); blobs already here are not fetched, an interrupted pull resumes. Progress in library.progress events.',
  }),
  'library.push': method({
    input: z.object({ ref: libraryRefSchema, to: z.string().trim().min(1, 'give REGISTRY/NAME[:TAG]') }),
    output: z.object({ target: z.string(), digest: z.string(), pushedBytes: z.number(), skippedBytes: z.number() }),
    summary: 'Push a library image to a registry (a site registry): blobs it already has are not sent; the digest stays the same.',
  }),
  'library.cancel': method({
    input: z.object({ op: z.enum(['pull', 'import', 'export', 'push']), ref: z.string().trim().min(1) }),
    output: z.object({ cancelled: z.boolean() }),
    summary: 'Cancel a pull, import or export running in this process (as named in library.progress); a pull resumes later.',
  }),
  'library.export': method({
    input: z.object({ ref: libraryRefSchema, path: z.string().trim().min(1, 'is required'), format: z.enum(['oci-archive', 'oci']).default('oci-archive') }),
    output: z.object({ path: z.string(), format: z.enum(['oci-archive', 'oci']), digest: z.string(), bytes: z.number() }),
    summary: 'Write an image as an oci-archive file or an OCI layout directory, with the same digest (skopeo and bootc read it).',
  }),
  'library.remove': method({
    input: z.object({ ref: libraryRefSchema }),
    output: z.object({ id: z.string(), digest: z.string(), freedBytes: z.number() }),
    summary: 'Remove an image; the blobs no other image uses are deleted.',
  }),
  'bundle.export': method({
    input: z.object({
      refs: z.array(libraryRefSchema).default([]),
      /** Also a site's data: its devices, desired state, status snapshots and activity. */
      site: z.string().trim().min(1).optional(),
      /** With `site`: snapshots and activity from this moment on only. */
      since: z
        .string()
        .trim()
        .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date like 2026-11-01 or a date-time')
        .optional(),
      /** A directory to create (a folder on a USB stick), or a `.tar` file. */
      path: z.string().trim().min(1, 'is required'),
    })
    .refine((v) => v.refs.length > 0 || v.site, { message: 'name at least one image, or a site', path: ['refs'] }),
    output: z.object({ path: z.string(), format: z.enum(['oci', 'oci-archive']), images: z.number(), site: z.string().nullable(), bytes: z.number() }),
    summary: 'Write library images as a bundle for a site with no network: an OCI layout with a manifest and SHA256SUMS over every file.',
  }),
  'bundle.import': method({
    input: z.object({ path: z.string().trim().min(1, 'is required') }),
    output: z.object({
      images: z.array(libraryImageSchema),
      added: z.number(),
      unchanged: z.number(),
      /** The key that signed it: this installation's own, or one it trusts. */
      signedBy: z.object({ fingerprint: z.string(), name: z.string(), own: z.boolean() }),
      /** The site data it carried, as merged: what was added, and disagreements (this installation's kept). */
      site: z.object({ site: z.string(), devicesAdded: z.number(), snapshotsAdded: z.number(), activityAdded: z.number(), recordingsAdded: z.number(), conflicts: z.array(z.string()) }).nullable(),
    }),
    summary: 'Import a bundle: its signature checked against trusted keys, then every file against its SHA256SUMS (a missing, extra or altered file refuses it, named); importing it again changes nothing.',
  }),
  'library.gc': method({
    input: z.object({}).default({}),
    output: z.object({ removed: z.number(), freedBytes: z.number() }),
    summary: 'Delete blobs no image uses (left by an interrupted import, say).',
  }),
};

/** A long library operation moving on (about 4 times a second). */
export const libraryProgressSchema = z.object({
  op: z.enum(['pull', 'import', 'export', 'push']),
  ref: z.string(),
  done: z.number(),
  total: z.number(),
  bytesPerSecond: z.number(),
});
