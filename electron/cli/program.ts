import { Command, CommanderError, Option } from 'commander';
import { AppError, ErrorCode } from '../../shared/errors';
import { VERSION } from '../core/version';
import { registerActions } from './commands/actions';
import { registerActivity } from './commands/activity';
import { registerDesired, registerRegistries } from './commands/desired';
import { registerDevices, registerExport } from './commands/devices';
import { registerProvision } from './commands/provision';
import { registerDrives, registerFlash, registerFlashes, registerImages, registerVerify } from './commands/drives';
import { registerDoctor } from './commands/doctor';
import { registerInfo } from './commands/info';
import { registerAudit } from './commands/audit';
import { registerKeys } from './commands/keys';
import { registerLibrary } from './commands/library';
import { registerRollouts } from './commands/rollouts';
import { registerServe } from './commands/serve';
import { registerSites } from './commands/sites';
import { registerSsh } from './commands/ssh';
import { registerRecordings } from './commands/recordings';
import { registerHostKeys, registerStatus } from './commands/status';
import { CliSession, type GlobalOptions } from './run';

/** What a command writes; tests and the runner pass their own streams. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<string>;
  /** stderr is a terminal: commands may draw progress there. */
  stderrIsTty?: boolean;
  /** The raw streams, for `bootfleet ssh` (an interactive session needs to stream both ways). */
  terminal?: TerminalStreams;
}

export interface TerminalStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream;
}

export type Action = (session: CliSession, opts: Record<string, unknown>, ...args: string[]) => Promise<void>;

/** Wraps a command action: opens the session, runs it, and turns errors into one line. */
export interface CommandKit {
  io: CliIo;
  run(action: Action): (...args: unknown[]) => Promise<void>;
  /** Print a value: JSON when --json, else the text from `human`. */
  print(opts: Record<string, unknown>, value: unknown, human: () => string): void;
  /** Ends with this exit status (after printing) without an error line, e.g. when some devices failed. */
  exitWith(code: number): void;
}

/** Builds the `bootfleet` command tree. */
export function buildProgram(io: CliIo, onExit: (code: number) => void): Command {
  const program = new Command('bootfleet');
  program
    .description('Bootfleet: inventory, flashing, provisioning, updates and drift audits for fleets of bootc devices.')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--data-dir <dir>', 'the data directory holding the inventory').env('BOOTFLEET_DATA_DIR'))
    .option('--json', 'machine-readable JSON output')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      `
Data directory: --data-dir, else $BOOTFLEET_DATA_DIR, else the per-user data directory the desktop app uses
(~/.config/Bootfleet on Linux). Devices are named NAME, or SITE/NAME where the name exists in several sites.
Exit status: 0 on success, 1 when the command failed (one line on stderr says why), 2 for a usage error.`,
    );

  const kit: CommandKit = {
    io,
    run:
      (action) =>
      async (...args: unknown[]) => {
        const cmd = args[args.length - 1] as Command;
        const opts = cmd.optsWithGlobals() as Record<string, unknown> & GlobalOptions;
        const positional = args.slice(0, -2).map((a) => a as string);
        const session = new CliSession(opts);
        try {
          await action(session, opts, ...positional);
        } catch (err) {
          onExit(reportError(io, err, !!opts.json));
        } finally {
          session.close();
        }
      },
    print(opts, value, human) {
      io.stdout(opts.json ? JSON.stringify(value, null, 2) + '\n' : human());
    },
    exitWith: (code) => onExit(code),
  };

  registerDevices(program, kit);
  registerSites(program, kit);
  registerStatus(program, kit);
  registerHostKeys(program, kit);
  registerActions(program, kit);
  registerRollouts(program, kit);
  registerDrives(program, kit);
  registerImages(program, kit);
  registerLibrary(program, kit);
  registerAudit(program, kit);
  registerExport(program, kit);
  registerKeys(program, kit);
  registerSsh(program, kit);
  registerRecordings(program, kit);
  registerFlash(program, kit);
  registerVerify(program, kit);
  registerFlashes(program, kit);
  registerProvision(program, kit);
  registerDesired(program, kit);
  registerRegistries(program, kit);
  registerActivity(program, kit);
  registerInfo(program, kit);
  registerDoctor(program, kit);
  registerServe(program, kit);
  return program;
}

/** Prints an error as one line (plus JSON on stdout with --json); returns the exit code. */
export function reportError(io: CliIo, err: unknown, json: boolean): number {
  const e = err instanceof AppError ? err : new AppError(ErrorCode.INTERNAL, err instanceof Error ? err.message : String(err));
  if (json) io.stdout(JSON.stringify({ ok: false, error: e.toJSON() }, null, 2) + '\n');
  io.stderr(`bootfleet: ${e.message} [${e.code}]\n`);
  return 1;
}

/** Runs the CLI with argv (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    return reportError(io, err, argv.includes('--json'));
  }
  return code;
}
