import { isMethodName, methods, type MethodArgs, type MethodName, type MethodOutput, type Result } from '../../../shared/contract';
import { AppError, ErrorCode, validationError, type AppErrorShape } from '../../../shared/errors';
import type { Actor } from '../activity/activity-repo';
import { translateSqliteError } from '../db/sqlite-errors';

/** Who is calling; every host (IPC, WebSocket, CLI) builds one per call or connection. */
export interface CallContext {
  actor: Actor;
  /** The connected client making the call (a window, a browser tab), where the host tells them apart. */
  client?: ClientHandle;
}

/** One connected client: what it opened (a terminal) is closed when it goes away. */
export interface ClientHandle {
  id: string;
  onClose(listener: () => void): void;
}

/** A handler for every method of the contract: the compiler demands them all. */
export type Handlers = {
  [M in MethodName]: (args: MethodArgs<M>, ctx: CallContext) => MethodOutput<M> | Promise<MethodOutput<M>>;
};

export type Dispatch = (method: string, input: unknown, ctx: CallContext) => Promise<Result<unknown>>;

export interface RouterOptions {
  /** Where an unexpected error's stack goes (the app's log). */
  onUnexpected?: (err: unknown, method: string) => void;
  /** The database path, named in database errors. */
  dbPath?: string;
}

/**
 * The one entry point of the core for every host: checks that the method exists, validates
 * the input against the contract, runs the handler and returns the answer as data.
 * Errors never escape as exceptions: they come back as `{ ok: false, error }`.
 */
export function createRouter(handlers: Handlers, options: RouterOptions = {}): Dispatch {
  return async (method, input, ctx) => {
    if (!isMethodName(method)) {
      return fail(new AppError(ErrorCode.UNKNOWN_METHOD, `Unknown method "${String(method)}".`));
    }
    const def = methods[method];
    const parsed = def.input.safeParse(input ?? undefined);
    if (!parsed.success) return fail(validationError(parsed.error, `${method} input`));
    try {
      const handler = handlers[method] as (args: unknown, ctx: CallContext) => unknown;
      const value = await handler(parsed.data, ctx);
      const bulk = 'bulk' in def ? def.bulk : undefined;
      const checked = bulk && value && typeof value === 'object' && Array.isArray((value as Record<string, unknown>)[bulk])
        ? { ...(value as Record<string, unknown>), [bulk]: ((value as Record<string, unknown[]>)[bulk]!).slice(0, 100) }
        : value;
      const out = def.output.safeParse(checked);
      if (!out.success) {
        // A handler broke the contract: a bug, reported as such rather than sent on.
        options.onUnexpected?.(out.error, method);
        return fail(new AppError(ErrorCode.INTERNAL, `Internal error: ${method} returned data that does not match the contract.`));
      }
      return { ok: true, value: checked === value ? out.data : value };
    } catch (err) {
      return fail(toAppError(err, method, options));
    }
  };
}

/** Turns anything thrown into an AppError: ours pass through, SQLite's are translated, the rest are internal. */
export function toAppError(err: unknown, method: string, options: RouterOptions = {}): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return translateSqliteError(err, options.dbPath ?? 'the database');
  options.onUnexpected?.(err, method);
  return new AppError(ErrorCode.INTERNAL, `Internal error in ${method}: ${err instanceof Error ? err.message : String(err)}`);
}

function fail(e: AppError): { ok: false; error: AppErrorShape } {
  return { ok: false, error: e.toJSON() };
}
