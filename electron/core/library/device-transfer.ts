import type { SFTPWrapper } from 'ssh2';
import { AppError, ErrorCode } from '../../../shared/errors';
import { formatSize } from '../flash/drives';
import type { SshConnection } from '../ssh/connection';
import { withSudo } from '../ssh/quote';
import { RESUME_WINDOW, writeWindowed, type RateLimit, type UploadProgress } from '../ssh/sftp';
import { ociArchitecture } from '../provision/plan';
import { DEVICE_ARCHIVES, DEVICE_LAYOUT } from '../../../shared/contract';
import { uploadVerified } from '../provision/upload';
import type { BlobStore } from './blob-store';
import { hexOf, OCI_INDEX, REF_NAME, type Descriptor, type Index } from './oci';

export { DEVICE_LAYOUT };

/** Room left on the device beside the blobs (bootc unpacks the image into its own storage too). */
const SPARE = 256 * 1024 * 1024;

/** The name a library image gets in a device's layout: its own tag, else the start of its digest. */
export const layoutTag = (image: { tag: string | null; digest: string }): string => (image.tag ?? hexOf(image.digest).slice(0, 12)).replace(/[^A-Za-z0-9._-]/g, '-');

export interface DeviceImage {
  /** The platform manifest the device will boot. */
  manifest: Descriptor;
  /** Manifest, config and layers: everything the layout needs for it. */
  blobs: { digest: string; size: number }[];
  /** The name it gets in the layout's index (`oci:DIR:TAG`). */
  tag: string;
}

export interface TransferResult {
  /** How bootc reads it on the device: `oci` (`DIR:TAG`) or `oci-archive` (the file). */
  transport: 'oci' | 'oci-archive';
  /** `DIR:TAG`, or the archive's path, for `bootc switch --transport TRANSPORT REF`. */
  ref: string;
  /** Bytes sent over the wire, and bytes the device already had (whole blobs or a partial one). */
  sent: number;
  had: number;
  blobsSent: number;
}

/**
 * On the device: `sh -c COMMIT_SCRIPT sh DIR INDEX HEX...` checks each HEX.part against its name
 * (sha256sum -c), names the good ones, removes and reports (`BAD HEX`) the others, and puts the
 * new index in place only when all were good.
 */
const COMMIT_SCRIPT = [
  'dir=$1; index=$2; shift 2; bad=0',
  'for h; do',
  '  if printf "%s  %s\\n" "$h" "$dir/$h.part" | sha256sum -c --status; then mv -f -- "$dir/$h.part" "$dir/$h"',
  '  else rm -f -- "$dir/$h.part"; echo "BAD $h"; bad=1; fi',
  'done',
  'if [ "$bad" = 0 ]; then mv -f -- "$index.tmp" "$index"; else rm -f -- "$index.tmp"; fi',
].join('\n');

export class TransferFailure extends AppError {
  constructor(
    message: string,
    readonly next: string,
  ) {
    super(ErrorCode.REMOTE_COMMAND_FAILED, message);
  }
}

export interface SendOptions {
  user: string;
  sudo: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  limit?: RateLimit | undefined;
  onProgress: (p: UploadProgress) => void;
  log: (line: string) => void;
  /**
   * What the device's deployments use (layout tags, or archive paths): anything else Bootfleet
   * put there before is removed first, which also makes room. Left out: nothing is removed.
   */
  keep?: string[] | undefined;
}

type Exec = (argv: string[], what: string, sudo?: boolean) => Promise<string>;

function remoteExec(conn: SshConnection, opts: { timeoutMs: number; signal: AbortSignal }): Exec {
  return async (argv, what, sudo = false) => {
    const r = await conn.exec(withSudo(argv, sudo), { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.exitCode !== 0) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `${what} failed on the device: ${r.stderr.trim().split('\n')[0] || `exit status ${r.exitCode}`}`);
    return r.stdout.toString('utf8');
  };
}

/**
 * One round trip tells the architecture, makes `dirs` (they belong to the login, as SFTP writes
 * as it; bootc reads them as root) and says how much room the first has.
 */
async function prepare(exec: Exec, dirs: string[], opts: { user: string; sudo: boolean }): Promise<{ machine: string; avail: number }> {
  const prep = await exec(
    ['sh', '-c', 'u=$1; shift; uname -m && install -d -m 0755 "$@" && chown "$u" "$@" && df -P -B1 -- "$1" | tail -n 1', 'sh', opts.user, ...dirs],
    `preparing ${dirs[0]}`,
    opts.sudo,
  );
  const lines = prep.trim().split('\n');
  return { machine: (lines[0] ?? '').trim(), avail: Number(lines.at(-1)?.split(/\s+/)[3] ?? NaN) };
}

function readdir(sftp: SFTPWrapper, path: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) =>
    sftp.readdir(path, (err, list) => (err ? reject(new Error(`cannot list ${path} on the device: ${err.message}`)) : resolve(new Map(list.map((e) => [e.filename, e.attrs.size]))))),
  );
}

function unlink(sftp: SFTPWrapper, path: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.unlink(path, (err) => (err ? reject(new Error(`cannot remove ${path} on the device: ${err.message}`)) : resolve())));
}

function readJson<T>(sftp: SFTPWrapper, path: string): Promise<T | null> {
  return new Promise((resolve) =>
    sftp.readFile(path, (err, data) => {
      if (err) return resolve(null);
      try {
        resolve(JSON.parse(data.toString('utf8')) as T);
      } catch {
        resolve(null);
      }
    }),
  );
}

/**
 * Removes from the device's layout the images no deployment uses (tags not in `keep`, other than
 * the one being sent), then the blobs nothing left names, and unfinished sends of blobs the new
 * image does not need. The index is rewritten first, so it never names a removed blob. A manifest
 * that cannot be read on the device stops the cleanup (nothing is removed). Returns bytes freed;
 * `present` is updated.
 */
async function pruneLayout(sftp: SFTPWrapper, exec: Exec, present: Map<string, number>, image: DeviceImage, keep: string[], log: (line: string) => void): Promise<number> {
  const indexPath = `${DEVICE_LAYOUT}/index.json`;
  const index = await readJson<Index>(sftp, indexPath);
  if (!index) return 0;
  const tags = new Set([...keep, image.tag]);
  const kept = index.manifests.filter((m) => tags.has(m.annotations?.[REF_NAME] ?? ''));
  const stale = index.manifests.filter((m) => !kept.includes(m));
  const used = new Set(image.blobs.map((b) => hexOf(b.digest)));
  for (const m of kept) {
    const body = await readJson<{ config?: { digest: string }; layers?: { digest: string }[] }>(sftp, `${DEVICE_LAYOUT}/blobs/sha256/${hexOf(m.digest)}`);
    if (!body?.config || !Array.isArray(body.layers)) return 0;
    for (const d of [m.digest, body.config.digest, ...body.layers.map((l) => l.digest)]) used.add(hexOf(d));
  }
  if (stale.length) {
    await writeFile(sftp, `${indexPath}.tmp`, Buffer.from(JSON.stringify({ ...index, manifests: kept })));
    await exec(['mv', '-f', '--', `${indexPath}.tmp`, indexPath], 'updating the layout index');
  }
  const gone = [...present].filter(([name]) => !used.has(name.replace(/\.part$/, '')));
  for (const [name] of gone) {
    await unlink(sftp, `${DEVICE_LAYOUT}/blobs/sha256/${name}`);
    present.delete(name);
  }
  const freed = gone.reduce((n, [, size]) => n + size, 0);
  if (stale.length || gone.length) {
    const names = stale.map((m) => m.annotations?.[REF_NAME] ?? m.digest.slice(0, 19));
    log(`Removed ${stale.length ? `${names.join(', ')} (no deployment uses ${stale.length === 1 ? 'it' : 'them'}) and ` : ''}${gone.length} blob${gone.length === 1 ? '' : 's'} from ${DEVICE_LAYOUT}: ${formatSize(freed)} freed.`);
  }
  return freed;
}

function writeFile(sftp: SFTPWrapper, path: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sftp.writeFile(path, data, (err) => (err ? reject(new Error(`cannot write ${path} on the device: ${err.message}`)) : resolve())));
}

/**
 * Puts an image into the device's layout, sending only the blobs it lacks: asks the device what
 * it has, checks free space, sends each missing blob to `HEX.part` (an interrupted send continues
 * where it stopped), has the device check every new blob's SHA-256 before it takes its name, and
 * writes the index entry last, so the layout never names a blob it does not have.
 */
export async function sendToDevice(
  conn: SshConnection,
  store: BlobStore,
  /** The image for the device's architecture (OCI name: amd64, arm64...), as `uname -m` there says. */
  pick: (architecture: string) => DeviceImage,
  opts: SendOptions,
): Promise<TransferResult> {
  const dir = `${DEVICE_LAYOUT}/blobs/sha256`;
  const exec = remoteExec(conn, opts);
  const prepared = await prepare(exec, [DEVICE_LAYOUT, `${DEVICE_LAYOUT}/blobs`, dir], opts);
  const { machine } = prepared;
  let avail = prepared.avail;
  const image = pick(ociArchitecture(machine) ?? machine);
  const sftp = await conn.sftp();
  try {
    const present = await readdir(sftp, dir);
    if (opts.keep) avail += await pruneLayout(sftp, exec, present, image, opts.keep, opts.log);
    const missing = image.blobs.filter((b) => present.get(hexOf(b.digest)) !== b.size);
    const partial = (b: { digest: string; size: number }) => {
      const n = present.get(`${hexOf(b.digest)}.part`) ?? 0;
      return n > b.size ? 0 : n;
    };
    const had = image.blobs.filter((b) => !missing.includes(b)).reduce((n, b) => n + b.size, 0);
    const need = missing.reduce((n, b) => n + b.size - partial(b), 0);
    if (Number.isFinite(avail) && avail < need + SPARE) {
      throw new TransferFailure(
        `not enough space on the device: ${DEVICE_LAYOUT} has ${formatSize(avail)} free, the update needs ${formatSize(need)} for its new blobs and ${formatSize(SPARE)} to spare.`,
        'Free space in /var on the device (old images in the layout can go), then try again: nothing was sent.',
      );
    }
    opts.log(`The device has ${image.blobs.length - missing.length} of the image's ${image.blobs.length} blobs; sending ${missing.length} (${formatSize(need)}).`);
    const total = image.blobs.reduce((n, b) => n + b.size, 0);
    let done = had;
    let sent = 0;
    const started = Date.now();
    for (const b of missing) {
      const part = `${dir}/${hexOf(b.digest)}.part`;
      const from = Math.max(0, partial(b) - RESUME_WINDOW);
      if (from) opts.log(`Resuming ${b.digest} at ${formatSize(from)} of ${formatSize(b.size)}.`);
      done += from;
      const base = done;
      await writeWindowed(sftp, { path: store.path(b.digest), size: b.size }, part, from, {
        signal: opts.signal,
        limit: opts.limit,
        onProgress: (p) => {
          done = base + (p.done - from);
          const secs = (Date.now() - started) / 1000;
          opts.onProgress({ done, total, bytesPerSecond: secs > 0 ? (sent + p.done - from) / secs : 0 });
        },
      }).catch((e: unknown) => {
        if (opts.signal.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled (what was sent stays on the device for the next try)');
        throw new AppError(ErrorCode.SSH_DISCONNECTED, `sending ${b.digest} stopped: ${(e as Error).message}; try again to continue where it stopped`);
      });
      sent += b.size - from;
      done = base + (b.size - from);
    }
    // The index entry goes in last, in the same round trip that has the device check every new
    // blob's SHA-256 and give it its name: the layout never names a blob it lacks or that is damaged.
    const indexPath = `${DEVICE_LAYOUT}/index.json`;
    const current = await readJson<Index>(sftp, indexPath);
    const others = (current?.manifests ?? []).filter((m) => m.annotations?.[REF_NAME] !== image.tag);
    const entry: Descriptor = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size, annotations: { [REF_NAME]: image.tag } };
    await writeFile(sftp, `${DEVICE_LAYOUT}/oci-layout`, Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    await writeFile(sftp, `${indexPath}.tmp`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...others, entry] })));
    const hexes = missing.map((b) => hexOf(b.digest));
    if (hexes.length) opts.log(`$ sha256sum -c (${hexes.length} new blob${hexes.length === 1 ? '' : 's'} in ${dir})`);
    const out = await exec(['sh', '-c', COMMIT_SCRIPT, 'sh', dir, indexPath, ...hexes], 'checking the new blobs');
    const bad = out.split('\n').filter((l) => l.startsWith('BAD ')).map((l) => `sha256:${l.slice(4).trim()}`);
    if (bad.length) {
      throw new TransferFailure(
        `${bad.length} blob${bad.length === 1 ? '' : 's'} arrived damaged on the device (${bad.map((b) => `${b.slice(0, 19)}…`).join(', ')}); ${bad.length === 1 ? 'it was' : 'they were'} removed.`,
        'Try again to send them afresh; if it happens again, check the network and the device\'s storage.',
      );
    }
    opts.onProgress({ done: total, total, bytesPerSecond: 0 });
    opts.log(`${DEVICE_LAYOUT}:${image.tag} names ${image.manifest.digest}; ${formatSize(sent)} sent (${sent} bytes), ${formatSize(had)} already there.`);
    return { transport: 'oci', ref: `${DEVICE_LAYOUT}:${image.tag}`, sent, had, blobsSent: missing.length };
  } finally {
    sftp.end();
  }
}

/** Where an image's archive goes on a device: one file per platform image, named by tag and digest. */
export const deviceArchivePath = (image: DeviceImage): string => `${DEVICE_ARCHIVES}/${image.tag}-${hexOf(image.manifest.digest).slice(0, 12)}.oci.tar`;

/**
 * Puts an image on the device as one oci-archive file (for devices where that is preferred): the
 * archive is sent resumably to `FILE.part`, the device's own sha256sum must match before it takes
 * its name, and a file already there and intact is not sent again. Free space is checked first.
 */
export async function sendArchiveToDevice(
  conn: SshConnection,
  pick: (architecture: string) => DeviceImage,
  archive: (image: DeviceImage) => Promise<{ path: string; size: number; sha256: string }>,
  opts: SendOptions,
): Promise<TransferResult> {
  const exec = remoteExec(conn, opts);
  const { machine } = await prepare(exec, [DEVICE_ARCHIVES], opts);
  const image = pick(ociArchitecture(machine) ?? machine);
  const local = await archive(image);
  const remote = deviceArchivePath(image);
  if (opts.keep) {
    // Archives no deployment uses (and unfinished sends of other images) can go: bootc keeps what it booted in its own storage.
    const sftp = await conn.sftp();
    try {
      const names = await readdir(sftp, DEVICE_ARCHIVES);
      const keep = new Set([...opts.keep, remote]);
      const stale = [...names].filter(([n]) => !keep.has(`${DEVICE_ARCHIVES}/${n}`) && !keep.has(`${DEVICE_ARCHIVES}/${n.replace(/\.part$/, '')}`));
      for (const [n] of stale) await unlink(sftp, `${DEVICE_ARCHIVES}/${n}`);
      if (stale.length) opts.log(`Removed ${stale.length} archive${stale.length === 1 ? '' : 's'} no deployment uses from ${DEVICE_ARCHIVES} (${formatSize(stale.reduce((n, [, size]) => n + size, 0))}).`);
    } finally {
      sftp.end();
    }
  }
  const r = await uploadVerified(conn, local, remote, {
    ...opts,
    where: 'device',
    next: {
      space: 'Free space in /var on the device (older archives in /var/lib/bootfleet/archives can go), then try again: the upload resumes.',
      damaged: "Try again to send it afresh; if it happens again, check the network and the device's storage.",
    },
  }).catch((e: unknown) => {
    if (opts.signal.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled (what was sent stays on the device for the next try)');
    throw e;
  });
  opts.log(`${remote} holds ${image.manifest.digest}; ${formatSize(r.uploaded)} sent (${r.uploaded} bytes).`);
  return { transport: 'oci-archive', ref: remote, sent: r.uploaded, had: r.resumedFrom, blobsSent: r.uploaded ? image.blobs.length : 0 };
}
