import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/** What the desktop entry and the file associations open (electron-builder.yml fileAssociations). */
const IMAGE = /\.(iso|img|raw|raw\.xz|img\.xz|raw\.zst|img\.zst|xz|zst)$/i;

/** The app's own options that take a value (the value is not a file to open). */
const VALUE_OPTIONS = new Set(['--data-dir']);

/**
 * The disk images a launch asks the app to open: `bootfleet-desktop IMAGE` as a file manager runs
 * it (%U in the desktop entry), or the argv a second launch hands the first one. Options and what
 * Electron or Chromium put there are skipped, and so is anything that is not an existing file with
 * an image's name; relative paths are taken from the launch's directory.
 */
export function imagesInArgv(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    if (VALUE_OPTIONS.has(raw)) i++;
    if (raw.startsWith('-')) continue;
    const arg = raw.startsWith('file://') ? decodeURIComponent(new URL(raw).pathname) : raw;
    if (!IMAGE.test(arg)) continue;
    const full = resolve(cwd, arg);
    try {
      if (statSync(full).isFile()) out.push(full);
    } catch {
      // not there: nothing to open
    }
  }
  return out;
}
