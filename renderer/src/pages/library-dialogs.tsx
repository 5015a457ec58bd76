/**
 * The image library's dialogs: Pull from a registry (one platform or all), Import an oci-archive
 * or OCI layout from this machine, Export an image as either, and Remove (saying what it frees).
 * Pull, import and export start and close: their progress and Cancel are on the Images page.
 */
import { useEffect, useState, type ReactElement } from 'react';
import type { LibraryImage } from '../../../shared/contract';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Dialog, SubmitFooter } from '../components/dialog';
import { Field } from '../components/field';
import { formatBytes, plural } from '../lib/format';
import { COMMON_PLATFORMS, deployedText, exportName, imageLabel, isAbsolutePath, joinPath, PLATFORM_PATTERN } from '../lib/library';
import { useFlash } from '../stores/flash';
import { useLibrary } from '../stores/library';
import { FileBrowserDialog } from './file-browser-dialog';

/** "Pull…": a registry reference and, optionally, one platform. */
export function PullDialog({ onClose }: { onClose(): void }): ReactElement {
  const pull = useLibrary((s) => s.pull);
  const [ref, setRef] = useState('');
  const [platform, setPlatform] = useState('');
  const [other, setOther] = useState('');
  const [errors, setErrors] = useState<{ ref?: string; platform?: string }>({});
  const chosen = platform === 'other' ? other.trim() : platform;
  const submit = (): void => {
    const e: typeof errors = {};
    const r = ref.trim();
    if (!r) e.ref = 'Enter the image to pull, e.g. registry.local/fleet/os:2.0';
    else if (/^[a-z-]+:\/\//.test(r) || /^(oci|oci-archive|docker):/.test(r)) e.ref = 'Give the reference without a transport: NAME:TAG or NAME@sha256:…';
    else if (/\s/.test(r)) e.ref = 'A reference has no spaces';
    if (platform === 'other' && !PLATFORM_PATTERN.test(chosen)) e.platform = 'Give OS/ARCH[/VARIANT], e.g. linux/arm64';
    setErrors(e);
    if (e.ref || e.platform) return;
    pull({ ref: r, ...(chosen ? { platform: chosen } : {}) });
    onClose();
  };
  return (
    <Dialog
      title="Pull an image"
      onClose={onClose}
      width="narrow"
      formTestId="library-pull-form"
      description="Copy an image from its registry into the library, for devices that cannot reach a registry. Blobs already in the library are not downloaded again, and an interrupted pull resumes."
      onSubmit={submit}
      footer={<SubmitFooter onCancel={onClose} label="Pull" testId="library-pull-start" />}
    >
      <div className="form-stack">
        <Field
          name="library-pull-ref"
          label="Image reference"
          required
          error={errors.ref}
          hint="Registry logins are those set under Desired images → Registries."
        >
          {(p) => (
            <input
              {...p}
              type="text"
              className="mono"
              value={ref}
              onChange={(e) => (setRef(e.target.value), setErrors((x) => ({ ...x, ref: undefined })))}
              placeholder="registry.local/fleet/os:2.0"
              spellCheck={false}
              autoComplete="off"
              data-autofocus
            />
          )}
        </Field>
        <Field name="library-pull-platform" label="Platform" hint={platform ? 'Only this platform’s image is kept (it then has that digest, not the index’s).' : 'Every platform of a multi-platform image.'}>
          {(p) => (
            <select {...p} value={platform} onChange={(e) => setPlatform(e.target.value)}>
              <option value="">All platforms</option>
              {COMMON_PLATFORMS.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
              <option value="other">Other…</option>
            </select>
          )}
        </Field>
        {platform === 'other' ? (
          <Field name="library-pull-platform-other" label="Other platform" error={errors.platform}>
            {(p) => (
              <input
                {...p}
                type="text"
                className="mono"
                value={other}
                onChange={(e) => (setOther(e.target.value), setErrors((x) => ({ ...x, platform: undefined })))}
                placeholder="linux/riscv64"
                spellCheck={false}
              />
            )}
          </Field>
        ) : null}
      </div>
    </Dialog>
  );
}

/** "Import…": an oci-archive file or OCI layout folder on this machine, with an optional name and tag. */
export function LibraryImportDialog({ onClose }: { onClose(): void }): ReactElement {
  const importImage = useLibrary((s) => s.import);
  const lastDir = useFlash((s) => s.lastDir);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [tag, setTag] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [errors, setErrors] = useState<{ path?: string; name?: string; tag?: string }>({});
  const submit = (): void => {
    const e: typeof errors = {};
    const p = path.trim();
    if (!p) e.path = 'Choose the oci-archive file or OCI layout folder';
    else if (!isAbsolutePath(p)) e.path = 'Give the full path, from / (it is read on the machine Bootfleet runs on)';
    if (name.trim() && /[\s@]|:[^/]*$/.test(name.trim())) e.name = 'A repository without tag or digest, e.g. registry.local/fleet/os';
    if (tag.trim() && !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag.trim())) e.tag = 'Letters, digits, _ . - (up to 128), e.g. 1.1';
    setErrors(e);
    if (e.path || e.name || e.tag) return;
    importImage({ path: p, name, tag });
    onClose();
  };
  return (
    <>
      <Dialog
        title="Import an image"
        onClose={onClose}
        formTestId="library-import-form"
        description="Add an image from a file on the machine Bootfleet runs on: an oci-archive (as skopeo copy … oci-archive:FILE writes it) or an OCI layout folder. Every blob is checked against its digest; a corrupt or missing one refuses the whole import."
        onSubmit={submit}
        footer={<SubmitFooter onCancel={onClose} label="Import" testId="library-import-start" />}
      >
        <div className="form-grid">
          <Field name="library-import-path" label="oci-archive or OCI layout" className="span-4" required error={errors.path}>
            {(p) => (
              <div className="input-row">
                <input
                  {...p}
                  type="text"
                  className="mono"
                  value={path}
                  onChange={(e) => (setPath(e.target.value), setErrors((x) => ({ ...x, path: undefined })))}
                  placeholder="/media/usb/os-1.1.oci.tar"
                  spellCheck={false}
                  autoComplete="off"
                  data-autofocus
                />
                <button type="button" className="button" onClick={() => setBrowsing(true)} data-testid="library-import-browse">
                  Browse…
                </button>
              </div>
            )}
          </Field>
          <Field
            name="library-import-name"
            label="Repository name (optional)"
            className="span-3"
            error={errors.name}
            hint="What devices and desired images call it; the archive usually names only a tag."
          >
            {(p) => <input {...p} type="text" className="mono" value={name} onChange={(e) => setName(e.target.value)} placeholder="registry.local/fleet/os" spellCheck={false} autoComplete="off" />}
          </Field>
          <Field name="library-import-tag" label="Tag (optional)" error={errors.tag} hint="Default: the archive’s.">
            {(p) => <input {...p} type="text" className="mono" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="1.1" spellCheck={false} autoComplete="off" />}
          </Field>
        </div>
      </Dialog>
      {browsing ? (
        <FileBrowserDialog
          title="Choose an oci-archive or OCI layout"
          initialShow="all"
          filterSwitch={false}
          pick="file-or-folder"
          footerHint="Click an oci-archive file, or open an OCI layout folder and choose it."
          start={path.trim() && isAbsolutePath(path.trim()) ? path.trim().replace(/[/\\][^/\\]*$/, '') || '/' : lastDir}
          onChoose={(p) => {
            setPath(p);
            setErrors((x) => ({ ...x, path: undefined }));
            setBrowsing(false);
          }}
          onClose={() => setBrowsing(false)}
        />
      ) : null}
    </>
  );
}

/** "Export…": an oci-archive file or an OCI layout folder, written on this machine. */
export function ExportDialog({ image, imageRef, onClose }: { image: LibraryImage; imageRef: string; onClose(): void }): ReactElement {
  const exportImage = useLibrary((s) => s.export);
  const lastDir = useFlash((s) => s.lastDir);
  const [format, setFormat] = useState<'oci-archive' | 'oci'>('oci-archive');
  const [path, setPath] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A destination named by default follows the format ("os-1.1.oci.tar" ⇄ "os-1.1").
  const setFormatAndName = (f: 'oci-archive' | 'oci'): void => {
    const old = exportName(image, format);
    if (path.endsWith(old)) setPath(path.slice(0, path.length - old.length) + exportName(image, f));
    setFormat(f);
  };
  const submit = (): void => {
    const p = path.trim();
    if (!p) return setError('Choose where to write it');
    if (!isAbsolutePath(p)) return setError('Give the full path, from / (it is written on the machine Bootfleet runs on)');
    exportImage(image, { ref: imageRef, path: p, format });
    onClose();
  };
  return (
    <>
      <Dialog
        title={`Export ${imageLabel(image)}`}
        onClose={onClose}
        formTestId="library-export-form"
        description={`Write the image (${formatBytes(image.size)}) with the same digest, for skopeo, podman or bootc on another machine, or for a stick carried to a site.`}
        onSubmit={submit}
        footer={<SubmitFooter onCancel={onClose} label="Export" testId="library-export-start" />}
      >
        <div className="form-stack">
          <fieldset className="choice-group export-formats">
            <legend className="subhead">Format</legend>
            <label className={`choice-card${format === 'oci-archive' ? ' on' : ''}`}>
              <input type="radio" name="export-format" checked={format === 'oci-archive'} onChange={() => setFormatAndName('oci-archive')} data-testid="library-export-archive" />
              <span>
                <span className="choice-title">oci-archive</span>
                <span className="muted small choice-hint">One .tar file: easy to copy. bootc reads it as oci-archive:FILE.</span>
              </span>
            </label>
            <label className={`choice-card${format === 'oci' ? ' on' : ''}`}>
              <input type="radio" name="export-format" checked={format === 'oci'} onChange={() => setFormatAndName('oci')} data-testid="library-export-oci" />
              <span>
                <span className="choice-title">OCI layout folder</span>
                <span className="muted small choice-hint">A new (or empty) folder. bootc reads it as oci:DIR.</span>
              </span>
            </label>
          </fieldset>
          <Field name="library-export-path" label={format === 'oci' ? 'Folder to create' : 'File to write'} required error={error ?? undefined}>
            {(p) => (
              <div className="input-row">
                <input
                  {...p}
                  type="text"
                  className="mono"
                  value={path}
                  onChange={(e) => (setPath(e.target.value), setError(null))}
                  placeholder={`/media/usb/${exportName(image, format)}`}
                  spellCheck={false}
                  autoComplete="off"
                  data-autofocus
                />
                <button type="button" className="button" onClick={() => setBrowsing(true)} data-testid="library-export-browse">
                  Browse…
                </button>
              </div>
            )}
          </Field>
        </div>
      </Dialog>
      {browsing ? (
        <FileBrowserDialog
          title="Where to write it"
          initialShow="all"
          filterSwitch={false}
          pick="folder"
          footerHint={`Open the folder to write ${exportName(image, format)} in, then Choose this folder.`}
          start={lastDir}
          onChoose={(dir) => {
            setPath(joinPath(dir, exportName(image, format)));
            setError(null);
            setBrowsing(false);
          }}
          onClose={() => setBrowsing(false)}
        />
      ) : null}
    </>
  );
}

/** "Remove…": what is freed (its blobs no other image uses), and where it is still deployed. */
export function RemoveImageDialog({ image, imageRef, onClose, onRemoved }: { image: LibraryImage; imageRef: string; onClose(): void; onRemoved?(): void }): ReactElement {
  const remove = useLibrary((s) => s.remove);
  const estimate = useLibrary((s) => s.estimateFreed);
  const [freed, setFreed] = useState<number | null | 'unknown'>(null);
  useEffect(() => {
    let live = true;
    estimate(image.id).then(
      (n) => live && setFreed(n),
      () => live && setFreed('unknown'),
    );
    return () => {
      live = false;
    };
  }, [estimate, image.id]);
  const deployed = deployedText(image.deployed);
  return (
    <ConfirmDialog
      title="Remove image"
      width="normal"
      confirmLabel="Remove image"
      busyLabel="Removing…"
      confirmTestId="library-remove-confirm"
      errorTestId="library-remove-error"
      message={
        <>
          <p>
            Remove <strong>{imageLabel(image)}</strong>
            {image.version ? <> (version {image.version})</> : null} from the library?
          </p>
          <p data-testid="library-remove-freed">
            {freed === null ? (
              <span className="muted">Working out what it frees…</span>
            ) : freed === 'unknown' ? (
              <>Its blobs no other image uses are deleted (up to {formatBytes(image.size)}).</>
            ) : freed === image.size ? (
              <>
                This frees <strong>{formatBytes(freed)}</strong> on disk: no other image shares its blobs.
              </>
            ) : (
              <>
                This frees <strong>{formatBytes(freed)}</strong> on disk; the other {formatBytes(Math.max(0, image.size - freed))} are blobs other images share, and stay.
              </>
            )}
          </p>
          {deployed ? (
            <p className="note-warn" data-testid="library-remove-deployed">
              It is deployed ({deployed}). The devices keep it (their deployments live on the device); it just can no longer be sent to a device from the
              library. Nothing is changed on any device.
            </p>
          ) : (
            <p className="muted">Nothing is changed on any device.</p>
          )}
        </>
      }
      onConfirm={async () => {
        await remove(image, imageRef);
        onRemoved?.();
      }}
      onClose={onClose}
    />
  );
}

/** "N images, X on disk". */
export function librarySummary(count: number, bytes: number, blobs: number): string {
  return `${plural(count, 'image')}, ${formatBytes(bytes)} on disk${blobs ? ` (${plural(blobs, 'blob')}, shared ones stored once)` : ''}`;
}
