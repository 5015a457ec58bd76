import { quote } from 'shell-quote';

/** Words the POSIX shell reads literally unquoted (no globbing, expansion, splitting or operators). */
const BARE = /^[A-Za-z0-9_/.,:=@%+-]+$/;

/**
 * The one place a remote command line is made: every argument that needs quoting is quoted by
 * shell-quote for the POSIX shell sshd runs the command with, so a device name, image reference
 * or path can never become shell syntax. Plain words (`--pid=host`, `registry:5000/os@sha256:…`)
 * are left bare so the command a technician reviews reads as it would be typed. Callers pass
 * argument lists, never strings with spaces.
 */
export function shellLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellLine: an empty command');
  return argv
    .map((a, i) => {
      // A NUL cannot cross an exec request; refuse it rather than let the channel truncate it.
      if (a.includes('\0')) throw new Error('shellLine: an argument contains a NUL byte');
      // The first word with `=` would be read as a variable assignment.
      return BARE.test(a) && !(i === 0 && a.includes('=')) ? a : quote([a]);
    })
    .join(' ');
}

/** `sudo -n -- ARGV` where the device logs in as a user that needs sudo; `-n` never prompts. */
export function withSudo(argv: readonly string[], sudo: boolean): string[] {
  return sudo ? ['sudo', '-n', '--', ...argv] : [...argv];
}
