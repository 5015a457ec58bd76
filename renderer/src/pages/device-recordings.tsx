/**
 * A device's recorded terminal sessions (device page): who opened each, when, for how long, how it
 * ended and its size, with Play (the replay dialog) and the .cast file to download. Recording is on
 * per site; when this device's site does not record, the card says where to turn it on. The list
 * follows terminals that close (`terminal.exit` in this window, `activity.appended` from anywhere).
 */
import { useEffect, useState, type ReactElement } from 'react';
import type { Device, Recording } from '../../../shared/contract';
import { DownloadIcon, InfoIcon, PlayIcon } from '../components/icons';
import { RelativeTime } from '../components/status';
import { describeError } from '../lib/error-text';
import { client } from '../lib/api';
import { formatBytes, formatDuration, formatTime } from '../lib/format';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { downloadRecording, ReplayDialog } from './replay-dialog';

/** Recordings listed (newest first). */
const LIMIT = 50;
/** Events come in bursts (a session's close logs, then exits): reload once after them. */
const RELOAD_MS = 250;

/** How long a session lasted ("open" while it is). */
function length(r: Recording): string {
  if (!r.endedAt) return 'open';
  const secs = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  return Number.isFinite(secs) ? formatDuration(secs) : '—';
}

/** How a session ended: "exited, status 0", "closed", "the connection dropped". */
function ending(r: Recording): string {
  if (!r.endedAt) return 'still open';
  const reason = r.reason ?? 'ended';
  return r.exitCode !== null ? `${reason}, status ${r.exitCode}` : reason;
}

/** Whether the device's site records sessions, and what to say about it. */
function RecordingNote({ device }: { device: Device }): ReactElement | null {
  const sites = useSites((s) => s.sites);
  const openDialog = useUi((s) => s.openDialog);
  useEffect(() => {
    if (useSites.getState().sites === null) void useSites.getState().load();
  }, []);
  if (!sites) return null;
  const site = device.siteId ? sites.find((s) => s.id === device.siteId) : undefined;
  if (site?.recordTerminals) {
    return (
      <p className="muted small recordings-note" data-testid="recordings-on">
        Terminal sessions on the devices of site <strong>{site.name}</strong> are recorded: their output, never the keystrokes.{' '}
        {site.keepRecordingsDays ? `Kept ${site.keepRecordingsDays} days after the session ends.` : 'Kept for ever.'}
      </p>
    );
  }
  return (
    <div className="recordings-hint" data-testid="recordings-off">
      <InfoIcon size={15} />
      <span>
        {site ? (
          <>
            Sessions on this device are not recorded. Recording is turned on per site: <strong>Edit site</strong> {site.name} →{' '}
            <strong>Record terminal sessions</strong>.
          </>
        ) : (
          <>
            Sessions on this device are not recorded: it is in no site, and recording is turned on per site (<strong>Edit site</strong> →{' '}
            <strong>Record terminal sessions</strong>).
          </>
        )}
      </span>
      {site ? (
        <button type="button" className="button small" onClick={() => openDialog({ kind: 'site-form', site })} data-testid="recordings-edit-site">
          Edit site
        </button>
      ) : null}
    </div>
  );
}

/** The Terminal recordings card (`data-testid="device-recordings"`, one `recording-row` per recording); keyed by the device. */
export function DeviceRecordings({ device }: { device: Device }): ReactElement {
  const [list, setList] = useState<Recording[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState<Recording | null>(null);
  const [downloading, setDownloading] = useState<string | null>(null);
  const reportError = useUi((s) => s.reportError);
  const deviceId = device.id;

  useEffect(() => {
    let live = true;
    let seq = 0;
    const load = async (): Promise<void> => {
      const my = ++seq;
      try {
        const rows = await client.invoke('recordings.list', { device: deviceId, limit: LIMIT });
        if (!live || my !== seq) return;
        setList(rows);
        setError(null);
      } catch (err) {
        if (live && my === seq) setError(describeError(err));
      }
    };
    void load();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const soon = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void load();
      }, RELOAD_MS);
    };
    const offExit = client.on('terminal.exit', soon);
    const offActivity = client.on('activity.appended', soon);
    return () => {
      live = false;
      offExit();
      offActivity();
      if (timer) clearTimeout(timer);
    };
  }, [deviceId]);

  const download = (r: Recording): void => {
    setDownloading(r.id);
    downloadRecording(r).then(
      () => setDownloading(null),
      (err: unknown) => {
        setDownloading(null);
        reportError(err, 'Downloading the recording');
      },
    );
  };

  return (
    <section className="panel" data-testid="device-recordings" data-count={list?.length ?? ''}>
      <div className="panel-head">
        <h2 className="panel-title">Terminal recordings</h2>
        {list && list.length > 0 ? <span className="muted small">{list.length >= LIMIT ? `the newest ${LIMIT}` : `${list.length}, newest first`}</span> : null}
      </div>
      <RecordingNote device={device} />
      {error ? (
        <p className="muted" role="alert">
          Could not list the recordings: {error}
        </p>
      ) : !list ? (
        <p className="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted" data-testid="recordings-empty">
          No recorded sessions of this device.
        </p>
      ) : (
        <div className="report-table-wrap recordings-wrap">
          <table className="report-table recordings-table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">By</th>
                <th scope="col">Length</th>
                <th scope="col">Ended</th>
                <th scope="col">
                  Size
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-testid="recording-row" data-id={r.id} data-open={r.endedAt ? 'false' : 'true'}>
                  <td className="nowrap" title={formatTime(r.startedAt)}>
                    <RelativeTime iso={r.startedAt} />
                  </td>
                  <td>
                    {r.actor} <span className="via">{r.via}</span>
                    {r.command ? (
                      <div className="muted small mono recording-command" title={r.command}>
                        {r.command}
                      </div>
                    ) : null}
                  </td>
                  <td className="nowrap" data-testid="recording-length">
                    {length(r)}
                  </td>
                  <td className={r.exitCode !== null && r.exitCode !== 0 ? 'recording-bad' : undefined} data-testid="recording-ending">
                    {ending(r)}
                  </td>
                  <td className="nowrap">{formatBytes(r.bytes)}</td>
                  <td className="recording-actions">
                    <button type="button" className="button small" onClick={() => setPlaying(r)} data-testid="recording-play">
                      <PlayIcon size={13} /> Play
                    </button>
                    <button
                      type="button"
                      className="button button-ghost small"
                      onClick={() => download(r)}
                      disabled={downloading === r.id}
                      title="Download the asciicast v2 file (asciinema play reads it)"
                      data-testid="recording-download"
                    >
                      <DownloadIcon size={13} /> .cast
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {playing ? <ReplayDialog key={playing.id} recording={playing} onClose={() => setPlaying(null)} /> : null}
    </section>
  );
}
