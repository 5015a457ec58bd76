import { AppError, ErrorCode } from '../../../shared/errors';

/** Translates a better-sqlite3 / fs error into an AppError a user can act on. */
export function translateSqliteError(err: unknown, dbPath: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError(
      ErrorCode.DB_LOCKED,
      `The inventory database is locked by another process (${dbPath}); close the other Bootfleet instance or wait and try again.`,
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new AppError(
      ErrorCode.DB_CORRUPT,
      `The inventory database is corrupt or not a database (${dbPath}); restore it from a backup or move it aside to start a new one.`,
      { sqlite: code },
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code === 'EACCES' || code === 'EPERM' || ['ENOTDIR', 'EEXIST', 'EISDIR', 'ENOENT', 'EROFS'].includes(code) || code.startsWith('SQLITE_IOERR')) {
    return new AppError(
      ErrorCode.DB_UNREADABLE,
      `Cannot open the inventory database ${dbPath}: ${msg}. Check that the data directory exists and is readable and writable by you.`,
      { sqlite: code },
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new AppError(ErrorCode.DB_CONSTRAINT, `The database refused the change: ${msg}`, { sqlite: code });
  }
  return new AppError(ErrorCode.INTERNAL, `Database error: ${msg}`, { sqlite: code || undefined });
}
