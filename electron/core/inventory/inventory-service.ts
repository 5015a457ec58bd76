import { ansibleInventory } from './ansible';
import { VERSION } from '../version';
import { newId } from '../ids';
import type { z } from 'zod';
import {
  deviceAddSchema,
  formatHostPort,
  type Device,
  type DeviceFilter,
  type DevicePage,
  type ImportReport,
  type ImportRow,
  type MethodArgs,
  type Site,
} from '../../../shared/contract';
import { AppError, ErrorCode, fieldIssues } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Clock } from '../clock';
import type { Db } from '../db/open';
import type { EventBus } from '../events';
import type { SecretsRepo } from '../secrets/secrets-repo';
import { devicesToCsv, parseCsvBool, readDeviceCsv, type CsvColumn } from './csv';
import { DevicesRepo, type ContactRow, type DeviceRow } from './devices-repo';
import { qualifiedName } from './names';
import { SitesRepo } from './sites-repo';

type DeviceAddArgs = z.output<typeof deviceAddSchema>;
type DevicePatchArgs = MethodArgs<'devices.update'>['patch'];

const MAX_LISTED_INVALID = 1000;
const PREVIEW_ROWS = 50;

/** Maps contract field names to CSV column names for row errors. */
const FIELD_TO_COLUMN: Record<string, CsvColumn> = { keyPath: 'key', secret: 'key', desiredImage: 'image' };

/**
 * Sites, devices and tags: every change is validated, written in one transaction together
 * with its activity entry, and announced on the event bus.
 */
export class InventoryService {
  readonly sites: SitesRepo;
  readonly devices: DevicesRepo;

  constructor(
    private readonly db: Db,
    private readonly activity: ActivityRepo,
    private readonly secrets: SecretsRepo,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    /** After this long without a good contact, a device's shown state is marked stale. */
    staleAfterMs = 24 * 3600 * 1000,
  ) {
    this.sites = new SitesRepo(db);
    this.devices = new DevicesRepo(db, () => new Date(Date.parse(this.clock.now()) - staleAfterMs).toISOString());
  }

  // ---- sites ---------------------------------------------------------------------------

  listSites(): Site[] {
    return this.sites.list();
  }

  requireSite(ref: string): { id: string; name: string } {
    const s = this.sites.find(ref);
    if (!s) {
      throw new AppError(ErrorCode.NOT_FOUND, `No site named "${ref}". Create it first (bootfleet sites add ${ref}) or check the spelling.`, {
        site: ref,
      });
    }
    return s;
  }

  addSite(actor: Actor, input: { name: string; notes?: string | undefined; proxyJump?: string | null | undefined; staleAfterDays?: number | null | undefined; recordTerminals?: boolean | undefined; keepRecordingsDays?: number | null | undefined }): Site {
    const id = this.tx(() => {
      if (this.sites.byName(input.name)) {
        throw new AppError(ErrorCode.NAME_TAKEN, `A site named "${input.name}" already exists.`, { issues: [{ path: 'name', message: 'is already taken' }] });
      }
      const now = this.clock.now();
      const id = newId();
      this.sites.insert({ id, name: input.name, notes: input.notes ?? '', proxy_jump: input.proxyJump ?? null, stale_after_days: input.staleAfterDays ?? null, record_terminals: input.recordTerminals ? 1 : 0, keep_recordings_days: input.keepRecordingsDays ?? null, created_at: now, updated_at: now });
      this.activity.append(actor, { action: 'site.added', entityType: 'site', entityId: id, entityName: input.name, summary: `Added site ${input.name}` });
      return id;
    });
    this.changed('sites', [id]);
    return this.sites.get(id);
  }

  renameSite(actor: Actor, ref: string, name: string): Site {
    const id = this.tx(() => {
      const site = this.requireSite(ref);
      const other = this.sites.byName(name);
      if (other && other.id !== site.id) {
        throw new AppError(ErrorCode.NAME_TAKEN, `A site named "${name}" already exists.`, { issues: [{ path: 'name', message: 'is already taken' }] });
      }
      if (site.name === name) return site.id;
      this.sites.rename(site.id, name, this.clock.now());
      this.activity.append(actor, {
        action: 'site.renamed',
        entityType: 'site',
        entityId: site.id,
        entityName: name,
        summary: `Renamed site ${site.name} to ${name}`,
        details: { from: site.name, to: name },
      });
      return site.id;
    });
    this.changed('all', [id]);
    return this.sites.get(id);
  }

  /** Changes a site's notes or jump hosts (null clears them). */
  updateSite(actor: Actor, ref: string, patch: { notes?: string | undefined; proxyJump?: string | null | undefined; staleAfterDays?: number | null | undefined; recordTerminals?: boolean | undefined; keepRecordingsDays?: number | null | undefined }): Site {
    const id = this.tx(() => {
      const site = this.requireSite(ref);
      const row = this.sites.find(site.id)!;
      const notes = patch.notes ?? row.notes;
      const proxyJump = patch.proxyJump === undefined ? row.proxy_jump : patch.proxyJump;
      const staleAfterDays = patch.staleAfterDays === undefined ? row.stale_after_days : patch.staleAfterDays;
      const recordTerminals = patch.recordTerminals === undefined ? row.record_terminals === 1 : patch.recordTerminals;
      const keepRecordingsDays = patch.keepRecordingsDays === undefined ? row.keep_recordings_days : patch.keepRecordingsDays;
      const changes = [
        ...(keepRecordingsDays !== row.keep_recordings_days ? [{ field: 'keepRecordingsDays', from: row.keep_recordings_days, to: keepRecordingsDays }] : []),
        ...(recordTerminals !== (row.record_terminals === 1) ? [{ field: 'recordTerminals', from: row.record_terminals === 1, to: recordTerminals }] : []),
        ...(staleAfterDays !== row.stale_after_days ? [{ field: 'staleAfterDays', from: row.stale_after_days, to: staleAfterDays }] : []),
        ...(notes !== row.notes ? [{ field: 'notes', from: row.notes, to: notes }] : []),
        ...(proxyJump !== row.proxy_jump ? [{ field: 'proxyJump', from: row.proxy_jump, to: proxyJump }] : []),
      ];
      if (!changes.length) return site.id;
      this.sites.update(site.id, notes, proxyJump, staleAfterDays, recordTerminals, keepRecordingsDays, this.clock.now());
      this.activity.append(actor, {
        action: 'site.updated',
        entityType: 'site',
        entityId: site.id,
        entityName: site.name,
        summary: `Changed ${changes.map((c) => c.field).join(', ')} of site ${site.name}`,
        details: { changes },
      });
      return site.id;
    });
    this.changed('all', [id]);
    return this.sites.get(id);
  }

  removeSite(actor: Actor, ref: string): { id: string; name: string } {
    const site = this.tx(() => {
      const site = this.requireSite(ref);
      const n = this.sites.deviceCount(site.id);
      if (n > 0) {
        throw new AppError(
          ErrorCode.SITE_IN_USE,
          `Site ${site.name} still has ${n} device${n === 1 ? '' : 's'}; move ${n === 1 ? 'it' : 'them'} to another site or delete ${n === 1 ? 'it' : 'them'} first.`,
          { devices: n },
        );
      }
      this.sites.delete(site.id);
      this.activity.append(actor, { action: 'site.removed', entityType: 'site', entityId: site.id, entityName: site.name, summary: `Deleted site ${site.name}` });
      return { id: site.id, name: site.name };
    });
    this.changed('sites', [site.id]);
    return site;
  }

  // ---- devices -------------------------------------------------------------------------

  /** Resolves a device by id, SITE/NAME, or NAME when only one site has that name. */
  resolveDevice(ref: string): Device {
    const byId = this.devices.get(ref);
    if (byId) return byId;
    const slash = ref.indexOf('/');
    if (slash >= 0) {
      const siteName = ref.slice(0, slash);
      const name = ref.slice(slash + 1);
      const site = siteName === '' ? null : this.sites.find(siteName);
      if (siteName !== '' && !site) throw new AppError(ErrorCode.NOT_FOUND, `No site named "${siteName}".`, { device: ref });
      const id = this.devices.idInSite(site ? site.id : null, name);
      if (!id) throw new AppError(ErrorCode.NOT_FOUND, `No device named "${name}" in ${site ? `site ${site.name}` : 'the devices without a site'}.`, { device: ref });
      return this.devices.get(id)!;
    }
    const matches = this.devices.byName(ref);
    if (matches.length === 0) throw new AppError(ErrorCode.NOT_FOUND, `No device named "${ref}".`, { device: ref });
    if (matches.length > 1) {
      const forms = matches.map((m) => (m.site_name ? `${m.site_name}/${ref}` : `/${ref} (no site)`));
      throw new AppError(ErrorCode.AMBIGUOUS, `"${ref}" names devices in ${matches.length} sites; say which: ${forms.join(', ')}.`, { candidates: forms });
    }
    return this.devices.get(matches[0]!.id)!;
  }

  /** Devices by reference or every device a filter selects, with what contacting them needs, in site/name order. */
  selectContactRows(sel: { devices?: string[] | undefined; filter?: DeviceFilter | undefined }): ContactRow[] {
    if (sel.devices) return this.devices.contactRows({ ids: [...new Set(sel.devices.map((ref) => this.resolveDevice(ref).id))] });
    return this.devices.contactRows({ filter: this.resolveFilter(sel.filter ?? {}) });
  }

  listDevices(q: MethodArgs<'devices.list'>): DevicePage {
    const { total, items } = this.devices.page(this.resolveFilter(q), q.sort, q.dir, q.offset, q.limit);
    return { total, offset: q.offset, items };
  }

  addDevice(actor: Actor, input: DeviceAddArgs): Device {
    const id = this.tx(() => {
      return this.insertDevice(actor, input, input.site ? this.requireSite(input.site) : null);
    });
    this.changed('devices', [id]);
    return this.devices.get(id)!;
  }

  private insertDevice(actor: Actor, input: DeviceAddArgs, site: { id: string; name: string } | null, action = 'device.added'): string {
    const siteId = site?.id ?? null;
    const existing = this.devices.idInSite(siteId, input.name);
    if (existing) throw this.nameTaken(input.name, siteId);
    const now = this.clock.now();
    const auth = input.auth ?? (input.keyPath ? 'key' : input.secret ? 'password' : 'agent');
    const row: DeviceRow = {
      id: newId(),
      name: input.name,
      site_id: siteId,
      host: input.host,
      port: input.port,
      ssh_user: input.user ?? null,
      auth,
      key_path: input.keyPath ?? null,
      secret_id: input.secret ? this.secrets.put(input.secret) : null,
      sudo: input.sudo ? 1 : 0,
      notes: input.notes,
      desired_image: input.desiredImage ?? null,
      proxy_jump: input.proxyJump ?? null,
      created_at: now,
      updated_at: now,
    };
    this.devices.insert(row);
    if (input.tags.length) this.devices.addTags(row.id, input.tags);
    const siteName = site?.name ?? null;
    this.activity.append(actor, {
      action,
      entityType: 'device',
      entityId: row.id,
      entityName: qualifiedName(input.name, siteName),
      summary: `Added device ${input.name} (${formatHostPort(input.host, input.port)})`,
      details: { host: row.host, port: row.port, user: row.ssh_user, auth, site: siteName, tags: input.tags },
    });
    return row.id;
  }

  updateDevice(actor: Actor, ref: string, patch: DevicePatchArgs): Device {
    const id = this.tx(() => {
      const before = this.resolveDevice(ref);
      const row = this.devices.row(before.id)!;
      const next: DeviceRow = { ...row };
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.site !== undefined) next.site_id = patch.site ? this.requireSite(patch.site).id : null;
      if (patch.host !== undefined) next.host = patch.host;
      if (patch.port !== undefined) next.port = patch.port;
      if (patch.user !== undefined) next.ssh_user = patch.user;
      if (patch.keyPath !== undefined) next.key_path = patch.keyPath;
      if (patch.sudo !== undefined) next.sudo = patch.sudo ? 1 : 0;
      if (patch.notes !== undefined) next.notes = patch.notes;
      if (patch.desiredImage !== undefined) next.desired_image = patch.desiredImage;
      if (patch.proxyJump !== undefined) next.proxy_jump = patch.proxyJump;
      if (patch.auth !== undefined) next.auth = patch.auth;
      else if (patch.keyPath && row.auth === 'agent') next.auth = 'key';
      else if (patch.secret !== undefined && row.auth === 'agent') next.auth = next.key_path ? 'key' : 'password';
      // Secrets: a new one replaces the old; switching to ssh-agent or clearing drops it.
      const dropSecret = patch.clearSecret || patch.secret !== undefined || next.auth === 'agent';
      if (dropSecret && row.secret_id) next.secret_id = null;
      if (patch.secret !== undefined) next.secret_id = this.secrets.put(patch.secret);
      const issues: { path: string; message: string }[] = [];
      if (next.auth === 'key' && !next.key_path) issues.push({ path: 'keyPath', message: 'is required when auth is "key"' });
      if (next.auth === 'password' && !next.secret_id) issues.push({ path: 'secret', message: 'a password is required when auth is "password"' });
      if (issues.length) throw new AppError(ErrorCode.VALIDATION_FAILED, `Invalid input: ${issues[0]!.path}: ${issues[0]!.message}`, { issues });
      if (next.name !== row.name || next.site_id !== row.site_id) {
        const other = this.devices.idInSite(next.site_id, next.name);
        if (other && other !== row.id) throw this.nameTaken(next.name, next.site_id);
      }
      const siteName = (id: unknown) => (typeof id === 'string' ? (this.sites.find(id)?.name ?? id) : null);
      const changes = diff(row, next).map((c) => (c.field === 'site' ? { field: 'site', from: siteName(c.from), to: siteName(c.to) } : c));
      const oldTags = before.tags;
      const tagsChanged = patch.tags !== undefined && !sameTags(oldTags, patch.tags);
      if (!changes.length && !tagsChanged) return row.id;
      next.updated_at = this.clock.now();
      this.devices.update(next);
      if (row.secret_id && next.secret_id !== row.secret_id) this.secrets.delete(row.secret_id);
      if (tagsChanged) this.devices.setTags(row.id, patch.tags!);
      const fields = changes.map((c) => c.field);
      if (tagsChanged) fields.push('tags');
      this.activity.append(actor, {
        action: 'device.updated',
        entityType: 'device',
        entityId: row.id,
        entityName: qualifiedName(next.name, next.site_id ? this.sites.find(next.site_id)?.name : null),
        summary: `Changed ${fields.join(', ')} of ${before.name}`,
        details: { changes: [...changes, ...(tagsChanged ? [{ field: 'tags', from: oldTags, to: patch.tags }] : [])] },
      });
      return row.id;
    });
    this.changed('devices', [id]);
    return this.devices.get(id)!;
  }

  removeDevice(actor: Actor, ref: string): { id: string; name: string; siteName: string | null } {
    const gone = this.tx(() => {
      const d = this.resolveDevice(ref);
      const row = this.devices.row(d.id)!;
      this.devices.delete(d.id);
      if (row.secret_id) this.secrets.delete(row.secret_id);
      this.devices.pruneTags();
      this.activity.append(actor, {
        action: 'device.removed',
        entityType: 'device',
        entityId: d.id,
        entityName: qualifiedName(d.name, d.siteName),
        summary: `Deleted device ${d.name} (${formatHostPort(d.host, d.port)})`,
        details: { device: { ...d, hasSecret: undefined } },
      });
      return { id: d.id, name: d.name, siteName: d.siteName };
    });
    this.changed('devices', [gone.id]);
    return gone;
  }

  listTags(): { name: string; count: number }[] {
    return this.devices.tagCounts();
  }

  // ---- CSV import / export -------------------------------------------------------------

  /**
   * Checks every row of a device CSV; when all are valid and this is not a dry run, writes
   * them in one transaction (creating the sites they name). Nothing is written otherwise.
   */
  importCsv(actor: Actor, input: { csv: string; dryRun: boolean; fileName?: string | undefined }): ImportReport {
    const rows = readDeviceCsv(input.csv);
    if (rows.length === 0) throw new AppError(ErrorCode.CSV_INVALID, 'The CSV has a header but no devices.');
    const siteIds = new Map<string, { id: string; name: string }>();
    const lookedUp = new Set<string>();
    const newSites = new Map<string, string>();
    const seen = new Map<string, number>();
    const valid: { line: number; args: DeviceAddArgs; siteKey: string }[] = [];
    const invalid: ImportRow[] = [];
    let invalidCount = 0;
    const preview: ImportReport['preview'] = [];

    for (const row of rows) {
      const v = row.values;
      const errors: ImportRow['errors'] = [];
      if (row.fieldCountError) errors.push({ column: '*', message: `row ${row.fieldCountError}` });
      const sudo = parseCsvBool(v.sudo);
      if (sudo === undefined) errors.push({ column: 'sudo', message: `"${v.sudo}" is not a yes/no value (use true or false)` });
      const candidate = {
        name: v.name ?? '',
        host: v.host ?? '',
        port: v.port ?? 22,
        user: v.user,
        site: v.site,
        tags: v.tags ? v.tags.split(';').map((t) => t.trim()).filter(Boolean) : [],
        sudo: sudo ?? false,
        keyPath: v.key,
        notes: v.notes ?? '',
        desiredImage: v.image,
      };
      const parsed = deviceAddSchema.safeParse(candidate);
      if (!parsed.success) {
        for (const i of fieldIssues(parsed.error)) {
          const field = i.path.split('.')[0] ?? '';
          errors.push({ column: FIELD_TO_COLUMN[field] ?? field, message: i.message });
        }
      }
      let siteKey = '';
      if (v.site) {
        siteKey = v.site.toLowerCase();
        if (!lookedUp.has(siteKey)) {
          lookedUp.add(siteKey);
          const site = this.sites.byName(v.site);
          if (site) siteIds.set(siteKey, { id: site.id, name: site.name });
          else newSites.set(siteKey, v.site);
        }
      }
      if (parsed.success) {
        const key = `${siteKey}/${parsed.data.name.toLowerCase()}`;
        const first = seen.get(key);
        if (first !== undefined) errors.push({ column: 'name', message: `repeats the device on line ${first}` });
        else {
          seen.set(key, row.line);
          const siteId = siteIds.get(siteKey);
          if ((siteKey === '' || siteId) && this.devices.idInSite(siteId?.id ?? null, parsed.data.name)) {
            errors.push({ column: 'name', message: `a device named "${parsed.data.name}" already exists${v.site ? ` in site ${v.site}` : ' without a site'}` });
          }
        }
      }
      const base = { line: row.line, name: v.name ?? '', site: v.site ?? null, errors };
      if (errors.length) {
        invalidCount++;
        if (invalid.length < MAX_LISTED_INVALID) invalid.push(base);
      } else if (parsed.success) {
        valid.push({ line: row.line, args: parsed.data, siteKey });
        if (preview.length < PREVIEW_ROWS) preview.push({ ...base, host: parsed.data.host, port: parsed.data.port, tags: parsed.data.tags });
      }
    }

    const report: ImportReport = {
      dryRun: input.dryRun,
      total: rows.length,
      valid: valid.length,
      newSites: [...newSites.values()],
      invalidRows: invalid,
      invalidCount,
      imported: 0,
      preview,
    };
    if (input.dryRun) return report;
    if (invalidCount > 0) {
      const first = invalid[0]!;
      const firstErr = first.errors[0]!;
      throw new AppError(
        ErrorCode.CSV_INVALID,
        `${invalidCount} of ${rows.length} rows have errors, so nothing was imported (line ${first.line}, ${firstErr.column}: ${firstErr.message}).`,
        report,
      );
    }
    const ids: string[] = [];
    this.tx(() => {
      const now = this.clock.now();
      for (const [key, name] of newSites) {
        const id = newId();
        this.sites.insert({ id, name, notes: '', proxy_jump: null, stale_after_days: null, record_terminals: 0, keep_recordings_days: null, created_at: now, updated_at: now });
        siteIds.set(key, { id, name });
        this.activity.append(actor, { action: 'site.added', entityType: 'site', entityId: id, entityName: name, summary: `Added site ${name} (CSV import)` });
      }
      for (const r of valid) ids.push(this.insertDevice(actor, r.args, siteIds.get(r.siteKey) ?? null, 'device.imported'));
      this.activity.append(actor, {
        action: 'devices.imported',
        entityType: 'import',
        entityName: input.fileName ?? null,
        summary: `Imported ${valid.length} device${valid.length === 1 ? '' : 's'}${input.fileName ? ` from ${input.fileName}` : ''}${newSites.size ? ` and created ${newSites.size} site${newSites.size === 1 ? '' : 's'}` : ''}`,
        details: { devices: valid.length, newSites: [...newSites.values()] },
      });
    });
    this.changed('all');
    return { ...report, imported: ids.length };
  }

  exportDevices(filter: DeviceFilter, format: 'csv' | 'json' | 'ansible', by = ''): { format: 'csv' | 'json' | 'ansible'; count: number; content: string } {
    const resolved = this.resolveFilter(filter);
    const all = [...this.devices.iterate(resolved)];
    const content =
      format === 'csv' ? devicesToCsv(all) : format === 'ansible' ? ansibleInventory(all, { at: this.clock.now(), by, version: VERSION }) : JSON.stringify(all, null, 2) + '\n';
    return { format, count: all.length, content };
  }

  counts(): { devices: number; sites: number; tags: number } {
    return { devices: this.devices.count(), sites: this.sites.count(), tags: this.devices.tagCount() };
  }

  // ---- helpers -------------------------------------------------------------------------

  private resolveFilter(f: DeviceFilter): DeviceFilter & { siteId?: string | null } {
    const out: DeviceFilter & { siteId?: string | null } = {
      search: f.search || undefined,
      tags: f.tags,
      reach: f.reach,
      staged: f.staged,
      rollback: f.rollback,
      updateAvailable: f.updateAvailable,
      desired: f.desired,
    };
    if (f.site !== undefined) out.siteId = f.site === '' ? null : this.requireSite(f.site).id;
    return out;
  }

  private nameTaken(name: string, siteId: string | null): AppError {
    const site = siteId ? this.sites.find(siteId)?.name : null;
    return new AppError(ErrorCode.NAME_TAKEN, `A device named "${name}" already exists ${site ? `in site ${site}` : 'without a site'}.`, {
      issues: [{ path: 'name', message: `is already used ${site ? `in site ${site}` : 'by a device without a site'}` }],
    });
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private changed(entity: 'devices' | 'sites' | 'all', ids?: string[]): void {
    this.bus.emit('inventory.changed', ids ? { entity, ids } : { entity });
    this.bus.emit('activity.appended', { lastId: this.activity.lastId() });
  }
}

function sameTags(a: string[], b: string[]): boolean {
  const norm = (x: string[]) => x.map((t) => t.toLowerCase()).sort().join('\n');
  return norm(a) === norm(b);
}

const AUDITED: (keyof DeviceRow)[] = ['name', 'site_id', 'host', 'port', 'ssh_user', 'auth', 'key_path', 'secret_id', 'sudo', 'notes', 'desired_image', 'proxy_jump'];

/** Field-level changes between two rows; secrets are named but never shown. */
function diff(a: DeviceRow, b: DeviceRow): { field: string; from?: unknown; to?: unknown }[] {
  return AUDITED.filter((k) => a[k] !== b[k]).map((k) =>
    k === 'secret_id' ? { field: 'secret' } : { field: k === 'ssh_user' ? 'user' : k === 'site_id' ? 'site' : k === 'proxy_jump' ? 'proxyJump' : k, from: a[k], to: b[k] },
  );
}
