/**
 * Images (`#/images`): the image library, for sites with no registry. Every image with its
 * version, architectures, size, digest, when it was added and where it is deployed; the total on
 * disk. Pull (registry), Import (oci-archive or OCI layout on this machine), Export, Remove and
 * Clean up; pulls show bytes, speed and time left, imports and exports a busy bar, each with Cancel.
 * One image opens in its own view (`#/images/<id>`: image-page.tsx).
 */
import { Fragment, useEffect, useState, type ReactElement } from 'react';
import type { LibraryImage } from '../../../shared/contract';
import { ByteProgress } from '../components/byte-progress';
import { EmptyState } from '../components/empty-state';
import { AlertIcon, CheckIcon, CloseIcon, DownloadIcon, FolderIcon, ImagesIcon, InfoIcon, PackageIcon, RefreshIcon, TrashIcon, UploadIcon } from '../components/icons';
import { RelativeTime, ShortDigest } from '../components/status';
import { formatBytes } from '../lib/format';
import { deployedText, imageLabel, imageRef } from '../lib/library';
import { useLibrary, type LibraryOp } from '../stores/library';
import { routeHref, useUi } from '../stores/ui';
import { ExportDialog, LibraryImportDialog, librarySummary, PullDialog, RemoveImageDialog } from './library-dialogs';

/** What an import or export says while it runs (neither reports progress). */
const busyText: Record<LibraryOp['op'], string> = {
  pull: 'Reading the manifests…',
  import: 'Reading the archive and checking every blob against its digest…',
  export: 'Writing every blob…',
};

/** One operation: its bar (measured for a pull), Cancel while it runs, its end. */
function OpCard({ op }: { op: LibraryOp }): ReactElement {
  const cancel = useLibrary((s) => s.cancel);
  const dismiss = useLibrary((s) => s.dismiss);
  const running = op.state === 'running';
  const Icon = op.state === 'done' ? CheckIcon : op.state === 'canceled' ? InfoIcon : AlertIcon;
  return (
    <section className={`job-panel library-op job-${op.state}`} data-testid="library-op" data-op={op.op} data-state={op.state} data-ref={op.ref} aria-label={op.title}>
      <header className="job-head">
        <h2>
          {running ? <span className="spinner" aria-hidden="true" /> : <Icon size={15} />}
          <span className="library-op-title">{op.title}</span>
          <span className="muted job-when">
            {running ? 'started' : op.state === 'done' ? 'finished' : op.state === 'canceled' ? 'cancelled' : 'failed'}{' '}
            <RelativeTime iso={new Date(op.finishedAt ?? op.startedAt).toISOString()} />
          </span>
        </h2>
        <div className="job-head-actions">
          {running ? (
            <button
              type="button"
              className="button small"
              onClick={() => void cancel(op.key)}
              disabled={op.cancelling}
              title={op.op === 'pull' ? 'Stop the pull: what was downloaded is kept, and pulling again resumes it' : 'Stop: nothing half-done is kept'}
              data-testid="library-op-cancel"
            >
              {op.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : (
            <button type="button" className="icon-button small" onClick={() => dismiss(op.key)} aria-label="Dismiss" title="Dismiss" data-testid="library-op-dismiss">
              <CloseIcon size={14} />
            </button>
          )}
        </div>
      </header>
      {running ? (
        <ByteProgress
          progress={op.op === 'pull' ? op.progress : null}
          verb="downloaded"
          label={op.title}
          busyText={busyText[op.op]}
          state={op.state}
          testId="library-op-progress"
        />
      ) : null}
      {!running ? (
        <div
          className={`job-result ${op.state === 'done' ? 'job-result-ok' : op.state === 'canceled' ? 'job-result-warn' : 'job-result-bad'}`}
          role={op.state === 'failed' ? 'alert' : 'status'}
          data-testid="library-op-result"
        >
          <Icon />
          <span>
            {op.outcome}
            {op.errorCode ? (
              <>
                {' '}
                <code className="error-code">{op.errorCode}</code>
              </>
            ) : null}
          </span>
        </div>
      ) : null}
    </section>
  );
}

/** Where an image is deployed: "2 booted · 1 rollback", a link to the image's devices. */
export function DeployedCell({ image }: { image: LibraryImage }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const text = deployedText(image.deployed);
  if (!text) {
    return (
      <span className="muted" data-testid="image-deployed">
        nowhere
      </span>
    );
  }
  return (
    <a
      href={`${routeHref('images', image.id)}`}
      className="deployed-link"
      title="The devices it is deployed on"
      onClick={(e) => {
        e.preventDefault();
        navigate('images', image.id);
      }}
      data-testid="image-deployed"
    >
      {text}
    </a>
  );
}

/** Architectures as chips. */
export function ArchChips({ archs }: { archs: string[] }): ReactElement {
  if (!archs.length) return <span className="muted">—</span>;
  return (
    <span className="chips" data-testid="image-archs">
      {archs.map((a) => (
        <span key={a} className="chip mono">
          {a}
        </span>
      ))}
    </span>
  );
}

/** A reference that may wrap after a / (where it reads best), not inside a name. */
function BreakableRef({ text }: { text: string }): ReactElement {
  const parts = text.split(/(?<=\/)/);
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

function ImageRow({ image: i, all, onExport, onRemove }: { image: LibraryImage; all: LibraryImage[]; onExport(): void; onRemove(): void }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const label = imageLabel(i);
  return (
    <tr data-testid="library-row" data-ref={imageRef(i, all)} data-id={i.id}>
      <td className="library-name-cell">
        <a
          href={routeHref('images', i.id)}
          className="cell-strong library-name"
          title={i.reference ?? i.digest}
          onClick={(e) => {
            e.preventDefault();
            navigate('images', i.id);
          }}
          data-testid="image-name"
        >
          <BreakableRef text={label} />
        </a>
        {!i.reference && i.tag ? <span className="muted small library-noname"> no repository name</span> : null}
      </td>
      <td className="nowrap" data-testid="image-version">
        {i.version ?? <span className="muted">—</span>}
      </td>
      <td>
        <ArchChips archs={i.architectures} />
      </td>
      <td className="num nowrap" data-testid="image-size">
        {formatBytes(i.size)}
      </td>
      <td className="nowrap">
        <ShortDigest digest={i.digest} />
      </td>
      <td className="nowrap muted" title={`by ${i.addedBy}`}>
        <RelativeTime iso={i.addedAt} />
      </td>
      <td className="nowrap">
        <DeployedCell image={i} />
      </td>
      <td className="actions-cell">
        <span className="row-actions">
          <button type="button" className="icon-button" aria-label={`Export ${label}`} title="Export…" onClick={onExport} data-testid="image-export">
            <UploadIcon size={15} />
          </button>
          <button type="button" className="icon-button danger" aria-label={`Remove ${label}`} title="Remove…" onClick={onRemove} data-testid="image-remove">
            <TrashIcon size={15} />
          </button>
        </span>
      </td>
    </tr>
  );
}

type PageDialog = { kind: 'pull' } | { kind: 'import' } | { kind: 'export'; image: LibraryImage } | { kind: 'remove'; image: LibraryImage } | null;

/** The Images page. */
export function ImagesPage(): ReactElement {
  const images = useLibrary((s) => s.images);
  const bytes = useLibrary((s) => s.bytes);
  const blobs = useLibrary((s) => s.blobs);
  const loadError = useLibrary((s) => s.loadError);
  const ops = useLibrary((s) => s.ops);
  const collecting = useLibrary((s) => s.collecting);
  const load = useLibrary((s) => s.load);
  const gc = useLibrary((s) => s.gc);
  const [dialog, setDialog] = useState<PageDialog>(null);

  useEffect(() => {
    void load();
  }, [load]);

  const all = images ?? [];
  const close = (): void => setDialog(null);
  const pullButton = (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'pull' })} data-testid="library-pull">
      <DownloadIcon /> Pull…
    </button>
  );
  const importButton = (
    <button type="button" className="button" onClick={() => setDialog({ kind: 'import' })} data-testid="library-import">
      <FolderIcon /> Import…
    </button>
  );
  return (
    <div className="page" data-testid="images-page">
      <div className="page-header">
        <div>
          <h1>Images</h1>
          <p className="page-subtitle" data-testid="library-summary">
            {images === null ? (loadError ? 'Could not read the library' : 'Loading…') : librarySummary(images.length, bytes, blobs)}
          </p>
        </div>
        <div className="page-actions">
          <button
            type="button"
            className="button"
            onClick={() => void gc()}
            disabled={collecting || images === null}
            title="Delete blobs no image uses (left by an interrupted import or pull)"
            data-testid="library-gc"
          >
            <RefreshIcon className={collecting ? 'spin' : undefined} /> {collecting ? 'Cleaning up…' : 'Clean up'}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => useUi.getState().openDialog({ kind: 'bundles', mode: 'export' })}
            title="Signed bundles of images and site data, for sites with no network"
            data-testid="library-bundles"
          >
            <PackageIcon /> Bundles…
          </button>
          {importButton}
          {pullButton}
        </div>
      </div>
      <div className="page-body scroll">
        {loadError ? (
          <div className="form-error" role="alert" data-testid="library-error">
            <AlertIcon />
            <span>{loadError}</span>
          </div>
        ) : null}
        {ops.length ? (
          <div className="library-ops" data-testid="library-ops">
            {ops.map((o) => (
              <OpCard key={o.key} op={o} />
            ))}
          </div>
        ) : null}
        {images !== null && images.length === 0 ? (
          <EmptyState
            icon={<ImagesIcon size={28} />}
            title="The image library is empty"
            actions={
              <>
                {importButton}
                {pullButton}
              </>
            }
          >
            <p>
              Keep OS images here for sites with no registry: import an oci-archive brought on a stick, or pull one while a registry is in reach. Devices can then
              switch to a library image over SSH (Switch image on a device’s page), receiving only the blobs they lack.
            </p>
          </EmptyState>
        ) : images !== null ? (
          <div className="simple-table-wrap">
            <table className="simple-table library-table" data-testid="library-table">
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Version</th>
                  <th scope="col">Architectures</th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">Digest</th>
                  <th scope="col">Added</th>
                  <th scope="col" title="Devices whose last known status has it booted, staged or as rollback">
                    Deployed
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {all.map((i) => (
                  <ImageRow key={i.id} image={i} all={all} onExport={() => setDialog({ kind: 'export', image: i })} onRemove={() => setDialog({ kind: 'remove', image: i })} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {images !== null && images.length > 0 ? (
          <p className="muted small library-footnote">
            Size counts every blob of an image; blobs several images share (a common base layer) are stored once, so the library takes {formatBytes(bytes)}.
          </p>
        ) : null}
      </div>
      {dialog?.kind === 'pull' ? <PullDialog onClose={close} /> : null}
      {dialog?.kind === 'import' ? <LibraryImportDialog onClose={close} /> : null}
      {dialog?.kind === 'export' ? <ExportDialog image={dialog.image} imageRef={dialog.image.id} onClose={close} /> : null}
      {dialog?.kind === 'remove' ? <RemoveImageDialog image={dialog.image} imageRef={dialog.image.id} onClose={close} /> : null}
    </div>
  );
}
