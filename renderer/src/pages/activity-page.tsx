/** Activity: the append-only log of changes, newest first. */
import { useEffect, type ReactElement } from 'react';
import { EmptyState } from '../components/empty-state';
import { ActivityIcon, SearchIcon } from '../components/icons';
import { formatTime } from '../lib/format';
import { activityKinds, useActivity, type ActivityKind } from '../stores/activity';
import { routeHref } from '../stores/ui';

/** The Activity page. */
export function ActivityPage(): ReactElement {
  const { items, nextBefore, loading, loaded, searchText, kind } = useActivity();
  const { setSearchText, setKind, refresh, loadMore } = useActivity.getState();

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const filtered = searchText.trim() !== '' || kind !== '';

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Activity</h1>
          <p className="page-subtitle">Every change to the inventory, newest first.</p>
        </div>
      </div>
      <div className="toolbar" role="search">
        <label className="search-box">
          <SearchIcon />
          <span className="sr-only">Search activity</span>
          <input type="search" placeholder="Search activity…" value={searchText} onChange={(e) => setSearchText(e.target.value)} data-testid="activity-search" />
        </label>
        <label className="select-label">
          <span className="sr-only">Entity</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as ActivityKind)} data-testid="activity-entity-filter">
            {activityKinds.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="page-body">
        {loaded && items.length === 0 ? (
          <EmptyState icon={<ActivityIcon size={28} />} title={filtered ? 'No activity matches this filter' : 'No activity yet'}>
            <p>{filtered ? 'Try another search or entity.' : 'Changes to devices and sites appear here, with who made them and from where.'}</p>
          </EmptyState>
        ) : (
          <div className="simple-table-wrap">
            <table className="simple-table activity-table" data-testid="activity-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Summary</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id} data-testid="activity-row" data-action={a.action}>
                    <td className="nowrap muted">
                      <time dateTime={a.at}>{formatTime(a.at)}</time>
                    </td>
                    <td className="nowrap">
                      {a.actor} <span className="via">via {a.via}</span>
                    </td>
                    <td className="nowrap">
                      <span className="action-chip">{a.action}</span>
                    </td>
                    <td className="nowrap">
                      {a.entityType === 'device' && a.entityId && a.entityName && a.action !== 'device.removed' ? (
                        <a href={routeHref('devices', a.entityId)} title={`Open ${a.entityName}`}>
                          {a.entityName}
                        </a>
                      ) : (
                        (a.entityName ?? <span className="muted">{a.entityType}</span>)
                      )}
                    </td>
                    <td className="summary-cell" title={a.summary}>
                      {a.summary}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {nextBefore !== null ? (
              <div className="load-more">
                <button type="button" className="button" onClick={() => void loadMore()} disabled={loading} data-testid="activity-load-more">
                  {loading ? 'Loading…' : 'Load more'}
                </button>
              </div>
            ) : null}
          </div>
        )}
      </div>
    </div>
  );
}
