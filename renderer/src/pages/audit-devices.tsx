/**
 * The audited devices: by default those not in sync, or every device, or one state (a count was
 * clicked). The first 200 rows, then "Show more": a simple table stays quick at thousands of devices.
 */
import type { ReactElement } from 'react';
import { auditStateLabel, type AuditDevice, type AuditState, type AuditView } from '../../../shared/contract';
import { EmptyState } from '../components/empty-state';
import { CheckIcon, SearchIcon } from '../components/icons';
import { RelativeTime, ShortDigest } from '../components/status';
import { desiredSource, imageLabel } from '../lib/desired';
import { formatAge, formatTime, plural, shortDigest } from '../lib/format';
import { AUDIT_PAGE, MAX_ROWS } from '../stores/audit';
import { routeHref, useUi } from '../stores/ui';

const none = <span className="muted">—</span>;

/** A state as a coloured badge (`data-state`). */
export function AuditStateBadge({ state }: { state: AuditState }): ReactElement {
  return (
    <span className={`badge audit-badge audit-${state}`} data-testid="audit-state" data-state={state}>
      {auditStateLabel[state]}
    </span>
  );
}

function Booted({ d }: { d: AuditDevice }): ReactElement {
  if (!d.booted) return none;
  return (
    <>
      <span className="audit-slot" title={d.bootedImage ?? undefined}>
        {d.booted.version ? <span className="mono">{d.booted.version}</span> : null}
        <ShortDigest digest={d.booted.digest} />
      </span>
      {d.staged ? (
        <span className="cell-sub small muted" title={d.staged.digest}>
          staged {d.staged.version ?? shortDigest(d.staged.digest)}
        </span>
      ) : null}
    </>
  );
}

function Desired({ d }: { d: AuditDevice }): ReactElement {
  const x = d.desired;
  if (!x) return none;
  const when = x.pinned ? 'pinned' : x.resolvedAt ? null : 'not resolved';
  return (
    <>
      <span className="audit-slot" title={`${x.image}\n${desiredSource(x).replace(/^./, (c) => c.toUpperCase())}`}>
        <span className="mono ellipsis-start">
          <span>{imageLabel(x.image)}</span>
        </span>
        {x.digest ? <ShortDigest digest={x.digest} /> : null}
      </span>
      <span className="cell-sub small muted">
        {when ?? (
          <>
            resolved <RelativeTime iso={x.resolvedAt} />
          </>
        )}
      </span>
    </>
  );
}

function LastSeen({ d, asOf }: { d: AuditDevice; asOf: boolean }): ReactElement {
  if (!d.lastSeenAt) return <span className="muted">never</span>;
  const age = d.dataAgeSeconds === null ? null : formatAge(d.dataAgeSeconds);
  return (
    <span title={`${formatTime(d.lastSeenAt)}${age ? `; the data was ${age} old ${asOf ? 'at the audited moment' : 'when audited'}` : ''}`}>
      <RelativeTime iso={d.lastSeenAt} />
      {asOf && age ? <span className="cell-sub small muted">{age} before</span> : null}
    </span>
  );
}

function DeviceRow({ d, asOf }: { d: AuditDevice; asOf: boolean }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  return (
    <tr data-testid="audit-device" data-name={d.name} data-state={d.state}>
      <td className="audit-name-cell">
        <a
          className="cell-strong"
          href={routeHref('devices', d.id)}
          onClick={(e) => {
            if (e.metaKey || e.ctrlKey || e.shiftKey) return;
            e.preventDefault();
            navigate('devices', d.id);
          }}
          data-testid="audit-device-link"
        >
          {d.name}
        </a>
      </td>
      <td>{d.site ?? none}</td>
      <td className="nowrap">
        <AuditStateBadge state={d.state} />
      </td>
      <td className="nowrap">
        <Booted d={d} />
      </td>
      <td className="audit-desired-cell">
        <Desired d={d} />
      </td>
      <td className="nowrap">
        <LastSeen d={d} asOf={asOf} />
      </td>
      <td className="audit-reason-cell">
        <span data-testid="audit-reason">{d.reason}</span>
        {d.notes.length ? (
          <ul className="audit-notes muted small" data-testid="audit-notes">
            {d.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        ) : null}
      </td>
    </tr>
  );
}

export interface AuditDevicesProps {
  /** The view: the whole fleet's counts, and the first devices the table lists (`shown` of them in all). */
  report: AuditView;
  stateFilter: AuditState | null;
  showAll: boolean;
  /** Rows for another filter or more rows are on their way (the table shown is the last one). */
  paging: boolean;
  onShowAll(all: boolean): void;
  onClearState(): void;
  onMore(): void;
}

/** The device table with its heading, the "not in sync / all" toggle and "Show more". */
export function AuditDevices({ report, stateFilter, showAll, paging, onShowAll, onClearState, onMore }: AuditDevicesProps): ReactElement {
  const notInSync = report.total - report.counts['in-sync'];
  const count = paging ? '…' : report.shown.toLocaleString('en-US');
  const title = stateFilter ? `${auditStateLabel[stateFilter]} (${count})` : showAll ? `All devices (${count})` : `Not in sync (${count})`;
  const rows = report.devices;
  const left = report.shown - rows.length;
  return (
    <section className="audit-devices" data-testid="audit-devices">
      <div className="audit-devices-head">
        <h2 className="panel-title">{title}</h2>
        <div className="toggle-group" role="group" aria-label="Devices shown">
          <button type="button" className={`toggle${!stateFilter && !showAll ? ' on' : ''}`} aria-pressed={!stateFilter && !showAll} onClick={() => onShowAll(false)} data-testid="audit-show-off">
            Not in sync ({notInSync.toLocaleString('en-US')})
          </button>
          <button type="button" className={`toggle${!stateFilter && showAll ? ' on' : ''}`} aria-pressed={!stateFilter && showAll} onClick={() => onShowAll(true)} data-testid="audit-show-all">
            All ({report.total.toLocaleString('en-US')})
          </button>
        </div>
        {stateFilter ? (
          <button type="button" className="button button-ghost small" onClick={onClearState} data-testid="audit-clear-state">
            Clear state filter
          </button>
        ) : null}
      </div>
      {rows.length === 0 ? (
        stateFilter ? (
          <EmptyState icon={<SearchIcon size={28} />} title={`No device is ${auditStateLabel[stateFilter].toLowerCase()}`}>
            <p>Pick another state above, or show every device not in sync.</p>
          </EmptyState>
        ) : (
          <EmptyState icon={<CheckIcon size={28} />} title="Every device in scope is in sync">
            <p>Each one booted exactly its desired image, and its data is recent enough to vouch for it.</p>
          </EmptyState>
        )
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table audit-table" data-testid="audit-table" aria-busy={paging} style={paging ? { opacity: 0.6 } : undefined}>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Site</th>
                <th scope="col">State</th>
                <th scope="col">Booted</th>
                <th scope="col">Desired</th>
                <th scope="col">Last seen</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <DeviceRow key={d.id} d={d} asOf={report.asOf !== null} />
              ))}
            </tbody>
          </table>
          {left > 0 && rows.length < MAX_ROWS ? (
            <div className="load-more">
              <button type="button" className="button" onClick={onMore} disabled={paging} data-testid="audit-show-more">
                Show {Math.min(AUDIT_PAGE, left, MAX_ROWS - rows.length).toLocaleString('en-US')} more ({plural(left, 'device')} not shown)
              </button>
            </div>
          ) : left > 0 ? (
            <p className="muted small load-more" data-testid="audit-rows-capped">
              The first {rows.length.toLocaleString('en-US')} are listed here; {plural(left, 'more device')} {left === 1 ? 'is' : 'are'} in the CSV or JSON export.
            </p>
          ) : null}
        </div>
      )}
    </section>
  );
}
