/**
 * Bundles (issue 10): export library images and/or a site's data (devices, desired state,
 * snapshots, activity; optionally only since a date) as a signed bundle (`bundle.export`), and
 * import one (`bundle.import`): who signed it, the images added, the site merge and its conflicts.
 * A bundle signed by a key not trusted here is refused: the dialog says how to trust it.
 */
import { useEffect, useState, type ReactElement } from 'react';
import type { MethodOutput } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon, CheckIcon, KeyIcon } from '../components/icons';
import { localDay } from '../lib/audit';
import { client } from '../lib/api';
import { bundleName, exportErrors, refusedSigner, siteMergeText } from '../lib/bundles';
import { asAppError, describeError } from '../lib/error-text';
import { formatBytes, plural } from '../lib/format';
import { imageLabel, isAbsolutePath, joinPath } from '../lib/library';
import { useFlash } from '../stores/flash';
import { useLibrary } from '../stores/library';
import { useSites } from '../stores/sites';
import { FileBrowserDialog } from './file-browser-dialog';
import { KeysDialog, TrustKeyDialog } from './keys-dialog';

export type BundleMode = 'export' | 'import';

type Run =
  | { state: 'idle' }
  | { state: 'running'; op: BundleMode; path: string; cancelling: boolean }
  | { state: 'exported'; out: MethodOutput<'bundle.export'> }
  | { state: 'imported'; out: MethodOutput<'bundle.import'> }
  | { state: 'failed'; op: BundleMode; message: string; code: string };

export interface BundlesDialogProps {
  mode?: BundleMode;
  /** Images (library ids) and site chosen at first. */
  refs?: string[];
  site?: string | null;
  onClose(): void;
}

/** The Bundles dialog (`data-testid="bundles-dialog"`): Export and Import tabs, and Keys…. */
export function BundlesDialog({ mode: initialMode = 'export', refs: initialRefs = [], site: initialSite = null, onClose }: BundlesDialogProps): ReactElement {
  const images = useLibrary((s) => s.images);
  const sites = useSites((s) => s.sites);
  const lastDir = useFlash((s) => s.lastDir);
  const [mode, setMode] = useState<BundleMode>(initialMode);
  const [refs, setRefs] = useState<string[]>(initialRefs);
  const [site, setSite] = useState<string | null>(initialSite);
  const [since, setSince] = useState('');
  const [exportPath, setExportPath] = useState('');
  const [importPath, setImportPath] = useState('');
  const [errors, setErrors] = useState<{ refs?: string; since?: string; path?: string }>({});
  const [browsing, setBrowsing] = useState(false);
  const [keysOpen, setKeysOpen] = useState(false);
  const [trusting, setTrusting] = useState<string | null>(null);
  const [trusted, setTrusted] = useState(false);
  const [run, setRun] = useState<Run>({ state: 'idle' });

  useEffect(() => {
    if (useLibrary.getState().images === null) void useLibrary.getState().load();
    if (useSites.getState().sites === null) void useSites.getState().load();
  }, []);

  const running = run.state === 'running';
  const switchMode = (m: BundleMode): void => {
    if (running) return;
    setMode(m);
    setErrors({});
    setRun({ state: 'idle' });
  };

  const start = async (): Promise<void> => {
    if (running) return;
    setTrusted(false);
    if (mode === 'export') {
      const e = exportErrors({ refs, site, since, path: exportPath });
      setErrors(e);
      if (e.refs || e.since || e.path) return;
      const path = exportPath.trim();
      setRun({ state: 'running', op: 'export', path, cancelling: false });
      try {
        const out = await client.invoke('bundle.export', { refs, path, ...(site ? { site } : {}), ...(site && since.trim() ? { since: since.trim() } : {}) });
        setRun({ state: 'exported', out });
      } catch (err) {
        setRun({ state: 'failed', op: 'export', message: asAppError(err).code === 'CANCELED' ? 'Cancelled: nothing was kept.' : describeError(err), code: asAppError(err).code });
      }
    } else {
      const path = importPath.trim();
      if (!path) return setErrors({ path: 'Choose the bundle (a folder or a .tar file)' });
      if (!isAbsolutePath(path)) return setErrors({ path: 'Give the full path, from /' });
      setErrors({});
      setRun({ state: 'running', op: 'import', path, cancelling: false });
      try {
        const out = await client.invoke('bundle.import', { path });
        setRun({ state: 'imported', out });
        void useLibrary.getState().load();
        void useSites.getState().load();
      } catch (err) {
        setRun({ state: 'failed', op: 'import', message: asAppError(err).code === 'CANCELED' ? 'Cancelled: nothing was imported.' : describeError(err), code: asAppError(err).code });
      }
    }
  };

  const cancel = async (): Promise<void> => {
    if (run.state !== 'running') return;
    setRun({ ...run, cancelling: true });
    try {
      await client.invoke('library.cancel', { op: run.op, ref: run.path });
    } catch {
      // it ends on its own; the run's own outcome says how
    }
  };

  const toggleRef = (id: string): void => {
    setRefs((r) => (r.includes(id) ? r.filter((x) => x !== id) : [...r, id]));
    setErrors((x) => ({ ...x, refs: undefined }));
  };

  const chosenBytes = (images ?? []).filter((i) => refs.includes(i.id)).reduce((n, i) => n + i.size, 0);
  const submitLabel = mode === 'export' ? (running ? 'Exporting…' : 'Export') : running ? 'Importing…' : 'Import';

  return (
    <>
      <Dialog
        title="Bundles"
        onClose={onClose}
        busy={running}
        width="wide"
        formTestId="bundles-form"
        onSubmit={() => void start()}
        footer={
          <>
            <button type="button" className="button footer-left" onClick={() => setKeysOpen(true)} disabled={running} data-testid="bundles-keys">
              <KeyIcon size={14} /> Keys…
            </button>
            {running ? (
              <button type="button" className="button" onClick={() => void cancel()} disabled={run.cancelling} data-testid="bundles-cancel">
                {run.cancelling ? 'Cancelling…' : 'Stop'}
              </button>
            ) : (
              <button type="button" className="button" onClick={onClose} data-testid="bundles-close">
                Close
              </button>
            )}
            <button type="submit" className="button button-primary" disabled={running} data-testid="bundles-start">
              {submitLabel}
            </button>
          </>
        }
      >
        <div data-testid="bundles-dialog" data-mode={mode}>
          <div className="tabs" role="tablist">
            <button type="button" role="tab" className="tab" aria-selected={mode === 'export'} onClick={() => switchMode('export')} disabled={running} data-testid="bundles-tab-export">
              Export
            </button>
            <button type="button" role="tab" className="tab" aria-selected={mode === 'import'} onClick={() => switchMode('import')} disabled={running} data-testid="bundles-tab-import">
              Import
            </button>
          </div>
          {mode === 'export' ? (
            <div className="form-stack">
              <p className="muted small">For a site with no network: library images and/or a site’s data, signed with this installation’s key.</p>
              <Field name="bundles-images" label="Images" error={errors.refs} hint={refs.length ? `${plural(refs.length, 'image')}, ${formatBytes(chosenBytes)}` : 'None: site data only.'}>
                {(p) => (
                  <div className="bundle-images" id={p.id} data-testid={p['data-testid']} aria-describedby={p['aria-describedby']}>
                    {images === null ? (
                      <span className="muted">Loading…</span>
                    ) : images.length === 0 ? (
                      <span className="muted">The library is empty.</span>
                    ) : (
                      images.map((i) => (
                        <label key={i.id} className="check">
                          <input type="checkbox" checked={refs.includes(i.id)} onChange={() => toggleRef(i.id)} disabled={running} data-testid="bundles-image" data-id={i.id} />
                          <span className="mono">{imageLabel(i)}</span>
                          <span className="muted small">{formatBytes(i.size)}</span>
                        </label>
                      ))
                    )}
                  </div>
                )}
              </Field>
              <div className="form-grid">
                <Field name="bundles-site" label="Site data" className="span-2" hint="Devices (no secrets), desired images, snapshots and activity.">
                  {(p) => (
                    <select
                      {...p}
                      value={site ?? ''}
                      onChange={(e) => (setSite(e.target.value || null), setErrors((x) => ({ ...x, refs: undefined, since: undefined })))}
                      disabled={running}
                    >
                      <option value="">None</option>
                      {(sites ?? []).map((s) => (
                        <option key={s.id} value={s.name}>
                          {s.name}
                        </option>
                      ))}
                      {site && !(sites ?? []).some((s) => s.name === site) ? <option value={site}>{site}</option> : null}
                    </select>
                  )}
                </Field>
                <Field name="bundles-since" label="Since (optional)" className="span-2" error={errors.since} hint="Only newer snapshots and activity.">
                  {(p) => (
                    <input
                      {...p}
                      type="date"
                      value={since}
                      max={localDay()}
                      onChange={(e) => (setSince(e.target.value), setErrors((x) => ({ ...x, since: undefined })))}
                      disabled={running || !site}
                    />
                  )}
                </Field>
              </div>
              <Field name="bundles-export-path" label="Write to" required error={errors.path} hint="A new folder (on a USB stick, say), or a file ending in .tar.">
                {(p) => (
                  <div className="input-row">
                    <input
                      {...p}
                      type="text"
                      className="mono"
                      value={exportPath}
                      onChange={(e) => (setExportPath(e.target.value), setErrors((x) => ({ ...x, path: undefined })))}
                      placeholder={`/media/usb/${bundleName(site, localDay())}`}
                      spellCheck={false}
                      autoComplete="off"
                      disabled={running}
                    />
                    <button type="button" className="button" onClick={() => setBrowsing(true)} disabled={running} data-testid="bundles-export-browse">
                      Browse…
                    </button>
                  </div>
                )}
              </Field>
            </div>
          ) : (
            <div className="form-stack">
              <p className="muted small">Its signature is checked against the keys trusted here, then every file against its checksum. Importing it again changes nothing.</p>
              <Field name="bundles-import-path" label="Bundle" required error={errors.path}>
                {(p) => (
                  <div className="input-row">
                    <input
                      {...p}
                      type="text"
                      className="mono"
                      value={importPath}
                      onChange={(e) => (setImportPath(e.target.value), setErrors({}))}
                      placeholder="/media/usb/bootfleet-plant-7-2026-11-24"
                      spellCheck={false}
                      autoComplete="off"
                      disabled={running}
                    />
                    <button type="button" className="button" onClick={() => setBrowsing(true)} disabled={running} data-testid="bundles-import-browse">
                      Browse…
                    </button>
                  </div>
                )}
              </Field>
            </div>
          )}
          <RunView
            run={run}
            trusted={trusted}
            onTrust={(fp) => setTrusting(fp)}
            onKeys={() => setKeysOpen(true)}
            onRetry={() => void start()}
          />
        </div>
      </Dialog>
      {browsing ? (
        <FileBrowserDialog
          title={mode === 'export' ? 'Where to write the bundle' : 'Choose a bundle'}
          initialShow="all"
          filterSwitch={false}
          pick={mode === 'export' ? 'folder' : 'file-or-folder'}
          footerHint={mode === 'export' ? 'Open the folder to write the bundle in, then Choose this folder.' : 'Open the bundle folder and choose it, or click a bundle .tar file.'}
          start={lastDir}
          onChoose={(p) => {
            if (mode === 'export') setExportPath(joinPath(p, bundleName(site, localDay())));
            else setImportPath(p);
            setErrors((x) => ({ ...x, path: undefined }));
            setBrowsing(false);
          }}
          onClose={() => setBrowsing(false)}
        />
      ) : null}
      {keysOpen ? <KeysDialog onClose={() => setKeysOpen(false)} /> : null}
      {trusting ? <TrustKeyDialog signer={trusting} onTrusted={() => setTrusted(true)} onClose={() => setTrusting(null)} /> : null}
    </>
  );
}

/** What the last export or import did, or why it failed. */
function RunView({ run, trusted, onTrust, onKeys, onRetry }: { run: Run; trusted: boolean; onTrust(fp: string): void; onKeys(): void; onRetry(): void }): ReactElement | null {
  if (run.state === 'idle') return null;
  if (run.state === 'running') {
    return (
      <div className="bundle-result" role="status" data-testid="bundles-running">
        <span className="spinner" aria-hidden="true" /> {run.op === 'export' ? `Writing ${run.path}…` : `Checking and importing ${run.path}…`}
      </div>
    );
  }
  if (run.state === 'exported') {
    const o = run.out;
    return (
      <div className="job-result job-result-ok bundle-result" role="status" data-testid="bundles-exported">
        <CheckIcon />
        <span>
          Wrote <code>{o.path}</code> ({o.format === 'oci' ? 'folder' : '.tar file'}, {formatBytes(o.bytes)}): {plural(o.images, 'image')}
          {o.site ? `, site ${o.site}` : ''}. Signed with this installation’s key.
        </span>
      </div>
    );
  }
  if (run.state === 'imported') {
    const o = run.out;
    return (
      <div className="bundle-result" data-testid="bundles-imported">
        <div className="job-result job-result-ok">
          <CheckIcon />
          <span>Imported.</span>
        </div>
        <dl className="fingerprints">
          <dt>Signed by</dt>
          <dd data-testid="bundles-signed-by">
            {o.signedBy.own ? 'this installation' : o.signedBy.name} <code>{o.signedBy.fingerprint}</code>
          </dd>
          <dt>Images</dt>
          <dd data-testid="bundles-images-count">
            {o.images.length ? (
              <>
                {o.added} added, {o.unchanged} unchanged <span className="muted">({o.images.map(imageLabel).join(', ')})</span>
              </>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
          {o.site ? (
            <>
              <dt>Site {o.site.site}</dt>
              <dd data-testid="bundles-site-merge">{siteMergeText(o.site)}</dd>
            </>
          ) : null}
        </dl>
        {o.site && o.site.conflicts.length ? (
          <div className="note-warn" data-testid="bundles-conflicts">
            <p>{plural(o.site.conflicts.length, 'disagreement')}; this installation’s data was kept:</p>
            <ul>
              {o.site.conflicts.map((c, i) => (
                <li key={i} data-testid="bundles-conflict">
                  {c}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    );
  }
  const signer = run.op === 'import' ? refusedSigner(run.message) : null;
  return (
    <div className="bundle-result" data-testid="bundles-failed">
      <div className={`job-result ${run.code === 'CANCELED' ? 'job-result-warn' : 'job-result-bad'}`} role="alert" data-testid="bundles-error">
        <AlertIcon />
        <span>{run.message}</span>
      </div>
      {signer ? (
        <div className="bundle-untrusted" data-testid="bundles-untrusted">
          {trusted ? (
            <p>
              Key trusted.{' '}
              <button type="button" className="button small" onClick={onRetry} data-testid="bundles-retry">
                Import again
              </button>
            </p>
          ) : signer.revoked ? (
            <p>
              Trust in this key was revoked. To accept it again, trust it anew (
              <button type="button" className="link-button" onClick={onKeys}>
                Keys…
              </button>
              ).
            </p>
          ) : (
            <>
              <p>
                To import it, get the key file from the installation that made it (there: Bundles → Keys… → Save key file, or copy the public key), and check
                its fingerprint with its owner by phone or in person. Then trust it here.
              </p>
              <button type="button" className="button small" onClick={() => onTrust(signer.fingerprint)} data-testid="bundles-trust">
                <KeyIcon size={14} /> Trust this key…
              </button>
            </>
          )}
        </div>
      ) : null}
    </div>
  );
}
