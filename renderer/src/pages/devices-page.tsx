/** Devices: toolbar (search, filters, add / import / export) and the virtualized table. */
import { useEffect, type ReactElement } from 'react';
import { EmptyState } from '../components/empty-state';
import { DeviceIcon, DownloadIcon, KeyIcon, PlusIcon, SearchIcon, UploadIcon } from '../components/icons';
import type { DesiredState } from '../../../shared/contract';
import { desiredMeaning, desiredStates } from '../lib/desired';
import { plural } from '../lib/format';
import { filterInput, hasFilters, useDevices, type StateFilter } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { DeviceTable } from './device-table';
import { FleetRefreshButton, FleetRefreshPanel } from './fleet-refresh';

/** The state filter's choices. */
const stateOptions: { value: StateFilter; label: string }[] = [
  { value: 'online', label: 'Online' },
  { value: 'offline', label: 'Offline' },
  { value: 'error', label: 'Error' },
  { value: 'not-bootc', label: 'Not bootc' },
  { value: 'never', label: 'Never contacted' },
  { value: 'stale', label: 'Stale' },
];

/** The on/off status filters. */
const toggles = [
  { key: 'staged', label: 'Staged', title: 'Only devices with an update staged for the next boot' },
  { key: 'rollback', label: 'Rollback', title: 'Only devices with a rollback deployment' },
  { key: 'updateAvailable', label: 'Update available', title: 'Only devices where a check saw a newer image' },
] as const;

/** The desired-state filter's choices: each reads alone once chosen. */
const desiredOptions: Record<DesiredState, string> = {
  behind: 'Behind desired',
  staged: 'Desired staged',
  'in-sync': 'In sync',
  unresolved: 'Unresolved',
  conflict: 'Desired conflict',
  unknown: 'Desired unknown',
  none: 'No desired image',
};

/** Select value for "All sites" (the store uses null). */
const ALL = '\u0000all';

/** The Devices page. */
export function DevicesPage(): ReactElement {
  const total = useDevices((s) => s.total);
  const query = useDevices((s) => s.query);
  const searchText = useDevices((s) => s.searchText);
  const tags = useDevices((s) => s.tags);
  const { setSearchText, setSite, setTags, setStatusFilter, clearFilters, ensureRange, loadTags, exportAs, invalidate } = useDevices.getState();
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const openDialog = useUi((s) => s.openDialog);
  const navigate = useUi((s) => s.navigate);

  useEffect(() => {
    void loadSites();
    void loadTags();
    // Coming back to the page: show the cached rows at once and refresh them.
    if (Object.keys(useDevices.getState().pages).length > 0) invalidate();
    ensureRange(0, 60);
  }, [loadSites, loadTags, invalidate, ensureRange]);

  const filtered = hasFilters(query);
  const addDevice = (): void => openDialog({ kind: 'device-form', device: null });
  const importCsv = (): void => openDialog({ kind: 'device-import' });
  const importSsh = (): void => openDialog({ kind: 'ssh-import' });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Devices</h1>
          <p className="page-subtitle" data-testid="devices-count" aria-live="polite">
            {total === null ? 'Loading…' : plural(total, 'device')}
          </p>
        </div>
        <div className="page-actions">
          <FleetRefreshButton filter={filtered ? filterInput(query) : null} count={total} />
          <button type="button" className="button" onClick={() => void exportAs('csv')} data-testid="devices-export-csv" title="Export the devices shown (with the current filter) as CSV">
            <DownloadIcon /> Export CSV
          </button>
          <button type="button" className="button" onClick={() => void exportAs('json')} data-testid="devices-export-json" title="Export the devices shown (with the current filter) as JSON">
            <DownloadIcon /> Export JSON
          </button>
          <button type="button" className="button" onClick={importCsv} data-testid="devices-import">
            <UploadIcon /> Import CSV
          </button>
          <button
            type="button"
            className="button"
            onClick={importSsh}
            data-testid="devices-import-ssh"
            title="Add devices from ~/.ssh/config and pin their host keys from ~/.ssh/known_hosts"
          >
            <KeyIcon /> Import from SSH
          </button>
          <button type="button" className="button button-primary" onClick={addDevice} data-testid="devices-add">
            <PlusIcon /> Add device
          </button>
        </div>
      </div>

      <div className="toolbar" role="search">
        <label className="search-box">
          <SearchIcon />
          <span className="sr-only">Search devices</span>
          <input
            type="search"
            placeholder="Search name, host, image, notes…"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            data-testid="devices-search"
          />
        </label>
        <label className="select-label">
          <span className="sr-only">Site</span>
          <select
            value={query.site === null ? ALL : query.site}
            onChange={(e) => setSite(e.target.value === ALL ? null : e.target.value)}
            data-testid="devices-site-filter"
          >
            <option value={ALL}>All sites</option>
            <option value="">No site</option>
            {(sites ?? []).map((s) => (
              <option key={s.id} value={s.name}>
                {s.name}
              </option>
            ))}
            {query.site && !(sites ?? []).some((s) => s.name === query.site) ? <option value={query.site}>{query.site}</option> : null}
          </select>
        </label>
        <label className="select-label">
          <span className="sr-only">Tag</span>
          <select
            value={query.tags[0] ?? ''}
            onChange={(e) => setTags(e.target.value ? [e.target.value] : [])}
            data-testid="devices-tag-filter"
          >
            <option value="">All tags</option>
            {(tags ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name} ({t.count})
              </option>
            ))}
            {query.tags[0] && !(tags ?? []).some((t) => t.name === query.tags[0]) ? <option value={query.tags[0]}>{query.tags[0]}</option> : null}
          </select>
        </label>
        <label className="select-label">
          <span className="sr-only">State</span>
          <select
            value={query.states.length === 1 ? query.states[0] : query.states.length ? 'several' : ''}
            onChange={(e) => setStatusFilter({ states: e.target.value ? [e.target.value as StateFilter] : [] })}
            data-testid="devices-state-filter"
          >
            <option value="">All states</option>
            {stateOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
            {query.states.length > 1 ? (
              <option value="several" disabled>
                {query.states.join(', ')}
              </option>
            ) : null}
          </select>
        </label>
        <label className="select-label">
          <span className="sr-only">Desired image</span>
          <select
            value={query.desired.length === 1 ? query.desired[0] : query.desired.length ? 'several' : ''}
            onChange={(e) => setStatusFilter({ desired: e.target.value ? [e.target.value as DesiredState] : [] })}
            title="By how each device stands against its desired image"
            data-testid="devices-desired-filter"
          >
            <option value="">Any desired state</option>
            {desiredStates.map((v) => (
              <option key={v} value={v} title={desiredMeaning[v]}>
                {desiredOptions[v]}
              </option>
            ))}
            {query.desired.length > 1 ? (
              <option value="several" disabled>
                {query.desired.map((v) => desiredOptions[v]).join(', ')}
              </option>
            ) : null}
          </select>
        </label>
        <div className="toggle-group" role="group" aria-label="Deployments">
          {toggles.map((t) => (
            <button
              key={t.key}
              type="button"
              className={`toggle${query[t.key] ? ' on' : ''}`}
              aria-pressed={query[t.key]}
              title={t.title}
              onClick={() => setStatusFilter({ [t.key]: !query[t.key] })}
              data-testid={`devices-filter-${t.key}`}
            >
              {t.label}
            </button>
          ))}
        </div>
        {filtered ? (
          <button type="button" className="button button-ghost" onClick={clearFilters} data-testid="devices-clear-filters">
            Clear filters
          </button>
        ) : null}
      </div>

      <FleetRefreshPanel />

      <div className="page-body">
        {total === 0 && !filtered ? (
          <EmptyState
            icon={<DeviceIcon size={28} />}
            title="No devices yet"
            actions={
              <>
                <button type="button" className="button button-primary" onClick={addDevice}>
                  <PlusIcon /> Add a device
                </button>
                <button type="button" className="button" onClick={importCsv}>
                  <UploadIcon /> Import a CSV
                </button>
                <button type="button" className="button" onClick={importSsh}>
                  <KeyIcon /> Import ~/.ssh/config
                </button>
              </>
            }
          >
            <p>Add the machines you manage by name and SSH address, or import many at once from a CSV file or your ~/.ssh/config.</p>
          </EmptyState>
        ) : total === 0 ? (
          <EmptyState
            icon={<SearchIcon size={28} />}
            title="No devices match this filter"
            actions={
              <button type="button" className="button" onClick={clearFilters}>
                Clear filters
              </button>
            }
          >
            <p>Try another search, site, tag, state or desired state.</p>
          </EmptyState>
        ) : (
          <DeviceTable
            total={total ?? 0}
            onOpen={(device) => navigate('devices', device.id)}
            onEdit={(device) => openDialog({ kind: 'device-form', device })}
            onDelete={(device) => openDialog({ kind: 'device-delete', device })}
          />
        )}
      </div>
    </div>
  );
}
