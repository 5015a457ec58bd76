/**
 * Readers for a user's OpenSSH files, so an inventory can be imported from them: `known_hosts`
 * (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT) and `~/.ssh/config` (ssh_config(5)). Pure: text in,
 * data out; nothing here reads files, resolves names or runs commands.
 */
import { createHash, createHmac } from 'node:crypto';
import { parse as parseConfigText, type Directive, type Line } from 'ssh-config';
import { AppError, ErrorCode } from '../../../shared/errors';

// ---------------------------------------------------------------------------------------------
// known_hosts

/** What a known_hosts line vouches for: the host's own key (null), a CA's key, or a revoked key. */
export type KnownHostsMarker = 'cert-authority' | 'revoked' | null;

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  /** 1-based line number in the file. */
  line: number;
  marker: KnownHostsMarker;
  /** Host patterns as written (`host`, `[host]:port`, `*.lan`, `!bad`); empty on a hashed line. */
  patterns: string[];
  /** `|1|salt|hash` names: HMAC-SHA1, keyed with salt, of `host` (port 22) or `[host]:port`. */
  hashed: { salt: Buffer; hash: Buffer }[];
  keyType: string;
  /** The decoded public key blob. */
  key: Buffer;
  /** `SHA256:...` exactly as `ssh-keygen -l` prints it. */
  fingerprint: string;
  comment: string | null;
}

/** A known_hosts line that could not be read, with why. */
export interface KnownHostsError {
  line: number;
  message: string;
}

/** A read known_hosts file: every usable line, and one error per line that is not (never thrown). */
export interface KnownHosts {
  entries: KnownHostsEntry[];
  errors: KnownHostsError[];
}

/** A key that known_hosts lists for a host. */
export interface KnownHostKey {
  line: number;
  keyType: string;
  fingerprint: string;
  key: Buffer;
  /** A matching `@revoked` line lists the same key: ssh refuses it. */
  revoked: boolean;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SHA1_BYTES = 20;

/** `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
export function keyFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Reads a known_hosts file. Blank and `#` lines are skipped; bad lines go to `errors`. */
export function parseKnownHosts(text: string): KnownHosts {
  const result: KnownHosts = { entries: [], errors: [] };
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/[ \t]+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const entry = knownHostsLine(fields, i + 1);
    if (typeof entry === 'string') result.errors.push({ line: i + 1, message: entry });
    else result.entries.push(entry);
  });
  return result;
}

/** One non-blank line as an entry, or why it is unusable. */
function knownHostsLine(fields: string[], line: number): KnownHostsEntry | string {
  let marker: KnownHostsMarker = null;
  if (fields[0]!.startsWith('@')) {
    const m = fields.shift()!;
    if (m !== '@cert-authority' && m !== '@revoked') return `unknown marker ${m} (expected @cert-authority or @revoked)`;
    marker = m.slice(1) as KnownHostsMarker;
  }
  const [names, keyType, base64, ...comment] = fields;
  if (!names) return 'no host names';
  if (!keyType) return 'no key type';
  if (!base64) return 'no key';
  if (!BASE64.test(base64)) return 'the key is not valid base64';
  const key = Buffer.from(base64, 'base64');
  const inner = blobKeyType(key);
  if (inner !== keyType) return inner ? `the key is ${inner}, not ${keyType}` : `the key is not an SSH public key blob`;

  let patterns: string[] = [];
  const hashed: KnownHostsEntry['hashed'] = [];
  if (names.startsWith('|')) {
    // As in OpenSSH, a hashed name is the whole field: ssh-keygen -H writes one line per name.
    const [empty, magic, salt = '', hash = '', ...more] = names.split('|');
    const bytes = (s: string): Buffer | null => (BASE64.test(s) && Buffer.from(s, 'base64').length === SHA1_BYTES ? Buffer.from(s, 'base64') : null);
    const saltBytes = bytes(salt);
    const hashBytes = bytes(hash);
    if (empty || magic !== '1' || more.length || !saltBytes || !hashBytes) return `bad hashed host name ${names} (expected |1|salt|hash)`;
    hashed.push({ salt: saltBytes, hash: hashBytes });
  } else {
    patterns = names.split(',');
  }
  return { line, marker, patterns, hashed, keyType, key, fingerprint: keyFingerprint(key), comment: comment.join(' ') || null };
}

/** The key type named at the start of a public key blob (a uint32-length string), or null. */
function blobKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  return len > 0 && len <= 64 && 4 + len <= blob.length ? blob.toString('latin1', 4, 4 + len) : null;
}

/** The name ssh looks up in known_hosts: `host` on port 22, `[host]:port` otherwise, lowercased. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/**
 * The keys known_hosts lists for host:port (host bare, IPv6 without brackets), in file order:
 * plain host keys by default, or the `@revoked` / `@cert-authority` ones when `marker` says so.
 * Hashed names, wildcards and negations count as ssh counts them; matching ignores case.
 */
export function matchKnownHost(entries: KnownHostsEntry[], host: string, port: number, marker: KnownHostsMarker = null): KnownHostKey[] {
  const name = knownHostsName(host, port);
  const matching = entries.filter((e) => e.hashed.some((h) => createHmac('sha1', h.salt).update(name).digest().equals(h.hash)) || matchesPatternList(name, e.patterns, true));
  const revoked = matching.filter((e) => e.marker === 'revoked');
  return matching
    .filter((e) => e.marker === marker)
    .map((e) => ({ line: e.line, keyType: e.keyType, fingerprint: e.fingerprint, key: e.key, revoked: revoked.some((r) => r.key.equals(e.key)) }));
}

/**
 * OpenSSH's pattern lists: any matching `!pattern` rules the text out, otherwise one matching
 * pattern is enough. `*` is any run of characters, `?` exactly one.
 */
function matchesPatternList(text: string, patterns: string[], ignoreCase = false): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const glob = (negated ? p.slice(1) : p).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    if (new RegExp(`^${glob}$`, ignoreCase ? 'is' : 's').test(text)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------
// ~/.ssh/config

/** One concrete `Host` alias of an ssh config, with the values ssh would use to reach it. */
export interface SshConfigHost {
  alias: string;
  /** HostName with `%h` expanded and lowercased as ssh does; the alias when not set. */
  hostName: string;
  /** null: not set, so ssh would use the local user name. */
  user: string | null;
  /** 22 when not set, or when invalid (then `error` says so). */
  port: number;
  /** The first IdentityFile, `~` and the simple `%` tokens expanded; null when none is set. */
  identityFile: string | null;
  /** ProxyJump as written (check it with `parseProxyJump`); null when unset or `none`. */
  proxyJump: string | null;
  /** Settings that matter for connecting but were not imported, as sentences. */
  warnings: string[];
  /** Why the alias cannot be imported as it stands (an invalid Port or ProxyJump); else null. */
  error: string | null;
}

/**
 * Reads an ssh config into one entry per concrete `Host` alias, in file order. Wildcard and
 * negated patterns (`*`, `*.lan`, `!x`) make no entry of their own but lend their values to the
 * aliases they match; the first value obtained wins, as in ssh. `Match` blocks are not evaluated
 * and `Include` is not followed (this reads text, not files): both become warnings, as does
 * ProxyCommand. `home` and `user` are the local user's, for `~`, `%d` and `%u`.
 *
 * The `ssh-config` package does the parsing (quoting, sections). Its `compute()` is not used: it
 * lets `?` match zero characters, runs `Match exec` commands and nslookup, and cannot tell
 * whether ProxyCommand or ProxyJump came first. Throws VALIDATION_FAILED if the text cannot be parsed.
 */
export function parseSshConfig(text: string, opts: { home: string; user: string }): SshConfigHost[] {
  let lines: Line[];
  try {
    lines = parseConfigText(text);
  } catch (err) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `The ssh config cannot be read: ${(err as Error).message}`);
  }
  const aliases = new Set<string>();
  for (const line of lines) {
    if (isSection(line, 'host')) for (const p of valuesOf(line)) if (!/[*?!]/.test(p)) aliases.add(p);
  }
  return [...aliases].map((alias) => hostEntry(lines, alias, opts));
}

function hostEntry(lines: Line[], alias: string, opts: { home: string; user: string }): SshConfigHost {
  const { values, identityFiles, proxy, warnings } = settingsFor(lines, alias);
  let error: string | null = null;
  const hostName = expandTokens(values.get('hostname') ?? alias, { h: alias }, 'HostName', warnings).toLowerCase();
  const user = values.get('user') ?? null;

  let port = 22;
  const portText = values.get('port');
  if (portText !== undefined) {
    if (isPort(portText)) port = +portText;
    else error = `Port "${portText}" is not a number from 1 to 65535.`;
  }

  let proxyJump: string | null = null;
  if (proxy?.param === 'proxycommand' && proxy.value.toLowerCase() !== 'none') {
    warnings.push(`ProxyCommand is not supported; "${proxy.value}" was not imported.`);
  } else if (proxy?.param === 'proxyjump' && proxy.value.toLowerCase() !== 'none') {
    proxyJump = proxy.value;
    try {
      parseProxyJump(proxyJump);
    } catch (err) {
      error ??= (err as Error).message;
    }
  }

  let identityFile: string | null = null;
  const [first, ...rest] = identityFiles;
  if (first !== undefined) {
    const tokens = { '%': '%', d: opts.home, u: opts.user, h: hostName, n: alias, p: String(port), r: user ?? opts.user };
    identityFile = expandTokens(expandTilde(first, opts.home, warnings), tokens, 'IdentityFile', warnings);
  }
  if (rest.length) warnings.push(`Only the first IdentityFile was imported; not ${rest.join(', ')}.`);
  return { alias, hostName, user, port, identityFile, proxyJump, warnings, error };
}

/** Everything the config says for one alias, taking the first value of each setting, as ssh does. */
function settingsFor(lines: Line[], alias: string) {
  const values = new Map<string, string>();
  const identityFiles: string[] = [];
  const warnings: string[] = [];
  // ProxyCommand and ProxyJump exclude each other: the first one obtained wins.
  let proxy: { param: string; value: string } | undefined;

  const apply = (d: Directive): void => {
    const param = d.param.toLowerCase();
    const value = valuesOf(d).join(' ');
    if (param === 'identityfile') identityFiles.push(value);
    else if (param === 'include') warnings.push(`Include ${value} was not followed.`);
    else if (param === 'proxycommand' || param === 'proxyjump') proxy ??= { param, value };
    else if (!values.has(param)) values.set(param, value);
  };
  for (const line of lines) {
    if (isSection(line, 'match')) warnings.push(`Match ${valuesOf(line).join(' ')} was not evaluated; settings under it were not imported.`);
    else if (isSection(line, 'host')) {
      if (matchesPatternList(alias, valuesOf(line))) for (const d of line.config) if (isDirective(d)) apply(d);
    } else if (isDirective(line)) apply(line);
  }
  return { values, identityFiles, proxy, warnings };
}

function isDirective(line: Line): line is Directive {
  return 'param' in line && line.param !== '';
}

function isSection(line: Line, param: 'host' | 'match'): line is Directive & { config: Line[] } {
  return isDirective(line) && 'config' in line && line.param.toLowerCase() === param;
}

function valuesOf(d: Directive): string[] {
  return typeof d.value === 'string' ? [d.value] : d.value.map((v) => v.val);
}

function expandTilde(path: string, home: string, warnings: string[]): string {
  if (path === '~' || path.startsWith('~/')) return home + path.slice(1);
  if (path.startsWith('~')) warnings.push(`"${path}": ~user paths are not expanded.`);
  return path;
}

/** Replaces `%x` tokens found in `tokens`; any other token stays as written, with a warning. */
function expandTokens(text: string, tokens: Record<string, string>, setting: string, warnings: string[]): string {
  return text.replace(/%(.?)/g, (whole, key: string) => {
    if (key === '%') return '%';
    if (key in tokens) return tokens[key]!;
    warnings.push(`${setting} "${text}": token ${whole} was not expanded.`);
    return whole;
  });
}

// ---------------------------------------------------------------------------------------------
// ProxyJump

/** One hop of a ProxyJump chain; null user or port: not given (the hop's own config, or ssh's default, applies). */
export interface JumpHop {
  user: string | null;
  host: string;
  port: number | null;
}

/**
 * Parses OpenSSH's ProxyJump value: `[user@]host[:port]` or `ssh://[user@]host[:port]` hops,
 * comma-separated, first hop first; IPv6 hosts in brackets (`[::1]:22`). `none` gives no hops.
 * Throws VALIDATION_FAILED naming the bad hop on anything ssh would refuse.
 */
export function parseProxyJump(spec: string): JumpHop[] {
  const text = spec.trim();
  if (text.toLowerCase() === 'none') return [];
  return text.split(',').map((hop) => {
    const bad = (why: string): AppError => new AppError(ErrorCode.VALIDATION_FAILED, `Invalid ProxyJump "${spec}": ${why}.`);
    if (!hop) throw bad('a hop is empty');
    if (/\s/.test(hop)) throw bad(`"${hop}" contains whitespace`);
    const uri = hop.startsWith('ssh://');
    let rest = uri ? hop.slice('ssh://'.length) : hop;
    let user: string | null = null;
    // Like ssh: a URI's user ends at the first `@` (and may carry `;params`), a plain one at the last.
    const at = uri ? rest.indexOf('@') : rest.lastIndexOf('@');
    if (at >= 0) {
      user = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (uri) {
        try {
          user = decodeURIComponent(user.split(';')[0]!);
        } catch {
          throw bad(`"${hop}" has a badly %-encoded user`);
        }
      }
      if (!user) throw bad(`"${hop}" has an empty user`);
    }
    if (!rest.startsWith('[') && rest.split(':').length > 2) throw bad(`"${hop}": put an IPv6 address in brackets, [addr]:port`);
    const m = /^(\[[^\]]*\]|[^:/[\]]*)(?::([^/]*))?(\/.*)?$/.exec(rest);
    if (!m) throw bad(`"${hop}" is not [user@]host[:port]`);
    const [, rawHost = '', portText, path] = m;
    const host = rawHost.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw bad(`"${hop}" has no host`);
    if (path !== undefined && !(uri && path === '/')) throw bad(uri ? `"${hop}" has a path` : `"${hop}" contains "/"`);
    let port: number | null = null;
    if (portText) {
      if (!isPort(portText)) throw bad(`"${hop}" has port "${portText}", not a number from 1 to 65535`);
      port = +portText;
    }
    return { user, host, port };
  });
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && +text >= 1 && +text <= 65535;
}
