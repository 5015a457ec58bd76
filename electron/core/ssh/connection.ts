import { Client, utils, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { AppError, ErrorCode } from '../../../shared/errors';
import { keyFingerprint } from './openssh-files';
import { shellLine } from './quote';

/** How to log in to one hop. Secrets are already decrypted by the caller. */
export type SshAuth =
  | { kind: 'agent'; agentSocket: string | undefined }
  | { kind: 'key'; keyPath: string; privateKey: Buffer; passphrase: string | undefined; agentSocket?: string | undefined }
  | { kind: 'password'; password: string };

/** One SSH server on the way to a device (a jump host) or the device itself. */
export interface SshHop {
  /** Where its host key is pinned: `device:<id>` or `jump:<host>:<port>`. */
  pinId: string;
  /** For messages: the device name, or `jump host user@host:port`. */
  label: string;
  host: string;
  port: number;
  user: string;
  auth: SshAuth;
}

/** The device and the jump hosts (first hop first) to reach it. */
export interface SshTarget {
  jumps: SshHop[];
  device: SshHop;
}

/** Pinning decisions, made during the handshake (before any credential is sent). */
export interface HostKeyPolicy {
  /** Returns null to accept the key, or the error to refuse it with. */
  verify(hop: SshHop, key: PresentedHostKey): AppError | null;
  /**
   * The key type pinned for the hop, if any: the handshake then asks for that type only (as
   * OpenSSH does from known_hosts), so a host with several keys is not taken for a changed one.
   */
  pinnedKeyType?(hop: SshHop): string | null;
}

/** Host key algorithms that yield a key of this type. */
function hostKeyAlgorithms(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

export interface PresentedHostKey {
  keyType: string;
  /** OpenSSH's form: `SHA256:` and unpadded base64 of the key blob's SHA-256. */
  fingerprint: string;
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  keepaliveMs: number;
  signal?: AbortSignal | undefined;
}

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Stdout beyond this many bytes fails the command with OUTPUT_TOO_LARGE (default 16 MiB). */
  maxStdout?: number;
  /** Output as it arrives (it is still collected in the result). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  exitCode: number | null;
  /** The signal that ended the remote process, if one did. */
  exitSignal: string | null;
  stdout: Buffer;
  stderr: string;
}

const MAX_STDERR = 64 * 1024;

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, ...). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  return n > 0 && n < 64 && keyBlob.length >= 4 + n ? keyBlob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/**
 * An open SSH session to a device, possibly through jump hosts. Several commands may run
 * on it one after another or at once (one channel each); `close()` ends every hop.
 */
export class SshConnection {
  private closed = false;
  private lastError: Error | null = null;
  constructor(
    readonly target: SshTarget,
    private readonly clients: Client[],
  ) {
    const device = clients[clients.length - 1]!;
    device.on('error', (e: Error) => (this.lastError = e));
    for (const c of clients) c.on('close', () => (this.closed = true));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Calls @listener once when the connection to the device closes (dropped, or closed here). */
  onClose(listener: () => void): void {
    const device = this.clients[this.clients.length - 1]!;
    if (this.closed) queueMicrotask(listener);
    else device.once('close', listener);
  }

  /**
   * Runs ARGV (quoted by `shellLine`) and collects its output. A non-zero exit is a result,
   * not an error; a timeout, a cancel or a dropped connection is an error (and closes the
   * connection, since the remote process state is unknown).
   */
  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const line = shellLine(argv);
    const label = this.target.device.label;
    const maxStdout = opts.maxStdout ?? 16 * 1024 * 1024;
    const client = this.clients[this.clients.length - 1]!;
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) {
        reject(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: the connection is closed.`));
        return;
      }
      let channel: ClientChannel | null = null;
      let done = false;
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      const finish = (e: AppError | null, r?: ExecResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        client.removeListener('close', onClientClose);
        if (e) {
          // The command may still run remotely; closing the connection is the only sure stop.
          this.close();
          reject(e);
        } else resolve(r!);
      };
      const timer = setTimeout(
        () => finish(new AppError(ErrorCode.SSH_TIMEOUT, `${label}: \`${argv.join(' ')}\` did not finish within ${secs(opts.timeoutMs)}.`, { timeoutMs: opts.timeoutMs })),
        opts.timeoutMs,
      );
      const onAbort = (): void => finish(new AppError(ErrorCode.CANCELED, `${label}: cancelled.`));
      const onClientClose = (): void =>
        finish(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: the connection dropped while \`${argv[0]}\` was running${this.lastError ? ` (${this.lastError.message})` : ''}.`));
      if (opts.signal?.aborted) {
        onAbort();
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('close', onClientClose);
      client.exec(line, (e, ch) => {
        if (e) {
          finish(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: could not start \`${argv[0]}\`: ${e.message}`));
          return;
        }
        channel = ch;
        if (done) {
          ch.close();
          return;
        }
        ch.on('data', (d: Buffer) => {
          outBytes += d.length;
          if (outBytes > maxStdout) {
            finish(new AppError(ErrorCode.OUTPUT_TOO_LARGE, `${label}: \`${argv[0]}\` printed more than ${Math.round(maxStdout / 1024 / 1024)} MiB; stopped reading.`, { maxBytes: maxStdout }));
            return;
          }
          out.push(d);
          opts.onStdout?.(d);
        });
        ch.stderr.on('data', (d: Buffer) => {
          if (err.length < MAX_STDERR) err += d.toString('utf8');
          opts.onStderr?.(d);
        });
        ch.on('close', (code: number | null, signal?: string) => {
          finish(null, { exitCode: code ?? null, exitSignal: signal ?? null, stdout: Buffer.concat(out), stderr: err.slice(0, MAX_STDERR) });
        });
      });
      void channel;
    });
  }

  /**
   * An interactive channel: the login shell, or ARGV (quoted by `shellLine`), with a remote PTY
   * when `pty` is given (as `ssh -t`), else plain pipes (as `ssh` without a terminal).
   */
  interactive(opts: { argv?: readonly string[]; pty?: { term: string; cols: number; rows: number } }): Promise<ClientChannel> {
    const label = this.target.device.label;
    const client = this.clients[this.clients.length - 1]!;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: the connection is closed.`));
      const done = (e: Error | undefined, ch: ClientChannel): void => {
        if (e) reject(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: could not open a ${opts.argv ? 'command' : 'shell'} channel: ${e.message}`));
        else resolve(ch);
      };
      const pty = opts.pty ? { term: opts.pty.term, cols: opts.pty.cols, rows: opts.pty.rows, width: 0, height: 0 } : undefined;
      if (opts.argv) client.exec(shellLine(opts.argv), pty ? { pty } : {}, done);
      else if (pty) client.shell(pty, done);
      else client.shell(false, done);
    });
  }

  /** An SFTP session on this connection (as the login user); end it when done. */
  sftp(): Promise<SFTPWrapper> {
    const label = this.target.device.label;
    const client = this.clients[this.clients.length - 1]!;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: the connection is closed.`));
      client.sftp((err, sftp) => (err ? reject(new AppError(ErrorCode.SSH_DISCONNECTED, `${label}: SFTP is not available (${err.message}); the box's sshd needs its sftp subsystem.`)) : resolve(sftp)));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.clients].reverse()) c.end();
    // end() waits for the server; a hung peer must not keep sockets open.
    const t = setTimeout(() => this.clients.forEach((c) => c.destroy()), 2000);
    t.unref();
  }
}

/** Opens a connection to the target through its jump hosts, checking every host key. */
export async function connect(target: SshTarget, policy: HostKeyPolicy, opts: ConnectOptions): Promise<SshConnection> {
  const clients: Client[] = [];
  try {
    let sock: NodeJS.ReadableStream | undefined;
    const hops = [...target.jumps, target.device];
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i]!;
      const client = await connectHop(hop, policy, opts, sock);
      clients.push(client);
      const next = hops[i + 1];
      if (next) sock = await forward(client, hop, next, opts);
    }
    return new SshConnection(target, clients);
  } catch (e) {
    for (const c of clients.reverse()) c.destroy();
    throw e;
  }
}

function forward(client: Client, via: SshHop, to: SshHop, opts: ConnectOptions): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new AppError(ErrorCode.SSH_UNREACHABLE, `${to.label}: jump host ${via.host} could not open a connection to ${to.host}:${to.port} within ${secs(opts.connectTimeoutMs)}.`)),
      opts.connectTimeoutMs,
    );
    client.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
      clearTimeout(t);
      if (err) reject(new AppError(ErrorCode.SSH_UNREACHABLE, `${to.label}: jump host ${via.host} could not reach ${to.host}:${to.port} (${err.message}).`));
      else resolve(stream);
    });
  });
}

function connectHop(hop: SshHop, policy: HostKeyPolicy, opts: ConnectOptions, sock: NodeJS.ReadableStream | undefined): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let refused: AppError | null = null;
    let settled = false;
    const settle = (e: AppError | null): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (e) {
        client.destroy();
        reject(e);
      } else resolve(client);
    };
    const onAbort = (): void => settle(new AppError(ErrorCode.CANCELED, `${hop.label}: cancelled.`));
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let config: ConnectConfig;
    const pinnedType = policy.pinnedKeyType?.(hop) ?? null;
    try {
      config = {
        host: hop.host,
        port: hop.port,
        username: hop.user,
        readyTimeout: opts.connectTimeoutMs,
        keepaliveInterval: opts.keepaliveMs,
        keepaliveCountMax: 3,
        ...(sock ? { sock: sock as ConnectConfig['sock'] } : {}),
        ...(pinnedType ? { algorithms: { serverHostKey: hostKeyAlgorithms(pinnedType) as never } } : {}),
        ...authConfig(hop),
        hostVerifier: (key: Buffer) => {
          refused = policy.verify(hop, { keyType: keyTypeOf(key), fingerprint: keyFingerprint(key) });
          return refused === null;
        },
      };
    } catch (e) {
      settle(e instanceof AppError ? e : new AppError(ErrorCode.SSH_KEY_UNUSABLE, `${hop.label}: ${(e as Error).message}`));
      return;
    }
    client.once('ready', () => settle(null));
    client.on('error', (e: Error & { level?: string; code?: string }) => settle(refused ?? translate(hop, e, opts)));
    client.once('close', () => settle(refused ?? new AppError(ErrorCode.SSH_UNREACHABLE, `${hop.label}: ${hop.host}:${hop.port} closed the connection during login.`)));
    client.connect(config);
  });
}

/** ssh2 options for the hop's credentials; a key is parsed here so a bad passphrase is named. */
function authConfig(hop: SshHop): Partial<ConnectConfig> {
  const a = hop.auth;
  if (a.kind === 'password') return { password: a.password, tryKeyboard: false };
  if (a.kind === 'agent') {
    if (!a.agentSocket) {
      throw new AppError(ErrorCode.SSH_AUTH_FAILED, `${hop.label}: authentication is by ssh-agent, but no agent is running (SSH_AUTH_SOCK is not set).`);
    }
    return { agent: a.agentSocket };
  }
  const parsed = utils.parseKey(a.privateKey, a.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new AppError(
      ErrorCode.SSH_KEY_UNUSABLE,
      encrypted
        ? a.passphrase
          ? `${hop.label}: the passphrase stored for ${a.keyPath} is wrong; enter it again.`
          : `${hop.label}: ${a.keyPath} is protected by a passphrase; store it with the device (or load the key into ssh-agent).`
        : `${hop.label}: ${a.keyPath} is not a private key ssh can use (${parsed.message}).`,
      { keyPath: a.keyPath },
    );
  }
  return { privateKey: a.privateKey, ...(a.passphrase ? { passphrase: a.passphrase } : {}) };
}

function translate(hop: SshHop, e: Error & { level?: string; code?: string }, opts: ConnectOptions): AppError {
  const where = `${hop.host}:${hop.port}`;
  if (e.level === 'client-authentication') {
    const how = hop.auth.kind === 'key' ? `the key ${hop.auth.keyPath}` : hop.auth.kind === 'agent' ? 'the keys in ssh-agent' : 'the stored password';
    return new AppError(ErrorCode.SSH_AUTH_FAILED, `${hop.label}: ${where} refused ${how} for user ${hop.user}.`, { user: hop.user });
  }
  if (e.level === 'client-timeout') {
    return new AppError(ErrorCode.SSH_UNREACHABLE, `${hop.label}: ${where} did not answer within ${secs(opts.connectTimeoutMs)}.`, { reason: 'timeout' });
  }
  if (/no matching host key/i.test(e.message)) {
    return new AppError(
      ErrorCode.SSH_HOST_KEY_CHANGED,
      `${hop.label}: ${where} no longer offers a host key of the pinned type. If the device was reinstalled, forget its key and refresh.`,
      { target: hop.pinId, host: hop.host, port: hop.port },
    );
  }
  const code = e.code ?? '';
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'refused the connection (is sshd running?)',
    EHOSTUNREACH: 'is unreachable (no route to host)',
    ENETUNREACH: 'is unreachable (no route to the network)',
    ETIMEDOUT: 'did not answer',
    ECONNRESET: 'reset the connection',
    ENOTFOUND: 'is not a known host name',
    EAI_AGAIN: 'could not be resolved (DNS)',
  };
  if (reasons[code]) return new AppError(ErrorCode.SSH_UNREACHABLE, `${hop.label}: ${where} ${reasons[code]}.`, { reason: code });
  return new AppError(ErrorCode.SSH_UNREACHABLE, `${hop.label}: ${where}: ${e.message}`, { reason: code || e.level || 'ssh' });
}

export function secs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
