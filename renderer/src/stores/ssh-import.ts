/**
 * Importing the user's OpenSSH files: `~/.ssh/config` Host entries become devices
 * (`ssh.importConfig`) and `~/.ssh/known_hosts` keys are pinned for devices that have none
 * (`hostkeys.import`). The dialog keeps its own preview state; this store makes the calls,
 * says what an applied import did in a toast and refreshes what it changed.
 */
import { create } from 'zustand';
import type { KnownHostsImportReport, MethodInput, SshConfigImportReport } from '../../../shared/contract';
import { client } from '../lib/api';
import { plural } from '../lib/format';
import { useDevices } from './devices';
import { useUi } from './ui';

/**
 * Where the file comes from: the default file of the user running Bootfleet, read there
 * (`home`), or a file chosen in this window and sent as text (`file`).
 */
export type SshFileSource = { kind: 'home' } | { kind: 'file'; name: string; text: string };

interface SshImportState {
  /**
   * Reads an ssh config: a dry run reports what would be added, updated or skipped; otherwise
   * it imports and toasts. `site`: the site new devices go to (null: none). Throws AppError.
   */
  importConfig(source: SshFileSource, site: string | null, dryRun: boolean): Promise<SshConfigImportReport>;
  /**
   * Reads a known_hosts file: a dry run reports which keys would be pinned; otherwise it pins
   * them and toasts. `site`: only that site's devices (null: every device). Throws AppError.
   */
  importKnownHosts(source: SshFileSource, site: string | null, dryRun: boolean): Promise<KnownHostsImportReport>;
}

function input(source: SshFileSource, site: string | null, dryRun: boolean): MethodInput<'ssh.importConfig'> {
  return { ...(source.kind === 'file' ? { content: source.text } : {}), ...(site ? { site } : {}), dryRun };
}

/** The name to show for what was read: the chosen file's name, or the path the host read. */
function sourceLabel(source: SshFileSource, reported: string): string {
  return source.kind === 'file' ? source.name : reported;
}

/** The OpenSSH import store. */
export const useSshImport = create<SshImportState>(() => ({
  async importConfig(source, site, dryRun) {
    const report = await client.invoke('ssh.importConfig', input(source, site, dryRun));
    if (!dryRun) {
      const changed = report.added + report.updated;
      const counts = [
        report.added ? `${plural(report.added, 'device')} added` : null,
        report.updated ? `${plural(report.updated, 'device')} updated` : null,
        report.skipped ? `${plural(report.skipped, 'entry', 'entries')} skipped` : null,
      ].filter((c): c is string => c !== null);
      const from = sourceLabel(source, report.source);
      useUi.getState().toast(changed > 0 ? 'success' : 'info', changed > 0 ? `Imported ${from}: ${counts.join(', ')}` : `Nothing to import from ${from}`);
      if (changed > 0) useDevices.getState().invalidate();
    }
    return report;
  },
  async importKnownHosts(source, site, dryRun) {
    const report = await client.invoke('hostkeys.import', input(source, site, dryRun));
    if (!dryRun) {
      const n = report.pinned.length;
      const from = sourceLabel(source, report.source);
      const left = report.conflicts.length ? `; ${plural(report.conflicts.length, 'device')} with a different key left as pinned` : '';
      useUi.getState().toast(n > 0 ? 'success' : 'info', n > 0 ? `Pinned ${plural(n, 'host key')} from ${from}${left}` : `No host keys to pin from ${from}`);
    }
    return report;
  },
}));
