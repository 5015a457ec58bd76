/** The app shell: header, left navigation, the current page, dialogs and notices. */
import { useEffect, type ReactElement } from 'react';
import { ErrorBoundary } from './components/error-boundary';
import { LogoIcon, MonitorIcon, MoonIcon, SunIcon } from './components/icons';
import { ConnectionBanner, GlobalErrorBar, Toasts } from './components/toasts';
import { useConnection } from './lib/api';
import { DialogHost } from './pages/dialog-host';
import { pages } from './routes';
import { useFleet } from './stores/fleet';
import { showOpenedImage } from './stores/flash';
import { useUi, type ThemePref } from './stores/ui';

const themeLabel: Record<ThemePref, string> = { light: 'Light', dark: 'Dark', system: 'System' };

function ThemeToggle(): ReactElement {
  const theme = useUi((s) => s.theme);
  const cycle = useUi((s) => s.cycleTheme);
  const Icon = theme === 'light' ? SunIcon : theme === 'dark' ? MoonIcon : MonitorIcon;
  return (
    <button
      type="button"
      className="button button-ghost theme-toggle"
      data-testid="theme-toggle"
      data-theme-value={theme}
      onClick={cycle}
      title="Theme: light, dark or follow the system"
      aria-label={`Theme: ${themeLabel[theme]}. Click to change.`}
    >
      <Icon />
      <span>{themeLabel[theme]}</span>
    </button>
  );
}

function ConnectionDot(): ReactElement {
  const { status, transport } = useConnection();
  const label = status === 'connected' ? (transport === 'ipc' ? 'Local' : 'Connected') : status === 'connecting' ? 'Connecting' : 'Offline';
  return (
    <span className={`conn-dot conn-${status}`} title={`Connection: ${status}`}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The whole UI. */
export function App(): ReactElement {
  const route = useUi((s) => s.route);
  const navigate = useUi((s) => s.navigate);
  const loadInfo = useFleet((s) => s.load);
  const current = pages.find((p) => p.id === route.page) ?? pages[0];
  const detailId = current?.detail ? route.id : null;

  useEffect(() => {
    void loadInfo();
    void showOpenedImage().catch(() => undefined);
  }, [loadInfo]);

  useEffect(() => {
    document.title = current ? `${current.label} · Bootfleet` : 'Bootfleet';
  }, [current, detailId]);

  const Page = current?.component;
  const Detail = current?.detail;
  return (
    <div className="shell">
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark">
            <LogoIcon size={16} />
          </span>
          <span className="brand-name">Bootfleet</span>
        </div>
        <div className="header-right">
          <ConnectionDot />
          <ThemeToggle />
        </div>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {pages.map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                className={`nav-link${p.id === current?.id ? ' active' : ''}`}
                aria-current={p.id === current?.id ? 'page' : undefined}
                data-testid={`nav-${p.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(p.id);
                }}
              >
                <p.icon />
                <span>{p.label}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="main" id="main">
        <ConnectionBanner />
        <GlobalErrorBar />
        <ErrorBoundary key={`${current?.id}/${detailId ?? ''}`}>{Detail && detailId ? <Detail id={detailId} /> : Page ? <Page /> : null}</ErrorBoundary>
      </main>
      <DialogHost />
      <Toasts />
    </div>
  );
}
