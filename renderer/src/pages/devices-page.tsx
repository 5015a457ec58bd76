/** Devices: toolbar (search, filters, add / import / export) and the virtualized table. */
import { useEffect, type ReactElement } from 'react';
import { EmptyState } from '../components/empty-state';
import { DeviceIcon, DownloadIcon, KeyIcon, PlusIcon, RolloutIcon, SearchIcon, UploadIcon } from '../components/icons';
import { plural } from '../lib/format';
import { filterInput, hasFilters, useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useTerminals } from '../stores/terminals';
import { useUi } from '../stores/ui';
import { DeviceFilterControls } from './device-filter-controls';
import { DeviceTable } from './device-table';
import { FleetRefreshButton, FleetRefreshPanel } from './fleet-refresh';

/** The Devices page. */
export function DevicesPage(): ReactElement {
  const total = useDevices((s) => s.total);
  const query = useDevices((s) => s.query);
  const searchText = useDevices((s) => s.searchText);
  const { setSearchText, setSite, setTags, setStatusFilter, clearFilters, ensureRange, loadTags, exportAs, invalidate } = useDevices.getState();
  const loadSites = useSites((s) => s.load);
  const openDialog = useUi((s) => s.openDialog);
  const openTerminal = useTerminals((s) => s.open);
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
  const rollOut = (): void =>
    openDialog({ kind: 'rollout-new', preset: { filter: filterInput(query), source: filtered ? 'the Devices page filter' : 'every device (no filter on the Devices page)' } });

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
          <button
            type="button"
            className="button"
            onClick={rollOut}
            disabled={total === 0}
            title={filtered ? 'Update, switch or roll back the devices this filter shows, in batches' : 'Update, switch or roll back every device, in batches'}
            data-testid="devices-rollout"
          >
            <RolloutIcon /> Roll out…
          </button>
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
        <DeviceFilterControls
          value={query}
          searchText={searchText}
          onSearchText={setSearchText}
          onChange={(patch) => {
            if (patch.site !== undefined) setSite(patch.site);
            else if (patch.tags) setTags(patch.tags);
            else setStatusFilter(patch);
          }}
          testPrefix="devices"
        />
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
            onTerminal={(device) => openTerminal({ id: device.id, name: device.name })}
            onDelete={(device) => openDialog({ kind: 'device-delete', device })}
          />
        )}
      </div>
    </div>
  );
}
