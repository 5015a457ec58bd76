/** One stored status snapshot: the command Bootfleet ran and what the device printed. */
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import type { Device } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { AlertIcon } from '../components/icons';
import { CopyButton } from '../components/status';
import { describeError } from '../lib/error-text';
import { formatTime } from '../lib/format';
import { useDeviceDetail, type SnapshotDetail } from '../stores/device-detail';

/** Output longer than this is cut for display (a 16 MiB document would freeze the page); Copy takes it all. */
const SHOWN_CHARS = 200_000;

/** JSON output indented for reading (bootc prints it on one line); anything else as printed. */
function readable(raw: string): string {
  const text = raw.length > SHOWN_CHARS ? raw.slice(0, SHOWN_CHARS) : raw;
  if (raw.length > SHOWN_CHARS || !/^\s*[{[]/.test(raw)) return text;
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return text;
  }
}

export interface SnapshotDialogProps {
  device: Device;
  snapshotId: number;
  onClose(): void;
}

/** The snapshot dialog (`data-testid="snapshot-output"` on the output). */
export function SnapshotDialog({ device, snapshotId, onClose }: SnapshotDialogProps): ReactElement {
  const loadSnapshot = useDeviceDetail((s) => s.loadSnapshot);
  const [snap, setSnap] = useState<SnapshotDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = useMemo(() => (snap?.raw ? readable(snap.raw) : ''), [snap]);

  useEffect(() => {
    let live = true;
    loadSnapshot(snapshotId).then(
      (s) => live && setSnap(s),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [snapshotId, loadSnapshot]);

  return (
    <Dialog
      title={`${device.name}: contact output`}
      onClose={onClose}
      width="wide"
      footer={
        <button type="button" className="button" onClick={onClose} data-autofocus>
          Close
        </button>
      }
    >
      {error ? (
        <div className="form-error" role="alert">
          <AlertIcon />
          <span>{error}</span>
        </div>
      ) : !snap ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="snapshot">
          <dl className="info-list">
            <dt>When</dt>
            <dd>
              {formatTime(snap.at)}
              {snap.durationMs !== null ? <span className="muted"> · took {(snap.durationMs / 1000).toFixed(1)} s</span> : null}
            </dd>
            <dt>Outcome</dt>
            <dd>
              {snap.outcome === 'ok' ? 'bootc answered' : snap.outcome === 'not-bootc' ? 'not a bootc host' : 'failed'}
              {snap.error ? (
                <>
                  {' '}
                  <code className="error-code">{snap.error.code}</code> {snap.error.message}
                </>
              ) : null}
            </dd>
            <dt>Command</dt>
            <dd>{snap.command ? <code>{snap.command}</code> : <span className="muted">none ran</span>}</dd>
          </dl>
          <div className="snapshot-output-head">
            <h3 className="subhead">Output</h3>
            {snap.raw ? <CopyButton text={snap.raw} what="output" /> : null}
          </div>
          {snap.raw ? (
            <>
              <pre className="raw-output" data-testid="snapshot-output">
                {shown}
              </pre>
              {snap.raw.length > SHOWN_CHARS ? (
                <p className="muted small">
                  Showing the first {SHOWN_CHARS.toLocaleString('en-US')} of {snap.raw.length.toLocaleString('en-US')} characters.
                </p>
              ) : null}
            </>
          ) : (
            <p className="muted">Nothing was printed (or the connection failed before a command ran).</p>
          )}
        </div>
      )}
    </Dialog>
  );
}
