/** Sites: name, device count and notes, with add / rename / delete. */
import { useEffect, type ReactElement } from 'react';
import { EmptyState } from '../components/empty-state';
import { EditIcon, PackageIcon, PlusIcon, SiteIcon, TrashIcon } from '../components/icons';
import { plural } from '../lib/format';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';

/** The Sites page. */
export function SitesPage(): ReactElement {
  const sites = useSites((s) => s.sites);
  const load = useSites((s) => s.load);
  const openDialog = useUi((s) => s.openDialog);
  const navigate = useUi((s) => s.navigate);
  const setSite = useDevices((s) => s.setSite);

  useEffect(() => {
    void load();
  }, [load]);

  const addSite = (): void => openDialog({ kind: 'site-form', site: null });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Sites</h1>
          <p className="page-subtitle" data-testid="sites-count">
            {sites === null ? 'Loading…' : plural(sites.length, 'site')}
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="button button-primary" onClick={addSite} data-testid="sites-add">
            <PlusIcon /> Add site
          </button>
        </div>
      </div>
      <div className="page-body">
        {sites !== null && sites.length === 0 ? (
          <EmptyState
            icon={<SiteIcon size={28} />}
            title="No sites yet"
            actions={
              <button type="button" className="button button-primary" onClick={addSite}>
                <PlusIcon /> Add a site
              </button>
            }
          >
            <p>Sites group devices by where they are — a lab, a store, a factory line. Devices can also have no site.</p>
          </EmptyState>
        ) : (
          <div className="simple-table-wrap">
            <table className="simple-table" data-testid="sites-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="num">
                    Devices
                  </th>
                  <th scope="col">Jump hosts</th>
                  <th scope="col">Notes</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(sites ?? []).map((s) => (
                  <tr key={s.id} data-testid="site-row" data-name={s.name}>
                    <td className="cell-strong">{s.name}</td>
                    <td className="num">
                      <button
                        type="button"
                        className="link-button"
                        title={`Show the devices of ${s.name}`}
                        onClick={() => {
                          setSite(s.name);
                          navigate('devices');
                        }}
                      >
                        {s.deviceCount.toLocaleString('en-US')}
                      </button>
                    </td>
                    <td className="nowrap" title={s.proxyJump ?? 'Devices connect directly'}>
                      {s.proxyJump ? <code>{s.proxyJump}</code> : <span className="muted">—</span>}
                    </td>
                    <td className="notes-cell" title={s.notes}>
                      {s.notes || <span className="muted">—</span>}
                    </td>
                    <td className="actions-cell">
                      <span className="row-actions">
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Export a bundle of ${s.name}`}
                        title="Export a bundle…"
                        data-testid="site-bundle"
                        onClick={() => openDialog({ kind: 'bundles', mode: 'export', site: s.name })}
                      >
                        <PackageIcon size={15} />
                      </button>
                      <button type="button" className="icon-button" aria-label={`Edit ${s.name}`} title="Edit" data-testid="site-rename" onClick={() => openDialog({ kind: 'site-form', site: s })}>
                        <EditIcon size={15} />
                      </button>
                      <button type="button" className="icon-button danger" aria-label={`Delete ${s.name}`} title="Delete" data-testid="site-delete" onClick={() => openDialog({ kind: 'site-delete', site: s })}>
                        <TrashIcon size={15} />
                      </button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
