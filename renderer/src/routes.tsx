/** The pages in the left navigation. Adding a page is one entry here. */
import type { ComponentType, ReactElement, SVGProps } from 'react';
import { ActivityIcon, AuditIcon, DeviceIcon, FleetIcon, ImagesIcon, ProvisionIcon, RolloutIcon, SiteIcon, TargetIcon, TerminalIcon, UsbIcon } from './components/icons';
import { ActivityPage } from './pages/activity-page';
import { AuditPage } from './pages/audit-page';
import { DesiredPage } from './pages/desired-page';
import { DevicePage } from './pages/device-page';
import { DevicesPage } from './pages/devices-page';
import { FlashPage } from './pages/flash-page';
import { FleetPage } from './pages/fleet-page';
import { ImagePage } from './pages/image-page';
import { ImagesPage } from './pages/images-page';
import { ProvisionPage } from './pages/provision-page';
import { RolloutPage } from './pages/rollout-page';
import { RolloutsPage } from './pages/rollouts-page';
import { SitesPage } from './pages/sites-page';
import { TerminalsPage } from './pages/terminals-page';

/** One navigable page. */
export interface PageDef {
  /** Route id: `#/<id>`, and `data-testid="nav-<id>"` on its link. */
  id: string;
  label: string;
  icon: (p: SVGProps<SVGSVGElement> & { size?: number }) => ReactElement;
  component: ComponentType;
  /** The view of one item, `#/<id>/<item id>` (e.g. a device). */
  detail?: ComponentType<{ id: string }>;
}

/** All pages, in navigation order. */
export const pages: PageDef[] = [
  { id: 'fleet', label: 'Fleet', icon: FleetIcon, component: FleetPage },
  { id: 'devices', label: 'Devices', icon: DeviceIcon, component: DevicesPage, detail: DevicePage },
  { id: 'sites', label: 'Sites', icon: SiteIcon, component: SitesPage },
  { id: 'desired', label: 'Desired images', icon: TargetIcon, component: DesiredPage },
  { id: 'audit', label: 'Audit', icon: AuditIcon, component: AuditPage },
  { id: 'rollouts', label: 'Rollouts', icon: RolloutIcon, component: RolloutsPage, detail: RolloutPage },
  { id: 'images', label: 'Images', icon: ImagesIcon, component: ImagesPage, detail: ImagePage },
  { id: 'flash', label: 'Flash', icon: UsbIcon, component: FlashPage },
  { id: 'provision', label: 'Provision', icon: ProvisionIcon, component: ProvisionPage },
  { id: 'terminals', label: 'Terminals', icon: TerminalIcon, component: TerminalsPage },
  { id: 'activity', label: 'Activity', icon: ActivityIcon, component: ActivityPage },
];
