import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../../shared/errors';
import { isLoopbackHost } from '../../serve/security';
import { startServer } from '../../serve/server';
import type { CommandKit } from '../program';
import { intOption } from './options';

export const DEFAULT_SERVE_PORT = 7420;

/** The built renderer, next to this bundle (out/main -> out/renderer). */
export function rendererDir(): string {
  return join(__dirname, '..', 'renderer');
}

export function registerServe(program: Command, kit: CommandKit): void {
  program
    .command('serve')
    .description('serve the Bootfleet UI and API to a browser on this machine')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', `port to listen on (default ${DEFAULT_SERVE_PORT}, or a free one if taken; 0 picks a free one)`, intOption('--port', 0, 65535))
    .option('--allow-remote', 'allow listening on a non-loopback address (anyone who can reach it and has the token gets full access)')
    .option('--allow-local-shell', "let the UI open terminals on this machine, as this user (anyone with the URL's token gets a shell)")
    .option('--open <image>', 'show this disk image in the Flash page when the UI opens (as opening it from a file manager does in the desktop app)')
    .addHelpText(
      'after',
      `
The printed address carries a random token, new on every run; requests without it, or from another web origin,
are refused. To use it from another machine, prefer an SSH tunnel: ssh -L 7420:127.0.0.1:7420 jump-host`,
    )
    .action(
      kit.run(async (s, o) => {
        const host = o.host as string;
        if (!isLoopbackHost(host) && !o.allowRemote) {
          throw new AppError(
            ErrorCode.VALIDATION_FAILED,
            `Refusing to listen on ${host}, which other machines can reach; add --allow-remote if you mean it (or use an SSH tunnel).`,
          );
        }
        const staticDir = rendererDir();
        if (!existsSync(join(staticDir, 'index.html'))) {
          throw new AppError(ErrorCode.NOT_FOUND, `The UI is not built (no ${staticDir}/index.html); run \`npm run build\` first.`);
        }
        s.localShell = o.allowLocalShell === true;
        const core = s.open('serve');
        if (o.open) core.flash.openImage(o.open as string);
        if (s.localShell) kit.io.stderr("bootfleet: local shells are on: the URL's token gives a shell on this machine as this user.\n");
        const tryListen = async (port: number) => startServer({ core, host, port, staticDir });
        let server;
        try {
          server = await tryListen((o.port as number | undefined) ?? DEFAULT_SERVE_PORT);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' && o.port === undefined) server = await tryListen(0);
          else if (code === 'EADDRINUSE') throw new AppError(ErrorCode.VALIDATION_FAILED, `Port ${o.port as number} on ${host} is in use; choose another with --port or use --port 0.`);
          else if (code === 'EADDRNOTAVAIL') throw new AppError(ErrorCode.VALIDATION_FAILED, `${host} is not an address of this machine.`);
          else throw err;
        }
        if (!isLoopbackHost(host)) {
          kit.io.stderr(`bootfleet: WARNING: listening on ${host}: anyone who can reach port ${server.port} and has the token can change the inventory.\n`);
        }
        if (o.json) kit.io.stdout(JSON.stringify({ url: server.url, port: server.port, dataDir: core.dataDir }) + '\n');
        else kit.io.stdout(`Bootfleet is serving ${core.dataDir}\nOpen ${server.url}\nPress Ctrl+C to stop.\n`);
        await new Promise<void>((done) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            // Work this server runs (a flash, a rollout) stops and records how it ended before the inventory closes.
            // (at once: closing the server waits for its clients to go).
            void Promise.all([server.close(), core.shutdown()]).then(() => done());
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
