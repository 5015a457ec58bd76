import { open, type FileHandle } from 'node:fs/promises';
import { parse } from 'shell-quote';

/**
 * Reads the container image a bootc installer ISO installs, from the kickstart files on it.
 * bootc-image-builder's anaconda-iso puts `osbuild.ks` (and what it includes) in the ISO's root:
 * the payload is an OCI layout on the ISO (`ostreecontainer --url=/run/install/repo/container
 * --transport=oci`) and a `%post` step `bootc switch --mutate-in-place --transport registry REF`
 * points the installed system at the image it should follow: that REF is the answer. Kickstarts
 * written by hand may instead name a registry image in `ostreecontainer --url=` or in Anaconda's
 * `bootc --source-imgref=`.
 */
export interface BootcIsoImage {
  imageRef: string;
  transport: string | null;
  /** The kickstart file it was read from. */
  source: string;
}

const SECTOR = 2048;
/** Kickstart files larger than this are not what bootc-image-builder writes: not read. */
const MAX_KS = 256 * 1024;

interface Entry {
  name: string;
  lba: number;
  size: number;
  dir: boolean;
}

async function readAt(fh: FileHandle, pos: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, pos);
  return b.subarray(0, bytesRead);
}

/** The root directory's entries (ISO 9660 names; Rock Ridge names where present). */
async function rootEntries(fh: FileHandle): Promise<Entry[]> {
  const pvd = await readAt(fh, 16 * SECTOR, SECTOR);
  if (pvd[0] !== 1 || pvd.toString('latin1', 1, 6) !== 'CD001') return [];
  const root = pvd.subarray(156, 156 + 34);
  const lba = root.readUInt32LE(2);
  const size = Math.min(root.readUInt32LE(10), 1024 * 1024);
  const dir = await readAt(fh, lba * SECTOR, size);
  const out: Entry[] = [];
  let off = 0;
  while (off < dir.length) {
    const len = dir[off]!;
    if (len === 0) {
      off = (Math.floor(off / SECTOR) + 1) * SECTOR; // records do not cross sectors
      continue;
    }
    const rec = dir.subarray(off, off + len);
    off += len;
    if (rec.length < 34) break;
    const nameLen = rec[32]!;
    const raw = rec.subarray(33, 33 + nameLen);
    if (nameLen === 1 && (raw[0] === 0 || raw[0] === 1)) continue; // . and ..
    let name = raw.toString('latin1').replace(/;\d+$/, '').replace(/\.$/, '');
    // Rock Ridge NM entry in the system use area: the real (case-preserved) name.
    const su = rec.subarray(33 + nameLen + ((33 + nameLen) % 2 ? 1 : 0));
    for (let i = 0; i + 4 <= su.length; ) {
      const sig = su.toString('latin1', i, i + 2);
      const l = su[i + 2]!;
      if (l < 4) break;
      if (sig === 'NM') name = su.toString('utf8', i + 5, i + l);
      i += l;
    }
    out.push({ name, lba: rec.readUInt32LE(2), size: rec.readUInt32LE(10), dir: (rec[25]! & 2) === 2 });
  }
  return out;
}

/** What a kickstart says the installed system runs. */
export function imageFromKickstart(text: string): { imageRef: string; transport: string | null } | null {
  let fromPost: { imageRef: string; transport: string | null } | null = null;
  let fromPayload: { imageRef: string; transport: string | null } | null = null;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const words = parse(trimmed).filter((w): w is string => typeof w === 'string');
    const opt = (name: string): string | null => {
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (w.startsWith(`--${name}=`)) return w.slice(name.length + 3);
        if (w === `--${name}` && words[i + 1]) return words[i + 1]!;
      }
      return null;
    };
    if (words[0] === 'bootc' && words[1] === 'switch') {
      const positional = words.slice(2).filter((w, i, all) => !w.startsWith('--') && !(all[i - 1] === '--transport'));
      if (positional.length) fromPost = { imageRef: positional[positional.length - 1]!, transport: opt('transport') };
    } else if (words[0] === 'ostreecontainer') {
      const url = opt('url');
      if (url && !url.startsWith('/')) fromPayload = { imageRef: url, transport: opt('transport') ?? 'registry' };
    } else if (words[0] === 'bootc') {
      const src = opt('source-imgref');
      if (src) {
        const m = /^([a-z-]+):(.*)$/.exec(src);
        fromPayload = m && !m[2]!.startsWith('/') ? { imageRef: m[1] === 'registry' || m[1] === 'docker' ? m[2]!.replace(/^\/\//, '') : src, transport: m[1]! } : fromPayload;
      }
    }
  }
  return fromPost ?? fromPayload;
}

/** The image a bootc installer ISO installs, or null when the ISO has no kickstart that says. */
export async function readBootcIsoImage(path: string): Promise<BootcIsoImage | null> {
  const fh = await open(path, 'r');
  try {
    const kickstarts = (await rootEntries(fh)).filter((e) => !e.dir && /\.ks$/i.test(e.name) && e.size <= MAX_KS);
    // osbuild.ks first: it is the one Anaconda is pointed at; the others are what it includes.
    kickstarts.sort((a, b) => Number(/^osbuild\.ks$/i.test(b.name)) - Number(/^osbuild\.ks$/i.test(a.name)));
    for (const k of kickstarts) {
      const image = imageFromKickstart((await readAt(fh, k.lba * SECTOR, k.size)).toString('utf8'));
      if (image) return { ...image, source: k.name };
    }
    return null;
  } finally {
    await fh.close();
  }
}
