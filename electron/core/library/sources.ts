import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors';
import { hexOf, isDigest, type Index } from './oci';
import { tarEntries } from './tar';

/** An OCI image layout to read from: a directory, or the same in a tar (oci-archive). */
export interface LayoutSource {
  /** For messages: "the archive /x/os.tar", "the layout /x/os". */
  label: string;
  /** `oci-archive:/x/os.tar`, `oci:/x/os`. */
  source: string;
  index(): Promise<Index>;
  /** The blob's bytes, or null when the source does not have it. */
  blob(digest: string): { size: number; open: () => NodeJS.ReadableStream } | null;
}

function parseIndex(text: string, label: string): Index {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${label}: index.json is not valid JSON (${(e as Error).message}).`);
  }
  const idx = j as Index;
  if (!Array.isArray(idx?.manifests) || idx.manifests.some((m) => !isDigest(m.digest) || typeof m.size !== 'number')) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${label}: index.json does not list manifests with sha256 digests and sizes.`);
  }
  return idx;
}

/** Opens a directory (OCI layout) or a file (oci-archive) as a layout source. */
export async function openLayoutSource(path: string): Promise<LayoutSource> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new AppError(ErrorCode.NOT_FOUND, `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  if (st.isDirectory()) {
    const label = `the layout ${path}`;
    if (!existsSync(join(path, 'oci-layout'))) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not an OCI image layout (no oci-layout file).`);
    return {
      label,
      source: `oci:${path}`,
      index: async () => parseIndex(await readFile(join(path, 'index.json'), 'utf8').catch(() => '{}'), label),
      blob: (digest) => {
        const file = join(path, 'blobs', 'sha256', hexOf(digest));
        if (!existsSync(file)) return null;
        return { size: -1, open: () => createReadStream(file, { highWaterMark: 1024 * 1024 }) };
      },
    };
  }
  const label = `the archive ${path}`;
  const entries = await tarEntries(path);
  if (entries.truncated) throw new AppError(ErrorCode.VALIDATION_FAILED, `${label} is truncated: ${entries.truncated} (a copy cut short?).`);
  if (!entries.has('oci-layout')) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not an OCI archive (no oci-layout file in it).`);
  const index = entries.get('index.json');
  return {
    label,
    source: `oci-archive:${path}`,
    async index() {
      if (!index) throw new AppError(ErrorCode.VALIDATION_FAILED, `${label} has no index.json (a truncated copy?).`);
      const fh = createReadStream(path, { start: index.offset, end: index.offset + index.size - 1 });
      const chunks: Buffer[] = [];
      for await (const c of fh) chunks.push(c as Buffer);
      return parseIndex(Buffer.concat(chunks).toString('utf8'), label);
    },
    blob: (digest) => {
      const e = entries.get(`blobs/sha256/${hexOf(digest)}`);
      if (!e) return null;
      // A tar cut short names a size its data does not reach: the read stops early, the size check catches it.
      return { size: e.size, open: () => (e.size ? createReadStream(path, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 1024 * 1024 }) : emptyStream()) };
    },
  };
}

const emptyStream = (): NodeJS.ReadableStream => Readable.from([]);
