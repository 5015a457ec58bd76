import type { AppInfo } from '../../shared/contract';
import type { ActivityRepo } from './activity/activity-repo';
import type { InventoryService } from './inventory/inventory-service';
import type { Handlers } from './rpc/router';

export interface HandlerDeps {
  inventory: InventoryService;
  activity: ActivityRepo;
  info: () => Omit<AppInfo, 'counts' | 'via'>;
}

/** The contract's methods, each a line that calls a core service. */
export function buildHandlers(d: HandlerDeps): Handlers {
  const inv = d.inventory;
  return {
    'app.info': (_a, c) => ({ ...d.info(), via: c.actor.via, counts: inv.counts() }),
    'sites.list': () => inv.listSites(),
    'sites.add': (a, c) => inv.addSite(c.actor, a),
    'sites.rename': (a, c) => inv.renameSite(c.actor, a.site, a.name),
    'sites.remove': (a, c) => inv.removeSite(c.actor, a.site),
    'devices.list': (a) => inv.listDevices(a),
    'devices.get': (a) => inv.resolveDevice(a.device),
    'devices.add': (a, c) => inv.addDevice(c.actor, a),
    'devices.update': (a, c) => inv.updateDevice(c.actor, a.device, a.patch),
    'devices.remove': (a, c) => inv.removeDevice(c.actor, a.device),
    'devices.import': (a, c) => inv.importCsv(c.actor, a),
    'devices.export': (a) => inv.exportDevices(a, a.format),
    'tags.list': () => inv.listTags(),
    'activity.list': (a) => d.activity.list(a),
  };
}
