import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../../shared/errors';
import { parseAsciicast } from '../../core/terminals/asciicast';
import { table } from '../output';
import type { CommandKit } from '../program';

/** `bootfleet recordings list|play`: recorded terminal sessions (asciicast v2, output only). */
export function registerRecordings(program: Command, kit: CommandKit): void {
  const rec = program.command('recordings').description('recorded terminal sessions (on per site: bootfleet sites edit SITE --record-terminals)');
  rec
    .command('list')
    .alias('ls')
    .option('--device <name>', 'only the sessions on this device')
    .option('--limit <n>', 'how many, newest first (default 100)', (v) => Number(v), 100)
    .description('list recorded sessions: who, when, which device, how it ended')
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('recordings.list', { ...(o.device ? { device: o.device as string } : {}), limit: o.limit as number });
        kit.print(o, list, () =>
          list.length
            ? table(
                ['ID', 'DEVICE', 'STARTED', 'SECONDS', 'BY', 'ENDED', 'SIZE'],
                list.map((r) => [
                  r.id,
                  r.device,
                  r.startedAt.slice(0, 19).replace('T', ' '),
                  r.endedAt ? String(Math.round((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000)) : '-',
                  `${r.actor} (${r.via})`,
                  r.endedAt ? (r.exitCode !== null ? `exit ${r.exitCode}` : (r.reason ?? '')) : 'open or interrupted',
                  `${Math.max(1, Math.round(r.bytes / 1024))} KiB`,
                ]),
              )
            : 'No recorded sessions. Sites record them once turned on: bootfleet sites edit SITE --record-terminals\n',
        );
      }),
    );
  rec
    .command('play')
    .argument('<id>', 'the recording (from recordings list)')
    .option('--speed <n>', 'play faster (2) or slower (0.5)', (v) => Number(v), 1)
    .option('--idle-limit <seconds>', 'cut pauses longer than this (default 2)', (v) => Number(v), 2)
    .option('--raw', 'print the asciicast file itself (for asciinema play, or a file)')
    .description('replay a recorded session in this terminal, with its timing')
    .action(
      kit.run(async (s, o, id) => {
        const speed = o.speed as number;
        const idle = o.idleLimit as number;
        if (!(speed > 0)) throw new AppError(ErrorCode.VALIDATION_FAILED, '--speed must be a number above 0.');
        if (!(idle >= 0)) throw new AppError(ErrorCode.VALIDATION_FAILED, '--idle-limit must be 0 or more seconds.');
        const path = s.open().terminals.recordingPath(id!);
        const out = kit.io.terminal?.stdout;
        const write = (text: string) => (out ? out.write(text) : kit.io.stdout(text));
        const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
        let first = true;
        let last = 0;
        for await (const line of lines) {
          if (o.raw) {
            write(`${line}\n`);
            continue;
          }
          if (first) {
            // The header is checked as the format says (a damaged file stops here, with the reason).
            parseAsciicast(`${line}\n`);
            first = false;
            continue;
          }
          if (!line) continue;
          const [t, type, data] = JSON.parse(line) as [number, string, string];
          if (type !== 'o') continue;
          const wait = Math.min(t - last, idle) / speed;
          last = t;
          if (wait > 0.001) await new Promise((r) => setTimeout(r, wait * 1000));
          write(data);
        }
      }),
    );
}
