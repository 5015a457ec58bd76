import { z } from 'zod';

/**
 * Every error that crosses a host boundary (IPC, WebSocket, CLI) has this shape.
 * `code` is stable and machine-readable; `message` is a sentence a user can act on;
 * `details` carries structured context (for example per-field validation issues).
 */
export const appErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type AppErrorShape = z.infer<typeof appErrorSchema>;

/** Codes used across the app. Later issues add theirs here so the UI has one map of them. */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  AMBIGUOUS: 'AMBIGUOUS',
  NAME_TAKEN: 'NAME_TAKEN',
  SITE_IN_USE: 'SITE_IN_USE',
  CSV_INVALID: 'CSV_INVALID',
  DB_LOCKED: 'DB_LOCKED',
  DB_CORRUPT: 'DB_CORRUPT',
  DB_UNREADABLE: 'DB_UNREADABLE',
  DB_SCHEMA_TOO_NEW: 'DB_SCHEMA_TOO_NEW',
  DB_CONSTRAINT: 'DB_CONSTRAINT',
  SECRET_UNAVAILABLE: 'SECRET_UNAVAILABLE',
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DISCONNECTED: 'DISCONNECTED',
  /** `bootc status` printed something that is not a status document (details.at: where it broke). */
  BOOTC_OUTPUT_INVALID: 'BOOTC_OUTPUT_INVALID',
  /** No route, connection refused, or no answer within the connect timeout. */
  SSH_UNREACHABLE: 'SSH_UNREACHABLE',
  /** The device refused every credential offered. */
  SSH_AUTH_FAILED: 'SSH_AUTH_FAILED',
  /** The device (or a jump host) presented a key other than the pinned one (details: old, new). */
  SSH_HOST_KEY_CHANGED: 'SSH_HOST_KEY_CHANGED',
  /** The private key file is missing, unreadable, or its passphrase is missing or wrong. */
  SSH_KEY_UNUSABLE: 'SSH_KEY_UNUSABLE',
  /** The connection dropped, or a command did not finish within its timeout. */
  SSH_DISCONNECTED: 'SSH_DISCONNECTED',
  SSH_TIMEOUT: 'SSH_TIMEOUT',
  /** `sudo -n` wanted a password: give the user NOPASSWD sudo or log in as root. */
  SUDO_PASSWORD_REQUIRED: 'SUDO_PASSWORD_REQUIRED',
  /** The host answered but has no `bootc`, or bootc reports no booted deployment. */
  NOT_BOOTC_HOST: 'NOT_BOOTC_HOST',
  /** A remote command failed (details: exitCode, stderr). */
  REMOTE_COMMAND_FAILED: 'REMOTE_COMMAND_FAILED',
  /** A command printed more than Bootfleet accepts from it. */
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  /** Another job is acting on the device. */
  DEVICE_BUSY: 'DEVICE_BUSY',
  /** The action cannot run on this device as it stands (no rollback, nothing staged, bootc too old...). */
  ACTION_NOT_POSSIBLE: 'ACTION_NOT_POSSIBLE',
  /** After a reboot the device booted another digest than expected (a greenboot fallback, say). */
  BOOTED_WRONG_IMAGE: 'BOOTED_WRONG_IMAGE',
  /** A rebooted device did not come back within the wait. */
  DEVICE_DID_NOT_RETURN: 'DEVICE_DID_NOT_RETURN',
  /** The process running the job stopped before the job ended. */
  JOB_INTERRUPTED: 'JOB_INTERRUPTED',
  /** The user cancelled the operation. */
  CANCELED: 'CANCELED',
  /** The registry could not be reached (DNS, refused, TLS, timeout). */
  REGISTRY_UNREACHABLE: 'REGISTRY_UNREACHABLE',
  /** The registry refused the login (or anonymous access): set one with `registries.set`. */
  REGISTRY_AUTH_FAILED: 'REGISTRY_AUTH_FAILED',
  /** The registry has no such repository, tag or digest. */
  IMAGE_NOT_FOUND: 'IMAGE_NOT_FOUND',
  /** The registry answered with something other than what the distribution API specifies. */
  REGISTRY_ERROR: 'REGISTRY_ERROR',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One field-level problem, as reported in `details.issues` of VALIDATION_FAILED. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The error class thrown by core code and re-thrown by clients; serializes to AppErrorShape. */
export class AppError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  toJSON(): AppErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
  static from(shape: AppErrorShape): AppError {
    return new AppError(shape.code, shape.message, shape.details);
  }
}

/** Turns zod issues into field issues with dotted paths ("tags.2"). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** A VALIDATION_FAILED error whose message names the first bad field. */
export function validationError(error: z.ZodError, what = 'input'): AppError {
  const issues = fieldIssues(error);
  const first = issues[0];
  const where = first && first.path ? `${first.path}: ` : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new AppError(ErrorCode.VALIDATION_FAILED, `Invalid ${what}: ${where}${first?.message ?? 'unknown problem'}${more}`, {
    issues,
  });
}
