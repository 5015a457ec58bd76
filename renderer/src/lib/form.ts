/** Helpers that turn zod issues and server errors into per-field messages. */
import type { AppError } from '../../../shared/contract';

/** Field name → first message. */
export type FieldErrors = Partial<Record<string, string>>;

/** Maps `{path, message}` issues to fields; `prefix.` (e.g. "patch.") is dropped. */
export function issuesToFields(issues: { path: string; message: string }[], alias: Record<string, string> = {}): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    let path = issue.path.replace(/^(patch|input)\./, '');
    const head = path.split('.')[0] ?? '';
    path = alias[head] ?? head;
    if (!path) path = '_form';
    if (out[path] === undefined) out[path] = issue.message;
  }
  return out;
}

/** The `details.issues` of a VALIDATION_FAILED error, if any. */
export function serverIssues(err: AppError): { path: string; message: string }[] {
  const d = err.details as { issues?: unknown } | undefined;
  if (!d || !Array.isArray(d.issues)) return [];
  return d.issues
    .filter((i): i is { path: unknown; message: unknown } => !!i && typeof i === 'object')
    .map((i) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }));
}

/** "must be …" → "Name must be …" so messages read as sentences under a field. */
export function fieldMessage(label: string, message: string): string {
  if (/^[a-z]/.test(message) && !/^(a|an|the|at) /.test(message)) return `${label} ${message}`;
  return message.charAt(0).toUpperCase() + message.slice(1);
}
