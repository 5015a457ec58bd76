/**
 * The renderer's one door to the core. It picks the transport once:
 * - inside Electron, the preload's `window.bootfleet` bridge (IPC);
 * - in a browser (`bootfleet serve`), a WebSocket to `/ws` on the same origin
 *   (the session cookie the server set authenticates it).
 * Everything else in the renderer talks to `client` and never sees the transport.
 */
import { create } from 'zustand';
import {
  AppError,
  ErrorCode,
  WS_PATH,
  events,
  wireEventSchema,
  wireResultSchema,
  type BootfleetClient,
  type BridgeApi,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type Result,
} from '../../../shared/contract';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a browser. */
    bootfleet?: BridgeApi;
  }
}

/** Whether the renderer can reach the core right now. */
export type ConnectionStatus = 'connected' | 'connecting' | 'disconnected';

interface ConnectionState {
  status: ConnectionStatus;
  /** The transport in use. */
  transport: 'ipc' | 'websocket';
  /** True once a connection has been open at least once (the first connect shows no banner). */
  everConnected: boolean;
  /** Set when the server refused the session (expired or missing token). */
  unauthorized: boolean;
  /** When the next reconnect attempt is due (ms since epoch), while disconnected. */
  retryAt: number | null;
}

/** Connection status for the UI (banner, header dot). Written only by this module. */
export const useConnection = create<ConnectionState>(() => ({
  status: 'connecting',
  transport: 'websocket',
  everConnected: false,
  unauthorized: false,
  retryAt: null,
}));

type AnyListener = (payload: unknown) => void;
const listeners = new Map<string, Set<AnyListener>>();

function dispatch(name: string, payload: unknown): void {
  const set = listeners.get(name);
  if (!set || set.size === 0) return;
  const schema = (events as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[name];
  let value = payload;
  if (schema) {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return;
    value = parsed.data;
  }
  for (const listener of [...set]) {
    try {
      listener(value);
    } catch (err) {
      console.error(`Bootfleet: listener for ${name} failed`, err);
    }
  }
}

function subscribe(name: string, listener: AnyListener): () => void {
  let set = listeners.get(name);
  if (!set) {
    set = new Set();
    listeners.set(name, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** After a reconnect nothing shown can be trusted: tell every store to refetch. */
function emitRefresh(): void {
  dispatch('inventory.changed', { entity: 'all' });
  dispatch('activity.appended', { lastId: 0 });
}

function unwrap<T>(result: Result<unknown>): T {
  if (result.ok) return result.value as T;
  throw AppError.from(result.error);
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown; details?: unknown };
    return new AppError(String(e.code), String(e.message), e.details);
  }
  return new AppError(ErrorCode.INTERNAL, err instanceof Error ? err.message : String(err));
}

function bridgeClient(bridge: BridgeApi): BootfleetClient {
  useConnection.setState({ status: 'connected', transport: 'ipc', everConnected: true });
  bridge.on((name, payload) => dispatch(name, payload));
  return {
    async invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      let result: Result<unknown>;
      try {
        result = await bridge.invoke(method, input);
      } catch (err) {
        throw toAppError(err);
      }
      return unwrap<MethodOutput<M>>(result);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return subscribe(event, listener as AnyListener);
    },
  };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: AppError) => void;
}

const UNAUTHORIZED_CLOSE_CODES = new Set([1008, 4401, 4403]);
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

function websocketClient(): BootfleetClient {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
  let ws: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;
  let opened = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Calls waiting for the socket to open. */
  const queue = new Map<number, { frame: string; pending: Pending }>();
  /** Calls sent and waiting for their result. */
  const inflight = new Map<number, Pending>();

  const failAll = (error: AppError): void => {
    for (const [id, p] of inflight) {
      inflight.delete(id);
      p.reject(error);
    }
    for (const [id, q] of queue) {
      queue.delete(id);
      q.pending.reject(error);
    }
  };

  const connect = (): void => {
    retryTimer = null;
    useConnection.setState({ status: 'connecting', retryAt: null });
    opened = false;
    const socket = new WebSocket(url);
    ws = socket;

    socket.addEventListener('open', () => {
      if (ws !== socket) return;
      opened = true;
      attempt = 0;
      const wasConnected = useConnection.getState().everConnected;
      useConnection.setState({ status: 'connected', everConnected: true, unauthorized: false, retryAt: null });
      for (const [id, q] of queue) {
        queue.delete(id);
        inflight.set(id, q.pending);
        socket.send(q.frame);
      }
      if (wasConnected) emitRefresh();
    });

    socket.addEventListener('message', (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      const res = wireResultSchema.safeParse(data);
      if (res.success) {
        const p = inflight.get(res.data.id);
        if (!p) return;
        inflight.delete(res.data.id);
        const r = res.data.result;
        if (r.ok) p.resolve(r.value);
        else p.reject(AppError.from(r.error));
        return;
      }
      const evt = wireEventSchema.safeParse(data);
      if (evt.success) dispatch(evt.data.name, evt.data.payload);
    });

    socket.addEventListener('close', (ev: CloseEvent) => {
      if (ws !== socket) return;
      ws = null;
      const unauthorized = UNAUTHORIZED_CLOSE_CODES.has(ev.code);
      failAll(
        unauthorized
          ? new AppError(ErrorCode.UNAUTHORIZED, 'This session is not authorized. Open the link printed by `bootfleet serve` again.')
          : new AppError(ErrorCode.DISCONNECTED, 'The connection to Bootfleet was lost. Reconnecting…'),
      );
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 15000;
      attempt += 1;
      useConnection.setState({
        status: 'disconnected',
        unauthorized: unauthorized || useConnection.getState().unauthorized,
        retryAt: Date.now() + delay,
      });
      retryTimer = setTimeout(connect, delay);
      // A refused upgrade looks like any other failure; ask the server whether the
      // session is still valid (a restarted `bootfleet serve` has a new token).
      if (!opened && !unauthorized) void probeSession();
    });
  };

  const probeSession = async (): Promise<void> => {
    try {
      const res = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401 || res.status === 403) useConnection.setState({ unauthorized: true });
    } catch {
      // server unreachable: keep retrying
    }
  };

  const reconnectNow = (): void => {
    if (useConnection.getState().status !== 'disconnected') return;
    if (retryTimer) clearTimeout(retryTimer);
    connect();
  };
  // Coming back online or to the window is a good moment to retry right away.
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectNow();
  });
  retryNow = reconnectNow;

  connect();

  return {
    invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      return new Promise<MethodOutput<M>>((resolve, reject) => {
        const id = nextId++;
        const frame = JSON.stringify({ t: 'call', id, method, input: input ?? {} });
        const pending: Pending = { resolve: resolve as (v: unknown) => void, reject };
        if (ws && ws.readyState === WebSocket.OPEN) {
          inflight.set(id, pending);
          ws.send(frame);
        } else {
          queue.set(id, { frame, pending });
          if (useConnection.getState().status === 'disconnected') reconnectNow();
        }
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return subscribe(event, listener as AnyListener);
    },
  };
}

let retryNow: () => void = () => {};

/** Try to reconnect immediately instead of waiting for the backoff (banner "Retry now"). */
export function reconnect(): void {
  retryNow();
}

/** The Bootfleet client for this renderer, whichever transport carries it. */
export const client: BootfleetClient = window.bootfleet ? bridgeClient(window.bootfleet) : websocketClient();
