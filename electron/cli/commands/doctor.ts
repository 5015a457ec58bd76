import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Command } from 'commander';
import { findChromium } from '../../core/audit/pdf';
import type { CommandKit } from '../program';
import { SECRET_STORE_WORDS } from './info';

/** One thing `bootfleet doctor` looked at. */
interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do about a warning or a failure. */
  fix?: string;
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;

/**
 * `bootfleet doctor`: what this machine gives Bootfleet, in one table (or --json): the data
 * directory and database, where the key that encrypts stored passwords is kept (the OS keyring or
 * the 0600 key file, and why), and what flashing, SSH logins and PDF reports need. Exits 1 when
 * something Bootfleet cannot work without is missing.
 */
export function registerDoctor(program: Command, kit: CommandKit): void {
  program
    .command('doctor')
    .description('check what this machine gives Bootfleet: data directory, secret store, flashing, SSH agent, PDF reports')
    .action(
      kit.run(async (s, o) => {
        const checks: Check[] = [];
        const i = await s.call('app.info', {});
        checks.push({ check: 'version', status: 'ok', detail: `Bootfleet ${i.version} on Node ${process.versions.node}` });
        try {
          accessSync(i.dataDir, constants.W_OK);
          checks.push({ check: 'data directory', status: 'ok', detail: `${i.dataDir} (database schema ${i.schemaVersion})` });
        } catch {
          checks.push({ check: 'data directory', status: 'fail', detail: `${i.dataDir} is not writable`, fix: 'give this user write access to it, or choose another with --data-dir' });
        }
        checks.push({
          check: 'secrets',
          status: i.secretStore === 'keyfile' ? 'warn' : 'ok',
          detail: `${SECRET_STORE_WORDS[i.secretStore]}: ${i.secretStoreWhy}`,
          ...(i.secretStore === 'keyfile'
            ? { fix: 'anyone who can read the data directory can read the key; where a desktop keyring runs (GNOME Keyring, KWallet, KeePassXC), install libsecret-tools and run Bootfleet in that session to keep the key there' }
            : {}),
        });
        const root = process.getuid?.() === 0;
        checks.push(
          root
            ? { check: 'flashing', status: 'ok', detail: 'running as root: drives are written directly' }
            : onPath('pkexec')
              ? { check: 'flashing', status: 'ok', detail: 'pkexec asks for authorization to write drives (a polkit agent must run in the session)' }
              : { check: 'flashing', status: 'warn', detail: 'pkexec is not installed: drives can be written only as root', fix: 'apt install pkexec (or run the flash with sudo)' },
        );
        checks.push(
          process.env.SSH_AUTH_SOCK
            ? { check: 'ssh agent', status: 'ok', detail: `keys from the agent at ${process.env.SSH_AUTH_SOCK}` }
            : { check: 'ssh agent', status: 'warn', detail: 'no SSH agent (SSH_AUTH_SOCK is not set): devices log in with stored keys or passwords only', fix: 'start ssh-agent and ssh-add your key, if your devices expect it' },
        );
        const chromium = findChromium();
        checks.push(
          chromium
            ? { check: 'pdf reports', status: 'ok', detail: `printed with ${chromium}` }
            : { check: 'pdf reports', status: 'warn', detail: 'no Chromium or Chrome found: audit reports can be written as HTML, not PDF', fix: 'apt install chromium, or set BOOTFLEET_CHROMIUM' },
        );
        kit.print(o, checks, () => {
          const w = Math.max(...checks.map((c) => c.check.length));
          return checks.map((c) => `${c.status.padEnd(4)}  ${c.check.padEnd(w)}  ${c.detail}${c.fix ? `\n${' '.repeat(w + 8)}fix: ${c.fix}` : ''}`).join('\n') + '\n';
        });
        if (checks.some((c) => c.status === 'fail')) kit.exitWith(1);
      }),
    );
}
