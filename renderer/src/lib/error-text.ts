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
  [ErrorCode.SSH_UNREACHABLE]: 'No SSH connection: check that the device is on, its address and port, and the network (or jump hosts) in between.',
  [ErrorCode.SSH_TIMEOUT]: 'The device did not answer in time. It may be overloaded, or the network slow.',
  [ErrorCode.SSH_DISCONNECTED]: 'The connection dropped before bootc finished. Refresh again; if it keeps happening, check the device.',
  [ErrorCode.SSH_AUTH_FAILED]: 'The device refused the login. Check the user and the key file or password in the device’s settings.',
  [ErrorCode.SSH_KEY_UNUSABLE]: 'The key file is missing or unreadable, or its passphrase is missing or wrong. Edit the device to fix it.',
  [ErrorCode.SSH_HOST_KEY_CHANGED]: 'The device presented a different host key, so Bootfleet refused to connect. Open the device to compare and accept the new key.',
  [ErrorCode.SUDO_PASSWORD_REQUIRED]: 'sudo asked for a password. Give the user passwordless sudo for bootc, or log in as root.',
  [ErrorCode.NOT_BOOTC_HOST]: 'The device answered, but it does not run bootc (or bootc reports no booted deployment).',
  [ErrorCode.BOOTC_OUTPUT_INVALID]: 'bootc printed something Bootfleet cannot read. Open the device’s history to see what it printed.',
  [ErrorCode.OUTPUT_TOO_LARGE]: 'bootc printed more than Bootfleet accepts.',
  [ErrorCode.REMOTE_COMMAND_FAILED]: 'bootc failed on the device. Open the device’s history to see what it printed.',
  [ErrorCode.CANCELED]: 'Cancelled.',
};

/** The sentence that says what to do about an error code, or null for codes without one. */
export function errorHint(code: string): string | null {
  return errorText[code] ?? null;
}

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
