import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, ErrorCode } from '../../../shared/errors';

/** Where a Chromium or Chrome may be (BOOTFLEET_CHROMIUM first). */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const own = env.BOOTFLEET_CHROMIUM;
  if (own) return existsSync(own) ? own : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * The HTML report printed to PDF by a headless Chromium (the same page the HTML file shows, so
 * the two cannot disagree). The page loads nothing from the network (its CSP allows nothing).
 */
export async function htmlToPdf(html: string, out: string, opts: { chromium?: string | null; timeoutMs?: number } = {}): Promise<number> {
  const chromium = opts.chromium ?? findChromium();
  if (!chromium) {
    throw new AppError(
      ErrorCode.NOT_FOUND,
      'A PDF report needs Chromium or Chrome to print it, and none was found: install chromium (or set BOOTFLEET_CHROMIUM to its path), or write the HTML report and print that.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-pdf-'));
  try {
    const page = join(dir, 'report.html');
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${out}`,
      // Chromium refuses to run as root with its sandbox; the page is our own and loads nothing.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      pathToFileURL(page).href,
    ];
    await new Promise<void>((resolve, reject) =>
      execFile(chromium, args, { timeout: opts.timeoutMs ?? 120_000 }, (err, _stdout, stderr) => {
        if (err) reject(new AppError(ErrorCode.INTERNAL, `${chromium} could not print the report: ${(stderr || err.message).trim().split('\n').at(-1)}`));
        else resolve();
      }),
    );
    if (!existsSync(out)) throw new AppError(ErrorCode.INTERNAL, `${chromium} printed no PDF to ${out}.`);
    return statSync(out).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
