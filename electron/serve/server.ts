import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH, wireCallSchema, type WireEvent, type WireResult } from '../../shared/contract';
import { AppError, ErrorCode } from '../../shared/errors';
import type { BootfleetCore } from '../core/app';
import type { ClientHandle } from '../core/rpc/router';
import { CSP, isLoopbackHost, readCookie, tokenMatches } from './security';

export interface ServeOptions {
  core: BootfleetCore;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** A fixed token (tests); random per run otherwise. */
  token?: string;
  /** The largest WebSocket message accepted (default: as a request body); a larger one closes the socket (1009). */
  maxMessageBytes?: number;
}

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const MAX_BODY = 300 * 1024 * 1024;

/**
 * Serves the contract over HTTP + WebSocket with the built renderer, for a browser on this
 * machine (or, with an explicit opt-in, elsewhere). Every request must carry the per-run
 * token: in the URL once (it is swapped for an HttpOnly, SameSite=Strict cookie and removed
 * from the address bar), as that cookie, or as `Authorization: Bearer`. Requests from a
 * foreign Origin, or naming a foreign Host on a loopback bind (DNS rebinding), are refused.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(opts.staticDir);
  const loopbackBind = isLoopbackHost(opts.host);
  let port = opts.port;
  let cookieName = '';
  const ctx = { actor: { user: opts.core.actor.user, via: 'serve' as const } };

  const allowedHost = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    if (!loopbackBind) return true; // an explicit remote bind: the token is the guard
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    return !!m && isLoopbackHost(m[1]!) && Number(m[2] ?? 80) === port;
  };
  const allowedOrigin = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser cross-origin request
    return origin === `http://${req.headers.host}`;
  };
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && tokenMatches(auth.slice(7).trim(), token)) return true;
    if (tokenMatches(readCookie(req.headers.cookie, cookieName), token)) return true;
    return tokenMatches(url.searchParams.get('token'), token);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!allowedHost(req.headers.host)) return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: unexpected Host header.\n');
    if (!allowedOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: cross-origin request.\n');
    if (!authorized(req, url)) {
      return send(
        res,
        401,
        'text/plain; charset=utf-8',
        'Unauthorized. Open the address printed by `bootfleet serve`: it carries this run\'s access token.\n',
      );
    }
    if (url.searchParams.has('token') && req.method === 'GET') {
      // Trade the token in the address bar for a cookie, then drop it from the URL.
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      res.setHeader('Location', url.pathname + (url.search || ''));
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.writeHead(303).end();
      return;
    }
    if (url.pathname === '/api/call' && req.method === 'POST') return apiCall(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n');
    return serveStatic(url.pathname, res, req.method === 'HEAD');
  }

  async function apiCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(res, 415, 'application/json', JSON.stringify({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED, message: 'Send JSON: {"method": "...", "input": {...}}' } }));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return send(res, 413, 'application/json', JSON.stringify({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED, message: 'Request body too large.' } }));
      chunks.push(c as Buffer);
    }
    let body: { method?: unknown; input?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED, message: 'The request body is not valid JSON.' } }));
    }
    const result = await opts.core.call(String(body.method ?? ''), body.input, ctx);
    send(res, 200, 'application/json', JSON.stringify(result));
  }

  function serveStatic(pathname: string, res: ServerResponse, head: boolean): void {
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'Bad path.\n');
    }
    let file = join(staticRoot, rel);
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden.\n');
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // Client-side routes fall back to the app; missing assets are 404s.
      if (extname(rel)) return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
      file = join(staticRoot, 'index.html');
      if (!existsSync(file)) return send(res, 500, 'text/plain; charset=utf-8', `The renderer is not built (no ${file}); run npm run build.\n`);
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': type,
      'Content-Length': statSync(file).size,
      'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'private, max-age=3600',
    });
    if (head) return void res.end();
    createReadStream(file).pipe(res);
  }

  // ---- WebSocket: the contract and its events ----------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? MAX_BODY });
  const sockets = new Set<WebSocket>();
  const clientOf = new WeakMap<WebSocket, string>();
  let clients = 0;
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return reject(404, 'Not Found');
    if (!allowedHost(req.headers.host) || !allowedOrigin(req)) return reject(403, 'Forbidden');
    if (!authorized(req, url)) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A protocol error (a message over the size limit, a bad frame): ws closes the socket with the
      // right code; without a listener the error would be thrown and take the server down.
      ws.on('error', () => undefined);
      // What this tab opened (a terminal) ends when it goes away.
      const client = { id: `ws-${++clients}`, onClose: (listener: () => void) => void ws.once('close', listener) };
      clientOf.set(ws, client.id);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        void onMessage(ws, data.toString(), client);
      });
    });
  });

  async function onMessage(ws: WebSocket, text: string, client: ClientHandle): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    const call = wireCallSchema.safeParse(raw);
    if (!call.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
      const msg: WireResult = { t: 'result', id, result: { ok: false, error: new AppError(ErrorCode.VALIDATION_FAILED, 'Malformed call frame.').toJSON() } };
      ws.send(JSON.stringify(msg));
      return;
    }
    const result = await opts.core.call(call.data.method, call.data.input, { ...ctx, client });
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ t: 'result', id: call.data.id, result } satisfies WireResult));
  }

  const unsubscribe = opts.core.bus.subscribe((name, payload, to) => {
    const frame = JSON.stringify({ t: 'event', name, payload } satisfies WireEvent);
    // An event for one client (a terminal's output) goes to that tab only.
    for (const ws of sockets) if (ws.readyState === ws.OPEN && (!to || clientOf.get(ws) === to)) ws.send(frame);
  });
  const stopWatching = opts.core.watchExternalChanges(1000);

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  cookieName = `bootfleet_session_${port}`;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const origin = `http://${hostForUrl}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      unsubscribe();
      stopWatching();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...securityHeaders(), 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
