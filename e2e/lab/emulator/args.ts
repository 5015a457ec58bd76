/**
 * A clap-4-like command-line parser for the bootc verbs the emulator implements, built per
 * release so that a flag an older bootc did not have is rejected exactly as clap rejects it
 * (exit 2, `error: unexpected argument '--x' found`, tips, `Usage: …`, `For more information,
 * try '--help'.`). Error texts follow clap_builder's RichFormatter and Usage (clap 4.5/4.6).
 */
import type { BootcFeatures } from './versions';

/** One argument of a command, as clap derive would build it. */
export interface ArgDef {
  /** clap id (the Rust field name). */
  id: string;
  long?: string;
  short?: string;
  kind: 'flag' | 'value' | 'positional';
  /** Placeholder, default: id upper-cased. */
  valueName?: string;
  /** ValueEnum possible values (visible ones). */
  possible?: string[];
  /** Hidden possible values (accepted, not listed). */
  hiddenPossible?: string[];
  /** Value parser: u32 (clap's ranged i64 parser) or a progress fd. */
  parse?: 'u32';
  /** ArgAction::Append (may be given several times). */
  multiple?: boolean;
  hidden?: boolean;
  conflicts?: string[];
  requires?: string[];
  required?: boolean;
  /** Default value (does not count as "present"). */
  defaultValue?: string;
  help?: string;
}

/** One (sub)command. */
export interface CommandDef {
  name: string;
  aliases?: string[];
  about: string;
  args: ArgDef[];
  subcommands?: CommandDef[];
  /** Parsed but answered with "not emulated" by bootc.ts. */
  notEmulated?: boolean;
  hidden?: boolean;
}

/** The values of a successfully parsed command line. */
export interface ParsedArgs {
  /** Subcommand path, e.g. ['install', 'to-disk'] (canonical names, aliases resolved). */
  path: string[];
  /** Flags given (by id). */
  flags: Set<string>;
  /** Single values given or defaulted (by id). */
  values: Map<string, string>;
  /** Append values (by id). */
  lists: Map<string, string[]>;
  /** Ids the user gave explicitly, in command-line order. */
  given: string[];
}

/** What the parser decided. */
export type ParseOutcome = { kind: 'run'; args: ParsedArgs } | { kind: 'exit'; code: number; stdout: string; stderr: string };

const TAB = '  ';

// ---------------------------------------------------------------------------------------------
// The command tree per release

function flag(id: string, help: string, extra: Partial<ArgDef> = {}): ArgDef {
  return { id, long: id.replace(/_/g, '-'), kind: 'flag', help, ...extra };
}

function opt(id: string, help: string, extra: Partial<ArgDef> = {}): ArgDef {
  return { id, long: id.replace(/_/g, '-'), kind: 'value', help, ...extra };
}

function softReboot(f: BootcFeatures, conflicts?: string[]): ArgDef[] {
  if (!f.softReboot) return [];
  return [
    opt('soft_reboot', "Configure soft reboot behavior.\n\n'required' fails if soft reboot unavailable, 'auto' falls back to regular reboot.", {
      possible: ['required', 'auto'],
      hidden: f.softRebootHidden,
      ...(conflicts ? { conflicts } : {}),
    }),
  ];
}

function progressFd(f: BootcFeatures): ArgDef[] {
  return f.progressFd ? [opt('progress_fd', 'File descriptor number which must refer to an open pipe.', { hidden: true, parse: 'u32' })] : [];
}

function statusCmd(f: BootcFeatures): CommandDef {
  const args: ArgDef[] = [flag('json', 'Output in JSON format.\n\nSuperceded by the `format` option.', { hidden: true })];
  if (f.statusFormat) args.push(opt('format', 'The output format.', { possible: [...(f.formatHumanReadable ? ['humanreadable'] : []), 'yaml', 'json'] }));
  if (f.formatVersionFlag)
    args.push(
      opt('format_version', 'The desired format version. There is currently one supported version, which is exposed as both `0` and `1`. Pass this option to explicitly request it; it is possible that another future version 2 or newer will be supported in the future.', {
        parse: 'u32',
      }),
    );
  args.push(flag('booted', 'Only display status for the booted deployment.'));
  if (f.statusVerbose) args.push(flag('verbose', 'Include additional fields in human readable format.', { short: 'v' }));
  return { name: 'status', about: 'Display status.\n\nShows bootc system state. Outputs YAML by default, human-readable if terminal detected.', args };
}

function upgradeCmd(f: BootcFeatures): CommandDef {
  const args: ArgDef[] = [
    flag('quiet', "Don't display progress"),
    flag('check', 'Check if an update is available without applying it.\n\nThis only downloads updated metadata, not the full image layers.', { conflicts: ['apply'] }),
    flag('apply', 'Restart or reboot into the new target image.\n\nCurrently, this always reboots. Future versions may support userspace-only restart.', { conflicts: ['check'] }),
    ...softReboot(f, ['check']),
  ];
  if (f.downloadOnly) {
    args.push(flag('download_only', 'Download and stage the update without applying it.', { conflicts: ['check', 'apply'] }));
    args.push(flag('from_downloaded', 'Apply a staged deployment that was previously downloaded with --download-only.', { conflicts: ['check', 'download_only'] }));
  }
  if (f.upgradeTag) args.push(opt('tag', 'Upgrade to a different tag of the currently booted image.'));
  args.push(...progressFd(f));
  return { name: 'upgrade', aliases: ['update'], about: 'Download and queue an updated container image to apply.', args };
}

function switchCmd(f: BootcFeatures): CommandDef {
  const args: ArgDef[] = [flag('quiet', "Don't display progress")];
  if (f.switchApply) args.push(flag('apply', 'Restart or reboot into the new target image.\n\nCurrently, this always reboots. Future versions may support userspace-only restart.'));
  args.push(...softReboot(f));
  args.push(opt('transport', 'The transport; e.g. registry, oci, oci-archive, docker-daemon, containers-storage.  Defaults to `registry`.', { defaultValue: 'registry' }));
  args.push(flag('no_signature_verification', 'This argument is deprecated and does nothing.', { hidden: true }));
  args.push(flag('enforce_container_sigpolicy', 'This is the inverse of the previous `--target-no-signature-verification` (which is now a no-op).'));
  if (f.switchOstreeRemote) args.push(opt('ostree_remote', 'Enable verification via an ostree remote'));
  args.push(flag('mutate_in_place', "Don't create a new deployment, but directly mutate the booted state.", { hidden: true }));
  args.push(flag('retain', 'Retain reference to currently booted image'));
  if (f.install.experimentalUnifiedStorage) args.push(flag('unified_storage_exp', 'Use unified storage path to pull images (experimental)', { long: 'experimental-unified-storage', hidden: true }));
  args.push({ id: 'target', kind: 'positional', required: true, help: 'Target image to use for the next boot.' });
  args.push(...progressFd(f));
  return { name: 'switch', about: 'Target a new container image reference to boot.', args };
}

function rollbackCmd(f: BootcFeatures): CommandDef {
  const args: ArgDef[] = [];
  if (f.rollbackApply) args.push(flag('apply', 'Restart or reboot into the rollback image.'));
  args.push(...softReboot(f));
  return { name: 'rollback', about: 'Change the bootloader entry ordering; the deployment under `rollback` will be queued for the next boot, and the current will become rollback.', args };
}

function usrOverlayCmd(f: BootcFeatures): CommandDef {
  const args: ArgDef[] = f.usrOverlayReadOnly ? [flag('read_only', 'Mount the overlayfs as read-only.')] : [];
  return { name: 'usr-overlay', aliases: ['usroverlay'], about: 'Add a transient overlayfs on `/usr`.\n\nAllows temporary package installation that will be discarded on reboot.', args };
}

function toDiskCmd(f: BootcFeatures): CommandDef {
  const i = f.install;
  const args: ArgDef[] = [
    { id: 'device', kind: 'positional', required: true, help: 'Target block device for installation.  The entire device will be wiped.' },
    flag('wipe', 'Automatically wipe all existing data on device'),
    opt('block_setup', 'Target root block device setup.', { possible: ['direct', 'tpm2-luks'] }),
    opt('filesystem', 'Target root filesystem type.', { possible: ['xfs', 'ext4', 'btrfs'] }),
    opt('root_size', 'Size of the root partition (default specifier: M).  Allowed specifiers: M (mebibytes), G (gibibytes), T (tebibytes).'),
    opt('source_imgref', 'Install the system from an explicitly given source.'),
    opt('target_transport', 'The transport; e.g. oci, oci-archive, containers-storage.  Defaults to `registry`.', { defaultValue: 'registry' }),
    opt('target_imgref', 'Specify the image to fetch for subsequent updates'),
    flag('target_no_signature_verification', 'This command line argument does nothing; it exists for compatibility.', { hidden: true }),
    flag('enforce_container_sigpolicy', 'This is the inverse of the previous `--target-no-signature-verification` (which is now a no-op).'),
  ];
  if (i.runFetchCheck) args.push(flag('run_fetch_check', 'Verify the image can be fetched from the bootc image.'));
  args.push(flag('skip_fetch_check', 'Verify the image can be fetched from the bootc image.'));
  if (i.experimentalUnifiedStorage) args.push(flag('unified_storage_exp', 'Use unified storage path to pull images (experimental)', { long: 'experimental-unified-storage', hidden: true }));
  args.push(flag('disable_selinux', 'Disable SELinux in the target (installed) system.'));
  args.push(opt('karg', 'Add a kernel argument.  This option can be provided multiple times.', { multiple: true }));
  if (i.kargDelete) args.push(opt('karg_delete', 'Remove a kernel argument.  This option can be provided multiple times.', { multiple: true }));
  args.push(opt('root_ssh_authorized_keys', 'The path to an `authorized_keys` that will be injected into the `root` account.'));
  args.push(flag('generic_image', 'Perform configuration changes suitable for a "generic" disk image.'));
  if (i.boundImages) args.push(opt('bound_images', 'How should logically bound images be retrieved.', { possible: ['stored', 'pull'], hiddenPossible: ['skip'], defaultValue: 'stored' }));
  else args.push(flag('skip_bound_images', 'Skip pulling logically bound images', { hidden: true }));
  if (i.stateroot) args.push(opt('stateroot', 'The stateroot name to use. Defaults to `default`.'));
  if (i.bootupdSkipBootUuid) args.push(flag('bootupd_skip_boot_uuid', "Don't pass --write-uuid to bootupd during bootloader installation."));
  if (i.bootloader) args.push(opt('bootloader', 'The bootloader to use.', { possible: ['grub', ...(f.install.grubCc ? ['grub-cc'] : []), 'systemd', 'none'] }));
  args.push(flag('via_loopback', 'Instead of targeting a block device, write to a file via loopback.'));
  if (i.bootloader) args.push(flag('composefs_backend', 'If true, composefs backend is used, else ostree backend is used'));
  if (i.allowMissingVerity) args.push(flag('allow_missing_verity', "Make fs-verity validation optional in case the filesystem doesn't support it", { requires: ['composefs_backend'] }));
  if (i.bootloader) args.push(opt('uki_addon', 'Name of the UKI addons to install without the ".efi.addon" suffix.', { multiple: true, requires: ['composefs_backend'] }));
  return { name: 'to-disk', about: 'Install to the target block device.', args };
}

function installCmd(f: BootcFeatures): CommandDef {
  const stub = (name: string, about: string, hidden = false): CommandDef => ({ name, about, args: [], notEmulated: true, hidden });
  return {
    name: 'install',
    about: 'Install the running container to a target.\n\nTakes a container image and installs it to disk in a bootable format.',
    args: [],
    subcommands: [
      toDiskCmd(f),
      stub('to-filesystem', 'Install to an externally created filesystem structure.'),
      stub('to-existing-root', 'Install to the host root filesystem.'),
      stub('finalize', 'Execute this as the penultimate step of an installation using `install to-filesystem`.'),
      stub('ensure-completion', 'Intended for use in environments that are performing an ostree-based installation, not bootc.'),
      stub('print-configuration', 'Output JSON to stdout that contains the merged installation configuration.'),
    ],
  };
}

/** The whole `bootc` command tree of one release. */
export function buildCli(f: BootcFeatures): CommandDef {
  const stub = (name: string, about: string, hidden = false): CommandDef => ({ name, about, args: [], notEmulated: true, hidden });
  return {
    name: 'bootc',
    about: 'Deploy and transactionally in-place with bootable container images.',
    args: [],
    subcommands: [
      upgradeCmd(f),
      switchCmd(f),
      rollbackCmd(f),
      stub('edit', 'Apply full changes to the host specification.'),
      statusCmd(f),
      usrOverlayCmd(f),
      installCmd(f),
      stub('container', 'Operations which can be executed as part of a container build.'),
      stub('image', 'Operations on container images.', true),
      stub('internals', 'Internal operations', true),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// clap's helpers

/** strsim::jaro, as clap uses for "a similar … exists" suggestions. */
export function jaro(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0 && y.length === 0) return 1;
  if (x.length === 0 || y.length === 0) return 0;
  const range = Math.max(0, Math.floor(Math.max(x.length, y.length) / 2) - 1);
  const xFlags = new Array<boolean>(x.length).fill(false);
  const yFlags = new Array<boolean>(y.length).fill(false);
  let matches = 0;
  for (let i = 0; i < x.length; i++) {
    const lo = i > range ? i - range : 0;
    const hi = Math.min(y.length, i + range + 1);
    for (let j = lo; j < hi; j++) {
      if (!yFlags[j] && x[i] === y[j]) {
        xFlags[i] = true;
        yFlags[j] = true;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    if (!xFlags[i]) continue;
    while (!yFlags[k]) k++;
    if (x[i] !== y[k]) transpositions++;
    k++;
  }
  transpositions = Math.floor(transpositions / 2);
  return (matches / x.length + matches / y.length + (matches - transpositions) / matches) / 3;
}

/** clap's suggestions::did_you_mean: candidates above 0.7, ascending, most similar last. */
function didYouMean(v: string, candidates: string[]): string[] {
  const scored: [number, string][] = [];
  for (const c of candidates) {
    const conf = jaro(v, c);
    if (conf > 0.7) {
      let pos = scored.findIndex(([s]) => s > conf);
      if (pos < 0) pos = scored.length;
      scored.splice(pos, 0, [conf, c]);
    }
  }
  return scored.map(([, c]) => c);
}

function valueName(a: ArgDef): string {
  return a.valueName ?? a.id.toUpperCase();
}

/** Arg Display: "--check", "--format <FORMAT>", "<TARGET>". */
function argDisplay(a: ArgDef, required = true): string {
  if (a.kind === 'positional') return required ? `<${valueName(a)}>` : `[${valueName(a)}]`;
  const name = a.long ? `--${a.long}` : `-${a.short ?? ''}`;
  return a.kind === 'value' ? `${name} <${valueName(a)}>` : name;
}

function binName(path: string[]): string {
  return ['bootc', ...path].join(' ');
}

function needsOptionsTag(cmd: CommandDef): boolean {
  return cmd.args.some((a) => a.kind !== 'positional' && !a.hidden && !a.required);
}

/** clap Usage::create_usage_with_title: help usage when nothing was used, else "smart" usage. */
function usage(cmd: CommandDef, path: string[], used: ArgDef[]): string {
  const parts = [binName(path)];
  if (used.length === 0 && needsOptionsTag(cmd)) parts.push('[OPTIONS]');
  const opts: string[] = [];
  for (const a of used) {
    if (a.kind === 'positional') continue;
    const s = argDisplay(a);
    if (!opts.includes(s)) opts.push(s);
  }
  parts.push(...opts);
  for (const p of cmd.args.filter((a) => a.kind === 'positional' && !a.hidden)) parts.push(argDisplay(p, p.required === true));
  if (cmd.subcommands) parts.push('<COMMAND>');
  return `Usage: ${parts.join(' ')}`;
}

interface ErrorParts {
  message: string;
  /** A single "a similar X exists" suggestion. */
  similar?: { what: 'argument' | 'value' | 'subcommand'; values: string[] };
  /** Further "tip:" lines. */
  tips?: string[];
  usage?: string | null;
}

/** clap's RichFormatter layout. */
function formatClapError(e: ErrorParts): string {
  let s = `error: ${e.message}`;
  let suggested = false;
  if (e.similar && e.similar.values.length > 0) {
    s += '\n\n';
    suggested = true;
    const vs = e.similar.values;
    s += vs.length === 1 ? `${TAB}tip: a similar ${e.similar.what} exists: '${vs[0]}'` : `${TAB}tip: some similar ${e.similar.what}s exist: ${vs.map((v) => `'${v}'`).join(', ')}`;
  }
  if (e.tips && e.tips.length > 0) {
    if (!suggested) s += '\n';
    for (const t of e.tips) s += `\n${TAB}tip: ${t}`;
  }
  if (e.usage) s += `\n\n${e.usage}`;
  s += "\n\nFor more information, try '--help'.\n";
  return s;
}

function exitError(e: ErrorParts): ParseOutcome {
  return { kind: 'exit', code: 2, stdout: '', stderr: formatClapError(e) };
}

/** A short help in clap's layout (the option descriptions are abridged from bootc's doc comments). */
export function helpText(cmd: CommandDef, path: string[], version: string): string {
  const lines: string[] = [cmd.about.split('\n\n')[0] ?? '', '', usage(cmd, path, [])];
  const subs = (cmd.subcommands ?? []).filter((c) => !c.hidden);
  if (subs.length > 0) {
    lines.push('', 'Commands:');
    const w = Math.max(...subs.map((c) => c.name.length), 4);
    for (const c of subs) lines.push(`  ${c.name.padEnd(w)}  ${c.about.split('\n')[0] ?? ''}`);
    lines.push(`  ${'help'.padEnd(w)}  Print this message or the help of the given subcommand(s)`);
  }
  const pos = cmd.args.filter((a) => a.kind === 'positional' && !a.hidden);
  if (pos.length > 0) {
    lines.push('', 'Arguments:');
    for (const p of pos) lines.push(`  ${argDisplay(p, p.required === true)}`, `          ${(p.help ?? '').split('\n')[0] ?? ''}`, '');
    lines.pop();
  }
  lines.push('', 'Options:');
  for (const a of cmd.args.filter((x) => x.kind !== 'positional' && !x.hidden)) {
    const head = `${a.short ? `-${a.short}, ` : '    '}${argDisplay(a)}`;
    lines.push(`  ${head}`, `          ${(a.help ?? '').split('\n')[0] ?? ''}`);
    if (a.possible) lines.push(`          `, `          Possible values:`, ...a.possible.map((v) => `          - ${v}`));
    lines.push('');
  }
  lines.push('  -h, --help', "          Print help (see a summary with '-h')");
  if (path.length === 0) lines.push('', '  -V, --version', '          Print version');
  void version;
  return `${lines.join('\n')}\n`;
}

function parseU32(raw: string): string | null {
  if (raw === '') return 'cannot parse integer from empty string';
  if (!/^[+-]?\d+$/.test(raw)) return 'invalid digit found in string';
  const n = Number(raw);
  if (!Number.isSafeInteger(n) && Math.abs(n) > 2 ** 63) return 'number too large to fit in target type';
  if (n < 0 || n > 4294967295) return `${raw} is not in 0..=4294967295`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// The parser

/**
 * Parses bootc's arguments (argv without the program name) against the release's command tree.
 * Returns what to run, or what clap would print and the exit code (help/version 0, errors 2).
 */
export function parseBootcArgs(argv: string[], f: BootcFeatures): ParseOutcome {
  const root = buildCli(f);
  let cmd = root;
  const path: string[] = [];
  let i = 0;
  // Walk subcommands.
  while (cmd.subcommands) {
    const tok = argv[i];
    if (tok === undefined) return { kind: 'exit', code: 2, stdout: '', stderr: helpText(cmd, path, f.version) };
    if (tok === '--help' || tok === '-h') return { kind: 'exit', code: 0, stdout: helpText(cmd, path, f.version), stderr: '' };
    if (path.length === 0 && (tok === '--version' || tok === '-V')) return { kind: 'exit', code: 0, stdout: `bootc ${f.version}\n`, stderr: '' };
    if (tok === 'help') {
      let target = cmd;
      const p = [...path];
      for (const name of argv.slice(i + 1)) {
        const sub = target.subcommands?.find((c) => c.name === name || c.aliases?.includes(name));
        if (!sub) break;
        target = sub;
        p.push(sub.name);
      }
      return { kind: 'exit', code: 0, stdout: helpText(target, p, f.version), stderr: '' };
    }
    if (tok.startsWith('-') && tok !== '-') {
      const name = tok.startsWith('--') ? tok.slice(2).split('=')[0] ?? '' : tok.slice(1, 2);
      const longs = path.length === 0 ? ['help', 'version'] : ['help'];
      const similar = tok.startsWith('--') ? didYouMean(name, longs).slice(-1) : [];
      return exitError({
        message: `unexpected argument '${tok.startsWith('--') ? `--${name}` : `-${name}`}' found`,
        similar: similar.length ? { what: 'argument', values: similar.map((s) => `--${s}`) } : undefined,
        usage: usage(cmd, path, []),
      });
    }
    const sub = cmd.subcommands.find((c) => c.name === tok || c.aliases?.includes(tok));
    if (!sub) {
      const names = cmd.subcommands.filter((c) => !c.hidden).flatMap((c) => [c.name, ...(c.aliases ?? [])]);
      names.push('help');
      const similar = didYouMean(tok, names);
      return exitError({
        message: `unrecognized subcommand '${tok}'`,
        similar: similar.length ? { what: 'subcommand', values: similar } : undefined,
        usage: usage(cmd, path, []),
      });
    }
    cmd = sub;
    path.push(sub.name);
    i++;
  }
  return parseLeaf(cmd, path, argv.slice(i), f);
}

function parseLeaf(cmd: CommandDef, path: string[], rest: string[], f: BootcFeatures): ParseOutcome {
  const parsed: ParsedArgs = { path, flags: new Set(), values: new Map(), lists: new Map(), given: [] };
  const positionals = cmd.args.filter((a) => a.kind === 'positional');
  let posIndex = 0;
  let trailing = false;
  const usedDefs = (): ArgDef[] => parsed.given.map((id) => cmd.args.find((a) => a.id === id)).filter((a): a is ArgDef => a !== undefined && !a.hidden);
  const seen = (a: ArgDef): ParseOutcome | null => {
    if (parsed.given.includes(a.id) && !a.multiple) {
      return exitError({ message: `the argument '${argDisplay(a)}' cannot be used multiple times`, usage: usage(cmd, path, []) });
    }
    if (!parsed.given.includes(a.id)) parsed.given.push(a.id);
    return null;
  };
  const setValue = (a: ArgDef, raw: string): ParseOutcome | null => {
    if (raw === '' && (a.possible || a.parse)) {
      return exitError({ message: `a value is required for '${argDisplay(a)}' but none was supplied${a.possible ? `\n${TAB}[possible values: ${a.possible.join(', ')}]` : ''}`, usage: null });
    }
    if (a.possible && !a.possible.includes(raw) && !(a.hiddenPossible ?? []).includes(raw)) {
      const similar = didYouMean(raw, a.possible).slice(-1);
      return exitError({
        message: `invalid value '${raw}' for '${argDisplay(a)}'\n${TAB}[possible values: ${a.possible.join(', ')}]`,
        similar: similar.length ? { what: 'value', values: similar } : undefined,
        usage: null,
      });
    }
    if (a.parse === 'u32') {
      const problem = parseU32(raw);
      if (problem) return exitError({ message: `invalid value '${raw}' for '${argDisplay(a)}': ${problem}`, usage: null });
    }
    if (a.multiple) parsed.lists.set(a.id, [...(parsed.lists.get(a.id) ?? []), raw]);
    else parsed.values.set(a.id, a.parse === 'u32' ? String(Number(raw)) : raw);
    return null;
  };
  for (let i = 0; i < rest.length; i++) {
    const tok = rest[i] as string;
    if (!trailing && tok === '--') {
      trailing = true;
      continue;
    }
    if (!trailing && tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      const attached = eq >= 0 ? tok.slice(eq + 1) : undefined;
      if (name === 'help') return { kind: 'exit', code: 0, stdout: helpText(cmd, path, f.version), stderr: '' };
      const a = cmd.args.find((x) => x.long === name && x.kind !== 'positional');
      if (!a) {
        const longs = [...cmd.args.filter((x) => x.long).map((x) => x.long as string), 'help'];
        const similar = didYouMean(name, longs).slice(-1);
        const suggestedDef = similar.length ? cmd.args.find((x) => x.long === similar[0]) : undefined;
        const used = usedDefs();
        if (suggestedDef && !suggestedDef.hidden && !used.includes(suggestedDef)) used.push(suggestedDef);
        const tips = similar.length === 0 && positionals.length > 0 ? [`to pass '--${name}' as a value, use '-- --${name}'`] : [];
        return exitError({
          message: `unexpected argument '--${name}' found`,
          similar: similar.length ? { what: 'argument', values: [`--${similar[0]}`] } : undefined,
          tips,
          usage: usage(cmd, path, used),
        });
      }
      const dup = seen(a);
      if (dup) return dup;
      if (a.kind === 'flag') {
        if (attached !== undefined) {
          return exitError({ message: `unexpected value '${attached}' for '${argDisplay(a)}' found; no more were expected`, usage: usage(cmd, path, usedDefs()) });
        }
        parsed.flags.add(a.id);
        continue;
      }
      let raw = attached;
      if (raw === undefined) {
        const next = rest[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) {
          return exitError({ message: `a value is required for '${argDisplay(a)}' but none was supplied${a.possible ? `\n${TAB}[possible values: ${a.possible.join(', ')}]` : ''}`, usage: null });
        }
        raw = next;
        i++;
      }
      const bad = setValue(a, raw);
      if (bad) return bad;
      continue;
    }
    if (!trailing && tok.startsWith('-') && tok !== '-') {
      const c = tok.slice(1, 2);
      if (c === 'h') return { kind: 'exit', code: 0, stdout: helpText(cmd, path, f.version), stderr: '' };
      const a = cmd.args.find((x) => x.short === c);
      if (!a) {
        return exitError({
          message: `unexpected argument '-${c}' found`,
          tips: positionals.length > 0 ? [`to pass '-${c}' as a value, use '-- -${c}'`] : [],
          usage: usage(cmd, path, usedDefs()),
        });
      }
      const dup = seen(a);
      if (dup) return dup;
      if (a.kind === 'flag') {
        parsed.flags.add(a.id);
        // Combined short flags (-vh): handle the remaining characters one by one.
        if (tok.length > 2) rest.splice(i + 1, 0, `-${tok.slice(2)}`);
        continue;
      }
      let raw = tok.length > 2 ? tok.slice(2).replace(/^=/, '') : undefined;
      if (raw === undefined) {
        const next = rest[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) return exitError({ message: `a value is required for '${argDisplay(a)}' but none was supplied`, usage: null });
        raw = next;
        i++;
      }
      const bad = setValue(a, raw);
      if (bad) return bad;
      continue;
    }
    const p = positionals[posIndex];
    if (!p) return exitError({ message: `unexpected argument '${tok}' found`, usage: usage(cmd, path, usedDefs()) });
    posIndex++;
    parsed.given.push(p.id);
    parsed.values.set(p.id, tok);
  }
  // Conflicts, in the order the arguments were given (clap's Validator::validate_conflicts).
  for (const id of parsed.given) {
    const a = cmd.args.find((x) => x.id === id);
    if (!a) continue;
    const others: ArgDef[] = [];
    for (const otherId of parsed.given) {
      if (otherId === id) continue;
      const o = cmd.args.find((x) => x.id === otherId);
      if (!o) continue;
      if ((a.conflicts ?? []).includes(otherId) || (o.conflicts ?? []).includes(id)) if (!others.includes(o)) others.push(o);
    }
    if (others.length > 0) {
      const used = usedDefs().filter((u) => !others.includes(u));
      const message =
        others.length === 1
          ? `the argument '${argDisplay(a)}' cannot be used with '${argDisplay(others[0] as ArgDef)}'`
          : `the argument '${argDisplay(a)}' cannot be used with:${others.map((o) => `\n${TAB}${argDisplay(o)}`).join('')}`;
      return exitError({ message, usage: usage(cmd, path, used) });
    }
  }
  // Required arguments (positionals, and `requires`).
  const missing: string[] = [];
  for (const id of parsed.given) {
    const a = cmd.args.find((x) => x.id === id);
    for (const r of a?.requires ?? []) {
      const ra = cmd.args.find((x) => x.id === r);
      if (ra && !parsed.given.includes(r) && !missing.includes(argDisplay(ra))) missing.push(argDisplay(ra));
    }
  }
  for (const p of positionals) if (p.required && !parsed.given.includes(p.id)) missing.push(argDisplay(p));
  if (missing.length > 0) {
    return exitError({ message: `the following required arguments were not provided:${missing.map((m) => `\n${TAB}${m}`).join('')}`, usage: usage(cmd, path, usedDefs()) });
  }
  for (const a of cmd.args) if (a.defaultValue !== undefined && !parsed.values.has(a.id)) parsed.values.set(a.id, a.defaultValue);
  return { kind: 'run', args: parsed };
}

/** The clap error for a verb that exists in the tree but that the emulator does not implement. */
export function isNotEmulated(args: ParsedArgs, f: BootcFeatures): boolean {
  let cmd: CommandDef | undefined = buildCli(f);
  for (const p of args.path) cmd = cmd?.subcommands?.find((c) => c.name === p);
  return cmd?.notEmulated === true;
}
