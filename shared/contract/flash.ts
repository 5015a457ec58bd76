import { z } from 'zod';
import { method } from './define';

/**
 * Drives Bootfleet can write install media to. Each comes with the reasons it may not be
 * written (the system disk, read-only, too small) or needs care (an internal disk, mounted
 * filesystems that will be unmounted), so the UI and CLI show why rather than hide silently.
 */

export const driveProblemSchema = z.object({
  code: z.enum(['system', 'read-only', 'too-small', 'no-medium', 'mounted']),
  message: z.string(),
});

export const driveSchema = z.object({
  /** `/dev/sdb`, `/dev/mmcblk0`, `/dev/loop3`. */
  path: z.string(),
  name: z.string(),
  size: z.number().int(),
  model: z.string().nullable(),
  vendor: z.string().nullable(),
  serial: z.string().nullable(),
  /** usb, sd (mmc), nvme, sata, ata, scsi, virtio, loop, or null when the kernel does not say. */
  bus: z.string().nullable(),
  removable: z.boolean(),
  readOnly: z.boolean(),
  /** Holds the running system (/, /boot, /usr, /var, /home or swap): never writable. */
  system: z.boolean(),
  /** Mount points on the drive or its partitions; they are unmounted before writing. */
  mountpoints: z.array(z.string()),
  partitions: z.array(z.object({ path: z.string(), size: z.number().int(), fstype: z.string().nullable(), label: z.string().nullable(), mountpoints: z.array(z.string()) })),
  /** Reasons it cannot be written; empty when it can. */
  problems: z.array(driveProblemSchema),
  /** Not shown unless all drives are asked for: loop devices, internal disks, the system disk. */
  hiddenByDefault: z.boolean(),
  /** An internal (non-removable) disk: writing needs the drive's name typed to confirm. */
  needsTypedConfirmation: z.boolean(),
  /** One line describing it: "SanDisk Ultra 32.0 GB (USB)". */
  description: z.string(),
});
export type Drive = z.infer<typeof driveSchema>;

export const imageInfoSchema = z.object({
  path: z.string(),
  fileSize: z.number().int(),
  compression: z.enum(['none', 'gzip', 'xz', 'zstd']),
  /** Decompressed size, where the file records it. */
  size: z.number().int().nullable(),
  format: z.enum(['iso', 'disk', 'unknown']),
  volumeLabel: z.string().nullable(),
  /** El Torito boot catalog. */
  elTorito: z.boolean(),
  /** An MBR with a partition: boots from a USB stick (a hybrid ISO, or a disk image). */
  mbr: z.boolean(),
  /**
   * For an installer built by bootc-image-builder: the container image it installs, read from
   * the kickstart on the ISO (`ostreecontainer --url=...`). Null when the image is not one.
   */
  bootc: z.object({ imageRef: z.string(), transport: z.string().nullable(), source: z.string() }).nullable(),
  checksum: z.object({
    /** matched: equal to the published SHA-256; failed: differs (writing is refused); unchecked: nothing to compare with. */
    result: z.enum(['matched', 'failed', 'unchecked']),
    actual: z.string(),
    expected: z.string().nullable(),
    /** "pasted", or the checksum file it came from. */
    source: z.string().nullable(),
  }),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

export const flashPhaseSchema = z.enum(['writing', 'flushing', 'verifying', 'done', 'failed', 'canceled']);

/** One target of a flash as it goes. */
export const flashTargetProgressSchema = z.object({
  path: z.string(),
  phase: flashPhaseSchema,
  written: z.number(),
  verified: z.number(),
  /** Bytes to write (the decompressed size), when known. */
  total: z.number().nullable(),
  bytesPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** What the drive holds now, in words: "written and verified", "partially written, not bootable". */
  condition: z.string().nullable(),
});
export type FlashTargetProgress = z.infer<typeof flashTargetProgressSchema>;

export const flashSchema = z.object({
  id: z.string(),
  image: z.string(),
  /**
   * SHA-256 of the image file as published (the compressed file), and how it was checked. Null
   * while a flash of an image that had nothing to check against runs: it is hashed as it is written.
   */
  imageSha256: z.string().nullable(),
  checksum: z.enum(['matched', 'unchecked']),
  /**
   * Digest of the bytes written (the decompressed image), `xxh64:HEX`: what each drive read back
   * and was compared with. A fast hash for detecting corruption; the image's identity is imageSha256.
   */
  contentDigest: z.string().nullable(),
  bytes: z.number().nullable(),
  verify: z.boolean(),
  state: z.enum(['running', 'done', 'failed', 'canceled', 'interrupted']),
  actor: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  targets: z.array(
    flashTargetProgressSchema.extend({
      model: z.string().nullable(),
      serial: z.string().nullable(),
      description: z.string(),
    }),
  ),
});
export type Flash = z.infer<typeof flashSchema>;

export const flashMethods = {
  'flash.start': method({
    input: z.object({
      image: z.string().trim().min(1, 'is required'),
      /** Drive paths as drives.list gives them (e.g. /dev/sdb); several are written at once. */
      drives: z.array(z.string().trim().min(1)).min(1, 'choose at least one drive').max(16),
      sha256: z.string().trim().optional(),
      sumsFile: z.string().trim().min(1).optional(),
      /** Read every drive back and compare (default). Off: faster, and nothing proves the drive holds the image. */
      verify: z.boolean().default(true),
      /** Eject removable drives (USB sticks, SD cards) once written, so they can be pulled out. */
      eject: z.boolean().default(true),
      /** The names of internal disks, typed by the user to confirm writing them. */
      confirm: z.array(z.string()).default([]),
    }),
    output: flashSchema,
    summary: 'Check the image, then write it to the drives (one read of the source), verify each, and record it; progress in flash.progress.',
  }),
  'flash.verify': method({
    input: z.object({ image: z.string().trim().min(1), drive: z.string().trim().min(1) }),
    output: z.object({ match: z.boolean(), bytes: z.number(), imageSha256: z.string(), driveSha256: z.string() }),
    summary: 'Read a drive back and say whether it holds the image (compared by SHA-256 of the decompressed content).',
  }),
  'flash.takeOpened': method({
    input: z.object({}).default({}),
    output: z.object({ path: z.string().nullable() }),
    summary: 'The image opened from outside the app (a file manager, the command line), if any; the first window to ask shows it.',
  }),
  'flash.cancel': method({ input: z.object({ id: z.string() }), output: flashSchema, summary: 'Stop a flash; each drive is left in a stated condition.' }),
  'flash.list': method({
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }),
    output: z.array(flashSchema),
    summary: 'Past and running flashes, newest first: which stick carries which image.',
  }),
  'images.inspect': method({
    input: z.object({
      path: z.string().trim().min(1, 'is required'),
      /** A SHA-256 the user pasted (64 hex characters). */
      sha256: z.string().trim().optional(),
      /** A SHA256SUMS-style file; with neither, one next to the image is looked for. */
      sumsFile: z.string().trim().min(1).optional(),
    }),
    output: imageInfoSchema,
    summary: "What an image file is (compression, size, ISO label, bootable) and whether its SHA-256 matches the published one.",
  }),
  'files.browse': method({
    input: z
      .object({
        /** A directory on the machine Bootfleet runs on; the user's home when left out. */
        path: z.string().trim().optional(),
        /** images: directories plus files that look like install images (and checksum files). */
        show: z.enum(['images', 'all']).default('images'),
      })
      .default({ show: 'images' }),
    output: z.object({
      path: z.string(),
      parent: z.string().nullable(),
      home: z.string(),
      entries: z.array(z.object({ name: z.string(), path: z.string(), kind: z.enum(['dir', 'file']), size: z.number().nullable(), modifiedAt: z.string().nullable() })),
    }),
    summary: 'List a directory of the machine Bootfleet runs on (for choosing an image in a browser): directories first, names only, no content.',
  }),
  'drives.list': method({
    input: z
      .object({
        /** Also loop devices, internal disks and the system disk (each with its reasons). */
        all: z.boolean().default(false),
        /** Mark drives smaller than this many bytes (the image to write). */
        imageSize: z.number().int().min(0).optional(),
      })
      .default({ all: false }),
    output: z.array(driveSchema),
    summary: 'Drives that can take an image (with --all: every drive), each with what stands in the way of writing it.',
  }),
};
