import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ClientChannel } from 'ssh2';
import type { Recording } from '../../../shared/contract/recordings';
import { TERMINAL_FLOW, type Terminal } from '../../../shared/contract/terminals';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { Db } from '../db/open';
import type { EventBus } from '../events';
import type { FleetService } from '../fleet/fleet-service';
import { newId } from '../ids';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import type { ClientHandle } from '../rpc/router';
import type { SshPool } from '../ssh/pool';
import { shellLine } from '../ssh/quote';
import { AsciicastWriter } from './asciicast';
import { FlowWindow } from './flow';
import type { Clock } from '../clock';

/** Where recordings live, under the data directory. */
export const RECORDINGS_DIR = 'recordings';
/** A recording's file, relative to the data directory (and in a site bundle): recordings/ID.cast. */
export const RECORDING_FILE = /^recordings\/[A-Za-z0-9-]+\.cast$/;
/** Recordings larger than this are not sent to the UI whole. */
const MAX_REPLAY_BYTES = 64 * 1024 * 1024;

interface RecordingRow {
  id: string;
  device_id: string | null;
  device_name: string;
  site_name: string | null;
  actor: string;
  via: string;
  command: string | null;
  cols: number;
  rows: number;
  started_at: string;
  ended_at: string | null;
  bytes: number;
  exit_code: number | null;
  reason: string | null;
  file: string;
}

function toRecording(r: RecordingRow): Recording {
  return {
    id: r.id,
    deviceId: r.device_id,
    device: qualifiedName(r.device_name, r.site_name),
    actor: r.actor,
    via: r.via,
    command: r.command,
    cols: r.cols,
    rows: r.rows,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    bytes: r.bytes,
    exitCode: r.exit_code,
    reason: r.reason,
  };
}

export interface TerminalExit {
  /** The remote command's exit status, when it exited. */
  code: number | null;
  /** The signal that ended it (TERM, KILL, ...), when one did. */
  signal: string | null;
  /** Why the session ended, in words. */
  reason: string;
}

export interface TerminalOpenOptions {
  /** A remote PTY (xterm-256color unless `term` says otherwise) of this size; without it, plain pipes. */
  pty?: { cols: number; rows: number; term?: string };
  /** Run this command instead of the login shell (quoted by shellLine). */
  argv?: readonly string[];
  /** What the remote side prints (stderr is separate only without a PTY). */
  onData: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  onExit: (exit: TerminalExit) => void;
  /** Acknowledged flow control for viewers that draw asynchronously (the UI); the CLI uses pause/resume. */
  flow?: { high: number; low: number };
}

export interface TerminalSession {
  id: string;
  /** Null for a local shell. */
  deviceId: string | null;
  device: string;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  /** No more input (EOF on the remote side's stdin), as when piped input ends. */
  end(): void;
  /** The viewer drew this many bytes (with `flow`). */
  ack(bytes: number): void;
  /** Stop or restart reading from the device (a full stdout, say). */
  pause(): void;
  resume(): void;
  /** Ends the session: the remote shell gets a hang-up, then the connection closes. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Interactive sessions on devices: the login shell or a command, over a connection of its own
 * with the device's login, key or agent, jump hosts and pinned host key (a changed key refuses
 * the session, as everywhere else). Opening and closing are written to the activity log.
 */
export class TerminalService {
  private readonly sessions = new Map<string, TerminalSession>();
  /** Sessions shown in a viewer (the UI), with what terminals.list says of them. */
  private readonly viewed = new Map<string, Terminal>();
  /** The client each viewer session belongs to: only it may type into, resize or close it. */
  private readonly owners = new Map<string, string>();

  constructor(private readonly d: { db: Db; dataDir: string; inventory: InventoryService; fleet: FleetService; pool: SshPool; activity: ActivityRepo; bus: EventBus; clock: Clock; localShell?: boolean }) {}

  async open(actor: Actor, ref: string, opts: TerminalOpenOptions): Promise<TerminalSession> {
    const device = this.d.inventory.resolveDevice(ref);
    const row = this.d.inventory.devices.contactRows({ ids: [device.id] })[0]!;
    const name = qualifiedName(row.name, row.site_name);
    const target = this.d.fleet.targetFor(row, name);
    const conn = await this.d.pool.dedicated(target);
    let channel: ClientChannel;
    const argv = opts.argv;
    try {
      channel = await conn.interactive({
        ...(argv ? { argv } : {}),
        ...(opts.pty ? { pty: { term: opts.pty.term ?? 'xterm-256color', cols: opts.pty.cols, rows: opts.pty.rows } } : {}),
      });
    } catch (e) {
      conn.close();
      throw e;
    }
    const id = newId();
    const started = Date.now();
    const what = argv ? `\`${argv.join(' ')}\`` : 'a shell';
    const recording = this.startRecording(actor, id, device.id, row.name, row.site_name, argv, opts.pty);
    const rec = recording ? ', recorded' : '';
    this.log(actor, 'terminal.opened', device.id, name, `Opened ${what} on ${name}${opts.pty ? ` (terminal ${opts.pty.cols}x${opts.pty.rows}${rec})` : rec ? ` (${rec.slice(2)})` : ''}`, {
      session: id,
      command: argv ?? null,
      recordingId: recording ? id : null,
    });
    const recDecoder = new TextDecoder('utf-8');
    const flow = opts.flow ? new FlowWindow(channel, opts.flow.high, opts.flow.low) : null;
    let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
    let closed = false;
    let closingByUs = false;
    const end = (reason: string): void => {
      if (closed) return;
      closed = true;
      this.sessions.delete(id);
      conn.close();
      const secs = Math.round((Date.now() - started) / 1000);
      const how = exit.code !== null ? `exit status ${exit.code}` : exit.signal ? `signal ${exit.signal}` : reason;
      if (recording) {
        recording.output(recDecoder.decode());
        recording.close();
        this.d.db
          .prepare('UPDATE terminal_recordings SET ended_at = ?, bytes = ?, exit_code = ?, reason = ? WHERE id = ?')
          .run(this.d.clock.now(), recording.bytes, exit.code, exit.signal ? `signal ${exit.signal}` : reason, id);
      }
      this.log(actor, 'terminal.closed', device.id, name, `Closed ${what} on ${name} after ${secs} s (${how}${rec})`, {
        session: id,
        exitCode: exit.code,
        signal: exit.signal,
        seconds: secs,
        recordingId: recording ? id : null,
      });
      opts.onExit({ ...exit, reason });
    };
    channel.on('data', (d: Buffer) => {
      flow?.sent(d.length);
      recording?.output(recDecoder.decode(d, { stream: true }));
      opts.onData(d, 'stdout');
    });
    channel.stderr.on('data', (d: Buffer) => {
      flow?.sent(d.length);
      opts.onData(d, 'stderr');
    });
    channel.on('exit', (code: number | null, signal?: string) => {
      exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
    });
    channel.on('close', () => end(closingByUs ? 'closed' : exit.code !== null || exit.signal ? 'exited' : 'the device ended the session'));
    conn.onClose(() => end('the connection dropped'));
    const session: TerminalSession = {
      id,
      deviceId: device.id,
      device: name,
      write: (data) => {
        if (!closed) channel.write(data);
      },
      resize: (cols, rows) => {
        if (!closed && opts.pty) {
          channel.setWindow(rows, cols, 0, 0);
          recording?.resize(cols, rows);
        }
      },
      end: () => {
        if (!closed) channel.end();
      },
      ack: (bytes) => flow?.ack(bytes),
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close: () => {
        if (closed) return;
        closingByUs = true;
        // A hang-up for the shell, then the channel and the connection: nothing is left running.
        channel.signal('HUP');
        channel.close();
        end('closed');
      },
      get closed() {
        return closed;
      },
    };
    this.sessions.set(id, session);
    return session;
  }

  /**
   * A login shell with a remote PTY for a viewer (the UI): output goes out as `terminal.output`
   * events, decoded as UTF-8 without splitting a character, under acknowledged flow control; the
   * session closes when the viewer's client goes away (a window closed, a browser tab gone).
   */
  async openViewer(actor: Actor, input: { device: string; cols: number; rows: number }, client?: ClientHandle): Promise<Terminal> {
    const decoder = new TextDecoder('utf-8');
    let id = '';
    const early: { data: string; bytes: number }[] = [];
    const session = await this.open(actor, input.device, {
      pty: { cols: input.cols, rows: input.rows },
      flow: TERMINAL_FLOW,
      onData: (chunk) => {
        const data = decoder.decode(chunk, { stream: true });
        // Output before open() returned (a login banner) is sent once the id is known.
        if (!id) early.push({ data, bytes: chunk.length });
        else this.d.bus.emit('terminal.output', { id, data, bytes: chunk.length }, client?.id);
      },
      onExit: (e) => {
        const rest = decoder.decode();
        if (rest) this.d.bus.emit('terminal.output', { id, data: rest, bytes: 0 }, client?.id);
        this.viewed.delete(id);
        this.owners.delete(id);
        this.d.bus.emit('terminal.exit', { id, code: e.code, signal: e.signal, reason: e.reason }, client?.id);
      },
    });
    id = session.id;
    const t: Terminal = { id, deviceId: session.deviceId, device: session.device, cols: input.cols, rows: input.rows, openedAt: this.d.clock.now() };
    this.viewed.set(id, t);
    if (client) this.owners.set(id, client.id);
    queueMicrotask(() => {
      for (const e of early.splice(0)) this.d.bus.emit('terminal.output', { id, ...e }, client?.id);
    });
    client?.onClose(() => session.close());
    return t;
  }

  /**
   * A login shell on this machine (node-pty), for the desktop app, or serve started with
   * --allow-local-shell: refused otherwise, since anyone with a serve URL's token would get a
   * shell. Same events, flow control and client lifetime as device terminals.
   */
  async openLocal(actor: Actor, input: { cols: number; rows: number }, client?: ClientHandle): Promise<Terminal> {
    if (!this.d.localShell) {
      throw new AppError(
        ErrorCode.UNAUTHORIZED,
        'Local shells are off here: anyone with this address would get a shell on this machine. Start bootfleet serve with --allow-local-shell to allow them, or use the desktop app.',
      );
    }
    const pty = await import('node-pty');
    const user = userInfo();
    const shell = process.env.SHELL || user.shell || '/bin/sh';
    const proc = pty.spawn(shell, ['-l'], { name: 'xterm-256color', cols: input.cols, rows: input.rows, cwd: homedir(), env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string> });
    const id = newId();
    const name = `local: ${user.username}@${hostname()}`;
    const started = Date.now();
    let closed = false;
    const flow = new FlowWindow(proc, TERMINAL_FLOW.high, TERMINAL_FLOW.low);
    this.logLocal(actor, 'terminal.opened', `Opened a local shell (${shell}) as ${user.username} on ${hostname()}`, { session: id, shell });
    const end = (code: number | null, signal: string | null, reason: string): void => {
      if (closed) return;
      closed = true;
      this.sessions.delete(id);
      this.viewed.delete(id);
      this.owners.delete(id);
      const secs = Math.round((Date.now() - started) / 1000);
      this.logLocal(actor, 'terminal.closed', `Closed a local shell after ${secs} s (${code !== null ? `exit status ${code}` : reason})`, { session: id, exitCode: code, seconds: secs });
      this.d.bus.emit('terminal.exit', { id, code, signal, reason }, client?.id);
    };
    proc.onData((data) => {
      const bytes = Buffer.byteLength(data);
      flow.sent(bytes);
      this.d.bus.emit('terminal.output', { id, data, bytes }, client?.id);
    });
    proc.onExit(({ exitCode, signal }) => end(signal ? null : exitCode, signal ? `${signal}` : null, 'exited'));
    const session: TerminalSession = {
      id,
      deviceId: null,
      device: name,
      write: (data) => {
        if (!closed) proc.write(typeof data === 'string' ? data : data.toString('utf8'));
      },
      resize: (cols, rows) => {
        if (!closed) proc.resize(cols, rows);
      },
      end: () => undefined,
      ack: (bytes) => flow.ack(bytes),
      pause: () => proc.pause(),
      resume: () => proc.resume(),
      close: () => {
        if (closed) return;
        // SIGHUP, as a closed terminal window sends; the shell passes it to its jobs.
        proc.kill('SIGHUP');
        end(null, 'HUP', 'closed');
      },
      get closed() {
        return closed;
      },
    };
    this.sessions.set(id, session);
    const t: Terminal = { id, deviceId: null, device: name, cols: input.cols, rows: input.rows, openedAt: this.d.clock.now() };
    this.viewed.set(id, t);
    if (client) this.owners.set(id, client.id);
    client?.onClose(() => session.close());
    return t;
  }

  private logLocal(actor: Actor, action: string, summary: string, details: Record<string, unknown>): void {
    this.d.activity.append(actor, { action, entityType: 'app', entityId: null, entityName: hostname(), summary, details });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
  }

  /** The terminals open for this client (or all, for a caller that is not a client, like the CLI). */
  list(client?: ClientHandle): Terminal[] {
    return [...this.viewed.values()].filter((t) => !client || (this.owners.get(t.id) ?? client.id) === client.id);
  }

  resizeViewer(id: string, cols: number, rows: number): void {
    const t = this.viewed.get(id);
    this.get(id).resize(cols, rows);
    if (t) Object.assign(t, { cols, rows });
  }

  /**
   * Starts recording a session when the device's site records terminals: the output (never the
   * keystrokes) goes to recordings/ID.cast in asciicast v2, and a row says who, when and where.
   */
  private startRecording(actor: Actor, id: string, deviceId: string, device: string, site: string | null, argv: readonly string[] | undefined, pty: TerminalOpenOptions['pty']): AsciicastWriter | null {
    const on = this.d.db.prepare('SELECT s.record_terminals FROM devices d JOIN sites s ON s.id = d.site_id WHERE d.id = ?').pluck().get(deviceId) === 1;
    if (!on) return null;
    const dir = join(this.d.dataDir, RECORDINGS_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${id}.cast`);
    const name = qualifiedName(device, site);
    const cols = pty?.cols ?? 80;
    const rows = pty?.rows ?? 24;
    const startedAt = new Date(this.d.clock.now());
    const writer = new AsciicastWriter(file, {
      width: cols,
      height: rows,
      timestamp: Math.floor(startedAt.getTime() / 1000),
      title: `${name} by ${actor.user} (${actor.via})`,
      ...(argv ? { command: shellLine(argv) } : {}),
      env: { TERM: pty?.term ?? 'xterm-256color' },
    });
    this.d.db
      .prepare(
        `INSERT INTO terminal_recordings (id, device_id, device_name, site_name, actor, via, command, cols, rows, started_at, file)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, deviceId, device, site, actor.user, actor.via, argv ? shellLine(argv) : null, cols, rows, startedAt.toISOString(), `${RECORDINGS_DIR}/${id}.cast`);
    return writer;
  }

  recordings(deviceRef: string | undefined, limit: number): Recording[] {
    const deviceId = deviceRef ? this.d.inventory.resolveDevice(deviceRef).id : null;
    const rows = this.d.db
      .prepare(`SELECT * FROM terminal_recordings ${deviceId ? 'WHERE device_id = ?' : ''} ORDER BY started_at DESC, id DESC LIMIT ?`)
      .all(...(deviceId ? [deviceId, limit] : [limit])) as RecordingRow[];
    return rows.map(toRecording);
  }

  /** A recording and its file's text (a large one is refused here; the CLI plays it from the file). */
  recording(id: string): { recording: Recording; cast: string } {
    const row = this.d.db.prepare('SELECT * FROM terminal_recordings WHERE id = ?').get(id) as RecordingRow | undefined;
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `No recording ${id}.`);
    const path = join(this.d.dataDir, row.file);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new AppError(ErrorCode.NOT_FOUND, `The file of recording ${id} is missing (${path}).`);
    }
    if (size > MAX_REPLAY_BYTES) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `Recording ${id} is ${Math.round(size / 1048576)} MiB, too large to replay here: play it with \`bootfleet recordings play ${id}\` or asciinema (${path}).`);
    }
    return { recording: toRecording(row), cast: readFileSync(path, 'utf8') };
  }

  /**
   * Removes the recordings their site keeps no longer (sites.keep_recordings_days, counted from the
   * session's end): the file and the row, and one activity entry per site saying how many. A session
   * still running is never touched; a recording whose device was removed follows the site it was on.
   * Returns how many were removed.
   */
  pruneRecordings(actor: Actor): number {
    const now = Date.parse(this.d.clock.now());
    const rows = this.d.db
      .prepare(
        `SELECT r.id, r.file, r.ended_at, s.id AS site_id, s.name AS site_name, s.keep_recordings_days AS keep
           FROM terminal_recordings r
           JOIN sites s ON s.id = coalesce((SELECT d.site_id FROM devices d WHERE d.id = r.device_id), (SELECT x.id FROM sites x WHERE x.name = r.site_name))
          WHERE r.ended_at IS NOT NULL AND s.keep_recordings_days IS NOT NULL`,
      )
      .all() as { id: string; file: string; ended_at: string; site_id: string; site_name: string; keep: number }[];
    const due = rows.filter((r) => Date.parse(r.ended_at) < now - r.keep * 86_400_000);
    if (!due.length) return 0;
    const bySite = new Map<string, typeof due>();
    for (const r of due) bySite.set(r.site_id, [...(bySite.get(r.site_id) ?? []), r]);
    this.d.db.transaction(() => {
      for (const r of due) this.d.db.prepare('DELETE FROM terminal_recordings WHERE id = ?').run(r.id);
      for (const [siteId, list] of bySite) {
        this.d.activity.append(actor, {
          action: 'recordings.pruned',
          entityType: 'site',
          entityId: siteId,
          entityName: list[0]!.site_name,
          summary: `Removed ${list.length} terminal recording${list.length === 1 ? '' : 's'} of site ${list[0]!.site_name} older than its ${list[0]!.keep} days`,
          details: { ids: list.map((r) => r.id), keepDays: list[0]!.keep },
        });
      }
    })();
    // The rows are gone first: a file left by a crash here is an orphan, never a row without its file.
    for (const r of due) if (RECORDING_FILE.test(r.file)) rmSync(join(this.d.dataDir, r.file), { force: true });
    return due.length;
  }

  /** Where a recording's file is. */
  recordingPath(id: string): string {
    const row = this.d.db.prepare('SELECT file FROM terminal_recordings WHERE id = ?').pluck().get(id) as string | undefined;
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `No recording ${id}.`);
    return join(this.d.dataDir, row);
  }

  /** A session for a call from @client: refused when it belongs to another client (a window or tab). */
  forClient(id: string, client: ClientHandle | undefined): TerminalSession {
    const s = this.get(id);
    const owner = this.owners.get(id);
    if (owner && owner !== client?.id) throw new AppError(ErrorCode.UNAUTHORIZED, `Terminal ${id} belongs to another window or tab.`);
    return s;
  }

  /** The session if it is still open. */
  find(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  get(id: string): TerminalSession {
    const s = this.sessions.get(id);
    if (!s) throw new AppError(ErrorCode.NOT_FOUND, `No open terminal ${id}: it was closed.`);
    return s;
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.close();
  }

  private log(actor: Actor, action: string, deviceId: string, name: string, summary: string, details: Record<string, unknown>): void {
    this.d.activity.append(actor, { action, entityType: 'device', entityId: deviceId, entityName: name, summary, details });
    this.d.bus.emit('activity.appended', { lastId: this.d.activity.lastId() });
  }
}
