import { userInfo } from 'node:os';

/** The operating-system user running Bootfleet (the actor in logs, ssh's default login). */
export function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
