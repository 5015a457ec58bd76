import type { Db } from '../db/open';

/**
 * The id of a config-diff (its JSON text) in `etc_diffs`, added if new: each distinct diff is
 * stored once, however many devices and snapshots share it.
 */
export function etcDiffId(db: Db, text: string | null): number | null {
  if (text === null) return null;
  db.prepare('INSERT INTO etc_diffs (diff) VALUES (?) ON CONFLICT (diff) DO NOTHING').run(text);
  return db.prepare('SELECT id FROM etc_diffs WHERE diff = ?').pluck().get(text) as number;
}
