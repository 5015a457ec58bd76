import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const PRODUCT_NAME = 'Bootfleet';

/**
 * The per-user data directory, the same one Electron's `app.getPath('userData')` gives
 * for the product name "Bootfleet", so the desktop app, the CLI and `bootfleet serve`
 * share one inventory. `--data-dir` and BOOTFLEET_DATA_DIR override it, in that order.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), PRODUCT_NAME);
}

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.BOOTFLEET_DATA_DIR) return resolve(env.BOOTFLEET_DATA_DIR);
  return defaultDataDir(env);
}

export const DATABASE_FILE = 'bootfleet.db';
export const SECRET_KEY_FILE = 'secret.key';

/** A path the user typed: `~` and `~/…` are their home directory; a relative path is made absolute. */
export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : resolve(p);
}
