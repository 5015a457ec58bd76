/** Toasts (bottom right) and the global bars: connection lost, unexpected error. */
import { useEffect, useState, type ReactElement } from 'react';
import { reconnect, useConnection } from '../lib/api';
import { useUi } from '../stores/ui';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon } from './icons';

/** The toast stack; each toast has `data-testid="toast"`. */
export function Toasts(): ReactElement {
  const toasts = useUi((s) => s.toasts);
  const dismiss = useUi((s) => s.dismissToast);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" data-kind={t.kind}>
          <span className="toast-icon">{t.kind === 'success' ? <CheckIcon /> : t.kind === 'error' ? <AlertIcon /> : <InfoIcon />}</span>
          <span className="toast-message">{t.message}</span>
          <button type="button" className="icon-button small" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            <CloseIcon size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

/** Shown while the WebSocket is down (never for the first connect, nor in Electron). */
export function ConnectionBanner(): ReactElement | null {
  const { status, everConnected, unauthorized, retryAt } = useConnection();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status !== 'disconnected') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [status]);
  const slowFirstConnect = !everConnected && status !== 'connected';
  if (status === 'connected' || (!everConnected && status === 'connecting')) return null;
  const secs = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : 0;
  return (
    <div className="banner banner-warning" role="alert" data-testid="connection-banner" data-status={status}>
      <AlertIcon />
      <span>
        {unauthorized
          ? 'This session is not authorized. Open the link printed by `bootfleet serve` again.'
          : slowFirstConnect
            ? 'Cannot reach Bootfleet. Is `bootfleet serve` still running?'
            : 'Connection to Bootfleet lost.'}{' '}
        {status === 'connecting' ? 'Reconnecting…' : secs > 0 ? `Retrying in ${secs}s.` : 'Retrying…'}
      </span>
      {status === 'disconnected' ? (
        <button type="button" className="button small" onClick={reconnect}>
          Retry now
        </button>
      ) : null}
    </div>
  );
}

/** The one place unexpected errors appear, with their code. */
export function GlobalErrorBar(): ReactElement | null {
  const error = useUi((s) => s.globalError);
  const dismiss = useUi((s) => s.dismissError);
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="global-error">
      <AlertIcon />
      <span>
        {error.context ? <strong>{error.context} failed: </strong> : null}
        {error.message} <code className="error-code">{error.code}</code>
      </span>
      <button type="button" className="icon-button small" aria-label="Dismiss error" onClick={dismiss}>
        <CloseIcon size={14} />
      </button>
    </div>
  );
}
