import type { Command } from 'commander';
import { shortDigest, type Deployment, type Device, type DeviceDetail, type DeviceFilter, type HostKey, type RefreshProgress } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { table } from '../output';
import type { CommandKit } from '../program';
import type { CliSession } from '../run';
import { collect, intOption } from './options';

/** A digest as the fleet table shows it (`-` for none). */
export function shortOrDash(d: string | null | undefined): string {
  return d ? shortDigest(d) : '-';
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function stateText(d: Device): string {
  const s = d.status;
  const words: Record<string, string> = { online: 'online', offline: 'offline', error: 'error', 'not-bootc': 'not bootc', never: 'never seen' };
  return words[s.reach]! + (s.stale ? ' (stale)' : '');
}

/** The devices a command names: NAMEs, or the --site/--tag filter, or (with --all or nothing) every one. */
async function selectDevices(s: CliSession, names: string[], o: Record<string, unknown>): Promise<Device[]> {
  if (names.length) return Promise.all(names.map((n) => s.call('devices.get', { device: n })));
  const filter: DeviceFilter = {};
  if (o.site !== undefined) filter.site = o.site as string;
  if (o.tag) filter.tags = o.tag as string[];
  const out: Device[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await s.call('devices.list', { ...filter, sort: 'site', dir: 'asc', offset, limit: 1000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

/** One device in `status --json`: its deployments and how the last contact went. */
function jsonOf(d: DeviceDetail): Record<string, unknown> {
  const dep = (x: Deployment | null) =>
    x && {
      image: x.image?.ref.image ?? null,
      transport: x.image?.ref.transport ?? null,
      signature: x.image?.ref.signature ?? null,
      digest: x.image?.digest ?? null,
      version: x.image?.version ?? null,
      timestamp: x.image?.timestamp ?? null,
      architecture: x.image?.architecture ?? null,
      pinned: x.pinned,
      downloadOnly: x.downloadOnly,
      softRebootCapable: x.softRebootCapable,
      incompatible: x.incompatible,
      cachedUpdate: x.cachedUpdate,
    };
  const st = d.status;
  return {
    name: d.device.name,
    site: d.device.siteName,
    host: d.device.host,
    port: d.device.port,
    state: d.summary.reach,
    reachable: d.summary.reach === 'online' || d.summary.reach === 'not-bootc',
    stale: d.summary.stale,
    lastSeen: d.summary.lastSeenAt,
    lastAttempt: d.summary.lastAttemptAt,
    error: d.summary.error,
    /** The registry image the booted one is, when Bootfleet sent it from the library (bootc shows its path on the device). */
    bootedAs: d.summary.bootedAs,
    bootcHost: d.summary.reach === 'never' ? null : d.summary.reach !== 'not-bootc',
    statusAt: d.statusAt,
    staged: st ? dep(st.staged) : null,
    booted: st ? dep(st.booted) : null,
    rollback: st ? dep(st.rollback) : null,
    others: st ? st.others.map(dep) : [],
    rollbackQueued: st?.rollbackQueued ?? null,
    bootOrder: st?.bootOrder ?? null,
    usrOverlay: st?.usrOverlay ?? null,
    pendingReboot: st?.pendingReboot ?? null,
    updateAvailable: st?.updateAvailable ?? null,
    apiVersion: st?.apiVersion ?? null,
    hostKey: d.hostKey && { fingerprint: d.hostKey.fingerprint, keyType: d.hostKey.keyType, changedTo: d.hostKey.offered?.fingerprint ?? null },
    facts: d.facts,
  };
}

function statusTable(devices: Device[]): string {
  if (!devices.length) return 'No devices.\n';
  const now = Date.now();
  return table(
    ['NAME', 'SITE', 'STATE', 'BOOTED IMAGE', 'DIGEST', 'VERSION', 'STAGED', 'ROLLBACK', 'LAST SEEN'],
    devices.map((d) => {
      const s = d.status;
      const staged = s.staged ? `${shortOrDash(s.staged.digest)}${s.staged.version ? ` (${s.staged.version})` : ''}` : '-';
      return [
        d.name,
        d.siteName ?? '-',
        stateText(d),
        s.bootedAs ? `${s.bootedAs} (library)` : (s.bootedImage ?? '-'),
        shortOrDash(s.booted?.digest) + (s.update ? ' *' : ''),
        s.booted?.version ?? '-',
        staged,
        s.rollback ? shortOrDash(s.rollback.digest) : '-',
        ago(s.lastSeenAt, now),
      ];
    }),
  );
}

function errorLines(devices: Device[]): string {
  const failing = devices.filter((d) => d.status.error);
  if (!failing.length) return '';
  return '\n' + failing.map((d) => `  ${d.siteName ? `${d.siteName}/` : ''}${d.name}: ${d.status.error!.message} [${d.status.error!.code}]`).join('\n') + '\n';
}

function progressLine(p: RefreshProgress): string {
  const width = 24;
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  const rate = p.rate ? `  ${p.rate.toFixed(1)}/s` : '';
  const eta = p.etaSeconds !== null && p.state === 'running' ? `  ETA ${p.etaSeconds} s` : '';
  return `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${p.done}/${p.total}  ok ${p.ok}  failed ${p.failed}${rate}${eta}`;
}

function groupsText(p: RefreshProgress): string {
  return p.groups
    .map((g) => {
      const shown = g.devices.map((d) => `    ${d.siteName ? `${d.siteName}/` : ''}${d.name}: ${d.message}`);
      if (g.count > g.devices.length) shown.push(`    ... and ${g.count - g.devices.length} more`);
      return `  ${g.label} (${g.count}):\n${shown.join('\n')}`;
    })
    .join('\n');
}

export function registerStatus(program: Command, kit: CommandKit): void {
  program
    .command('status')
    .argument('[names...]', 'devices by NAME or SITE/NAME (default: all, or those of --site/--tag)')
    .option('--all', 'every device (the default without names; required with --refresh)')
    .option('--site <site>', 'only devices of this site')
    .option('--tag <tag>', 'only devices with this tag (repeat: all must match)', collect)
    .option('--refresh', 'contact the devices over SSH first (otherwise: the stored state)')
    .option('--facts', 'with --refresh: also re-read hostname, OS, kernel and disks')
    .option('--concurrency <n>', 'with --refresh: devices contacted at once (default 32)', intOption('--concurrency', 1, 256))
    .description('what each device runs: booted, staged and rollback images and digests, from the last contact or a fresh one')
    .addHelpText(
      'after',
      `
Without --refresh nothing is contacted. With it, progress is drawn on stderr when it is a
terminal, Ctrl-C cancels, and the exit status is 1 when any device could not be read.
--json prints one object per device: its deployments, state, reachable, error {code, message}, lastSeen.`,
    )
    .action(
      kit.run(async (s, o, ...names) => {
        // Commander hands a variadic argument over as one array.
        const namesArg = ((names as unknown[]).flat() as string[]).filter(Boolean);
        if (o.refresh && !namesArg.length && !o.all && o.site === undefined && !o.tag) {
          throw new AppError(ErrorCode.VALIDATION_FAILED, 'Name the devices to refresh, or use --all, --site or --tag.');
        }
        if (o.concurrency) s.ssh = { concurrency: o.concurrency as number };
        let devices = await selectDevices(s, namesArg, o);
        let progress: RefreshProgress | null = null;
        if (o.refresh && devices.length) {
          progress = await refreshWithProgress(s, kit, devices, o);
          devices = await selectDevices(s, devices.map((d) => d.id), {});
        }
        if (o.json) {
          const details = await Promise.all(devices.map((d) => s.call('fleet.device', { device: d.id, historyLimit: 1 })));
          kit.print(o, details.map(jsonOf), () => '');
        } else {
          let out = statusTable(devices);
          if (devices.some((d) => d.status.update)) out += '* an update was seen by a check (bootc upgrade --check)\n';
          if (progress && progress.groups.length) out += `\nFailed (${progress.failed} of ${progress.total}):\n${groupsText(progress)}\n`;
          else out += errorLines(devices);
          if (progress?.state === 'canceled') out += `\n${progress.message}\n`;
          kit.io.stdout(out);
        }
        if (progress && (progress.failed > 0 || progress.state !== 'done')) kit.exitWith(1);
      }),
    );
}

async function refreshWithProgress(s: CliSession, kit: CommandKit, devices: Device[], o: Record<string, unknown>): Promise<RefreshProgress> {
  const core = s.open();
  const tty = kit.io.stderrIsTty === true && !o.json;
  const off = core.bus.subscribe((event, payload) => {
    if (event === 'fleet.progress' && tty) kit.io.stderr(`\r${progressLine(payload as RefreshProgress)}\u001b[K`);
  });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const p = await core.fleet.refresh(
      core.actor,
      { devices: devices.map((d) => d.id), facts: !!o.facts, ...(o.concurrency ? { concurrency: o.concurrency as number } : {}) },
      controller.signal,
    );
    if (tty) kit.io.stderr(`\r${progressLine(p)}\u001b[K\n`);
    else if (!o.json) kit.io.stderr(`Refreshed ${p.done} of ${p.total} devices: ${p.ok} answered, ${p.failed} failed.\n`);
    return p;
  } finally {
    process.off('SIGINT', onSigint);
    off();
  }
}

function hostKeyRows(keys: HostKey[]): string[][] {
  return keys.map((k) => [k.label, k.keyType, k.fingerprint, k.source, k.pinnedAt.slice(0, 19).replace('T', ' '), k.offered ? `CHANGED to ${k.offered.fingerprint}` : '']);
}

export function registerHostKeys(program: Command, kit: CommandKit): void {
  const hk = program.command('hostkeys').description('pinned SSH host keys of devices and jump hosts');
  hk.command('list')
    .alias('ls')
    .description('every pinned host key, and changed keys awaiting review')
    .action(
      kit.run(async (s, o) => {
        const keys = await s.call('hostkeys.list', {});
        kit.print(o, keys, () =>
          keys.length
            ? table(['DEVICE', 'TYPE', 'FINGERPRINT', 'PINNED BY', 'SINCE', 'ALERT'], hostKeyRows(keys), 64)
            : 'No host keys pinned yet: they are pinned on first contact (bootfleet status --refresh).\n',
        );
      }),
    );
  hk.command('import')
    .argument('[file]', 'a known_hosts file (default ~/.ssh/known_hosts; hashed entries are read too)')
    .option('--site <site>', 'only devices of this site')
    .option('--dry-run', 'show what would be pinned; write nothing')
    .description('pin host keys from known_hosts for devices that have none pinned yet')
    .action(
      kit.run(async (s, o, file) => {
        const r = await s.call('hostkeys.import', { ...(file ? { path: file } : {}), site: o.site as string | undefined, dryRun: !!o.dryRun });
        kit.print(o, r, () => {
          const lines = [
            `${r.dryRun ? 'Would pin' : 'Pinned'} ${r.pinned.length} host key${r.pinned.length === 1 ? '' : 's'} from ${r.source}; ${r.alreadyPinned} already pinned, ${r.notListed} device${r.notListed === 1 ? '' : 's'} not listed.`,
            ...r.pinned.map((p) => `  ${p.device}: ${p.keyType} ${p.fingerprint}`),
            ...r.conflicts.map((c) => `  DIFFERS ${c.device}: pinned ${c.pinned}, file has ${c.inFile} (left as pinned; check the device)`),
            ...r.revoked.map((x) => `  REVOKED ${x.device}: ${x.fingerprint} is @revoked in the file`),
            ...r.errors.map((e) => `  line ${e.line}: ${e.message}`),
          ];
          return lines.join('\n') + '\n';
        });
      }),
    );
  hk.command('accept')
    .argument('<name>', 'device NAME or SITE/NAME')
    .option('--fingerprint <SHA256:...>', 'accept only if the changed key has this fingerprint (check it on the device console first)')
    .description('pin the changed host key a device presented (refused until now); logged')
    .action(
      kit.run(async (s, o, name) => {
        const k = await s.call('hostkeys.accept', { device: name!, ...(o.fingerprint ? { fingerprint: o.fingerprint as string } : {}) });
        kit.print(o, k, () => `Pinned ${k.keyType} ${k.fingerprint} for ${k.label}.\n`);
      }),
    );
  hk.command('forget')
    .argument('<name>', 'device NAME or SITE/NAME')
    .description('forget the pinned key: the next connection pins whatever the device presents; logged')
    .action(
      kit.run(async (s, o, name) => {
        const r = await s.call('hostkeys.forget', { device: name! });
        kit.print(o, r, () => (r.forgotten ? `Forgot the host key of ${name}; the next contact pins a new one.\n` : `${name} had no pinned host key.\n`));
      }),
    );
}
