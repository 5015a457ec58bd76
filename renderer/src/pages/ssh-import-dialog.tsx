/**
 * Import from SSH: two tabs, one per OpenSSH file. "SSH config" turns `Host` entries into
 * devices; "Known hosts" pins the keys the file lists for devices that have none pinned yet.
 * Each reads the user's own file on the machine running Bootfleet, or a file chosen here (read
 * in the browser and sent as text). Like the CSV import: preview (a dry run), then apply.
 */
import { Fragment, useEffect, useRef, useState, type KeyboardEvent, type ReactElement, type ReactNode } from 'react';
import { ErrorCode, type KnownHostsImportReport, type SshConfigImportReport } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { AlertIcon, CheckIcon, FileIcon, InfoIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { plural } from '../lib/format';
import { useSites } from '../stores/sites';
import { useSshImport, type SshFileSource } from '../stores/ssh-import';

/** The two tabs. */
export type SshImportMode = 'config' | 'known-hosts';

const MODES: { id: SshImportMode; label: string; file: string }[] = [
  { id: 'config', label: 'SSH config', file: '~/.ssh/config' },
  { id: 'known-hosts', label: 'Known hosts', file: '~/.ssh/known_hosts' },
];

/** The contract's limit on the text sent. */
const MAX_BYTES = 16 * 1024 * 1024;

interface PickedFile {
  name: string;
  size: number;
  /** null while it is being read. */
  text: string | null;
}

type Run<R> = (source: SshFileSource, site: string | null, dryRun: boolean) => Promise<R>;

/** One tab's state: where to read from, the site, the last report or failure. */
interface ImportFlow<R> {
  kind: 'home' | 'file';
  file: PickedFile | null;
  site: string;
  report: R | null;
  failure: { message: string; hint: string | null } | null;
  busy: 'preview' | 'import' | null;
  /** What to send, or null while there is nothing to read yet. */
  source: SshFileSource | null;
  setKind(kind: 'home' | 'file'): void;
  chooseFile(input: HTMLInputElement): Promise<void>;
  clearFile(): void;
  setSite(site: string): void;
  /** Runs the import; returns the report, or null when it failed (the failure is shown). */
  run(dryRun: boolean): Promise<R | null>;
}

function useImportFlow<R>(call: Run<R>): ImportFlow<R> {
  const [kind, setKindState] = useState<'home' | 'file'>('home');
  const [file, setFile] = useState<PickedFile | null>(null);
  const [site, setSiteState] = useState('');
  const [report, setReport] = useState<R | null>(null);
  const [failure, setFailure] = useState<ImportFlow<R>['failure']>(null);
  const [busy, setBusy] = useState<ImportFlow<R>['busy']>(null);
  const readSeq = useRef(0);

  const source: SshFileSource | null = kind === 'home' ? { kind: 'home' } : file?.text != null ? { kind: 'file', name: file.name, text: file.text } : null;

  const reset = (): void => {
    setReport(null);
    setFailure(null);
  };

  return {
    kind,
    file,
    site,
    report,
    failure,
    busy,
    source,
    setKind(next) {
      setKindState(next);
      reset();
    },
    async chooseFile(input) {
      const f = input.files?.[0];
      if (!f) return;
      reset();
      setKindState('file');
      const my = ++readSeq.current;
      if (f.size > MAX_BYTES) {
        setFile(null);
        setFailure({ message: `${f.name} is larger than 16 MiB; that is not an OpenSSH file.`, hint: null });
        input.value = '';
        return;
      }
      setFile({ name: f.name, size: f.size, text: null });
      try {
        const text = await f.text();
        if (my === readSeq.current) setFile({ name: f.name, size: f.size, text });
      } catch (err) {
        if (my === readSeq.current) {
          setFile(null);
          setFailure({ message: `Could not read ${f.name}: ${describeError(err)}`, hint: null });
        }
      }
      // Choosing the same (fixed) file again must fire "change" and be read anew.
      input.value = '';
    },
    clearFile() {
      readSeq.current++;
      setFile(null);
      reset();
    },
    setSite(next) {
      setSiteState(next);
      reset();
    },
    async run(dryRun) {
      if (!source) return null;
      setBusy(dryRun ? 'preview' : 'import');
      setFailure(null);
      try {
        const r = await call(source, site || null, dryRun);
        setBusy(null);
        setReport(r);
        return r;
      } catch (err) {
        setBusy(null);
        setReport(null);
        const e = asAppError(err);
        const missingFile = e.code === ErrorCode.NOT_FOUND && source.kind === 'home' && !!e.details && typeof e.details === 'object' && 'path' in e.details;
        setFailure({
          message: `${describeError(e)} Nothing has been imported.`,
          hint: missingFile ? 'Choose “A file I choose” to read one from this computer instead.' : null,
        });
        return null;
      }
    },
  };
}

/** How big a file is, as the CSV import shows it. */
function kib(size: number): string {
  return `${(size / 1024).toFixed(size < 10240 ? 1 : 0)} KiB`;
}

function SummaryItem({ value, label, tone, testId }: { value: number; label: string; tone?: 'ok' | 'bad' | 'warn' | undefined; testId: string }): ReactElement {
  return (
    <div className={`summary-item${tone ? ` ${tone}` : ''}`}>
      <span className="summary-value" data-testid={testId}>
        {value.toLocaleString('en-US')}
      </span>
      <span className="summary-label">{label}</span>
    </div>
  );
}

/** "Read /root/.ssh/config" or the chosen file's name. */
function SourceLine({ source, fileName, children }: { source: string; fileName: string | null; children?: ReactNode }): ReactElement {
  return (
    <p className="small muted report-source" data-testid="ssh-import-source">
      Read {fileName ? <strong>{fileName}</strong> : <code>{source}</code>}
      {children}
    </p>
  );
}

const actionText: Record<SshConfigImportReport['hosts'][number]['action'], { dry: string; done: string; badge: string }> = {
  add: { dry: 'Add', done: 'Added', badge: 'badge-ok' },
  update: { dry: 'Update', done: 'Updated', badge: 'badge-staged' },
  unchanged: { dry: 'Unchanged', done: 'Unchanged', badge: '' },
  skip: { dry: 'Skip', done: 'Skipped', badge: 'badge-warn' },
};

const none = <span className="muted">—</span>;

/** A path or jump list that may wrap after its slashes and commas (and nowhere else). */
function Breakable({ text }: { text: string }): ReactElement {
  const parts = text.split(/(?<=[/,])/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {p}
        </Fragment>
      ))}
    </>
  );
}

function ConfigReport({ report, fileName }: { report: SshConfigImportReport; fileName: string | null }): ReactElement {
  const dry = report.dryRun;
  const withNotes = report.hosts.filter((h) => h.warnings.length > 0).length;
  return (
    <div className="import-report" data-testid="ssh-config-report" aria-live="polite">
      <SourceLine source={report.source} fileName={fileName}>
        : {plural(report.hosts.length, 'Host entry', 'Host entries')}
      </SourceLine>
      <div className="report-summary">
        <SummaryItem value={report.added} label={dry ? 'to add' : 'added'} tone={report.added ? 'ok' : undefined} testId="ssh-count-add" />
        <SummaryItem value={report.updated} label={dry ? 'to update' : 'updated'} testId="ssh-count-update" />
        <SummaryItem value={report.unchanged} label="unchanged" testId="ssh-count-unchanged" />
        <SummaryItem value={report.skipped} label="skipped" tone={report.skipped ? 'warn' : undefined} testId="ssh-count-skip" />
      </div>
      {report.hosts.length === 0 ? (
        <div className="form-warning" role="status">
          <InfoIcon />
          <span>
            The file has no <code>Host</code> entries with a name of their own. Wildcard entries such as <code>Host *</code> only lend their settings to named hosts.
          </span>
        </div>
      ) : report.skipped > 0 || withNotes > 0 ? (
        <div className="form-warning" role="status">
          <AlertIcon />
          <span>
            {report.skipped > 0 ? `${plural(report.skipped, 'entry', 'entries')} cannot be imported and ${dry ? 'will be' : 'were'} left out. ` : ''}
            {withNotes > 0 ? `${plural(withNotes, 'entry', 'entries')} use${withNotes === 1 ? 's' : ''} settings Bootfleet does not read. ` : ''}
            See the notes in the table{dry && report.added + report.updated > 0 ? '; the other entries can be imported as they are' : ''}.
          </span>
        </div>
      ) : report.added + report.updated > 0 ? (
        <p className="report-ok">
          <CheckIcon /> Every entry can be imported.
        </p>
      ) : (
        <p className="report-ok">
          <CheckIcon /> The inventory already has every entry as it is.
        </p>
      )}
      {report.hosts.length > 0 ? (
        <div className="report-table-wrap tall">
          <table className="report-table ssh-host-table">
            <caption className="sr-only">Host entries</caption>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Host</th>
                <th scope="col">User</th>
                <th scope="col" className="num">
                  Port
                </th>
                <th scope="col">Key</th>
                <th scope="col">Jump hosts</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {report.hosts.map((h) => {
                const a = actionText[h.action];
                const notes = h.reason !== null || h.warnings.length > 0;
                return (
                  <Fragment key={h.alias}>
                    <tr data-testid="ssh-host-row" data-alias={h.alias} data-action={h.action} className={`${h.action === 'skip' ? 'row-skipped' : ''}${notes ? ' has-notes' : ''}`}>
                      <td className="mono strong-cell nowrap">{h.alias}</td>
                      <td className="mono nowrap">{h.host}</td>
                      <td className="mono nowrap">{h.user ?? none}</td>
                      <td className="num">{h.port}</td>
                      <td className="mono" title={h.keyPath ?? 'No IdentityFile: ssh-agent is used'}>
                        {h.keyPath ? <Breakable text={h.keyPath} /> : <span className="muted">agent</span>}
                      </td>
                      <td className="mono">{h.proxyJump ? <Breakable text={h.proxyJump} /> : none}</td>
                      <td className="nowrap">
                        <span className={`badge${a.badge ? ` ${a.badge}` : ''}`} data-testid="ssh-host-action">
                          {dry ? a.dry : a.done}
                        </span>
                      </td>
                    </tr>
                    {notes ? (
                      <tr className="note-row" data-testid="ssh-host-notes" data-alias={h.alias}>
                        <td colSpan={7}>
                          {h.reason ? (
                            <div className="host-note host-reason" data-testid="ssh-host-reason">
                              <AlertIcon size={13} />
                              <span>{h.reason}</span>
                            </div>
                          ) : null}
                          {h.warnings.map((w, i) => (
                            <div key={i} className="host-note host-warning" data-testid="ssh-host-warning">
                              <InfoIcon size={13} />
                              <span>{w}</span>
                            </div>
                          ))}
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function KnownHostsReport({ report, fileName }: { report: KnownHostsImportReport; fileName: string | null }): ReactElement {
  const dry = report.dryRun;
  const listed = report.pinned.length + report.alreadyPinned + report.conflicts.length + report.revoked.length;
  return (
    <div className="import-report" data-testid="known-hosts-report" aria-live="polite">
      <SourceLine source={report.source} fileName={fileName}>
        {report.errors.length ? `: ${plural(report.errors.length, 'line')} could not be read` : null}
      </SourceLine>
      <div className="report-summary">
        <SummaryItem value={report.pinned.length} label={dry ? 'keys to pin' : 'keys pinned'} tone={report.pinned.length ? 'ok' : undefined} testId="hostkeys-count-pin" />
        <SummaryItem value={report.alreadyPinned} label="already pinned" testId="hostkeys-count-already" />
        <SummaryItem value={report.conflicts.length} label="differ from the pinned key" tone={report.conflicts.length ? 'warn' : undefined} testId="hostkeys-count-conflicts" />
        <SummaryItem value={report.notListed} label={report.notListed === 1 ? 'device not in the file' : 'devices not in the file'} testId="hostkeys-count-not-listed" />
      </div>

      {report.pinned.length === 0 ? (
        <div className="form-warning" role="status">
          <InfoIcon />
          <span>
            {listed === 0
              ? 'The file lists none of the devices in the inventory (by their host and port), so there is nothing to pin.'
              : 'There are no keys to pin: every device the file lists already has a key pinned, or only revoked keys.'}
          </span>
        </div>
      ) : (
        <>
          <h3 className="subhead">{dry ? 'Keys that will be pinned' : 'Keys pinned'}</h3>
          <div className="report-table-wrap">
            <table className="report-table">
              <caption className="sr-only">{dry ? 'Keys that will be pinned' : 'Keys pinned'}</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Type</th>
                  <th scope="col">Fingerprint</th>
                </tr>
              </thead>
              <tbody>
                {report.pinned.map((p) => (
                  <tr key={p.device} data-testid="hostkey-pin-row" data-device={p.device}>
                    <td className="strong-cell">{p.device}</td>
                    <td className="mono">{p.keyType}</td>
                    <td className="mono wrap-cell">{p.fingerprint}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      {report.conflicts.length > 0 ? (
        <>
          <div className="form-warning" role="alert" data-testid="hostkey-conflicts">
            <AlertIcon />
            <span>
              {plural(report.conflicts.length, 'device has', 'devices have')} a different key pinned than the one this file lists. The pinned key is left as it
              is: find out why they differ. If the device was reinstalled, refresh it and accept its new key on the device’s page.
            </span>
          </div>
          <div className="report-table-wrap">
            <table className="report-table">
              <caption className="sr-only">Keys that differ</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Pinned</th>
                  <th scope="col">In the file</th>
                </tr>
              </thead>
              <tbody>
                {report.conflicts.map((c) => (
                  <tr key={c.device} data-testid="hostkey-conflict-row" data-device={c.device}>
                    <td className="strong-cell">{c.device}</td>
                    <td className="mono wrap-cell">{c.pinned}</td>
                    <td className="mono wrap-cell">{c.inFile}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      {report.revoked.length > 0 ? (
        <>
          <h3 className="subhead">Revoked in the file</h3>
          <p className="small muted report-note">
            Every key the file lists for {report.revoked.length === 1 ? 'this device' : 'these devices'} is marked <code>@revoked</code>; nothing is pinned for{' '}
            {report.revoked.length === 1 ? 'it' : 'them'}.
          </p>
          <div className="report-table-wrap">
            <table className="report-table">
              <caption className="sr-only">Revoked keys</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Revoked key</th>
                </tr>
              </thead>
              <tbody>
                {report.revoked.map((r) => (
                  <tr key={r.device} data-testid="hostkey-revoked-row" data-device={r.device}>
                    <td className="strong-cell">{r.device}</td>
                    <td className="mono wrap-cell">{r.fingerprint}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      {report.errors.length > 0 ? (
        <details className="preview">
          <summary>
            {plural(report.errors.length, 'line')} could not be read{report.errors.length >= 100 ? ' (the first 100)' : ''}; they are ignored
          </summary>
          <div className="report-table-wrap">
            <table className="report-table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Line
                  </th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {report.errors.map((e) => (
                  <tr key={e.line} data-testid="known-hosts-error-row">
                    <td className="num">{e.line}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
    </div>
  );
}

/** Where to read from: the user's own file on the Bootfleet host, or one chosen here. */
function SourcePicker({ mode, flow }: { mode: (typeof MODES)[number]; flow: ImportFlow<unknown> }): ReactElement {
  const name = `ssh-source-${mode.id}`;
  const inputId = `ssh-import-file-${mode.id}`;
  const reading = flow.file !== null && flow.file.text === null;
  return (
    <fieldset className="source-choice">
      <legend>Read</legend>
      <label className="radio-row">
        <input type="radio" name={name} checked={flow.kind === 'home'} onChange={() => flow.setKind('home')} data-testid="ssh-import-source-home" />
        <span>
          My <code>{mode.file}</code> <span className="muted">on the machine running Bootfleet</span>
        </span>
      </label>
      <div className="radio-row">
        <input
          type="radio"
          id={`${name}-file`}
          name={name}
          checked={flow.kind === 'file'}
          onChange={() => flow.setKind('file')}
          data-testid="ssh-import-source-file"
        />
        <label htmlFor={`${name}-file`}>A file I choose</label>
        <input id={inputId} type="file" className="file-input" data-testid="ssh-import-file" onChange={(e) => void flow.chooseFile(e.currentTarget)} />
        <label htmlFor={inputId} className="button small">
          <FileIcon size={14} /> Choose file…
        </label>
        <span className="file-name" aria-live="polite">
          {flow.file ? (
            <>
              <strong data-testid="ssh-import-file-name">{flow.file.name}</strong>{' '}
              <span className="muted">
                ({kib(flow.file.size)}
                {reading ? ', reading…' : ''})
              </span>{' '}
              <button type="button" className="link-button" onClick={flow.clearFile}>
                Clear
              </button>
            </>
          ) : flow.kind === 'file' ? (
            <span className="muted">No file chosen</span>
          ) : null}
        </span>
      </div>
      {flow.kind === 'file' ? (
        <p className="field-hint source-hint">
          Read in this window and sent to Bootfleet. <code>.ssh</code> is a hidden folder: most file choosers show it with Ctrl+H (⌘⇧. on macOS).
        </p>
      ) : null}
    </fieldset>
  );
}

/** The Import from SSH dialog. */
export function SshImportDialog({ initialMode = 'config', onClose }: { initialMode?: SshImportMode; onClose(): void }): ReactElement {
  const importConfig = useSshImport((s) => s.importConfig);
  const importKnownHosts = useSshImport((s) => s.importKnownHosts);
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const [mode, setMode] = useState<SshImportMode>(initialMode);
  const config = useImportFlow(importConfig);
  const known = useImportFlow(importKnownHosts);
  const tabRefs = useRef<Partial<Record<SshImportMode, HTMLButtonElement | null>>>({});

  useEffect(() => {
    if (sites === null) void loadSites();
  }, [sites, loadSites]);

  const current = MODES.find((m) => m.id === mode) ?? MODES[0]!;
  const flow: ImportFlow<unknown> = mode === 'config' ? config : known;
  const busy = flow.busy;
  const reading = flow.file !== null && flow.file.text === null;
  const fileName = flow.kind === 'file' ? (flow.file?.name ?? null) : null;

  const onTabKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const i = MODES.findIndex((m) => m.id === mode);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? MODES.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const m = MODES[(next + MODES.length) % MODES.length]!;
    setMode(m.id);
    tabRefs.current[m.id]?.focus();
  };

  // What the apply button does, and whether there is anything to apply.
  let applyLabel: string;
  let applyCount: number;
  if (mode === 'config') {
    applyCount = config.report ? config.report.added + config.report.updated : 0;
    applyLabel = config.report?.dryRun && applyCount > 0 ? `Import ${plural(applyCount, 'device')}` : 'Import devices';
  } else {
    applyCount = known.report ? known.report.pinned.length : 0;
    applyLabel = known.report?.dryRun && applyCount > 0 ? `Pin ${plural(applyCount, 'key')}` : 'Pin keys';
  }
  const previewed = mode === 'config' ? config.report?.dryRun === true : known.report?.dryRun === true;
  const canApply = previewed && applyCount > 0 && busy === null;

  const apply = async (): Promise<void> => {
    const r = await flow.run(false);
    if (r) onClose();
  };

  return (
    <Dialog
      title="Import from SSH"
      onClose={onClose}
      busy={busy === 'import'}
      width="xwide"
      footer={
        <>
          <span className="footer-note">Nothing is written until you {mode === 'config' ? 'import' : 'pin the keys'}.</span>
          <button type="button" className="button" onClick={onClose} disabled={busy === 'import'}>
            Cancel
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void flow.run(true)}
            disabled={flow.source === null || reading || busy !== null}
            data-testid="ssh-import-preview"
          >
            {busy === 'preview' ? 'Checking…' : 'Preview'}
          </button>
          <button type="button" className="button button-primary" onClick={() => void apply()} disabled={!canApply} data-testid="ssh-import-submit">
            {busy === 'import' ? (mode === 'config' ? 'Importing…' : 'Pinning…') : applyLabel}
          </button>
        </>
      }
    >
      <div className="tabs" role="tablist" aria-label="File to import" onKeyDown={onTabKey}>
        {MODES.map((m) => (
          <button
            key={m.id}
            ref={(el) => {
              tabRefs.current[m.id] = el;
            }}
            type="button"
            role="tab"
            id={`ssh-tab-${m.id}`}
            aria-selected={mode === m.id}
            aria-controls={`ssh-panel-${m.id}`}
            tabIndex={mode === m.id ? 0 : -1}
            className="tab"
            disabled={busy !== null && mode !== m.id}
            onClick={() => setMode(m.id)}
            data-testid={`ssh-import-tab-${m.id}`}
          >
            {m.label} <span className="tab-file">({m.file})</span>
          </button>
        ))}
      </div>

      <div role="tabpanel" id={`ssh-panel-${mode}`} aria-labelledby={`ssh-tab-${mode}`} key={mode}>
        {mode === 'config' ? (
          <p className="dialog-description">
            Each <code>Host</code> alias becomes a device named after it, with its HostName, User, Port, IdentityFile and ProxyJump; a device of the same name gets
            those settings updated. Wildcard entries lend their settings to the hosts they match. Key files are read on the machine running Bootfleet.
          </p>
        ) : (
          <p className="dialog-description">
            Pins the host key the file lists for each device that has none pinned yet, so the first connection is checked instead of trusted. Hashed entries are
            read too. A key that is already pinned is never replaced here: a different one in the file is shown for you to review.
          </p>
        )}

        <div className="ssh-import-options">
          <SourcePicker mode={current} flow={flow} />
          <div className="field">
            <label htmlFor={`ssh-site-${mode}`}>{mode === 'config' ? 'Site for new devices' : 'Pin keys for'}</label>
            <select id={`ssh-site-${mode}`} value={flow.site} onChange={(e) => flow.setSite(e.target.value)} data-testid="ssh-import-site">
              <option value="">{mode === 'config' ? 'No site' : 'Every device'}</option>
              {(sites ?? []).map((s) => (
                <option key={s.id} value={s.name}>
                  {mode === 'config' ? s.name : `Devices in ${s.name}`}
                </option>
              ))}
            </select>
            <div className="field-hint">
              {mode === 'config' ? 'A device of the same name in this site is updated instead of added.' : 'Only devices without a pinned key get one.'}
            </div>
          </div>
        </div>

        {flow.failure ? (
          <div className="import-report">
            <div className="form-error" role="alert" data-testid="ssh-import-error">
              <AlertIcon />
              <span>
                {flow.failure.message}
                {flow.failure.hint ? <span className="error-hint">{flow.failure.hint}</span> : null}
              </span>
            </div>
          </div>
        ) : null}
        {mode === 'config' && config.report ? <ConfigReport report={config.report} fileName={fileName} /> : null}
        {mode === 'known-hosts' && known.report ? <KnownHostsReport report={known.report} fileName={fileName} /> : null}
      </div>
    </Dialog>
  );
}
