/** The columns of the devices table. Later features add status columns here. */
import type { ReactNode } from 'react';
import type { Device, DeviceSort } from '../../../shared/contract';
import { formatAddress } from '../lib/format';

/** One devices-table column. */
export interface DeviceColumn {
  id: string;
  header: string;
  /** CSS grid track, e.g. `minmax(140px, 1.2fr)`. */
  width: string;
  /** Server-side sort key when the column is sortable. */
  sort?: DeviceSort;
  render(device: Device): ReactNode;
  /** Tooltip text for truncated cells. */
  title?(device: Device): string;
  className?: string;
}

/** The devices-table columns in display order. */
export const deviceColumns: DeviceColumn[] = [
  {
    id: 'name',
    header: 'Name',
    width: 'minmax(140px, 1.3fr)',
    sort: 'name',
    render: (d) => <span className="cell-strong">{d.name}</span>,
    title: (d) => d.name,
  },
  {
    id: 'site',
    header: 'Site',
    width: 'minmax(90px, 0.8fr)',
    sort: 'site',
    render: (d) => (d.siteName ? d.siteName : <span className="muted">—</span>),
    title: (d) => d.siteName ?? 'No site',
  },
  {
    id: 'host',
    header: 'Host',
    width: 'minmax(150px, 1.3fr)',
    sort: 'host',
    render: (d) => <span className="mono">{formatAddress(d)}</span>,
    title: (d) => formatAddress(d),
  },
  {
    id: 'tags',
    header: 'Tags',
    width: 'minmax(120px, 1.2fr)',
    render: (d) =>
      d.tags.length ? (
        <span className="chips">
          {d.tags.map((t) => (
            <span className="chip" key={t}>
              {t}
            </span>
          ))}
        </span>
      ) : (
        <span className="muted">—</span>
      ),
    title: (d) => d.tags.join(', '),
  },
  {
    id: 'desiredImage',
    header: 'Desired image',
    width: 'minmax(160px, 1.6fr)',
    render: (d) => (d.desiredImage ? <span className="mono">{d.desiredImage}</span> : <span className="muted">—</span>),
    title: (d) => d.desiredImage ?? '',
  },
];
