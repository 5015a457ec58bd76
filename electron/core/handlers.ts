import type { AppInfo, Device, HostKey } from '../../shared/contract';
import { AppError, ErrorCode } from '../../shared/errors';
import type { ActivityRepo } from './activity/activity-repo';
import type { AuditService } from './audit/audit-service';
import { exportAudit, type PdfPrinter } from './audit/export';
import type { TerminalService } from './terminals/terminal-service';
import type { KeysService } from './keys/keys-service';
import type { Clock } from './clock';
import type { Db } from './db/open';
import type { DesiredService } from './desired/desired-service';
import type { RegistriesRepo } from './registry/registries-repo';
import type { EventBus } from './events';
import { browse } from './files/browse';
import type { DriveWatcher } from './flash/drive-watcher';
import { exportBundle, importBundle } from './library/bundle';
import type { LibraryService } from './library/library-service';
import { expandHome } from './paths';
import type { ProvisionService } from './provision/provision-service';
import { listDrives } from './flash/drives';
import type { FlashService } from './flash/flash-service';
import { checkImage, inspectImage } from './flash/image';
import { verifyDrive } from './flash/writer';
import type { FleetService } from './fleet/fleet-service';
import { qualifiedName } from './inventory/names';
import type { OpenSshImport } from './ssh/openssh-import';
import type { ActionService } from './updates/action-service';
import type { JobsRepo } from './updates/jobs-repo';
import type { RolloutService } from './updates/rollout-service';
import { deviceTarget, type HostKeyRecord, type HostKeysRepo } from './ssh/host-keys';
import type { InventoryService } from './inventory/inventory-service';
import type { Handlers } from './rpc/router';

export interface HandlerDeps {
  inventory: InventoryService;
  activity: ActivityRepo;
  fleet: FleetService;
  hostKeys: HostKeysRepo;
  sshImport: OpenSshImport;
  bus: EventBus;
  actions: ActionService;
  jobs: JobsRepo;
  rollouts: RolloutService;
  flash: FlashService;
  driveWatcher: DriveWatcher;
  provision: ProvisionService;
  library: LibraryService;
  audit: AuditService;
  printPdf: PdfPrinter;
  terminals: TerminalService;
  keys: KeysService;
  clock: Clock;
  db: Db;
  desired: DesiredService;
  registries: RegistriesRepo;
  info: () => Omit<AppInfo, 'counts' | 'via'>;
  dataDir: string;
}

/** The contract's methods, each a line that calls a core service. */
export function buildHandlers(d: HandlerDeps): Handlers {
  const inv = d.inventory;
  const label = (dev: Device): string => qualifiedName(dev.name, dev.siteName);
  const view = (r: HostKeyRecord, names: Map<string, Device>): HostKey => {
    const dev = r.deviceId ? names.get(r.deviceId) : undefined;
    return { ...r, label: dev ? label(dev) : r.target.replace(/^jump:/, 'jump host ') };
  };
  /** Host key changes show on the device's page and in the activity log of every client. */
  const changed = (id: string): void => {
    d.bus.emit('fleet.statusChanged', { ids: [id] });
    d.bus.emit('activity.appended', { lastId: d.activity.lastId() });
  };
  return {
    'app.info': (_a, c) => ({ ...d.info(), via: c.actor.via, counts: inv.counts() }),
    'sites.list': () => inv.listSites(),
    'sites.add': (a, c) => inv.addSite(c.actor, a),
    'sites.rename': (a, c) => inv.renameSite(c.actor, a.site, a.name),
    'sites.update': (a, c) => inv.updateSite(c.actor, a.site, a),
    'sites.remove': (a, c) => inv.removeSite(c.actor, a.site),
    'devices.list': (a) => inv.listDevices(a),
    'devices.get': (a) => inv.resolveDevice(a.device),
    'devices.add': (a, c) => inv.addDevice(c.actor, a),
    'devices.update': (a, c) => inv.updateDevice(c.actor, a.device, a.patch),
    'devices.remove': (a, c) => inv.removeDevice(c.actor, a.device),
    'devices.import': (a, c) => inv.importCsv(c.actor, a),
    'devices.export': (a, c) => inv.exportDevices(a, a.format, c.actor.user),
    'tags.list': () => inv.listTags(),
    'activity.list': (a) => d.activity.list(a),
    'fleet.device': (a) => d.fleet.device(a.device, a.historyLimit),
    'fleet.snapshot': (a) => {
      const s = d.fleet.status.snapshot(a.id);
      if (!s) throw new AppError(ErrorCode.NOT_FOUND, `No status snapshot ${a.id}.`);
      return s;
    },
    'fleet.refresh': (a, c) => d.fleet.startRefresh(c.actor, a),
    'fleet.job': (a) => d.fleet.job(a.jobId),
    'fleet.jobs': () => d.fleet.jobList(),
    'fleet.cancel': (a) => d.fleet.cancel(a.jobId),
    'hostkeys.list': () => {
      const keys = d.hostKeys.list();
      const devs = inv.devices.getMany(keys.flatMap((k) => (k.deviceId ? [k.deviceId] : [])));
      const names = new Map(devs.map((x) => [x.id, x]));
      return keys.map((k) => view(k, names));
    },
    'hostkeys.accept': (a, c) => {
      const dev = inv.resolveDevice(a.device);
      const rec = d.hostKeys.accept(c.actor, deviceTarget(dev.id), label(dev), a.fingerprint);
      changed(dev.id);
      return view(rec, new Map([[dev.id, dev]]));
    },
    'ssh.importConfig': (a, c) => d.sshImport.config(c.actor, a),
    'hostkeys.import': (a, c) => d.sshImport.knownHosts(c.actor, a),
    'rollouts.plan': (a) => d.rollouts.plan(a),
    'rollouts.create': (a, c) => d.rollouts.create(c.actor, a),
    'rollouts.list': (a) => d.rollouts.list(a.limit),
    'rollouts.get': (a) => d.rollouts.detail(a.id),
    'rollouts.pause': (a, c) => d.rollouts.pause(c.actor, a.id),
    'rollouts.resume': (a, c) => d.rollouts.resume(c.actor, a.id),
    'rollouts.cancel': (a, c) => d.rollouts.cancel(c.actor, a.id),
    'drives.list': (a) => {
      d.driveWatcher.touch();
      return listDrives(a);
    },
    'files.browse': (a) => browse(a),
    'provision.inspect': (a) => d.provision.inspect(a),
    'terminals.open': (a, c) => (a.local ? d.terminals.openLocal(c.actor, a, c.client) : d.terminals.openViewer(c.actor, { ...a, device: a.device! }, c.client)),
    'terminals.list': (_a, c) => d.terminals.list(c.client),
    'recordings.list': (a) => d.terminals.recordings(a.device, a.limit),
    'recordings.get': (a) => d.terminals.recording(a.id),
    'terminals.input': (a, c) => (d.terminals.forClient(a.id, c.client).write(a.data), {}),
    'terminals.resize': (a, c) => (d.terminals.forClient(a.id, c.client), d.terminals.resizeViewer(a.id, a.cols, a.rows), {}),
    // A late acknowledgement for a terminal that just ended is not an error.
    'terminals.ack': (a, c) => (d.terminals.find(a.id) && d.terminals.forClient(a.id, c.client).ack(a.bytes), {}),
    'terminals.close': (a, c) => (d.terminals.forClient(a.id, c.client).close(), {}),
    'audit.run': (a, c) => d.audit.run(c.actor, a),
    'audit.view': (a, c) => d.audit.view(c.actor, a),
    'audit.export': (a, c) => exportAudit(d, c.actor, a),
    'keys.show': () => d.keys.identity(),
    'keys.list': () => d.keys.list(),
    'keys.trust': (a, c) => d.keys.trust(c.actor, a),
    'keys.revoke': (a, c) => d.keys.revoke(c.actor, a.fingerprint),
    'library.list': () => d.library.list(),
    'library.get': (a) => d.library.get(a.ref),
    'library.import': (a, c) => d.library.cancellable(`import ${a.path}`, (signal) => d.library.import(c.actor, a, signal)),
    'library.export': (a) => d.library.cancellable(`export ${a.ref}`, (signal) => d.library.export(a, signal)),
    'library.pull': (a, c) => d.library.cancellable(`pull ${a.ref}`, (signal) => d.library.pull(c.actor, a, signal)),
    'library.push': (a, c) => d.library.cancellable(`push ${a.ref}`, (signal) => d.library.push(c.actor, a, signal)),
    'bundle.export': (a, c) => d.library.cancellable(`export ${a.path}`, (signal) => exportBundle(d.library, d.keys, { db: d.db, clock: d.clock, dataDir: d.dataDir }, c.actor, { ...a, path: expandHome(a.path) }, signal)),
    'bundle.import': (a, c) => d.library.cancellable(`import ${a.path}`, (signal) => importBundle(d.library, d.keys, { db: d.db, activity: d.activity, clock: d.clock, dataDir: d.dataDir }, c.actor, { path: expandHome(a.path) }, signal)),
    'library.cancel': (a) => ({ cancelled: d.library.cancel(`${a.op} ${a.ref}`) }),
    'library.remove': (a, c) => d.library.remove(c.actor, a.ref),
    'library.gc': () => d.library.gc(),
    'provision.plan': (a) => d.provision.plan(a),
    'provision.acceptHostKey': (a, c) => d.provision.acceptHostKey(c.actor, a),
    'provision.start': (a, c) => d.provision.start(c.actor, a),
    'provision.list': (a) => d.provision.list(a),
    'provision.get': (a) => d.provision.get(a.id),
    'provision.cancel': (a) => d.provision.cancel(a),
    'provision.confirmHostKey': (a, c) => d.provision.confirmHostKey(c.actor, a),
    'flash.start': (a, c) => d.flash.start(c.actor, a),
    'flash.cancel': (a) => d.flash.cancel(a.id),
    'flash.takeOpened': () => d.flash.takeOpened(),
    'flash.verify': async (a) => {
      const info = await inspectImage(a.image);
      return verifyDrive(a.image, info.compression, info.size, a.drive);
    },
    'flash.list': (a) => d.flash.list(a.limit),
    'images.inspect': async (a) => ({ ...(await inspectImage(a.path)), checksum: await checkImage(a.path, a) }),
    'desired.list': () => d.desired.list(),
    'desired.set': (a, c) => d.desired.set(c.actor, a.scope, a.target, a.image, a.resolve, a.requireSigned),
    'desired.clear': (a, c) => d.desired.clear(c.actor, a.scope, a.target),
    'desired.resolve': (a) => d.desired.resolve(a.refs),
    'registries.list': () => d.registries.list(),
    'registries.set': (a, c) => {
      const r = d.registries.set(a.host, a);
      d.activity.append(c.actor, {
        action: 'registry.set',
        entityType: 'registry',
        entityId: r.host,
        entityName: r.host,
        summary: `Set registry ${r.host}${a.username !== undefined ? ` (login ${a.username ?? 'removed'})` : ''}${a.insecure !== undefined ? ` (${a.insecure ? 'plain HTTP' : 'TLS'})` : ''}`,
        details: { insecure: r.insecure, username: r.username, passwordChanged: a.password !== undefined },
      });
      return r;
    },
    'registries.remove': (a, c) => {
      const removed = d.registries.remove(a.host);
      if (removed) d.activity.append(c.actor, { action: 'registry.removed', entityType: 'registry', entityId: a.host, entityName: a.host, summary: `Forgot registry ${a.host} and its login` });
      return { host: a.host, removed };
    },
    'actions.plan': (a) => d.actions.plan(a),
    'actions.start': (a, c) => d.actions.start(c.actor, a),
    'jobs.list': (a) => d.jobs.list(a.limit, a.device ? inv.resolveDevice(a.device).id : undefined),
    'jobs.get': (a) => {
      const job = d.jobs.get(a.id);
      if (!job) throw new AppError(ErrorCode.NOT_FOUND, `No job ${a.id}.`);
      return { ...job, logs: d.jobs.logs(a.id) };
    },
    'jobs.cancel': (a) => d.actions.cancel(a.id),
    'hostkeys.forget': (a, c) => {
      const dev = inv.resolveDevice(a.device);
      const forgotten = d.hostKeys.forget(c.actor, deviceTarget(dev.id), label(dev)) !== null;
      changed(dev.id);
      return { forgotten };
    },
  };
}
