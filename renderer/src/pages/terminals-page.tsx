/**
 * Terminals (`#/terminals`): one tab per terminal opened on a device (its state as a dot: connecting,
 * open, ended with the reason), a close button on each (the remote shell gets a hang-up), and the
 * shown terminal: xterm.js fitted to the page, Find (Ctrl+Shift+F), the font size, and Reconnect
 * once it ended. A changed host key refuses the terminal with the same alert as the device page.
 */
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState, type KeyboardEvent, type ReactElement } from 'react';
import type { Device, HostKey } from '../../../shared/contract';
import { EmptyState } from '../components/empty-state';
import { HostKeyAlert } from '../components/host-key-alert';
import { AlertIcon, ChevronLeftIcon, ChevronRightIcon, CloseIcon, RefreshIcon, SearchIcon, TerminalIcon } from '../components/icons';
import { client } from '../lib/api';
import { errorHint } from '../lib/error-text';
import { FONT_SIZES, sessionOf, useTerminals, type TerminalTab } from '../stores/terminals';
import { useFleet } from '../stores/fleet';
import { useUi } from '../stores/ui';

const stateLabel: Record<TerminalTab['state'], string> = { connecting: 'Connecting', open: 'Open', ended: 'Ended', failed: 'Could not open' };

/** What a tab's dot says, in words. */
function stateText(tab: TerminalTab): string {
  if (tab.state === 'ended') return `Ended: ${tab.reason ?? 'closed'}${tab.exitCode !== null ? `, exit status ${tab.exitCode}` : ''}`;
  if (tab.state === 'failed') return `Could not open: ${tab.error?.message ?? 'unknown error'}`;
  return stateLabel[tab.state];
}

/** Why a terminal could not be opened: the host key alert for a changed key, else the error and what to do. */
function OpenError({ tab }: { tab: TerminalTab }): ReactElement | null {
  const [device, setDevice] = useState<{ device: Device; hostKey: HostKey } | null>(null);
  const openDialog = useUi((s) => s.openDialog);
  const navigate = useUi((s) => s.navigate);
  const reconnect = useTerminals((s) => s.reconnect);
  const error = tab.error;
  const hostKeyChanged = error?.code === 'SSH_HOST_KEY_CHANGED' && tab.deviceId !== null;

  useEffect(() => {
    if (!hostKeyChanged || tab.deviceId === null) return;
    let live = true;
    client.invoke('fleet.device', { device: tab.deviceId, historyLimit: 1 }).then(
      (d) => {
        if (live && d.hostKey) setDevice({ device: d.device, hostKey: d.hostKey });
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [hostKeyChanged, tab.deviceId, error]);

  if (!error) return null;
  const again = (
    <button type="button" className="button" onClick={() => reconnect(tab.key)} data-testid="terminal-retry">
      <RefreshIcon /> Try again
    </button>
  );
  if (hostKeyChanged && device?.hostKey.offered && tab.deviceId) {
    const deviceId = tab.deviceId;
    return (
      <HostKeyAlert
        hostKey={device.hostKey}
        onAccept={() => openDialog({ kind: 'hostkey-accept', device: device.device, hostKey: device.hostKey })}
        actions={
          <>
            {again}
            <button type="button" className="button button-ghost" onClick={() => navigate('devices', deviceId)}>
              Open the device
            </button>
          </>
        }
      />
    );
  }
  const hint = errorHint(error.code);
  return (
    <section className="alert alert-danger" role="alert" data-testid="terminal-error">
      <AlertIcon size={18} />
      <div className="alert-body">
        <h2>{tab.deviceId === null ? 'Could not open a local shell' : `Could not open a terminal on ${tab.device}`}</h2>
        <p>
          {error.message} <code className="error-code">{error.code}</code>
        </p>
        {hint && hint !== error.message ? <p className="muted">{hint}</p> : null}
        <div className="alert-actions">{again}</div>
      </div>
    </section>
  );
}

/** Find in the shown terminal: Enter for the next match, Shift+Enter for the previous one. */
function FindBox({ tabKey, inputRef }: { tabKey: string; inputRef: React.RefObject<HTMLInputElement | null> }): ReactElement {
  const [text, setText] = useState('');
  const [missing, setMissing] = useState(false);
  const find = (backwards: boolean, value = text): void => {
    const found = sessionOf(tabKey)?.find(value, backwards) ?? false;
    setMissing(value !== '' && !found);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find(e.shiftKey);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setText('');
      setMissing(false);
      sessionOf(tabKey)?.clearSearch();
      sessionOf(tabKey)?.focus();
    }
  };
  return (
    <div className={`terminal-find${missing ? ' missing' : ''}`}>
      <SearchIcon size={14} />
      <input
        ref={inputRef}
        type="search"
        className="terminal-find-input"
        placeholder="Find (Ctrl+Shift+F)"
        aria-label="Find in the terminal"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          find(false, e.target.value);
        }}
        onKeyDown={onKey}
        data-testid="terminal-find"
      />
      <button type="button" className="icon-button small" onClick={() => find(true)} title="Previous match (Shift+Enter)" aria-label="Previous match">
        <ChevronLeftIcon size={14} />
      </button>
      <button type="button" className="icon-button small" onClick={() => find(false)} title="Next match (Enter)" aria-label="Next match">
        <ChevronRightIcon size={14} />
      </button>
    </div>
  );
}

/** The shown tab: its toolbar, why it could not open, and the terminal itself. */
function TerminalPanel({ tab }: { tab: TerminalTab }): ReactElement {
  const containerRef = useRef<HTMLDivElement>(null);
  const findRef = useRef<HTMLInputElement>(null);
  const reconnect = useTerminals((s) => s.reconnect);

  useEffect(() => {
    const container = containerRef.current;
    const session = sessionOf(tab.key);
    if (!container || !session) return;
    session.attach(container);
    const observer = new ResizeObserver(() => session.scheduleFit());
    observer.observe(container);
    return () => {
      observer.disconnect();
      session.detach();
    };
  }, [tab.key]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (e.ctrlKey && e.shiftKey && !e.altKey && e.code === 'KeyF') {
      e.preventDefault();
      findRef.current?.focus();
      findRef.current?.select();
    }
  };

  return (
    <div className="terminal-panel" role="tabpanel" aria-label={tab.device} onKeyDown={onKeyDown} data-testid="terminal-panel" data-state={tab.state}>
      <div className="terminal-toolbar">
        <span className={`terminal-status term-${tab.state}`} data-testid="terminal-status">
          {tab.state === 'failed' ? stateLabel.failed : stateText(tab)}
        </span>
        {tab.state === 'ended' ? (
          <button type="button" className="button button-primary" onClick={() => reconnect(tab.key)} data-testid="terminal-reconnect">
            <RefreshIcon /> Reconnect
          </button>
        ) : null}
        <span className="spacer" />
        <FindBox key={tab.key} tabKey={tab.key} inputRef={findRef} />
      </div>
      {tab.state === 'failed' ? <OpenError tab={tab} /> : null}
      <div className="terminal-container" ref={containerRef} />
    </div>
  );
}

function FontSize(): ReactElement {
  const size = useTerminals((s) => s.fontSize);
  const setSize = useTerminals((s) => s.setFontSize);
  return (
    <div className="terminal-font" role="group" aria-label="Font size">
      <button type="button" className="button" onClick={() => setSize(size - 1)} disabled={size <= FONT_SIZES.min} title="Smaller text" data-testid="terminal-font-smaller">
        A−
      </button>
      <span className="terminal-font-size" data-testid="terminal-font-size">
        {size}px
      </span>
      <button type="button" className="button" onClick={() => setSize(size + 1)} disabled={size >= FONT_SIZES.max} title="Larger text" data-testid="terminal-font-larger">
        A+
      </button>
    </div>
  );
}

/** Opens a login shell on this machine: only where the core allows local shells (app.info). */
function LocalShellButton({ primary = false }: { primary?: boolean }): ReactElement {
  const openLocal = useTerminals((s) => s.openLocal);
  return (
    <button
      type="button"
      className={`button${primary ? ' button-primary' : ''}`}
      onClick={() => openLocal()}
      title="A login shell on the machine Bootfleet runs on, as the user running it"
      data-testid="terminal-open-local"
    >
      <TerminalIcon /> Local terminal
    </button>
  );
}

/** The Terminals page. */
export function TerminalsPage(): ReactElement {
  const tabs = useTerminals((s) => s.tabs);
  const info = useFleet((s) => s.info);
  const localShell = info?.localShell === true;
  const active = useTerminals((s) => s.active);
  const activate = useTerminals((s) => s.activate);
  const close = useTerminals((s) => s.close);
  const navigate = useUi((s) => s.navigate);
  const shown = tabs.find((t) => t.key === active) ?? tabs[0];

  return (
    <div className="page terminals-page" data-testid="terminals-page">
      <div className="page-header">
        <div>
          <h1>Terminals</h1>
          <p className="page-subtitle">
            Login shells on devices, over their pinned SSH connections{localShell ? ', or on this machine' : ''}. A terminal closes with its tab or this window.
          </p>
        </div>
        {tabs.length > 0 || localShell ? (
          <div className="page-actions">
            {tabs.length > 0 ? <FontSize /> : null}
            {localShell && tabs.length > 0 ? <LocalShellButton /> : null}
          </div>
        ) : null}
      </div>
      {tabs.length === 0 || !shown ? (
        <div className="page-body">
          <EmptyState
            icon={<TerminalIcon size={28} />}
            title="No terminals open"
            actions={
              <>
                <button type="button" className="button" onClick={() => navigate('devices')}>
                  Go to Devices
                </button>
                {localShell ? <LocalShellButton primary /> : null}
              </>
            }
          >
            <p>
              Open one with <strong>Open terminal</strong> on a device’s page, or the terminal button in a row of the Devices table. Each opens a login shell on
              the device over its pinned SSH connection; a changed host key refuses it.
            </p>
            {localShell ? (
              <p>
                <strong>Local terminal</strong> opens a login shell on this machine, as the user running Bootfleet.
              </p>
            ) : info?.via === 'serve' ? (
              <p className="muted" data-testid="terminal-local-off">
                Local shells are off in this browser session: start <code>bootfleet serve --allow-local-shell</code> to allow them (anyone with its address gets a
                shell on this machine).
              </p>
            ) : null}
          </EmptyState>
        </div>
      ) : (
        <div className="page-body terminals-body">
          <div className="tabs terminal-tabs" role="tablist" aria-label="Terminals">
            {tabs.map((t) => (
              <div key={t.key} className={`terminal-tab${t.key === shown.key ? ' active' : ''}`} data-testid="terminal-tab" data-device={t.device} data-state={t.state}>
                <button
                  type="button"
                  role="tab"
                  className="tab"
                  aria-selected={t.key === shown.key}
                  onClick={() => activate(t.key)}
                  title={`${t.device}: ${stateText(t)}`}
                  data-testid="terminal-tab-select"
                >
                  <span className={`term-dot term-${t.state}`} aria-hidden="true" />
                  <span className="terminal-tab-name">{t.device}</span>
                  {t.state === 'ended' ? <span className="terminal-tab-reason">{t.reason}</span> : null}
                </button>
                <button type="button" className="icon-button small" onClick={() => close(t.key)} aria-label={`Close the terminal on ${t.device}`} title="Close" data-testid="terminal-tab-close">
                  <CloseIcon size={13} />
                </button>
              </div>
            ))}
          </div>
          <TerminalPanel key={shown.key} tab={shown} />
        </div>
      )}
    </div>
  );
}
