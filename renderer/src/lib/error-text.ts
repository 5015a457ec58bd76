/**
 * User-facing sentences for the error codes the UI expects. Codes not listed here are
 * unexpected: they go to the global error bar with their code and message.
 */
import { AppError, ErrorCode } from '../../../shared/contract';

/** What to tell the user for each expected error code. */
export const errorText: Record<string, string> = {
  [ErrorCode.NAME_TAKEN]: 'That name is already used. Choose another name.',
  [ErrorCode.SITE_IN_USE]: 'This site still has devices. Move or delete them first.',
  [ErrorCode.CSV_INVALID]: 'The CSV file could not be read. Check the rows listed below.',
  [ErrorCode.NOT_FOUND]: 'It no longer exists; someone may have deleted it. The list has been refreshed.',
  [ErrorCode.AMBIGUOUS]: 'More than one item matches that name. Use SITE/NAME to pick one.',
  [ErrorCode.DB_LOCKED]: 'The inventory is busy (another Bootfleet is writing). Try again in a moment.',
  [ErrorCode.DISCONNECTED]: 'The connection to Bootfleet was lost. Reconnecting…',
  [ErrorCode.UNAUTHORIZED]: 'This session is not authorized. Open the link printed by `bootfleet serve` again.',
  [ErrorCode.VALIDATION_FAILED]: 'Some values are not valid. Check the highlighted fields.',
  [ErrorCode.SECRET_UNAVAILABLE]: 'Stored secrets cannot be decrypted on this machine. Enter the password again.',
};

/** True for codes the UI knows how to explain. */
export function isExpectedError(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(errorText, code);
}

/** Normalizes anything thrown into an AppError. */
export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown; details?: unknown };
    return new AppError(String(e.code), String(e.message), e.details);
  }
  return new AppError(ErrorCode.INTERNAL, err instanceof Error ? err.message : String(err));
}

/**
 * The sentence to show for an error: the server's own message when it is specific
 * (it names the thing), falling back to the generic sentence for the code.
 */
export function describeError(err: unknown): string {
  const e = asAppError(err);
  if (e.message) return e.message;
  return errorText[e.code] ?? `Unexpected error (${e.code}).`;
}
