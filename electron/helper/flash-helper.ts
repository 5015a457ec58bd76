/**
 * `bootfleet-flash-helper`: the small privileged program the app starts through pkexec to write
 * drives (see electron/core/flash/helper-server.ts for what it accepts). Its stdin and stdout
 * are the channel to the app; it exits when the flash ends or the app goes away.
 */
import { serveFlashHelper } from '../core/flash/helper-server';

if (process.getuid?.() !== 0) {
  process.stderr.write('bootfleet-flash-helper: must run as root (the app starts it through pkexec).\n');
  process.exit(2);
}
void serveFlashHelper(process.stdin, process.stdout).then((code) => process.exit(code));
