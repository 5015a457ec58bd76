import { open } from 'node:fs/promises';

/**
 * Tar, as OCI archives use it: reading the file table from the headers alone (ustar, GNU long
 * names, PAX paths), and writing one (ustar, PAX for long names).
 */

/** Where a file's data sits in a tar. */
export interface TarEntry {
  offset: number;
  size: number;
}

function octal(buf: Buffer, start: number, len: number): number {
  const text = buf.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(buf: Buffer, start: number, len: number): string {
  const s = buf.subarray(start, start + len).toString('utf8');
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** The archive's files (name → where its data is), from the tar headers only. */
export async function tarEntries(path: string): Promise<Map<string, TarEntry> & { truncated?: string }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const out: Map<string, TarEntry> & { truncated?: string } = new Map<string, TarEntry>();
    let last = '';
    const header = Buffer.alloc(512);
    let pos = 0;
    let longName: string | null = null;
    let paxPath: string | null = null;
    let ended = false;
    while (pos + 512 <= size) {
      await fh.read(header, 0, 512, pos);
      if (header.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const len = octal(header, 124, 12);
      const type = String.fromCharCode(header[156] || 48);
      const data = pos + 512;
      if (type === 'L' || type === 'x') {
        const body = Buffer.alloc(len);
        await fh.read(body, 0, len, data);
        if (type === 'L') longName = cString(body, 0, len);
        else paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? null;
      } else {
        const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header, 345, 155) : '';
        const name = paxPath ?? longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
        if (type === '0' || type === '\0' || type === '7') out.set(name.replace(/^\.\//, ''), { offset: data, size: len });
        longName = null;
        paxPath = null;
      }
      if (data + len > size) {
        // The file ends inside this entry's data: a copy cut short.
        const name = paxPath ?? longName ?? cString(header, 0, 100);
        out.delete(name);
        out.truncated = `it ends inside ${name}`;
        return out;
      }
      if (type !== 'L' && type !== 'x') last = paxPath ?? longName ?? cString(header, 0, 100);
      pos = data + Math.ceil(len / 512) * 512;
    }
    // No end-of-archive blocks: it may have been cut right after an entry.
    if (!ended) out.truncated = last ? `it ends after ${last}, with no end-of-archive marker` : 'it ends before its first entry';
    return out;
  } finally {
    await fh.close();
  }
}


/** One file (or directory, with `size` 0 and a name ending in /) to write into a tar. */
export interface TarFile {
  name: string;
  size: number;
  /** The file's bytes (not called for directories). */
  open?: () => NodeJS.ReadableStream;
}

function header(name: string, size: number, dir: boolean): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: the name ${name} is longer than 100 bytes`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(dir ? '0000755\0' : '0000644\0', 100, 8, 'latin1');
  h.write('0000000\0', 108, 8, 'latin1');
  h.write('0000000\0', 116, 8, 'latin1');
  if (size < 8 ** 11) h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 12, 'latin1');
  else {
    // GNU base-256 for sizes of 8 GiB and more (Go's and GNU tar's readers take it).
    h[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      h[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  h.write('00000000000\0', 136, 12, 'latin1'); // mtime 0: the same content makes the same archive
  h.write(dir ? '5' : '0', 156, 1, 'latin1');
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

/** Writes the files as a tar to `out`, in order, ending with the two empty blocks. */
export async function writeTar(out: NodeJS.WritableStream, files: TarFile[], signal?: AbortSignal): Promise<void> {
  const write = (b: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(b)) return resolve();
      const onDrain = () => {
        out.off('error', onError);
        resolve();
      };
      const onError = (e: Error) => {
        out.off('drain', onDrain);
        reject(e);
      };
      out.once('drain', onDrain);
      out.once('error', onError);
    });
  for (const f of files) {
    if (signal?.aborted) throw new Error('cancelled');
    const dir = f.name.endsWith('/');
    await write(header(f.name, dir ? 0 : f.size, dir));
    if (dir) continue;
    let n = 0;
    for await (const chunk of f.open!()) {
      const b = chunk as Buffer;
      n += b.length;
      await write(b);
    }
    if (n !== f.size) throw new Error(`tar: ${f.name} had ${n} bytes, not ${f.size}`);
    if (n % 512) await write(Buffer.alloc(512 - (n % 512)));
  }
  await write(Buffer.alloc(1024));
}
