/**
 * Import devices from CSV: choose a file or paste text, preview (a dry run that checks
 * every row), then import. Nothing is written unless every row is valid.
 */
import { useRef, useState, type ReactElement } from 'react';
import { CSV_COLUMNS, CSV_REQUIRED_COLUMNS, ErrorCode, type ImportReport, type ImportRow } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { AlertIcon, CheckIcon, FileIcon } from '../components/icons';
import { downloadText } from '../lib/download';
import { asAppError, describeError } from '../lib/error-text';
import { plural } from '../lib/format';
import { useDevices } from '../stores/devices';

const SAMPLE_ROWS: Record<string, string>[] = [
  { name: 'web-01', host: '192.0.2.10', port: '22', user: 'core', site: 'lab', tags: 'edge;web', sudo: 'false', image: 'quay.io/example/os:42', notes: 'Rack 1' },
  { name: 'kiosk-07', host: 'kiosk-07.example.net', user: 'admin', tags: 'kiosk', sudo: 'true', key: '~/.ssh/id_ed25519' },
];
const csvLine = (row: Record<string, string>): string => CSV_COLUMNS.map((c) => row[c] ?? '').join(',');
/** A small example file with every column Bootfleet reads. */
const SAMPLE = `${CSV_COLUMNS.join(',')}\n${SAMPLE_ROWS.map(csvLine).join('\n')}\n`;

interface SourceFile {
  name: string;
  size: number;
  text: string | null;
}

interface CsvFailure {
  message: string;
  rows: ImportRow[];
}

/** Extracts row problems from a CSV_INVALID error, whatever shape its details take. */
function failureRows(details: unknown, fallback: string): ImportRow[] {
  if (!details || typeof details !== 'object') return [];
  const d = details as Record<string, unknown>;
  const list = Array.isArray(d.invalidRows) ? d.invalidRows : Array.isArray(d.rows) ? d.rows : Array.isArray(d.errors) ? d.errors : Array.isArray(d.issues) ? d.issues : null;
  const rows = list ?? ('line' in d || 'message' in d ? [d] : []);
  return rows
    .filter((r): r is Record<string, unknown> => !!r && typeof r === 'object')
    .map((r) => ({
      line: typeof r.line === 'number' ? r.line : Number(r.line ?? 0),
      name: typeof r.name === 'string' ? r.name : '',
      site: typeof r.site === 'string' ? r.site : null,
      errors: Array.isArray(r.errors)
        ? (r.errors as { column?: unknown; message?: unknown }[]).map((e) => ({ column: String(e.column ?? ''), message: String(e.message ?? '') }))
        : [{ column: String(r.column ?? r.path ?? ''), message: String(r.message ?? fallback) }],
    }));
}

function ErrorRows({ rows, total }: { rows: ImportRow[]; total?: number }): ReactElement {
  return (
    <div className="report-table-wrap">
      <table className="report-table">
        <caption className="sr-only">Rows with problems</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Name</th>
            <th scope="col">Column</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.line}-${i}`} data-testid="import-error-row" data-line={r.line}>
              <td className="num">{r.line || ''}</td>
              <td className="mono">{r.name}</td>
              <td>
                {r.errors.map((e, j) => (
                  <div key={j} className="mono">
                    {e.column}
                  </div>
                ))}
              </td>
              <td>
                {r.errors.map((e, j) => (
                  <div key={j}>{e.message}</div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {total !== undefined && total > rows.length ? <p className="muted small">…and {plural(total - rows.length, 'more row')} with problems.</p> : null}
    </div>
  );
}

function Report({ report }: { report: ImportReport }): ReactElement {
  const ok = report.invalidCount === 0;
  return (
    <div className="import-report" data-testid="import-report" aria-live="polite">
      <div className="report-summary">
        <div className="summary-item">
          <span className="summary-value" data-testid="import-total">{report.total.toLocaleString('en-US')}</span>
          <span className="summary-label">rows</span>
        </div>
        <div className="summary-item ok">
          <span className="summary-value" data-testid="import-valid">{report.valid.toLocaleString('en-US')}</span>
          <span className="summary-label">valid</span>
        </div>
        <div className={`summary-item${ok ? '' : ' bad'}`}>
          <span className="summary-value" data-testid="import-invalid">{report.invalidCount.toLocaleString('en-US')}</span>
          <span className="summary-label">invalid</span>
        </div>
        <div className="summary-item">
          <span className="summary-value">{report.newSites.length}</span>
          <span className="summary-label">new sites</span>
        </div>
      </div>
      {report.newSites.length > 0 ? (
        <p className="small" data-testid="import-new-sites">
          New sites that will be created: <strong>{report.newSites.join(', ')}</strong>
        </p>
      ) : null}
      {!ok ? (
        <>
          <div className="form-error" role="alert">
            <AlertIcon />
            <span>
              {plural(report.invalidCount, 'row')} {report.invalidCount === 1 ? 'has' : 'have'} problems. Fix the rows below and choose the file again; nothing has been imported.
            </span>
          </div>
          <ErrorRows rows={report.invalidRows} total={report.invalidCount} />
        </>
      ) : (
        <p className="report-ok">
          <CheckIcon /> Every row is valid.
        </p>
      )}
      {report.preview.length > 0 ? (
        <details className="preview" open={ok}>
          <summary>Preview of the first {plural(report.preview.length, 'row')}</summary>
          <div className="report-table-wrap">
            <table className="report-table">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Name</th>
                  <th scope="col">Host</th>
                  <th scope="col">Site</th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                {report.preview.map((r) => (
                  <tr key={r.line} className={r.errors.length ? 'row-bad' : ''}>
                    <td className="num">{r.line}</td>
                    <td className="mono">{r.name}</td>
                    <td className="mono">
                      {r.host}:{r.port}
                    </td>
                    <td>{r.site ?? <span className="muted">—</span>}</td>
                    <td>{r.tags.join(', ')}</td>
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

/** The Import CSV dialog. */
export function ImportDialog({ onClose }: { onClose(): void }): ReactElement {
  const importCsv = useDevices((s) => s.importCsv);
  const [file, setFile] = useState<SourceFile | null>(null);
  const [pasted, setPasted] = useState('');
  const [report, setReport] = useState<ImportReport | null>(null);
  const [failure, setFailure] = useState<CsvFailure | null>(null);
  const [busy, setBusy] = useState<'preview' | 'import' | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const readSeq = useRef(0);

  const source = file ? file.text : pasted.trim() ? pasted : null;
  const reading = file !== null && file.text === null;

  const reset = (): void => {
    setReport(null);
    setFailure(null);
  };

  const chooseFile = async (f: File | undefined): Promise<void> => {
    reset();
    if (!f) {
      setFile(null);
      return;
    }
    const my = ++readSeq.current;
    setFile({ name: f.name, size: f.size, text: null });
    try {
      const text = await f.text();
      if (my === readSeq.current) setFile({ name: f.name, size: f.size, text });
      // Choosing the same (fixed) file again must fire "change" and be read anew.
      if (fileInput.current) fileInput.current.value = '';
    } catch (err) {
      if (my === readSeq.current) {
        setFile(null);
        setFailure({ message: `Could not read ${f.name}: ${describeError(err)}`, rows: [] });
      }
    }
  };

  const run = async (dryRun: boolean): Promise<void> => {
    if (source === null) return;
    setBusy(dryRun ? 'preview' : 'import');
    setFailure(null);
    try {
      const r = await importCsv(source, dryRun, file?.name);
      setBusy(null);
      if (!dryRun && r.imported > 0 && r.invalidCount === 0) {
        onClose();
        return;
      }
      setReport(r);
    } catch (err) {
      setBusy(null);
      const e = asAppError(err);
      setReport(null);
      setFailure({ message: describeError(e), rows: e.code === ErrorCode.CSV_INVALID || e.code === ErrorCode.VALIDATION_FAILED ? failureRows(e.details, e.message) : [] });
    }
  };

  const canImport = report !== null && report.invalidCount === 0 && report.valid > 0 && busy === null;

  return (
    <Dialog
      title="Import devices from CSV"
      onClose={onClose}
      busy={busy === 'import'}
      width="wide"
      footer={
        <>
          <button
            type="button"
            className="button button-ghost footer-left"
            onClick={() => downloadText('bootfleet-devices-template.csv', SAMPLE, 'text/csv;charset=utf-8')}
          >
            <FileIcon /> Download a template
          </button>
          <button type="button" className="button" onClick={onClose} disabled={busy === 'import'}>
            Cancel
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void run(true)}
            disabled={source === null || reading || busy !== null}
            data-testid="import-preview"
          >
            {busy === 'preview' ? 'Checking…' : 'Preview'}
          </button>
          <button type="button" className="button button-primary" onClick={() => void run(false)} disabled={!canImport} data-testid="import-submit">
            {busy === 'import' ? 'Importing…' : report && report.valid > 0 && report.invalidCount === 0 ? `Import ${plural(report.valid, 'device')}` : 'Import devices'}
          </button>
        </>
      }
    >
      <p className="dialog-description">
        Columns: {CSV_COLUMNS.map((c, i) => (
          <span key={c}>
            <code>{c}</code>
            {c === 'tags' ? ' (separated by ;)' : ''}
            {i < CSV_COLUMNS.length - 1 ? ', ' : ''}
          </span>
        ))}
        . Only {CSV_REQUIRED_COLUMNS.map((c) => c).join(' and ')} are required. Every row is checked first; if any row has a problem nothing is imported.
      </p>

      <div className="import-source">
        <div className="file-pick">
          <input
            ref={fileInput}
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            className="file-input"
            data-testid="import-file"
            onChange={(e) => void chooseFile(e.target.files?.[0])}
          />
          <label htmlFor="import-file" className="button">
            <FileIcon /> Choose file…
          </label>
          <span className="file-name" aria-live="polite">
            {file ? (
              <>
                <strong>{file.name}</strong> <span className="muted">({(file.size / 1024).toFixed(file.size < 10240 ? 1 : 0)} KiB{reading ? ', reading…' : ''})</span>{' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    readSeq.current++;
                    setFile(null);
                    reset();
                    if (fileInput.current) fileInput.current.value = '';
                  }}
                >
                  Clear
                </button>
              </>
            ) : (
              <span className="muted">No file chosen — or paste CSV below.</span>
            )}
          </span>
        </div>
        <label htmlFor="import-text" className="sr-only">
          CSV text
        </label>
        <textarea
          id="import-text"
          className="csv-text"
          rows={file ? 2 : 6}
          placeholder={`${CSV_COLUMNS.join(',')}\n${csvLine(SAMPLE_ROWS[0] ?? {})}`}
          value={pasted}
          disabled={file !== null}
          spellCheck={false}
          onChange={(e) => {
            setPasted(e.target.value);
            reset();
          }}
          data-testid="import-text"
        />
      </div>

      {failure ? (
        <div className="import-report" data-testid="import-report">
          <div className="form-error" role="alert" data-testid="import-error">
            <AlertIcon />
            <span>{failure.message} Nothing has been imported.</span>
          </div>
          {failure.rows.length > 0 ? <ErrorRows rows={failure.rows} /> : null}
        </div>
      ) : null}
      {report ? <Report report={report} /> : null}
    </Dialog>
  );
}
