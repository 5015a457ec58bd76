import type { ClientChannel } from 'ssh2';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { ActivityRepo, Actor } from '../activity/activity-repo';
import type { EventBus } from '../events';
import type { FleetService } from '../fleet/fleet-service';
import { newId } from '../ids';
import type { InventoryService } from '../inventory/inventory-service';
import { qualifiedName } from '../inventory/names';
import type { SshPool } from '../ssh/pool';
import { FlowWindow } from './flow';
import { TERMINAL_FLOW, type Terminal } from '../../../shared/contract/terminals';
import type { ClientHandle } from '../rpc/router';

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
  deviceId: string;
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

  constructor(private readonly d: { inventory: InventoryService; fleet: FleetService; pool: SshPool; activity: ActivityRepo; bus: EventBus }) {}

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
    this.log(actor, 'terminal.opened', device.id, name, `Opened ${what} on ${name}${opts.pty ? ` (terminal ${opts.pty.cols}x${opts.pty.rows})` : ''}`, { session: id, command: argv ?? null });
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
      this.log(actor, 'terminal.closed', device.id, name, `Closed ${what} on ${name} after ${secs} s (${how})`, { session: id, exitCode: exit.code, signal: exit.signal, seconds: secs });
      opts.onExit({ ...exit, reason });
    };
    channel.on('data', (d: Buffer) => {
      flow?.sent(d.length);
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
        if (!closed && opts.pty) channel.setWindow(rows, cols, 0, 0);
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
        else this.d.bus.emit('terminal.output', { id, data, bytes: chunk.length });
      },
      onExit: (e) => {
        const rest = decoder.decode();
        if (rest) this.d.bus.emit('terminal.output', { id, data: rest, bytes: 0 });
        this.viewed.delete(id);
        this.d.bus.emit('terminal.exit', { id, code: e.code, signal: e.signal, reason: e.reason });
      },
    });
    id = session.id;
    const t: Terminal = { id, deviceId: session.deviceId, device: session.device, cols: input.cols, rows: input.rows, openedAt: new Date().toISOString() };
    this.viewed.set(id, t);
    queueMicrotask(() => {
      for (const e of early.splice(0)) this.d.bus.emit('terminal.output', { id, ...e });
    });
    client?.onClose(() => session.close());
    return t;
  }

  list(): Terminal[] {
    return [...this.viewed.values()];
  }

  resizeViewer(id: string, cols: number, rows: number): void {
    const t = this.viewed.get(id);
    this.get(id).resize(cols, rows);
    if (t) Object.assign(t, { cols, rows });
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
