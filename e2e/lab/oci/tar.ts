import { open } from 'node:fs/promises';

/** One regular file inside a tar archive: where its bytes start and how many there are. */
export interface TarEntry {
  offset: number;
  size: number;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const text = field(block, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function paxPath(body: Buffer): string | undefined {
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(body.subarray(i, space).toString('ascii'), 10);
    if (!len) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    i += len;
  }
  return undefined;
}

interface TarHeader { name: string; size: number; type: string }

/** One 512-byte header: its path (ustar prefix joined), size and type flag. */
function readHeader(block: Buffer): TarHeader {
  const prefix = field(block, 257, 6).startsWith('ustar') ? field(block, 345, 155) : '';
  const name = field(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: octal(block, 124, 12),
    type: String.fromCharCode(block[156] ?? 0x30),
  };
}

/**
 * Lists the regular files of a POSIX (ustar/pax/GNU) tar file without reading their contents, so an
 * oci-archive can be read blob by blob. Paths are normalized without a leading `./`.
 */
export async function listTar(path: string): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const fh = await open(path, 'r');
  try {
    const { size: total } = await fh.stat();
    const header = Buffer.alloc(512);
    let pos = 0;
    let nextName: string | undefined;
    while (pos + 512 <= total) {
      await fh.read(header, 0, 512, pos);
      if (header.every((b) => b === 0)) break;
      const { name: headerName, size, type } = readHeader(header);
      let name = headerName;
      const dataStart = pos + 512;
      if (type === 'x' || type === 'L') {
        const body = Buffer.alloc(size);
        await fh.read(body, 0, size, dataStart);
        nextName = type === 'x' ? paxPath(body) : field(body, 0, size);
      } else {
        if (nextName) name = nextName;
        nextName = undefined;
        if (type === '0' || type === '\0') entries.set(name.replace(/^\.\//, ''), { offset: dataStart, size });
      }
      pos = dataStart + Math.ceil(size / 512) * 512;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** The regular files of a tar archive held in memory (an uncompressed image layer), by path. */
export function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let nextName: string | undefined;
  for (let pos = 0; pos + 512 <= tar.length;) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const { name: headerName, size, type } = readHeader(header);
    const body = tar.subarray(pos + 512, pos + 512 + size);
    if (type === 'x' || type === 'L') {
      nextName = type === 'x' ? paxPath(body) : field(body, 0, size);
    } else {
      const name = nextName ?? headerName;
      nextName = undefined;
      if (type === '0' || type === '\0') files.set(name.replace(/^\.?\//, ''), body);
    }
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Reads one entry's bytes. */
export async function readTarEntry(path: string, entry: TarEntry): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(entry.size);
    await fh.read(buf, 0, entry.size, entry.offset);
    return buf;
  } finally {
    await fh.close();
  }
}
