/**
 * Choosing a file on the machine Bootfleet runs on (`files.browse`): the same dialog in the desktop
 * app and in a browser on `bootfleet serve`, where a browser's own file chooser would give a copy,
 * not a path the core can read. Directories open on click; a file is chosen by clicking it and
 * Choose, or by double-clicking it. A path can also be typed or pasted into the location field.
 */
import { useCallback, useEffect, useRef, useState, type ReactElement } from 'react';
import type { MethodOutput } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { AlertIcon, ArrowUpIcon, FileIcon, FolderIcon, HomeIcon } from '../components/icons';
import { RelativeTime } from '../components/status';
import { describeError } from '../lib/error-text';
import { baseName, dirName } from '../lib/flash';
import { formatDecimalBytes } from '../lib/format';
import { useFlash } from '../stores/flash';

type Listing = MethodOutput<'files.browse'>;

export interface FileBrowserDialogProps {
  title: string;
  /** What the listing holds by default: install images and checksum files, or every file. */
  initialShow: 'images' | 'all';
  /** The directory to open first (the user's home when null). */
  start: string | null;
  onChoose(path: string): void;
  onClose(): void;
  /**
   * What can be chosen: a file (default), a folder (the one open: "Choose this folder"), or
   * either (an OCI layout is a folder, an oci-archive a file).
   */
  pick?: 'file' | 'folder' | 'file-or-folder';
  /** Offer the "Show all files" switch (off when every file is listed anyway). Default true. */
  filterSwitch?: boolean;
  /** What to say in the footer before anything is chosen. */
  footerHint?: string;
}

/** The file browser (`data-testid="file-browser"`). */
export function FileBrowserDialog({ title, initialShow, start, onChoose, onClose, pick = 'file', filterSwitch = true, footerHint }: FileBrowserDialogProps): ReactElement {
  const browse = useFlash((s) => s.browse);
  const rememberDir = useFlash((s) => s.rememberDir);
  const [listing, setListing] = useState<Listing | null>(null);
  const [location, setLocation] = useState(start ?? '');
  const [all, setAll] = useState(initialShow === 'all');
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  /** Shows a directory's listing. */
  const show = useCallback(
    (l: Listing): void => {
      setListing(l);
      setLocation(l.path);
      setSelected(null);
      setError(null);
      rememberDir(l.path);
    },
    [rememberDir],
  );

  // Only the newest listing asked for is shown: a slow answer (the first one, say) never replaces
  // the directory the user has moved to since.
  const latest = useRef(0);
  const open = async (path: string | null, showAll: boolean): Promise<void> => {
    const ask = ++latest.current;
    setLoading(true);
    try {
      const l = await browse(path, showAll);
      if (ask === latest.current) show(l);
    } catch (err) {
      if (ask === latest.current) setError(describeError(err));
    } finally {
      if (ask === latest.current) setLoading(false);
    }
  };

  // Opened once, where the caller says (later changes of `start` are the browser's own moves).
  const [first] = useState({ start, all: initialShow === 'all' });
  useEffect(() => {
    let live = true;
    const ask = ++latest.current;
    browse(first.start, first.all).then(
      (l) => live && ask === latest.current && show(l),
      (err: unknown) => live && ask === latest.current && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [browse, show, first]);

  /** A typed path: a directory opens; a file is chosen. */
  const go = async (): Promise<void> => {
    const path = location.trim();
    if (!path) return;
    const entry = listing?.entries.find((e) => e.path === path);
    if (entry?.kind === 'file' && pick !== 'folder') return onChoose(entry.path);
    setLoading(true);
    try {
      show(await browse(path, all));
    } catch (err) {
      // Not a directory: a file in one is chosen as it is.
      const dir = dirName(path);
      const inDir = dir ? await browse(dir, true).catch(() => null) : null;
      const file = inDir?.entries.find((e) => e.kind === 'file' && e.name === baseName(path));
      if (file && pick !== 'folder') onChoose(file.path);
      else setError(describeError(err));
    } finally {
      setLoading(false);
    }
  };

  const choose = (): void => {
    if (selected) onChoose(selected);
  };

  const entries = (listing?.entries ?? []).filter((e) => pick !== 'folder' || e.kind === 'dir' || all);
  const folderChoice = pick !== 'file' && listing ? listing.path : null;
  const hint = footerHint ?? (pick === 'folder' ? 'Open the folder, then Choose this folder.' : 'Click a file, then Choose. Or type its path above.');
  return (
    <Dialog
      title={title}
      onClose={onClose}
      width="wide"
      footer={
        <>
          <span className={`footer-left muted small file-browser-chosen${selected ? ' mono' : ''}`} data-testid="file-browser-chosen">
            {selected ? selected : hint}
          </span>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          {folderChoice ? (
            <button
              type="button"
              className={`button${pick === 'folder' ? ' button-primary' : ''}`}
              onClick={() => onChoose(folderChoice)}
              title={folderChoice}
              data-testid="file-browser-choose-folder"
            >
              Choose this folder
            </button>
          ) : null}
          {pick !== 'folder' ? (
            <button type="button" className="button button-primary" onClick={choose} disabled={!selected} data-testid="file-browser-choose">
              Choose
            </button>
          ) : null}
        </>
      }
    >
      <div className="file-browser" data-testid="file-browser" data-path={listing?.path} data-loading={loading || undefined}>
        <form
          className="file-browser-bar"
          onSubmit={(e) => {
            e.preventDefault();
            void go();
          }}
        >
          <button
            type="button"
            className="button"
            onClick={() => listing?.parent && void open(listing.parent, all)}
            disabled={!listing?.parent}
            aria-label="Up one folder"
            title="Up one folder"
          >
            <ArrowUpIcon size={15} />
          </button>
          <button type="button" className="button" onClick={() => void open(listing?.home ?? null, all)} aria-label="Home folder" title="Home folder">
            <HomeIcon size={15} />
          </button>
          <label htmlFor="f-file-browser-location" className="sr-only">
            Location
          </label>
          <input
            id="f-file-browser-location"
            type="text"
            className="mono"
            value={location}
            onChange={(e) => setLocation(e.target.value)}
            spellCheck={false}
            placeholder="/path/to/folder or /path/to/image.iso"
            data-testid="file-browser-location"
            data-autofocus
          />
          <button type="submit" className="button" data-testid="file-browser-go">
            Go
          </button>
        </form>
        {filterSwitch ? (
          <label className="check file-browser-all">
            <input type="checkbox" checked={all} onChange={(e) => (setAll(e.target.checked), void open(listing?.path ?? location, e.target.checked))} data-testid="file-browser-all" />
            <span>
              Show all files <span className="muted">(otherwise only images: .iso, .img, .raw, compressed with .xz, .gz, .zst, and checksum files)</span>
            </span>
          </label>
        ) : null}
        {error ? (
          <div className="form-error" role="alert" data-testid="file-browser-error">
            <AlertIcon />
            <span>{error}</span>
          </div>
        ) : null}
        <div className="file-browser-list simple-table-wrap">
          <table className="simple-table file-table" aria-label={listing ? `Contents of ${listing.path}` : 'Contents'}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Modified</th>
              </tr>
            </thead>
            <tbody>
              {listing === null && !error ? (
                <tr>
                  <td colSpan={3} className="muted">
                    Loading…
                  </td>
                </tr>
              ) : entries.length === 0 && listing ? (
                <tr>
                  <td colSpan={3} className="muted">
                    {all || !filterSwitch ? (pick === 'folder' ? 'No folders here.' : 'This folder is empty.') : 'No images here. Open a folder, or tick “Show all files”.'}
                  </td>
                </tr>
              ) : (
                entries.map((e) => (
                  <tr key={e.path} className={`file-row${selected === e.path ? ' selected' : ''}`} data-testid="file-entry" data-kind={e.kind} data-name={e.name}>
                    <td className="file-name-cell">
                      <button
                        type="button"
                        className="file-entry"
                        onClick={() => (e.kind === 'dir' ? void open(e.path, all) : pick !== 'folder' && setSelected(e.path))}
                        onDoubleClick={() => e.kind === 'file' && pick !== 'folder' && onChoose(e.path)}
                        aria-pressed={e.kind === 'file' ? selected === e.path : undefined}
                        title={e.kind === 'dir' ? `Open ${e.name}` : e.path}
                      >
                        {e.kind === 'dir' ? <FolderIcon size={15} className="file-icon-dir" /> : <FileIcon size={15} />}
                        <span>{e.name}</span>
                      </button>
                    </td>
                    <td className="num nowrap muted">{e.size !== null ? formatDecimalBytes(e.size) : ''}</td>
                    <td className="nowrap muted">{e.modifiedAt ? <RelativeTime iso={e.modifiedAt} /> : ''}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
    </Dialog>
  );
}
