import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { MethodArgs, MethodOutput } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { Actor } from '../activity/activity-repo';
import type { ActivityRepo } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import { exportSiteData, importSiteData, SITE_DATA } from './site-data';
import type { KeysService, Signature } from '../keys/keys-service';
import { VERSION } from '../version';
import type { LibraryService } from './library-service';
import { openLayoutSource } from './sources';
import { tarEntries } from './tar';

/**
 * Bundles carry library images between machines with no network between them (a USB stick to an
 * air-gapped site). A bundle is an OCI layout holding the chosen images (so skopeo and bootc can
 * read it too), plus `bootfleet-bundle.json` (what it holds, who made it, when), `SHA256SUMS`
 * over every other file, and `SHA256SUMS.sig`: the making installation's Ed25519 signature of
 * SHA256SUMS. Importing checks the signature against this installation's key and the keys it
 * trusts, refuses a bundle made in the future, then checks every file against SHA256SUMS before
 * anything enters the library; a missing, extra or altered file refuses the bundle, named.
 */
export const BUNDLE_MANIFEST = 'bootfleet-bundle.json';
export const BUNDLE_SUMS = 'SHA256SUMS';
export const BUNDLE_SIG = 'SHA256SUMS.sig';
/** How far a bundle's making time may be ahead of this machine's clock (clocks differ a little). */
const CLOCK_SLACK_MS = 10 * 60_000;

export async function exportBundle(library: LibraryService, keys: KeysService, d: { db: Db; clock: Clock; dataDir: string }, actor: Actor, input: MethodArgs<'bundle.export'>, signal?: AbortSignal): Promise<MethodOutput<'bundle.export'>> {
  const siteData = input.site ? exportSiteData(d.db, d.dataDir, keys.identity().fingerprint, input.site, input.since ? new Date(Date.parse(input.since)).toISOString() : null) : null;
  const rows = [...new Map(input.refs.map((r) => library.resolve(r)).map((r) => [r.id, r])).values()];
  const format = input.path.endsWith('.tar') ? 'oci-archive' : 'oci';
  const images = rows.map((row) => ({
    reference: row.name && row.tag ? `${row.name}:${row.tag}` : null,
    digest: row.digest,
    version: row.version,
    architectures: JSON.parse(row.architectures) as string[],
    size: row.size,
  }));
  const bytes = await library.writeLayout(
    rows.map((row) => ({ row, refName: row.name && row.tag ? `${row.name}:${row.tag}` : row.tag })),
    input.path,
    format,
    async (files) => {
      const manifest = Buffer.from(
        JSON.stringify({ format: 'bootfleet-bundle', formatVersion: 1, createdAt: d.clock.now(), createdBy: actor.user, bootfleet: VERSION, images, site: input.site ?? null, since: input.since ?? null }, null, 2),
      );
      // The site's terminal recordings travel as files of their own (recordings/ID.cast), summed like the rest.
      const recordings = (siteData?.files ?? []).map((f) => ({ name: f.name, body: readFileSync(f.path) }));
      const sums = [...files.map((f) => f.name), BUNDLE_MANIFEST, ...(siteData ? [SITE_DATA] : []), ...recordings.map((r) => r.name)].sort();
      const hashes = new Map<string, string>();
      for (const f of files) hashes.set(f.name, await f.sha256());
      hashes.set(BUNDLE_MANIFEST, createHash('sha256').update(manifest).digest('hex'));
      if (siteData) hashes.set(SITE_DATA, createHash('sha256').update(siteData.json).digest('hex'));
      for (const r of recordings) hashes.set(r.name, createHash('sha256').update(r.body).digest('hex'));
      const text = Buffer.from(sums.map((n) => `${hashes.get(n)}  ${n}`).join('\n') + '\n');
      return [
        ...(siteData ? [{ name: SITE_DATA, body: siteData.json }] : []),
        ...recordings,
        { name: BUNDLE_MANIFEST, body: manifest },
        { name: BUNDLE_SUMS, body: text },
        { name: BUNDLE_SIG, body: Buffer.from(JSON.stringify(keys.sign(text), null, 2) + '\n') },
      ];
    },
    signal,
  );
  return { path: input.path, format, images: images.length, site: input.site ? (JSON.parse(siteData!.json.toString('utf8')) as { site: { name: string } }).site.name : null, bytes };
}

/** Every file of a bundle (a directory or a tar), with a way to hash it. */
async function bundleFiles(path: string): Promise<Map<string, () => NodeJS.ReadableStream>> {
  const out = new Map<string, () => NodeJS.ReadableStream>();
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      out.set(relative(path, full), () => createReadStream(full));
    }
    return out;
  }
  const entries = await tarEntries(path);
  if (entries.truncated) throw new AppError(ErrorCode.VALIDATION_FAILED, `The bundle ${path} is truncated: ${entries.truncated} (a copy cut short?).`);
  for (const [name, e] of entries) out.set(name, () => (e.size ? createReadStream(path, { start: e.offset, end: e.offset + e.size - 1 }) : Readable.from([])));
  return out;
}

async function readAll(open: () => NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function sha256(open: () => NodeJS.ReadableStream): Promise<string> {
  const h = createHash('sha256');
  for await (const c of open()) h.update(c as Buffer);
  return h.digest('hex');
}

/** Checks a bundle file by file, then imports its images; the same bundle twice changes nothing. */
export async function importBundle(library: LibraryService, keys: KeysService, d: { db: Db; activity: ActivityRepo; clock: Clock; dataDir: string }, actor: Actor, input: MethodArgs<'bundle.import'>, signal?: AbortSignal): Promise<MethodOutput<'bundle.import'>> {
  if (!existsSync(input.path)) throw new AppError(ErrorCode.NOT_FOUND, `No bundle at ${input.path}.`);
  const files = await bundleFiles(input.path);
  const sumsFile = files.get(BUNDLE_SUMS);
  if (!sumsFile || !files.has(BUNDLE_MANIFEST)) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path} is not a Bootfleet bundle (no ${BUNDLE_SUMS} or ${BUNDLE_MANIFEST}); to add a plain OCI archive or layout, import it as an image.`);
  }
  const sumsText = await readAll(sumsFile);
  // Who made it, before reading anything else: a bundle that is not signed by a key this
  // installation trusts is refused whole.
  const sigFile = files.get(BUNDLE_SIG);
  if (!sigFile) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path} is not signed (no ${BUNDLE_SIG}); Bootfleet imports only signed bundles. Nothing was imported.`);
  let signature: Signature;
  try {
    signature = JSON.parse((await readAll(sigFile)).toString('utf8')) as Signature;
  } catch {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${BUNDLE_SIG} is damaged (not JSON); nothing was imported.`, { file: BUNDLE_SIG });
  }
  let signedBy: ReturnType<KeysService['verify']>;
  try {
    signedBy = keys.verify(sumsText, signature);
  } catch (e) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${(e as Error).message} Nothing was imported.`, { file: BUNDLE_SIG, ...((e as AppError).details ?? {}) });
  }
  const listed = new Map<string, string>();
  for (const line of sumsText.toString('utf8').split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${BUNDLE_SUMS} has a line that is not "SHA256  FILE": ${line.slice(0, 80)}`);
    listed.set(m[2]!, m[1]!);
  }
  for (const name of files.keys()) {
    if (name !== BUNDLE_SUMS && name !== BUNDLE_SIG && !listed.has(name)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${name} is not listed in ${BUNDLE_SUMS} (added after the bundle was made?); nothing was imported.`, { file: name });
  }
  for (const [name, want] of listed) {
    if (signal?.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
    const open = files.get(name);
    if (!open) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${name} is missing (${BUNDLE_SUMS} lists it); nothing was imported.`, { file: name });
    if ((await sha256(open)) !== want) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${name} was altered (its SHA-256 is not the one ${BUNDLE_SUMS} lists); nothing was imported.`, { file: name });
  }
  const manifest = JSON.parse((await readAll(files.get(BUNDLE_MANIFEST)!)).toString('utf8')) as { createdAt?: string };
  const made = Date.parse(manifest.createdAt ?? '');
  if (!Number.isFinite(made)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path}: ${BUNDLE_MANIFEST} says no valid making time; nothing was imported.`, { file: BUNDLE_MANIFEST });
  if (made > Date.parse(d.clock.now()) + CLOCK_SLACK_MS) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${input.path} was made in the future (${manifest.createdAt}; this machine's clock says ${d.clock.now()}): check both clocks; nothing was imported.`, { file: BUNDLE_MANIFEST });
  }
  const layout = { ...(await openLayoutSource(input.path)), source: `bundle:${input.path}` };
  const results = (await layout.index()).manifests.length ? await library.importFrom(actor, layout, {}, signal) : [];
  const siteFile = files.get(SITE_DATA);
  const recordingFiles = new Map<string, Buffer>();
  for (const [name, open] of files) if (name.startsWith('recordings/')) recordingFiles.set(name, await readAll(open));
  const site = siteFile
    ? importSiteData(d, actor, await readAll(siteFile), { keyFingerprint: signedBy.fingerprint, keyName: signedBy.name, bundleMadeAt: new Date(made).toISOString() }, recordingFiles)
    : null;
  return {
    images: results.map((r) => r.image),
    added: results.filter((r) => r.changed).length,
    unchanged: results.filter((r) => !r.changed).length,
    signedBy: { fingerprint: signedBy.fingerprint, name: signedBy.name, own: signedBy.own },
    site,
  };
}
