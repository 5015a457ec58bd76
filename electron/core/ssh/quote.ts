import { quote } from 'shell-quote';

/**
 * The one place a remote command line is made: every argument is quoted by shell-quote for
 * the POSIX shell sshd runs the command with, so a device name, image reference or path can
 * never become shell syntax. Callers pass argument lists, never strings with spaces.
 */
export function shellLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellLine: an empty command');
  for (const a of argv) {
    // A NUL cannot cross an exec request; refuse it rather than let the channel truncate it.
    if (a.includes('\0')) throw new Error('shellLine: an argument contains a NUL byte');
  }
  return quote([...argv]);
}

/** `sudo -n -- ARGV` where the device logs in as a user that needs sudo; `-n` never prompts. */
export function withSudo(argv: readonly string[], sudo: boolean): string[] {
  return sudo ? ['sudo', '-n', '--', ...argv] : [...argv];
}
