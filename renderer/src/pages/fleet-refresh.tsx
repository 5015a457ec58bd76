/** The fleet refresh control (Refresh all / Refresh filtered) and its progress panel, wired to the refresh store. */
import type { ReactElement } from 'react';
import type { DeviceFilter } from '../../../shared/contract';
import { RefreshIcon } from '../components/icons';
import { RefreshProgressPanel } from '../components/refresh-progress';
import { plural } from '../lib/format';
import { isRunning, useRefresh } from '../stores/refresh';

export interface FleetRefreshButtonProps {
  /** The devices to refresh; null for every device. */
  filter: DeviceFilter | null;
  /** How many devices match (null while unknown). */
  count: number | null;
}

/** "Refresh all" without a filter, "Refresh N filtered" with one. Disabled while a fleet refresh runs. */
export function FleetRefreshButton({ filter, count }: FleetRefreshButtonProps): ReactElement {
  const running = useRefresh((s) => isRunning(s.fleet));
  const starting = useRefresh((s) => s.starting);
  const refreshFleet = useRefresh((s) => s.refreshFleet);
  const filtered = filter !== null;
  const label = filtered ? (count === null ? 'Refresh filtered' : `Refresh ${count.toLocaleString('en-US')} filtered`) : 'Refresh all';
  const scope = filtered ? (count === null ? 'the filtered devices' : plural(count, 'filtered device')) : count === null ? 'all devices' : count === 1 ? '1 device' : `all ${plural(count, 'device')}`;
  return (
    <button
      type="button"
      className="button"
      onClick={() => void refreshFleet(filter, scope)}
      disabled={running || starting || count === 0}
      title={filtered ? 'Contact the devices matching the filter and read their bootc status' : 'Contact every device and read its bootc status'}
      data-testid="refresh-fleet"
    >
      <RefreshIcon className={running || starting ? 'spin' : undefined} />
      {running ? 'Refreshing…' : label}
    </button>
  );
}

/** The panel of the current (or last) fleet refresh, if any. */
export function FleetRefreshPanel(): ReactElement | null {
  const job = useRefresh((s) => s.fleet);
  const cancel = useRefresh((s) => s.cancel);
  const dismiss = useRefresh((s) => s.dismissFleet);
  if (!job) return null;
  return <RefreshProgressPanel progress={job.progress} scope={job.scope} onCancel={() => void cancel(job.progress.jobId)} onDismiss={dismiss} />;
}
