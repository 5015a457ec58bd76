import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm run dist` where Electron cannot be downloaded: one clear line, exit 1, nothing built. */
const ROOT = join(__dirname, '..', '..');
const electronInstalled = existsSync(join(dirname(require.resolve('electron/package.json')), 'path.txt'));

describe('npm run dist', () => {
  it.skipIf(electronInstalled)('stops with one line when the Electron runtime cannot be downloaded, before building anything', () => {
    const cache = mkdtempSync(join(tmpdir(), 'bootfleet-electron-cache-'));
    try {
      // Electron's releases "served" from a closed local port: the download fails here, on this machine.
      const r = spawnSync(process.execPath, [join(ROOT, 'electron', 'build', 'dist.cjs')], {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: cache, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^npm run dist: the Electron runtime could not be downloaded \(.*ECONNREFUSED.*\); packaging needs it/);
      expect(existsSync(join(ROOT, 'dist'))).toBe(false);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
