/**
 * Flash (`#/flash`): write an install image to USB sticks and SD cards, in three steps.
 * 1. The image: chosen with the in-app file browser (or a path typed), inspected by the core:
 *    format, ISO label, whether it boots from USB, the bootc image it installs, and its SHA-256
 *    against the published one (pasted, a checksum file, or SHA256SUMS next to it). A mismatch
 *    refuses writing.
 * 2. The drives: removable media by default, every drive with "Show all drives"; each drive that
 *    cannot be written says why. Kept current by drives.changed (hot-plug).
 * 3. Write: verify on by default; a confirmation lists what will be erased, and internal disks
 *    need their name typed.
 * Then each drive's progress (flash.progress) with Cancel, and the history of every flash.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactElement } from 'react';
import type { Drive, Flash, FlashTargetProgress, ImageInfo } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon, RefreshIcon, UsbIcon } from '../components/icons';
import { SegmentBar, type ProgressCounts } from '../components/progress-bar';
import { CopyButton, RelativeTime, ShortDigest } from '../components/status';
import { StepTitle } from '../components/step-title';
import { describeError } from '../lib/error-text';
import {
  baseName,
  bootLabel,
  dirName,
  driveIdentity,
  driveMounts,
  flashPhaseLabel,
  flashStateLabel,
  formatLabel,
  imageSizeLabel,
  sha256Problem,
  targetBytes,
} from '../lib/flash';
import { formatDecimalBytes, formatDuration, formatTime, plural } from '../lib/format';
import { isCurrent, useFlash, type ImageCheck } from '../stores/flash';
import { FileBrowserDialog } from './file-browser-dialog';

/** Where the expected SHA-256 came from, in words. */
function sourceLabel(source: string | null): string {
  return source === 'pasted' ? 'pasted' : (source ?? 'unknown source');
}

/** The checksum verdict: matched, not checked (nothing to compare with), or does not match. */
function ChecksumVerdict({ checksum }: { checksum: ImageInfo['checksum'] }): ReactElement {
  if (checksum.result === 'matched') {
    return (
      <div className="job-result job-result-ok checksum-verdict" role="status" data-testid="checksum-verdict" data-result="matched">
        <CheckIcon />
        <span>
          <span>
            <strong>SHA-256 matched</strong> <span className="muted">({sourceLabel(checksum.source)})</span>
          </span>
          <span className="checksum-hex">
            <code>{checksum.actual}</code>
            <CopyButton text={checksum.actual} what="SHA-256" />
          </span>
        </span>
      </div>
    );
  }
  if (checksum.result === 'failed') {
    return (
      <div className="job-result job-result-bad checksum-verdict" role="alert" data-testid="checksum-verdict" data-result="failed">
        <AlertIcon />
        <span>
          <strong>SHA-256 DOES NOT MATCH — writing refused</strong>
          <span className="checksum-detail">The file is damaged, incomplete, or not the published image. Download it again, or check the SHA-256 you compared with.</span>
          <dl className="checksum-pair">
            <dt>Expected</dt>
            <dd>
              <code>{checksum.expected}</code> <span className="muted">({sourceLabel(checksum.source)})</span>
            </dd>
            <dt>This file</dt>
            <dd>
              <code>{checksum.actual}</code>
            </dd>
          </dl>
        </span>
      </div>
    );
  }
  return (
    <div className="job-result job-result-warn checksum-verdict" role="status" data-testid="checksum-verdict" data-result="unchecked">
      <AlertIcon />
      <span>
        <span>
          <strong>SHA-256 not checked</strong>: nothing to compare with. Paste the published SHA-256 or choose a checksum file above, so a damaged download is caught
          before writing.
        </span>
        <span className="checksum-hex">
          <code>{checksum.actual}</code>
          <CopyButton text={checksum.actual} what="SHA-256" />
        </span>
      </span>
    </div>
  );
}

/** What the core read from the image. */
function ImageCard({ check, current }: { check: ImageCheck; current: boolean }): ReactElement {
  if (check.state === 'busy') {
    return (
      <p className="flash-busy" role="status" data-testid="image-info" data-state="busy">
        <RefreshIcon className="spin" size={14} />
        <span>
          Reading <strong>{baseName(check.input.path)}</strong> and computing its SHA-256… A large image takes a few seconds.
        </span>
      </p>
    );
  }
  if (check.state === 'error' || !check.info) {
    return (
      <div className="form-error" role="alert" data-testid="image-info" data-state="error">
        <AlertIcon />
        <span>{check.error ?? 'The image could not be read.'}</span>
      </div>
    );
  }
  const info = check.info;
  const boot = bootLabel(info);
  return (
    <div className={`image-card${current ? '' : ' stale'}`} data-testid="image-info" data-state="done" data-checksum={info.checksum.result}>
      <div className="image-card-head">
        <span className="image-card-name" title={info.path}>
          {baseName(info.path)}
        </span>
        <span className="badge">{formatLabel(info)}</span>
        {info.volumeLabel ? (
          <span className="image-label" title="ISO volume label" data-testid="image-label">
            {info.volumeLabel}
          </span>
        ) : null}
      </div>
      {info.bootc ? (
        <div className="bootc-callout" data-testid="image-bootc">
          <span className="muted small">Installs the bootc image</span>
          <code className="bootc-ref">{info.bootc.imageRef}</code>
          <span className="muted small">
            {info.bootc.transport ? `transport ${info.bootc.transport} · ` : ''}read from {info.bootc.source}
          </span>
        </div>
      ) : null}
      <dl className="info-list image-facts">
        <dt>Size</dt>
        <dd data-testid="image-size">{imageSizeLabel(info)}</dd>
        <dt>Boot</dt>
        <dd className={boot.warn ? 'warn-text' : undefined}>{boot.text}</dd>
        <dt>Path</dt>
        <dd className="mono">{info.path}</dd>
      </dl>
      <ChecksumVerdict checksum={info.checksum} />
      {!current ? (
        <p className="note-warn flash-note" role="status" data-testid="image-stale">
          <InfoIcon size={14} /> The image or the checksum changed since this check: press Check to read it again.
        </p>
      ) : null}
    </div>
  );
}

/** Step 1: the image and its checksum. */
function ImageStep({ onBrowse }: { onBrowse(what: 'image' | 'sums'): void }): ReactElement {
  const image = useFlash((s) => s.image);
  const sha256 = useFlash((s) => s.sha256);
  const sumsFile = useFlash((s) => s.sumsFile);
  const check = useFlash((s) => s.check);
  const setImage = useFlash((s) => s.setImage);
  const setSha256 = useFlash((s) => s.setSha256);
  const setSumsFile = useFlash((s) => s.setSumsFile);
  const inspect = useFlash((s) => s.inspect);
  const current = useFlash(isCurrent);
  const shaError = sha256Problem(sha256);
  const busy = check?.state === 'busy';

  // A complete pasted SHA-256 (or clearing it) is compared at once; other changes wait for Check.
  const onlyShaChanged =
    !!check && check.input.path.trim() === image.trim() && check.input.sumsFile.trim() === sumsFile.trim() && check.input.sha256.trim() !== sha256.trim();
  useEffect(() => {
    if (!onlyShaChanged || sha256Problem(sha256)) return;
    const t = setTimeout(() => void inspect(), 400);
    return () => clearTimeout(t);
  }, [sha256, onlyShaChanged, inspect]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void inspect();
  };
  return (
    <section className="panel flash-step" aria-labelledby="flash-step-image" data-testid="flash-image">
      <StepTitle n={1} id="flash-step-image">
        Image
      </StepTitle>
      <form className="flash-image-form" onSubmit={submit} noValidate>
        <Field name="flash-image" label="Image file" hint="A file on the machine Bootfleet runs on. Choose it with Browse, or type or paste its path.">
          {(props) => (
            <div className="input-row">
              <input
                {...props}
                type="text"
                className="mono"
                value={image}
                onChange={(e) => setImage(e.target.value)}
                placeholder="/path/to/install.iso (or .img, .raw, .xz, .gz, .zst)"
                spellCheck={false}
              />
              <button type="button" className="button" onClick={() => onBrowse('image')} aria-label="Browse for an image" data-testid="flash-browse">
                Browse…
              </button>
              <button type="submit" className="button button-primary" disabled={!image.trim() || !!shaError || busy} data-testid="flash-check">
                {busy ? 'Checking…' : 'Check'}
              </button>
            </div>
          )}
        </Field>
        <div className="form-grid flash-checksum-grid">
          <Field name="flash-sha256" label="Published SHA-256 (optional)" className="span-2" error={shaError ?? undefined} hint="Compared as soon as it is complete.">
            {(props) => (
              <input
                {...props}
                type="text"
                className="mono"
                value={sha256}
                onChange={(e) => setSha256(e.target.value)}
                placeholder="64 hexadecimal characters, from the download page"
                spellCheck={false}
              />
            )}
          </Field>
          <Field name="flash-sums" label="Checksum file (optional)" className="span-2" hint="SHA256SUMS or a .sha256 file that lists the image by name.">
            {(props) => (
              <div className="input-row">
                <input
                  {...props}
                  type="text"
                  className="mono"
                  value={sumsFile}
                  onChange={(e) => setSumsFile(e.target.value)}
                  placeholder="SHA256SUMS next to the image is used when left empty"
                  spellCheck={false}
                />
                <button type="button" className="button" onClick={() => onBrowse('sums')} aria-label="Browse for a checksum file" data-testid="flash-browse-sums">
                  Browse…
                </button>
              </div>
            )}
          </Field>
        </div>
      </form>
      {check ? <ImageCard check={check} current={current} /> : null}
    </section>
  );
}

/** Why a drive cannot be written, what writing it will do, and what it holds now. */
function DriveNotes({ drive: d, writing }: { drive: Drive; writing: boolean }): ReactElement {
  const mounts = driveMounts(d);
  const parts = d.partitions.filter((p) => p.fstype || p.label);
  return (
    <div className="drive-notes">
      {writing ? (
        <span className="counts-running" data-testid="drive-busy">
          Being written now
        </span>
      ) : null}
      {d.problems.map((p) => (
        <span key={p.code} className="drive-problem" data-testid="drive-problem" data-code={p.code}>
          <AlertIcon size={13} /> Cannot be written: it {p.message}
        </span>
      ))}
      {d.problems.length === 0 && mounts.length ? (
        <span className="warn-text" data-testid="drive-mounted">
          Mounted at {mounts.join(', ')} — will be unmounted
        </span>
      ) : null}
      {d.problems.length === 0 && d.needsTypedConfirmation ? (
        <span className="warn-text" data-testid="drive-internal">
          Internal disk: you will type “{d.name}” to confirm
        </span>
      ) : null}
      {parts.length ? (
        <span className="muted small">
          Holds {parts.map((p) => [p.label, p.fstype].filter(Boolean).join(' ')).join(', ')}
        </span>
      ) : null}
    </div>
  );
}

/** The read-back of a drive against the image, under its row. */
function VerifyResult({ path }: { path: string }): ReactElement | null {
  const v = useFlash((s) => s.verifications[path]);
  if (!v) return null;
  if (v.state === 'busy') {
    return (
      <span className="muted small verify-result" role="status" data-testid="drive-verify-result" data-state="busy">
        <RefreshIcon className="spin" size={12} /> Reading the drive back…
      </span>
    );
  }
  if (v.state === 'error') {
    return (
      <span className="verify-result bad" role="alert" data-testid="drive-verify-result" data-state="error">
        <AlertIcon size={13} /> {v.error}
      </span>
    );
  }
  const r = v.result!;
  return (
    <span className={`verify-result ${r.match ? 'ok' : 'bad'}`} role="status" data-testid="drive-verify-result" data-state={r.match ? 'match' : 'differs'} title={`Image ${r.imageSha256}\nDrive  ${r.driveSha256}`}>
      {r.match ? <CheckIcon size={13} /> : <AlertIcon size={13} />}
      {r.match ? `Holds ${baseName(v.image)} (${formatDecimalBytes(r.bytes)} compared)` : `Does not hold ${baseName(v.image)}: its first ${formatDecimalBytes(r.bytes)} differ`}
    </span>
  );
}

function DriveRow({ drive: d, canVerify }: { drive: Drive; canVerify: boolean }): ReactElement {
  const selected = useFlash((s) => s.selected.includes(d.path));
  const toggle = useFlash((s) => s.toggleDrive);
  const verifyDrive = useFlash((s) => s.verifyDrive);
  const verifying = useFlash((s) => s.verifications[d.path]?.state === 'busy');
  /** A flash is writing it now: it cannot be chosen or read back until that ends. */
  const writing = useFlash((s) => s.active.some((f) => f.state === 'running' && f.targets.some((t) => t.path === d.path)));
  const disabled = d.problems.length > 0 || writing;
  const id = `drive-${d.name}`;
  return (
    <tr className={`drive-row${disabled ? ' disabled' : ''}${selected ? ' selected' : ''}`} data-testid="drive-row" data-path={d.path} data-disabled={disabled || undefined}>
      <td className="check-cell">
        <input id={id} type="checkbox" checked={selected} disabled={disabled} onChange={(e) => toggle(d.path, e.target.checked)} aria-describedby={`${id}-notes`} data-testid="drive-select" />
      </td>
      <td className="drive-cell">
        <label htmlFor={id} className="drive-name">
          {d.description} <span className="mono muted">{d.path}</span>
        </label>
        <span className="cell-sub muted small">
          {[d.vendor && !/^0x/.test(d.vendor) ? d.vendor : null, d.model, d.serial ? `serial ${d.serial}` : null, d.removable ? 'removable' : null].filter(Boolean).join(' · ') ||
            (d.bus === 'loop' ? 'loop device (a file used as a disk)' : 'no model or serial reported')}
        </span>
      </td>
      <td className="notes-cell-flash" id={`${id}-notes`}>
        <DriveNotes drive={d} writing={writing} />
        <VerifyResult path={d.path} />
      </td>
      <td className="actions-cell">
        <button
          type="button"
          className="button small"
          onClick={() => void verifyDrive(d.path)}
          disabled={!canVerify || verifying || writing || d.size === 0 || d.system}
          title={canVerify ? 'Read this drive back and compare it with the image (writes nothing)' : 'Check an image first'}
          aria-label={`Verify ${d.path} against the image`}
          data-testid="drive-verify"
        >
          Verify
        </button>
      </td>
    </tr>
  );
}

/** Step 2: the drives. */
function DrivesStep(): ReactElement {
  const drives = useFlash((s) => s.drives);
  const loading = useFlash((s) => s.drivesLoading);
  const error = useFlash((s) => s.drivesError);
  const showAll = useFlash((s) => s.showAll);
  const setShowAll = useFlash((s) => s.setShowAll);
  const load = useFlash((s) => s.loadDrives);
  const selected = useFlash((s) => s.selected.length);
  const canVerify = useFlash((s) => s.check?.state === 'done' && !!s.check.info);
  return (
    <section className="panel flash-step" aria-labelledby="flash-step-drives" data-testid="flash-drives">
      <div className="panel-head">
        <StepTitle n={2} id="flash-step-drives">
          Drives
        </StepTitle>
        <div className="flash-drive-tools">
          <label className="check">
            <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} data-testid="drives-show-all" />
            <span>Show all drives</span>
          </label>
          <button type="button" className="icon-button" onClick={() => void load()} aria-label="Refresh the drive list" title="Refresh the drive list" data-testid="drives-refresh">
            <RefreshIcon size={15} className={loading ? 'spin' : undefined} />
          </button>
        </div>
      </div>
      <p className="muted small flash-step-hint">
        {showAll
          ? 'Every drive, loop devices and internal disks too. The system disk is never written; an internal disk needs its name typed to confirm.'
          : 'USB sticks and SD cards. Plug one in and it appears here. Choose one or more: they are written at once.'}
      </p>
      {error ? (
        <div className="form-error" role="alert" data-testid="drives-error">
          <AlertIcon />
          <span>{error}</span>
        </div>
      ) : null}
      {drives === null ? (
        <p className="muted">Looking for drives…</p>
      ) : drives.length === 0 ? (
        <div className="flash-empty" data-testid="drives-empty">
          <UsbIcon size={20} />
          <span>
            No USB stick or SD card found. Plug one in: it appears here by itself.
            {!showAll ? (
              <>
                {' '}
                <button type="button" className="link-button" onClick={() => setShowAll(true)}>
                  Show all drives
                </button>
              </>
            ) : null}
          </span>
        </div>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table drives-table" data-testid="drives-table">
            <thead>
              <tr>
                <th scope="col" className="check-cell">
                  <span className="sr-only">Write</span>
                </th>
                <th scope="col">Drive</th>
                <th scope="col">Notes</th>
                <th scope="col">
                  <span className="sr-only">Verify</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {drives.map((d) => (
                <DriveRow key={d.path} drive={d} canVerify={canVerify} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {drives?.length ? (
        <p className="small muted flash-selected" data-testid="drives-selected">
          {selected ? `${plural(selected, 'drive')} chosen` : 'No drive chosen yet.'}
        </p>
      ) : null}
    </section>
  );
}

/** Step 3: verify or not, and Write (what is missing, said in words). */
function WriteStep({ onWrite }: { onWrite(): void }): ReactElement {
  const verify = useFlash((s) => s.verify);
  const setVerify = useFlash((s) => s.setVerify);
  const eject = useFlash((s) => s.eject);
  const setEject = useFlash((s) => s.setEject);
  const check = useFlash((s) => s.check);
  const current = useFlash(isCurrent);
  const selectedPaths = useFlash((s) => s.selected);
  const drives = useFlash((s) => s.drives);
  const chosen = (drives ?? []).filter((d) => selectedPaths.includes(d.path));
  const info = check?.state === 'done' ? check.info : null;

  const missing: string[] = [];
  if (!check || check.state === 'error') missing.push('Choose an image and check it.');
  else if (check.state === 'busy') missing.push('Wait for the image check to finish.');
  else if (!current) missing.push('Check the image again: it changed.');
  else if (info?.checksum.result === 'failed') missing.push('The image does not match its SHA-256: writing is refused.');
  if (chosen.length === 0) missing.push('Choose at least one drive.');
  const ready = missing.length === 0 && !!info;

  return (
    <section className="panel flash-step" aria-labelledby="flash-step-write" data-testid="flash-write">
      <StepTitle n={3} id="flash-step-write">
        Write
      </StepTitle>
      <label className="check">
        <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} data-testid="flash-verify" />
        <span>
          Verify after writing <span className="muted">— read each drive back and compare it with the image</span>
        </span>
      </label>
      {!verify ? (
        <p className="note-warn flash-note" role="status" data-testid="flash-verify-off">
          <AlertIcon size={14} /> Without verification nothing will prove the drive holds the image: a failing or fake stick goes unnoticed.
        </p>
      ) : null}
      <label className="check flash-eject">
        <input type="checkbox" checked={eject} onChange={(e) => setEject(e.target.checked)} data-testid="flash-eject" />
        <span>
          Eject when done <span className="muted">— USB sticks and SD cards can then be pulled out (loop devices and internal disks stay)</span>
        </span>
      </label>
      <div className="flash-write-row">
        <p className="flash-write-summary" data-testid="flash-write-summary">
          {ready && info ? (
            <>
              Writes <strong>{baseName(info.path)}</strong> ({info.size !== null ? formatDecimalBytes(info.size) : formatDecimalBytes(info.fileSize)}) to <strong>{plural(chosen.length, 'drive')}</strong>:{' '}
              {chosen.map((d) => d.path).join(', ')}. Everything on {chosen.length === 1 ? 'it' : 'them'} is erased.
            </>
          ) : (
            <span className="muted">{missing.join(' ')}</span>
          )}
        </p>
        <button type="button" className="button button-danger" onClick={onWrite} disabled={!ready} data-testid="flash-write-button">
          <UsbIcon size={15} /> {chosen.length > 1 ? `Write ${chosen.length} drives…` : 'Write…'}
        </button>
      </div>
    </section>
  );
}

/** The confirmation: what will be erased, typed names for internal disks. */
function ConfirmWrite({ onClose }: { onClose(): void }): ReactElement {
  const drives = useFlash((s) => s.drives);
  const selected = useFlash((s) => s.selected);
  const info = useFlash((s) => s.check?.info);
  const verify = useFlash((s) => s.verify);
  const start = useFlash((s) => s.start);
  const chosen = useMemo(() => (drives ?? []).filter((d) => selected.includes(d.path)), [drives, selected]);
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const needTyping = chosen.filter((d) => d.needsTypedConfirmation);
  const typedOk = needTyping.every((d) => (typed[d.path] ?? '').trim() === d.name);

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await start(needTyping.map((d) => (typed[d.path] ?? '').trim()));
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  const name = info ? baseName(info.path) : 'the image';
  return (
    <Dialog
      title={`Erase ${plural(chosen.length, 'drive')} and write ${name}?`}
      onClose={onClose}
      busy={busy}
      width="normal"
      onSubmit={() => void (typedOk && !busy && chosen.length ? confirm() : undefined)}
      formTestId="flash-confirm"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-autofocus={needTyping.length ? undefined : true}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={busy || !typedOk || chosen.length === 0} data-testid="flash-confirm-write">
            {busy ? 'Checking the image…' : `Erase and write`}
          </button>
        </>
      }
    >
      <p className="confirm-message">
        Everything on {chosen.length === 1 ? 'this drive' : 'these drives'} is erased and replaced by <strong>{name}</strong>
        {info ? (
          <span className="muted">
            {' '}
            ({info.size !== null ? formatDecimalBytes(info.size) : formatDecimalBytes(info.fileSize)}, SHA-256 {info.checksum.result === 'matched' ? 'matched' : 'not checked'})
          </span>
        ) : null}
        . This cannot be undone.
      </p>
      <ul className="confirm-drives" data-testid="flash-confirm-drives">
        {chosen.map((d, i) => {
          const mounts = driveMounts(d);
          return (
            <li key={d.path} data-testid="flash-confirm-drive" data-path={d.path}>
              <strong>{d.description}</strong>
              <span className="muted">
                {' '}
                · <span className="mono">{d.path}</span>
                {d.serial ? ` · serial ${d.serial}` : ''}
              </span>
              {mounts.length ? <span className="warn-text confirm-drive-note">Mounted at {mounts.join(', ')} — will be unmounted</span> : null}
              {d.needsTypedConfirmation ? (
                <div className="field confirm-type">
                  <label htmlFor={`f-confirm-${d.name}`}>
                    This is an internal disk. Type <code>{d.name}</code> to erase it
                  </label>
                  <input
                    id={`f-confirm-${d.name}`}
                    type="text"
                    className="mono"
                    value={typed[d.path] ?? ''}
                    onChange={(e) => setTyped((t) => ({ ...t, [d.path]: e.target.value }))}
                    autoComplete="off"
                    spellCheck={false}
                    data-autofocus={i === chosen.indexOf(needTyping[0]!) ? true : undefined}
                    data-testid="flash-confirm-type"
                  />
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      {!verify ? (
        <p className="note-warn flash-note">
          <AlertIcon size={14} /> Verification is off: nothing will prove the drives hold the image.
        </p>
      ) : null}
      {error ? (
        <div className="form-error" role="alert" data-testid="flash-confirm-error">
          <AlertIcon />
          <span>{error}</span>
        </div>
      ) : null}
    </Dialog>
  );
}

/** The bar of one drive: the bytes of its current phase; green when done, red when failed. */
function targetCounts(t: FlashTargetProgress): ProgressCounts {
  const { done, total } = targetBytes(t);
  const all = total ?? Math.max(done, 1);
  if (t.phase === 'done') return { total: all, done: all, failed: 0 };
  if (t.phase === 'failed') return { total: all, done: 0, failed: Math.max(t.written, 1) };
  if (t.phase === 'canceled') return { total: all, done: 0, failed: 0, running: t.written };
  return { total: all, done: 0, failed: 0, running: done };
}

/** The phases a drive goes through. */
function phasesOf(verify: boolean): FlashTargetProgress['phase'][] {
  return verify ? ['writing', 'flushing', 'verifying', 'done'] : ['writing', 'flushing', 'done'];
}

function TargetPhases({ t, verify }: { t: FlashTargetProgress; verify: boolean }): ReactElement {
  const phases = phasesOf(verify);
  const ended = t.phase === 'failed' || t.phase === 'canceled';
  // Where an ended drive stopped: verifying when something was read back, else writing.
  const at = ended ? phases.indexOf(t.verified > 0 ? 'verifying' : t.written >= (t.total ?? Infinity) ? 'flushing' : 'writing') : phases.indexOf(t.phase);
  return (
    <ol className="phase-steps" aria-label="Phases">
      {phases.map((p, i) => {
        const cls = i < at || (p === 'done' && t.phase === 'done') ? 'done' : i === at ? (ended ? 'failed' : 'current') : 'todo';
        return (
          <li key={p} className={`phase phase-${cls}`} aria-current={i === at ? 'step' : undefined}>
            <span className="phase-dot" aria-hidden="true">
              {cls === 'done' ? <CheckIcon size={11} /> : cls === 'failed' ? <CloseIcon size={11} /> : null}
            </span>
            <span className="phase-label">{flashPhaseLabel[p]}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** "12.0 MB of 32.0 MB written · 45.0 MB/s · about 3 s left". */
function TargetLine({ t, verify }: { t: FlashTargetProgress; verify: boolean }): ReactElement {
  if (t.phase === 'done') {
    return (
      <p className="progress-line" data-testid="flash-target-line">
        <span>
          <strong>{formatDecimalBytes(t.written)}</strong> written{verify ? ', read back and compared' : ''}
        </span>
      </p>
    );
  }
  const { done, total } = targetBytes(t);
  const of = total !== null ? ` of ${formatDecimalBytes(total)}` : '';
  const running = t.phase === 'writing' || t.phase === 'verifying' || t.phase === 'flushing';
  const what = t.phase === 'verifying' ? 'read back' : t.phase === 'flushing' ? 'written, flushing to the drive' : 'written';
  return (
    <p className="progress-line" data-testid="flash-target-line">
      <span>
        <strong>{formatDecimalBytes(done)}</strong>
        {of} {what}
      </span>
      {running && t.phase !== 'flushing' && t.bytesPerSecond > 0 ? <span className="muted">{formatDecimalBytes(t.bytesPerSecond)}/s</span> : null}
      {running && t.phase !== 'flushing' && t.etaSeconds !== null ? <span className="muted">about {formatDuration(t.etaSeconds)} left</span> : null}
    </p>
  );
}

/** The end of one drive: its condition, and the error if any. */
function TargetOutcome({ t }: { t: FlashTargetProgress }): ReactElement | null {
  if (t.phase === 'done') {
    return (
      <div className="job-result job-result-ok" data-testid="flash-target-condition" data-phase="done">
        <CheckIcon />
        <span>{t.condition ?? 'written'}</span>
      </div>
    );
  }
  if (t.phase === 'failed' || t.phase === 'canceled') {
    const bad = t.phase === 'failed';
    return (
      <div className={`job-result ${bad ? 'job-result-bad' : 'job-result-warn'}`} role={bad ? 'alert' : 'status'} data-testid="flash-target-condition" data-phase={t.phase}>
        <AlertIcon />
        <span>
          <strong>{t.condition ?? (bad ? 'failed' : 'cancelled')}</strong>
          {t.error ? (
            <>
              {': '}
              {t.error.message} <code className="error-code">{t.error.code}</code>
            </>
          ) : null}
        </span>
      </div>
    );
  }
  return null;
}

/** One flash as it goes: a card per drive, Cancel while running. */
function FlashRun({ flash: f }: { flash: Flash }): ReactElement {
  const cancel = useFlash((s) => s.cancel);
  const dismiss = useFlash((s) => s.dismiss);
  const canceling = useFlash((s) => !!s.canceling[f.id]);
  const running = f.state === 'running';
  const name = baseName(f.image);
  const title = running
    ? `Writing ${name}`
    : f.state === 'done'
      ? `Wrote ${name}`
      : f.state === 'canceled'
        ? `Writing ${name} cancelled`
        : f.state === 'interrupted'
          ? `Writing ${name} interrupted`
          : `Writing ${name} failed`;
  const Icon = running ? null : f.state === 'done' ? CheckIcon : AlertIcon;
  return (
    <section className={`job-panel flash-run job-${f.state}`} data-testid="flash-run" data-state={f.state} data-id={f.id} aria-label={title}>
      <header className="job-head">
        <h2>
          {Icon ? <Icon size={15} /> : <span className="spinner" aria-hidden="true" />}
          {title}
          <span className="muted job-when">
            to {plural(f.targets.length, 'drive')} · {f.verify ? 'with verification' : 'without verification'} · started <RelativeTime iso={f.startedAt} />
          </span>
        </h2>
        <div className="job-head-actions">
          {running ? (
            <button
              type="button"
              className="button small"
              onClick={() => void cancel(f.id)}
              disabled={canceling}
              title="Stop writing: each drive is left partially written and will not boot"
              data-testid="flash-cancel"
            >
              {canceling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : (
            <button type="button" className="icon-button small" onClick={() => dismiss(f.id)} aria-label="Dismiss" title="Dismiss (it stays in the history)" data-testid="flash-dismiss">
              <CloseIcon size={14} />
            </button>
          )}
        </div>
      </header>
      <ul className="flash-targets">
        {f.targets.map((t) => (
          <li key={t.path} className="flash-target" data-testid="flash-target" data-path={t.path} data-phase={t.phase}>
            <div className="flash-target-head">
              <span className="cell-strong">{t.description}</span>
              <span className="muted mono small">{t.path}</span>
              {t.serial ? <span className="muted small">serial {t.serial}</span> : null}
              <span className={`job-state job-state-${t.phase === 'writing' || t.phase === 'flushing' || t.phase === 'verifying' ? 'running' : t.phase}`} data-testid="flash-target-phase">
                {flashPhaseLabel[t.phase]}
              </span>
            </div>
            <TargetPhases t={t} verify={f.verify} />
            <SegmentBar counts={targetCounts(t)} label={`${flashPhaseLabel[t.phase]} ${t.path}`} ended={!running} state={t.phase === 'canceled' ? 'canceled' : undefined} testId="flash-target-bar" />
            <TargetLine t={t} verify={f.verify} />
            <TargetOutcome t={t} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The result of one drive in the history. */
function HistoryTarget({ flash: f, t }: { flash: Flash; t: Flash['targets'][number] }): ReactElement {
  const verified = t.phase === 'done' && f.verify;
  return (
    <li className="history-target" data-testid="flash-history-target" data-path={t.path} data-phase={t.phase} data-verified={verified}>
      <span className="history-target-drive" title={driveIdentity(t)}>
        <span className="cell-strong">{t.description}</span>{' '}
        <span className="muted">
          {t.serial ? `serial ${t.serial}` : <span className="mono">{t.path}</span>}
        </span>
      </span>
      <span className="history-target-result">
        <span
          className={`job-state job-state-${t.phase === 'done' ? (verified ? 'done' : 'partial') : t.phase === 'canceled' ? 'canceled' : t.phase === 'failed' ? 'failed' : 'running'}`}
          title={verified ? 'Read back and compared after writing' : t.phase === 'done' ? 'Not read back: nothing proves the drive holds the image' : undefined}
        >
          {t.condition ?? flashPhaseLabel[t.phase].toLowerCase()}
        </span>
        {t.error ? (
          <span className="history-target-error" title={t.error.message}>
            {t.error.message}
          </span>
        ) : null}
      </span>
    </li>
  );
}

function History(): ReactElement {
  const history = useFlash((s) => s.history);
  return (
    <section className="panel" data-testid="flash-history" aria-labelledby="flash-history-title">
      <div className="panel-head">
        <h2 className="panel-title" id="flash-history-title">
          History
        </h2>
        <span className="muted small">Which stick carries which image</span>
      </div>
      {history !== null && history.length === 0 ? (
        <p className="muted">Nothing written yet. Every flash is recorded here, with the image’s SHA-256 and each drive’s result.</p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table flash-history-table" data-testid="flash-history-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Image</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Drives</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {history === null ? (
                <tr>
                  <td colSpan={5} className="muted">
                    Loading…
                  </td>
                </tr>
              ) : (
                history.map((f) => (
                  <tr key={f.id} data-testid="flash-history-row" data-state={f.state} data-image={baseName(f.image)}>
                    <td className="nowrap">
                      <span title={formatTime(f.startedAt)}>
                        <RelativeTime iso={f.startedAt} />
                      </span>
                      {f.state === 'running' ? <span className="cell-sub small counts-running">running</span> : f.state !== 'done' ? <span className="cell-sub small muted">{flashStateLabel[f.state]}</span> : null}
                    </td>
                    <td className="history-image-cell" title={f.image}>
                      <span className="cell-strong">{baseName(f.image)}</span>
                      <span className="cell-sub muted small">
                        {f.bytes !== null && f.state === 'done' ? `${formatDecimalBytes(f.bytes)} · ` : ''}
                        {dirName(f.image) ?? ''}
                      </span>
                    </td>
                    <td className="nowrap">
                      {f.imageSha256 ? (
                        <ShortDigest digest={f.imageSha256} />
                      ) : (
                        <span className="muted small" title="An image with no published SHA-256 is hashed as it is written">
                          {f.state === 'running' ? 'hashed while writing' : 'not hashed'}
                        </span>
                      )}
                      <span className={`badge ${f.checksum === 'matched' ? 'badge-ok' : 'badge-warn'}`} data-testid="flash-history-checksum" title={f.checksum === 'matched' ? 'Equal to the published SHA-256' : 'No published SHA-256 was compared'}>
                        {f.checksum}
                      </span>
                    </td>
                    <td className="history-targets-cell">
                      <ul className="history-targets">
                        {f.targets.map((t) => (
                          <HistoryTarget key={t.path} flash={f} t={t} />
                        ))}
                      </ul>
                    </td>
                    <td className="nowrap muted">{f.actor}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The Flash page. */
export function FlashPage(): ReactElement {
  const loadDrives = useFlash((s) => s.loadDrives);
  const loadHistory = useFlash((s) => s.loadHistory);
  const active = useFlash((s) => s.active);
  const image = useFlash((s) => s.image);
  const sumsFile = useFlash((s) => s.sumsFile);
  const lastDir = useFlash((s) => s.lastDir);
  const chooseImage = useFlash((s) => s.chooseImage);
  const setSumsFile = useFlash((s) => s.setSumsFile);
  const inspect = useFlash((s) => s.inspect);
  const [browsing, setBrowsing] = useState<'image' | 'sums' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const runsRef = useRef<HTMLDivElement>(null);
  const newest = active[0]?.id;

  useEffect(() => {
    void loadDrives();
    void loadHistory();
  }, [loadDrives, loadHistory]);

  // A flash just started: bring its progress into view.
  useEffect(() => {
    if (newest) runsRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [newest]);

  const running = active.filter((f) => f.state === 'running').length;
  const startDir = (browsing === 'sums' ? dirName(sumsFile.trim()) : null) ?? dirName(image.trim()) ?? lastDir;
  return (
    <div className="page flash-page">
      <div className="page-header">
        <div>
          <h1>Flash</h1>
          <p className="page-subtitle" data-testid="flash-subtitle">
            Write an install image to USB sticks and SD cards: checked, verified and recorded.
            {running ? ` · ${plural(running, 'flash', 'flashes')} running` : ''}
          </p>
        </div>
      </div>
      <div className="page-body scroll">
        <ImageStep onBrowse={setBrowsing} />
        <DrivesStep />
        <WriteStep onWrite={() => setConfirming(true)} />
        {active.length ? (
          <div className="flash-runs" data-testid="flash-runs" ref={runsRef}>
            {active.map((f) => (
              <FlashRun key={f.id} flash={f} />
            ))}
          </div>
        ) : null}
        <History />
      </div>
      {browsing ? (
        <FileBrowserDialog
          title={browsing === 'image' ? 'Choose an image' : 'Choose a checksum file'}
          initialShow="images"
          start={startDir}
          onClose={() => setBrowsing(null)}
          onChoose={(path) => {
            setBrowsing(null);
            if (browsing === 'image') return chooseImage(path);
            setSumsFile(path);
            if (image.trim()) void inspect();
          }}
        />
      ) : null}
      {confirming ? <ConfirmWrite onClose={() => setConfirming(false)} /> : null}
    </div>
  );
}
