/**
 * Replays a recorded terminal session in the app: an xterm.js of the recording's size (the font
 * made smaller when it is wider than the dialog), fed by lib/asciicast.ts's player with the
 * recording's timing: play / pause, 1x / 2x / 4x, idle time cut to 2 s, the time played, restart,
 * and the .cast file to download. Closing the dialog stops the player and frees the terminal.
 */
import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { Recording } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { AlertIcon, DownloadIcon, PauseIcon, PlayIcon, RefreshIcon } from '../components/icons';
import { CastError, CastPlayer, castFileName, formatClock, IDLE_LIMIT, parseCast, SPEEDS, type Cast, type PlayerState } from '../lib/asciicast';
import { client } from '../lib/api';
import { downloadText } from '../lib/download';
import { describeError } from '../lib/error-text';
import { formatTime, plural } from '../lib/format';
import { followTheme, TERMINAL_FONT } from '../lib/terminal-session';
import { useTerminals } from '../stores/terminals';

/** The media type of asciicast files. */
export const CAST_TYPE = 'application/x-asciicast';
/** The smallest font the player shrinks to, to fit a wide recording. */
const MIN_FONT = 7;

/** Fetches a recording's cast and saves it as `bootfleet-<device>-<startedAt>.cast`. */
export async function downloadRecording(r: Recording, cast?: string): Promise<void> {
  const text = cast ?? (await client.invoke('recordings.get', { id: r.id })).cast;
  downloadText(castFileName(r), text, CAST_TYPE);
}

/** The terminal and its controls, once the cast is read. */
function Player({ cast, fontSize }: { cast: Cast; fontSize: number }): ReactElement {
  const boxRef = useRef<HTMLDivElement>(null);
  const playerRef = useRef<CastPlayer | null>(null);
  const [state, setState] = useState<PlayerState | null>(null);

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const term = new Terminal({
      cols: cast.header.width,
      rows: cast.header.height,
      fontSize,
      fontFamily: TERMINAL_FONT,
      disableStdin: true,
      cursorBlink: false,
      scrollback: 1000,
      allowProposedApi: true,
    });
    const unfollow = followTheme(term);
    const host = document.createElement('div');
    host.className = 'replay-host';
    box.appendChild(host);
    term.open(host);
    // A recording wider than the dialog is shown in a smaller font rather than cut.
    let fitFrame = 0;
    const fitFont = (): void => {
      cancelAnimationFrame(fitFrame);
      fitFrame = requestAnimationFrame(() => {
        const screen = host.querySelector<HTMLElement>('.xterm-screen');
        const avail = box.clientWidth - 20;
        if (!screen || avail <= 0) return;
        const size = term.options.fontSize ?? fontSize;
        const width = screen.offsetWidth;
        const next = width > avail ? Math.max(MIN_FONT, Math.floor((size * avail) / width)) : width * (fontSize / size) <= avail ? fontSize : size;
        if (next !== size) term.options.fontSize = next;
        box.dataset.size = `${term.rows}x${term.cols}`;
      });
    };
    fitFont();
    const player = new CastPlayer(
      cast,
      {
        write: (data, done) => term.write(data, done),
        resize: (cols, rows) => {
          term.resize(cols, rows);
          fitFont();
        },
        reset: (cols, rows) => {
          term.reset();
          term.resize(cols, rows);
          fitFont();
        },
      },
      setState,
    );
    playerRef.current = player;
    setState(player.state);
    player.play();
    return () => {
      player.dispose();
      playerRef.current = null;
      cancelAnimationFrame(fitFrame);
      unfollow();
      term.dispose();
      host.remove();
    };
  }, [cast, fontSize]);

  const p = playerRef.current;
  const pct = state && state.duration > 0 ? Math.min(100, (100 * state.position) / state.duration) : state?.ended ? 100 : 0;
  return (
    <div className="replay">
      <div className="replay-toolbar">
        <button
          type="button"
          className="button button-primary replay-play"
          onClick={() => p?.toggle()}
          disabled={!state}
          aria-label={state?.playing ? 'Pause' : 'Play'}
          data-testid="replay-play"
          data-playing={state?.playing ? 'true' : 'false'}
        >
          {state?.playing ? <PauseIcon /> : <PlayIcon />} {state?.playing ? 'Pause' : state?.ended ? 'Play again' : 'Play'}
        </button>
        <button type="button" className="button" onClick={() => p?.restart()} disabled={!state} title="From the start" data-testid="replay-restart">
          <RefreshIcon /> Restart
        </button>
        <div className="toggle-group" role="group" aria-label="Speed">
          {SPEEDS.map((s) => (
            <button
              key={s}
              type="button"
              className={`toggle${state?.speed === s ? ' on' : ''}`}
              aria-pressed={state?.speed === s}
              onClick={() => p?.setSpeed(s)}
              data-testid={`replay-speed-${s}`}
            >
              {s}×
            </button>
          ))}
        </div>
        <label className="check" title={`Pauses longer than ${IDLE_LIMIT} s are shortened to ${IDLE_LIMIT} s`}>
          <input type="checkbox" checked={state?.idleLimit ?? true} onChange={(e) => p?.setIdleLimit(e.target.checked)} data-testid="replay-idle" />
          <span>Skip idle time</span>
        </label>
        <span className="spacer" />
        <span className="replay-time" data-testid="replay-time" data-ended={state?.ended ? 'true' : 'false'}>
          {formatClock(state?.ended ? Math.ceil(state.duration) : (state?.position ?? 0))} / {formatClock(Math.ceil(state?.duration ?? 0))}
        </span>
      </div>
      <div
        className="replay-progress"
        role="progressbar"
        aria-label="Played"
        aria-valuemin={0}
        aria-valuemax={Math.round(state?.duration ?? 0)}
        aria-valuenow={Math.round(state?.position ?? 0)}
      >
        <div className="replay-progress-done" style={{ width: `${pct}%` }} />
      </div>
      <div className="replay-screen" ref={boxRef} data-testid="replay-terminal" />
      {cast.skipped > 0 ? (
        <p className="muted small" data-testid="replay-skipped">
          {plural(cast.skipped, 'line')} of the recording could not be read and {cast.skipped === 1 ? 'was' : 'were'} skipped (the first on line {cast.firstSkippedLine}).
        </p>
      ) : null}
    </div>
  );
}

export interface ReplayDialogProps {
  recording: Recording;
  onClose(): void;
}

/** The replay dialog (`data-testid="replay-dialog"`). */
export function ReplayDialog({ recording: r, onClose }: ReplayDialogProps): ReactElement {
  const fontSize = useTerminals((s) => s.fontSize);
  const [loaded, setLoaded] = useState<{ text: string; cast: Cast | null; error: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client.invoke('recordings.get', { id: r.id }).then(
      (res) => {
        if (!live) return;
        try {
          setLoaded({ text: res.cast, cast: parseCast(res.cast), error: null });
        } catch (err) {
          setLoaded({ text: res.cast, cast: null, error: err instanceof CastError ? err.message : `The recording could not be read: ${String(err)}` });
        }
      },
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [r.id]);

  const problem = error ?? loaded?.error ?? null;
  return (
    <Dialog
      title={`Recording: ${r.device}`}
      onClose={onClose}
      width="xwide"
      description={
        <>
          {formatTime(r.startedAt)} · {r.actor} <span className="via">{r.via}</span>
          {r.command ? (
            <>
              {' '}
              · ran <code>{r.command}</code>
            </>
          ) : null}
          {r.endedAt ? null : ' · still open: what was written so far'}
        </>
      }
      footer={
        <>
          {loaded ? (
            <button type="button" className="button replay-download" onClick={() => void downloadRecording(r, loaded.text)} data-testid="replay-download">
              <DownloadIcon /> Download .cast
            </button>
          ) : null}
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Close
          </button>
        </>
      }
    >
      <div data-testid="replay-dialog">
        {problem ? (
          <div className="form-error" role="alert" data-testid="replay-error">
            <AlertIcon />
            <span>{problem}</span>
          </div>
        ) : !loaded?.cast ? (
          <p className="muted">Loading the recording…</p>
        ) : (
          <Player cast={loaded.cast} fontSize={fontSize} />
        )}
      </div>
    </Dialog>
  );
}
