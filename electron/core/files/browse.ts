import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { MethodArgs, MethodOutput } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';

/** Names that look like install images or their checksum files. */
const IMAGE_NAME = /\.(iso|img|raw)(\.(xz|gz|zst))?$|^SHA256SUMS$|^CHECKSUM$|\.sha256$/i;

/**
 * Lists one directory of the machine Bootfleet runs on, for choosing an image from a browser
 * (`bootfleet serve`): names, kinds, sizes and times only, never content. Hidden entries are left
 * out; directories come first, then files, each by name.
 */
export async function browse(a: MethodArgs<'files.browse'>): Promise<MethodOutput<'files.browse'>> {
  const home = homedir();
  const path = resolve(a.path && a.path.length ? a.path.replace(/^~(?=$|\/)/, home) : home);
  let names: string[];
  try {
    names = await readdir(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError(ErrorCode.NOT_FOUND, `No directory ${path}.`);
    if (code === 'ENOTDIR') throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is a file, not a directory.`);
    if (code === 'EACCES' || code === 'EPERM') throw new AppError(ErrorCode.VALIDATION_FAILED, `No permission to read ${path}.`);
    throw e;
  }
  const entries = (
    await Promise.all(
      names
        .filter((n) => !n.startsWith('.'))
        .map(async (name) => {
          const p = join(path, name);
          try {
            const st = await stat(p);
            if (st.isDirectory()) return { name, path: p, kind: 'dir' as const, size: null, modifiedAt: st.mtime.toISOString() };
            if (!st.isFile() || (a.show === 'images' && !IMAGE_NAME.test(name))) return null;
            return { name, path: p, kind: 'file' as const, size: st.size, modifiedAt: st.mtime.toISOString() };
          } catch {
            return null; // a dangling link or a file that went away
          }
        }),
    )
  )
    .filter((e): e is NonNullable<typeof e> => e !== null)
    .sort((x, y) => (x.kind === y.kind ? x.name.localeCompare(y.name) : x.kind === 'dir' ? -1 : 1));
  return { path, parent: path === '/' ? null : dirname(path), home, entries };
}
