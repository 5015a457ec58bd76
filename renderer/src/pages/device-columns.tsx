/** The columns of the devices table: inventory fields and each device's last known bootc status. */
import type { ReactNode } from 'react';
import type { Device, DeviceSort } from '../../../shared/contract';
import { BootedImageCell } from '../components/booted-image';
import { badgesTitle, DesiredBadge, RelativeTime, ShortDigest, StaleMarker, StatePill, StatusBadges } from '../components/status';
import { desiredSource } from '../lib/desired';
import { formatAddress, imageShortName } from '../lib/format';
import { bootedImageTitle } from '../lib/via-library';
import { routeHref } from '../stores/ui';
import { TagChips } from '../components/tag-chips';

/** One devices-table column. */
export interface DeviceColumn {
  id: string;
  header: string;
  /** Narrowest width in px; the table scrolls sideways below the sum of these. */
  min: number;
  /** Share of the spare width (CSS `fr`); none: fixed at `min`. */
  grow?: number;
  /** Server-side sort key when the column is sortable. */
  sort?: DeviceSort;
  render(device: Device): ReactNode;
  /** Tooltip text for truncated cells. */
  title?(device: Device): string;
  className?: string;
}

const none = <span className="muted">—</span>;

/** The devices-table columns in display order: what runs where first, then the inventory fields. */
export const deviceColumns: DeviceColumn[] = [
  {
    id: 'name',
    header: 'Name',
    min: 120,
    grow: 1.2,
    sort: 'name',
    // A real link (open in a new window works); the row handles clicks and Enter itself.
    render: (d) => (
      <a className="cell-strong row-link" href={routeHref('devices', d.id)} tabIndex={-1} data-testid="device-link">
        {d.name}
      </a>
    ),
    title: (d) => d.name,
  },
  {
    id: 'state',
    header: 'State',
    min: 140,
    sort: 'reach',
    render: (d) => (
      <span className="state-cell">
        <StatePill summary={d.status} />
        <StaleMarker summary={d.status} />
      </span>
    ),
  },
  {
    id: 'desired',
    header: 'Desired',
    min: 96,
    // The badge carries its own tooltip: the desired image, where it comes from, its digest.
    render: (d) => <DesiredBadge desired={d.desired} />,
  },
  {
    id: 'bootedImage',
    header: 'Booted image',
    min: 170,
    grow: 1.4,
    sort: 'bootedImage',
    // Without the registry host, and cut at the start: the repository and tag tell images apart.
    // One sent from the library shows the registry image it stands for; the path on the device is in the title.
    render: (d) => <BootedImageCell summary={d.status} empty={none} />,
    title: (d) => bootedImageTitle(d.status),
  },
  {
    id: 'digest',
    header: 'Digest',
    min: 132,
    render: (d) => (d.status.booted ? <ShortDigest digest={d.status.booted.digest} /> : none),
  },
  {
    id: 'version',
    header: 'Version',
    min: 112,
    grow: 0.6,
    sort: 'bootedVersion',
    render: (d) => (d.status.booted?.version ? <span className="mono">{d.status.booted.version}</span> : none),
    title: (d) => d.status.booted?.version ?? '',
  },
  {
    id: 'deployments',
    header: 'Deployments',
    min: 200,
    grow: 1.2,
    render: (d) => <StatusBadges summary={d.status} />,
    title: (d) => badgesTitle(d.status),
  },
  {
    id: 'lastSeen',
    header: 'Last seen',
    min: 96,
    sort: 'lastSeen',
    render: (d) => <RelativeTime iso={d.status.lastSeenAt} empty="never" />,
  },
  {
    id: 'site',
    header: 'Site',
    min: 80,
    grow: 0.7,
    sort: 'site',
    render: (d) => (d.siteName ? d.siteName : none),
    title: (d) => d.siteName ?? 'No site',
  },
  {
    id: 'host',
    header: 'Host',
    min: 140,
    grow: 1,
    sort: 'host',
    render: (d) => <span className="mono">{formatAddress(d)}</span>,
    title: (d) => formatAddress(d),
  },
  {
    id: 'tags',
    header: 'Tags',
    min: 100,
    grow: 0.9,
    render: (d) => <TagChips tags={d.tags} empty={none} />,
    title: (d) => d.tags.join(', '),
  },
  {
    id: 'desiredImage',
    header: 'Desired image',
    min: 150,
    grow: 1.1,
    // The image that applies (the device's own, its tags' or its site's), cut like the booted one.
    render: (d) =>
      d.desired.image ? (
        <span className="mono ellipsis-start">
          <span>{imageShortName(d.desired.image)}</span>
        </span>
      ) : none,
    title: (d) => (d.desired.image ? `${d.desired.image}\n${desiredSource(d.desired)}` : ''),
  },
];
