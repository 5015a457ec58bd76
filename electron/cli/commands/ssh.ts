import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { TerminalExit } from '../../core/terminals/terminal-service';
import type { CommandKit } from '../program';

/**
 * `bootfleet ssh NAME [-- COMMAND...]`: a shell on a device, or one command, with the inventory's
 * login, key or agent, jump hosts and pinned host key, for users who live in a terminal. As
 * OpenSSH: a remote terminal for a shell when stdin is one (-t forces it, -T refuses it), the
 * remote exit status as ours, 255 when the session ended without one.
 */
export function registerSsh(program: Command, kit: CommandKit): void {
  program
    .command('ssh')
    .argument('<name>', 'the device (NAME or SITE/NAME)')
    .argument('[command...]', 'a command to run instead of the login shell; put it after --')
    .option('-t, --tty', 'a remote terminal even for a command (as ssh -t)')
    .option('-T, --no-tty', 'no remote terminal, even for a shell (as ssh -T)')
    .description('open a shell on a device (or run one command) over its pinned SSH connection; exits with the remote status')
    .addHelpText('after', '\nExamples:\n  bootfleet ssh plc-1\n  bootfleet ssh plant-7/plc-1 -- sudo -n bootc status\n  echo uptime | bootfleet ssh -T plc-1')
    .action(
      kit.run(async (s, o, name, ...rest) => {
        const argv = (rest as unknown[]).flat().filter((x): x is string => typeof x === 'string');
        const t = kit.io.terminal;
        if (!t) throw new AppError(ErrorCode.VALIDATION_FAILED, 'bootfleet ssh needs a terminal or pipes to talk through.');
        const stdinTty = t.stdin.isTTY === true;
        // commander: -t sets tty true, -T sets it false, neither leaves it undefined.
        const wantPty = typeof o.tty === 'boolean' ? o.tty : argv.length === 0 && stdinTty;
        const core = s.open();
        let resolveExit!: (e: TerminalExit) => void;
        const exited = new Promise<TerminalExit>((r) => (resolveExit = r));
        const session = await core.terminals.open(core.actor, name!, {
          ...(argv.length ? { argv } : {}),
          ...(wantPty ? { pty: { cols: t.stdout.columns ?? 80, rows: t.stdout.rows ?? 24, term: process.env.TERM || 'xterm-256color' } } : {}),
          onData: (chunk, stream) => {
            const out = stream === 'stderr' ? t.stderr : t.stdout;
            // Backpressure: a slow terminal or pipe pauses reading from the device.
            if (!out.write(chunk)) {
              session.pause();
              out.once('drain', () => session.resume());
            }
          },
          onExit: (e) => resolveExit(e),
        });
        const raw = wantPty && stdinTty && typeof t.stdin.setRawMode === 'function';
        if (raw) t.stdin.setRawMode!(true);
        const onInput = (d: Buffer | string) => session.write(d);
        const onEnd = () => session.end();
        const onResize = () => session.resize(t.stdout.columns ?? 80, t.stdout.rows ?? 24);
        t.stdin.on('data', onInput);
        t.stdin.on('end', onEnd);
        t.stdout.on('resize', onResize);
        t.stdin.resume();
        let exit: TerminalExit;
        try {
          exit = await exited;
        } finally {
          t.stdin.removeListener('data', onInput);
          t.stdin.removeListener('end', onEnd);
          t.stdout.removeListener('resize', onResize);
          if (raw) t.stdin.setRawMode!(false);
          t.stdin.pause();
        }
        if (exit.code !== null) {
          if (exit.code !== 0) kit.exitWith(exit.code);
          return;
        }
        kit.io.stderr(exit.signal ? `${session.device}: the remote command was killed by signal ${exit.signal}.\n` : `${session.device}: ${exit.reason}.\n`);
        kit.exitWith(255);
      }),
    );
}
