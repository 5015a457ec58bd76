import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KnownHostsImportReport, SshConfigImportReport } from '../../../shared/contract';
import { deviceAddSchema, nameSchema } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Db } from '../db/open';
import type { EventBus } from '../events';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import { osUserName } from '../os-user';
import { deviceTarget, type HostKeysRepo } from './host-keys';
import { matchKnownHost, parseKnownHosts, parseProxyJump, parseSshConfig } from './openssh-files';

const MAX_FILE = 16 * 1024 * 1024;

/** ssh2's order of preference among host key types: the one a handshake would pick. */
const KEY_PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/** Reads the text to import: given content, else the file at `path`, else the user's default file. */
export function readSshFile(input: { content?: string | undefined; path?: string | undefined }, fallback: string): { text: string; source: string } {
  if (input.content !== undefined) return { text: input.content, source: input.path ?? 'uploaded file' };
  const path = input.path ?? join(homedir(), '.ssh', fallback);
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is not a file.`);
    if (st.size > MAX_FILE) throw new AppError(ErrorCode.VALIDATION_FAILED, `${path} is larger than 16 MiB; that is not an OpenSSH ${fallback} file.`);
    return { text: readFileSync(path, 'utf8'), source: path };
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(ErrorCode.NOT_FOUND, code === 'ENOENT' ? `There is no ${path}.` : `${path} cannot be read (${code ?? (e as Error).message}).`, { path });
  }
}

/**
 * Imports the user's OpenSSH files: `~/.ssh/config` Host entries become devices (or update
 * the SSH fields of devices with the same name), and `~/.ssh/known_hosts` keys are pinned for
 * devices that have none yet. Both are all-or-nothing and logged.
 */
export class OpenSshImport {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryService,
    private readonly hostKeys: HostKeysRepo,
    private readonly activity: ActivityRepo,
    private readonly bus: EventBus,
  ) {}

  config(actor: Actor, input: { content?: string | undefined; path?: string | undefined; site?: string | undefined; dryRun: boolean }): SshConfigImportReport {
    const { text, source } = readSshFile(input, 'config');
    const hosts = parseSshConfig(text, { home: homedir(), user: osUserName() });
    const site = input.site ? this.inventory.requireSite(input.site) : null;
    const report: SshConfigImportReport = { source, dryRun: input.dryRun, added: 0, updated: 0, unchanged: 0, skipped: 0, hosts: [] };
    const apply = this.db.transaction(() => {
      for (const h of hosts) {
        const entry = {
          alias: h.alias,
          host: h.hostName,
          user: h.user,
          port: h.port,
          keyPath: h.identityFile,
          proxyJump: h.proxyJump,
          warnings: h.warnings,
          action: 'skip' as 'add' | 'update' | 'unchanged' | 'skip',
          reason: null as string | null,
        };
        report.hosts.push(entry);
        const name = nameSchema.safeParse(h.alias);
        const why = h.error ?? (name.success ? null : `"${h.alias}" is not a valid device name (${name.error.issues[0]?.message}).`) ?? proxyJumpError(h.proxyJump);
        if (why) {
          entry.reason = why;
          report.skipped++;
          continue;
        }
        const fields = {
          host: h.hostName,
          port: h.port,
          user: h.user,
          keyPath: h.identityFile,
          proxyJump: h.proxyJump,
        };
        const add = deviceAddSchema.safeParse({
          name: h.alias,
          ...fields,
          auth: h.identityFile ? 'key' : 'agent',
          site: site?.id ?? null,
          notes: `Imported from ${source}`,
        });
        if (!add.success) {
          const i = add.error.issues[0];
          entry.reason = `${i?.path.join('.') || 'entry'}: ${i?.message ?? 'invalid'}`;
          report.skipped++;
          continue;
        }
        const existing = this.inventory.devices.idInSite(site?.id ?? null, h.alias);
        if (!existing) {
          if (!input.dryRun) this.inventory.addDevice(actor, add.data);
          entry.action = 'add';
          report.added++;
          continue;
        }
        const d = this.inventory.devices.get(existing)!;
        const same = d.host === fields.host && d.port === fields.port && d.user === fields.user && (d.keyPath ?? null) === fields.keyPath && d.proxyJump === fields.proxyJump;
        if (same) {
          entry.action = 'unchanged';
          report.unchanged++;
          continue;
        }
        if (!input.dryRun) {
          this.inventory.updateDevice(actor, existing, {
            ...fields,
            ...(fields.keyPath ? { auth: 'key' as const } : d.auth === 'key' ? { auth: 'agent' as const } : {}),
          });
        }
        entry.action = 'update';
        report.updated++;
      }
      if (!input.dryRun && report.added + report.updated > 0) {
        this.activity.append(actor, {
          action: 'devices.imported',
          entityType: 'import',
          entityId: null,
          entityName: source,
          summary: `Imported ssh config ${source}: ${report.added} added, ${report.updated} updated, ${report.skipped} skipped`,
          details: { source, added: report.added, updated: report.updated, skipped: report.skipped },
        });
      }
    });
    apply.immediate();
    if (!input.dryRun) this.bus.emit('inventory.changed', { entity: 'all' });
    return report;
  }

  knownHosts(actor: Actor, input: { content?: string | undefined; path?: string | undefined; site?: string | undefined; dryRun: boolean }): KnownHostsImportReport {
    const { text, source } = readSshFile(input, 'known_hosts');
    const parsed = parseKnownHosts(text);
    const filter = input.site ? { siteId: this.inventory.requireSite(input.site).id } : {};
    const rows = this.inventory.devices.contactRows({ filter });
    const pinned = this.hostKeys.forDevices(rows.map((r) => r.id));
    const report: KnownHostsImportReport = {
      source,
      dryRun: input.dryRun,
      pinned: [],
      alreadyPinned: 0,
      conflicts: [],
      revoked: [],
      notListed: 0,
      errors: parsed.errors.slice(0, 100),
    };
    this.db.transaction(() => {
      for (const r of rows) {
        const name = qualifiedName(r.name, r.site_name);
        const keys = matchKnownHost(parsed.entries, r.host, r.port);
        if (!keys.length) {
          report.notListed++;
          continue;
        }
        const usable = keys.filter((k) => !k.revoked);
        if (!usable.length) {
          report.revoked.push({ device: name, fingerprint: keys[0]!.fingerprint });
          continue;
        }
        const rank = (t: string) => (KEY_PREFERENCE.indexOf(t) + 1 || 99);
        const best = [...usable].sort((a, b) => rank(a.keyType) - rank(b.keyType))[0]!;
        const current = pinned.get(r.id);
        if (current) {
          if (usable.some((k) => k.fingerprint === current.fingerprint)) report.alreadyPinned++;
          else report.conflicts.push({ device: name, pinned: current.fingerprint, inFile: best.fingerprint });
          continue;
        }
        if (!input.dryRun) this.hostKeys.pinImported(deviceTarget(r.id), r.id, best.keyType, best.fingerprint);
        report.pinned.push({ device: name, keyType: best.keyType, fingerprint: best.fingerprint });
      }
      if (!input.dryRun && report.pinned.length) {
        this.activity.append(actor, {
          action: 'hostkeys.imported',
          entityType: 'import',
          entityId: null,
          entityName: source,
          summary: `Pinned ${report.pinned.length} host key${report.pinned.length === 1 ? '' : 's'} from ${source}${report.conflicts.length ? ` (${report.conflicts.length} differ from the pinned key and were left alone)` : ''}`,
          details: { source, pinned: report.pinned.length, conflicts: report.conflicts },
        });
      }
    }).immediate();
    if (!input.dryRun && report.pinned.length) this.bus.emit('activity.appended', { lastId: this.activity.lastId() });
    return report;
  }
}

function proxyJumpError(spec: string | null): string | null {
  if (!spec) return null;
  try {
    parseProxyJump(spec);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
