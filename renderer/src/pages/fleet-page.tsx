/** Fleet overview: inventory counts, devices by state, Refresh all, where the data lives, and first steps when empty. */
import { useEffect, type ReactElement } from 'react';
import { EmptyState } from '../components/empty-state';
import { DeviceIcon, FleetIcon, PlusIcon, SiteIcon, TagIcon, UploadIcon } from '../components/icons';
import { useDevices } from '../stores/devices';
import { stateCounts, useFleet, type StateCount } from '../stores/fleet';
import { useUi } from '../stores/ui';
import { FleetRefreshButton, FleetRefreshPanel } from './fleet-refresh';

/** One count by state; a click lists those devices. */
function StateTile({ count, value, onClick }: { count: StateCount; value: number | null; onClick(): void }): ReactElement {
  return (
    <button
      type="button"
      className={`state-tile tile-${count.id}${value ? '' : ' tile-zero'}`}
      onClick={onClick}
      title={`Show the devices: ${count.label.toLowerCase()}`}
      data-testid={`count-${count.id}`}
    >
      <span className="tile-value" data-testid={`count-${count.id}-value`}>
        {value === null ? '…' : value.toLocaleString('en-US')}
      </span>
      <span className="tile-label">
        <span className="tile-dot" aria-hidden="true" />
        {count.label}
      </span>
    </button>
  );
}

function Stat({ label, value, icon, onClick, testId }: { label: string; value: number; icon: ReactElement; onClick?: () => void; testId: string }): ReactElement {
  const body = (
    <>
      <span className="stat-icon">{icon}</span>
      <span className="stat-value" data-testid={`${testId}-value`}>
        {value.toLocaleString('en-US')}
      </span>
      <span className="stat-label">{label}</span>
    </>
  );
  return onClick ? (
    <button type="button" className="stat" onClick={onClick} data-testid={testId}>
      {body}
    </button>
  ) : (
    <div className="stat" data-testid={testId}>
      {body}
    </div>
  );
}

/** The Fleet page. */
export function FleetPage(): ReactElement {
  const info = useFleet((s) => s.info);
  const counts = useFleet((s) => s.counts);
  const watchCounts = useFleet((s) => s.watchCounts);
  const navigate = useUi((s) => s.navigate);
  const openDialog = useUi((s) => s.openDialog);
  const showStatus = useDevices((s) => s.showStatus);

  useEffect(() => watchCounts(), [watchCounts]);

  const showDevices = (count: StateCount): void => {
    showStatus(count.filter);
    navigate('devices');
  };

  const addDevice = (): void => {
    navigate('devices');
    openDialog({ kind: 'device-form', device: null });
  };
  const importCsv = (): void => {
    navigate('devices');
    openDialog({ kind: 'device-import' });
  };
  const addSite = (): void => {
    navigate('sites');
    openDialog({ kind: 'site-form', site: null });
  };

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Fleet</h1>
          <p className="page-subtitle">Your bootc devices at a glance.</p>
        </div>
        {info && info.counts.devices > 0 ? (
          <div className="page-actions">
            <FleetRefreshButton filter={null} count={info.counts.devices} />
          </div>
        ) : null}
      </div>
      <FleetRefreshPanel />
      {!info ? (
        <div className="loading-line">Loading…</div>
      ) : (
        <div className="page-body scroll">
          <div className="stats">
            <Stat label="Devices" value={info.counts.devices} icon={<DeviceIcon size={18} />} onClick={() => navigate('devices')} testId="stat-devices" />
            <Stat label="Sites" value={info.counts.sites} icon={<SiteIcon size={18} />} onClick={() => navigate('sites')} testId="stat-sites" />
            <Stat label="Tags" value={info.counts.tags} icon={<TagIcon size={18} />} testId="stat-tags" />
          </div>

          {info.counts.devices > 0 ? (
            <section className="panel" data-testid="state-counts">
              <h2 className="panel-title">Devices by state</h2>
              <div className="state-tiles">
                {stateCounts.slice(0, 6).map((c) => (
                  <StateTile key={c.id} count={c} value={counts?.[c.id] ?? null} onClick={() => showDevices(c)} />
                ))}
              </div>
              <h2 className="panel-title panel-title-gap">Deployments</h2>
              <div className="state-tiles">
                {stateCounts.slice(6).map((c) => (
                  <StateTile key={c.id} count={c} value={counts?.[c.id] ?? null} onClick={() => showDevices(c)} />
                ))}
              </div>
            </section>
          ) : null}

          {info.counts.devices === 0 ? (
            <EmptyState
              icon={<FleetIcon size={28} />}
              title="Your fleet is empty"
              actions={
                <>
                  <button type="button" className="button button-primary" onClick={addDevice} data-testid="empty-add-device">
                    <PlusIcon /> Add a device
                  </button>
                  <button type="button" className="button" onClick={importCsv} data-testid="empty-import">
                    <UploadIcon /> Import a CSV
                  </button>
                  <button type="button" className="button" onClick={addSite} data-testid="empty-add-site">
                    <SiteIcon /> Add a site
                  </button>
                </>
              }
            >
              <p>Start by telling Bootfleet about the machines you manage.</p>
              <ol className="steps">
                <li>
                  <strong>Add a device</strong> by its name and SSH address, or
                </li>
                <li>
                  <strong>import a CSV</strong> with many devices at once (columns name, host, port, user, site, tags…), and
                </li>
                <li>
                  group them by location with <strong>sites</strong> (optional).
                </li>
              </ol>
            </EmptyState>
          ) : null}

          <section className="panel">
            <h2 className="panel-title">This installation</h2>
            <dl className="info-list">
              <dt>Version</dt>
              <dd data-testid="info-version">{info.version}</dd>
              <dt>Running as</dt>
              <dd>{info.via === 'desktop' ? 'Desktop app' : info.via === 'serve' ? 'Browser (bootfleet serve)' : 'Command line'}</dd>
              <dt>Data directory</dt>
              <dd>
                <code data-testid="info-data-dir">{info.dataDir}</code>
              </dd>
              <dt>Database</dt>
              <dd>
                <code>{info.databasePath}</code> <span className="muted">(schema v{info.schemaVersion})</span>
              </dd>
              <dt>Secrets</dt>
              <dd data-testid="info-secrets" title={info.secretStoreWhy}>
                {info.secretStore === 'safeStorage' ? 'Encrypted with the OS keychain' : info.secretStore === 'keyring' ? 'Encrypted with a key in the OS keyring' : 'Encrypted with a key file (0600) in the data directory'}
                {info.secretStore === 'keyfile' && <span className="muted small"> ({info.secretStoreWhy})</span>}
              </dd>
            </dl>
          </section>
        </div>
      )}
    </div>
  );
}
