/**
 * Renders resources/icon.svg to the PNG sizes the desktop packages need (resources/icons/NxN.png for
 * Linux; resources/icon.png, 1024 px, from which electron-builder makes the macOS .icns and the
 * Windows .ico), with Chromium through Playwright, on a transparent background.
 *   npx tsx electron/build/render-icons.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;

async function main(): Promise<void> {
  const resources = join(__dirname, '..', '..', 'resources');
  const svg = readFileSync(join(resources, 'icon.svg'), 'utf8');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  try {
    for (const size of ICON_SIZES) {
      const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
      await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `)}</body></html>`);
      await page.screenshot({ path: join(resources, 'icons', `${size}x${size}.png`), omitBackground: true });
      if (size === 1024) await page.screenshot({ path: join(resources, 'icon.png'), omitBackground: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

if (require.main === module) void main();
