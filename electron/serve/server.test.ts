import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import type { Device, Result } from '../../shared/contract';
import { ErrorCode } from '../../shared/errors';
import type { BootfleetCore } from '../core/app';
import { cleanupTempDirs, closeTestCores, ok, openTestCore, tempDir } from '../core/test-support';
import { CSP } from './security';
import { startServer, type RunningServer } from './server';

const TOKEN = 'test-token-0123456789abcdef';
const INDEX = '<!doctype html><title>Bootfleet</title><div id="root"></div>';
const APP_JS = 'console.log("bootfleet");';

let core: BootfleetCore;
let server: RunningServer;
let sockets: WebSocket[] = [];

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request to the test server: the path is sent exactly as given. */
function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = () => ({ Authorization: `Bearer ${TOKEN}` });
const cookieName = () => `bootfleet_session_${server.port}`;
const cookie = () => ({ Cookie: `${cookieName()}=${TOKEN}` });

async function apiCall(method: string, input: unknown, headers: Record<string, string> = bearer()): Promise<Result<unknown>> {
  const r = await http('/api/call', {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ method, input }),
  });
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as Result<unknown>;
}

interface Frame {
  t: string;
  id?: number;
  name?: string;
  payload?: unknown;
  result?: Result<unknown>;
}

/** A connected WebSocket client that keeps every frame it receives. */
interface Client {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first received frame (past or future) that matches. */
  next(match: (f: Frame) => boolean, what: string): Promise<Frame>;
  call(id: number, method: string, input: unknown): Promise<Result<unknown>>;
}

function wsUrl(query = ''): string {
  return `ws://127.0.0.1:${server.port}/ws${query}`;
}

function connect(query = '', headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(query), { headers });
    sockets.push(ws);
    const frames: Frame[] = [];
    const waiters: { match: (f: Frame) => boolean; done: (f: Frame) => void }[] = [];
    ws.on('message', (data: RawData) => {
      const f = JSON.parse(data.toString()) as Frame;
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.match(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done(f);
        }
      }
    });
    const client: Client = {
      ws,
      frames,
      next(match, what) {
        const seen = frames.find(match);
        if (seen) return Promise.resolve(seen);
        return new Promise((done, fail) => {
          const t = setTimeout(() => fail(new Error(`no ${what} frame arrived; got ${JSON.stringify(frames)}`)), 5000);
          waiters.push({
            match,
            done: (f) => {
              clearTimeout(t);
              done(f);
            },
          });
        });
      },
      async call(id, method, input) {
        ws.send(JSON.stringify({ t: 'call', id, method, input }));
        const f = await client.next((x) => x.t === 'result' && x.id === id, `result ${id}`);
        return f.result!;
      },
    };
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The HTTP status with which the server refuses a WebSocket upgrade. */
function refusedStatus(query = '', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(query), { headers });
    sockets.push(ws);
    ws.once('open', () => reject(new Error('the WebSocket was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

beforeEach(async () => {
  const staticDir = tempDir('bf-static-');
  writeFileSync(join(staticDir, 'index.html'), INDEX);
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'assets', 'app.js'), APP_JS);
  core = openTestCore({ via: 'serve' });
  server = await startServer({ core, host: '127.0.0.1', port: 0, staticDir, token: TOKEN });
});

afterEach(async () => {
  for (const ws of sockets) ws.terminate();
  sockets = [];
  await server.close();
  closeTestCores();
  cleanupTempDirs();
});

describe('HTTP access', () => {
  it('gives the address with the token and a random port', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('refuses a request without the token', async () => {
    const r = await http('/');
    expect(r.status).toBe(401);
    expect(r.body).not.toContain('Bootfleet</title>');
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a wrong token, in the address, a cookie or a bearer header', async () => {
    expect((await http('/?token=WRONG')).status).toBe(401);
    expect((await http('/', { headers: { Cookie: `${cookieName()}=WRONG` } })).status).toBe(401);
    expect((await http('/', { headers: { Authorization: 'Bearer WRONG' } })).status).toBe(401);
    expect((await http(`/?token=${TOKEN}x`)).status).toBe(401);
  });

  it('trades the token in the address for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const r = await http(`/?token=${TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const setCookie = r.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(new RegExp(`^${cookieName()}=${TOKEN};`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');

    const deep = await http(`/devices/e1?view=table&token=${TOKEN}`);
    expect(deep.status).toBe(303);
    expect(deep.headers.location).toBe('/devices/e1?view=table');

    const page = await http('/', { headers: { Cookie: setCookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toBe(INDEX);
  });

  it('serves assets and falls back to the app for client-side routes, but 404s a missing asset', async () => {
    const js = await http('/assets/app.js', { headers: cookie() });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(APP_JS);
    const route = await http('/devices/edge-01', { headers: cookie() });
    expect(route.status).toBe(200);
    expect(route.body).toBe(INDEX);
    expect((await http('/assets/missing.js', { headers: cookie() })).status).toBe(404);
  });

  it.each(['/../../etc/passwd', '/assets/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%5c..%5c..%5cetc%5cpasswd', '//etc/passwd'])(
    'does not serve a file outside the app for %s',
    async (path) => {
      const r = await http(path, { headers: bearer() });
      expect(r.body).not.toMatch(/root:.*:0:0:/);
      expect([200, 400, 403, 404]).toContain(r.status);
      if (r.status === 200) expect(r.body).toBe(INDEX);
    },
  );

  it('sends security headers with every answer: a CSP with no remote source, nosniff, no framing, no referrer', async () => {
    for (const r of [await http('/', { headers: cookie() }), await http('/assets/app.js', { headers: cookie() }), await http('/nope', {})]) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/https?:|\*|'unsafe-eval'/);
    }
  });

  it('refuses a request from another web origin even with a valid cookie', async () => {
    const same = await http('/', { headers: { ...cookie(), Origin: server.origin } });
    expect(same.status).toBe(200);
    const foreign = await http('/', { headers: { ...cookie(), Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    const api = await http('/api/call', {
      method: 'POST',
      headers: { ...cookie(), Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'devices.add', input: { name: 'evil', host: 'h' } }),
    });
    expect(api.status).toBe(403);
    expect(core.inventory.counts().devices).toBe(0);
  });

  it('refuses a foreign Host header (DNS rebinding) but accepts localhost on its port', async () => {
    expect((await http('/', { headers: { ...bearer(), Host: `evil.example:${server.port}` } })).status).toBe(403);
    expect((await http('/', { headers: { ...bearer(), Host: `127.0.0.1:${server.port + 1}` } })).status).toBe(403);
    expect((await http('/', { headers: { ...bearer(), Host: `localhost:${server.port}` } })).status).toBe(200);
  });
});

describe('POST /api/call', () => {
  it('serves a contract call with the bearer token and records it as made through serve', async () => {
    const r = await apiCall('devices.add', { name: 'e1', host: '10.0.0.1', tags: ['edge'] });
    expect(r.ok).toBe(true);
    expect((r as { value: Device }).value).toMatchObject({ name: 'e1', host: '10.0.0.1', tags: ['edge'] });
    expect(core.inventory.resolveDevice('e1').host).toBe('10.0.0.1');
    const log = await ok(core, 'activity.list', {});
    expect(log.items[0]).toMatchObject({ action: 'device.added', via: 'serve' });
  });

  it('answers invalid input with VALIDATION_FAILED and field paths', async () => {
    const r = await apiCall('devices.add', { name: 'a/b', host: 'x y' });
    expect(r.ok).toBe(false);
    const error = (r as { error: { code: string; details: { issues: { path: string }[] } } }).error;
    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error.details.issues.map((i) => i.path)).toEqual(['name', 'host']);
  });

  it('answers an unknown method with UNKNOWN_METHOD', async () => {
    const r = await apiCall('devices.explode', {});
    expect(r).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_METHOD } });
  });

  it('refuses a call without the token, without JSON, or with a broken body', async () => {
    const noToken = await http('/api/call', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"method":"app.info"}' });
    expect(noToken.status).toBe(401);
    const notJson = await http('/api/call', { method: 'POST', headers: { ...bearer(), 'Content-Type': 'text/plain' }, body: 'x' });
    expect(notJson.status).toBe(415);
    const broken = await http('/api/call', { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: '{"method":' });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body)).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect((await http('/', { method: 'DELETE', headers: bearer() })).status).toBe(405);
  });
});

describe('WebSocket /ws', () => {
  it('refuses a connection without the token, with a wrong one, or from another origin', async () => {
    expect(await refusedStatus()).toBe(401);
    expect(await refusedStatus('?token=WRONG')).toBe(401);
    expect(await refusedStatus('', { Cookie: `${cookieName()}=WRONG` })).toBe(401);
    expect(await refusedStatus('', { ...cookie(), Origin: 'http://evil.example' })).toBe(403);
    expect(await refusedStatus('', { ...cookie(), Host: `evil.example:${server.port}` })).toBe(403);
  });

  it('answers a call over a cookie-authenticated socket', async () => {
    const c = await connect('', cookie());
    const r = await c.call(1, 'app.info', {});
    expect(r.ok).toBe(true);
    expect((r as { value: { product: string; via: string } }).value).toMatchObject({ product: 'Bootfleet', via: 'serve' });
  });

  it('answers a call over a ?token= socket, errors included', async () => {
    const c = await connect(`?token=${TOKEN}`);
    const bad = await c.call(7, 'devices.add', { name: '', host: 'h' });
    expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    const good = await c.call(8, 'devices.add', { name: 'e1', host: 'h' });
    expect(good.ok).toBe(true);
  });

  it('answers a malformed frame with a VALIDATION_FAILED result', async () => {
    const c = await connect('', cookie());
    c.ws.send(JSON.stringify({ t: 'call', id: 3, input: {} }));
    const f = await c.next((x) => x.t === 'result' && x.id === 3, 'malformed-call result');
    expect(f.result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
  });

  it('tells every connected socket when a call changes the inventory', async () => {
    const a = await connect('', cookie());
    const b = await connect(`?token=${TOKEN}`);
    const r = await a.call(1, 'devices.add', { name: 'e1', host: 'h' });
    expect(r.ok).toBe(true);
    const id = (r as { value: Device }).value.id;
    const ev = await b.next((f) => f.t === 'event' && f.name === 'inventory.changed', 'inventory.changed');
    expect(ev.payload).toEqual({ entity: 'devices', ids: [id] });
    const act = await b.next((f) => f.t === 'event' && f.name === 'activity.appended', 'activity.appended');
    expect((act.payload as { lastId: number }).lastId).toBeGreaterThan(0);
    // The caller hears it too.
    await a.next((f) => f.t === 'event' && f.name === 'inventory.changed', 'inventory.changed on the caller');
  });

  it('announces a change made by another process on the same data directory', async () => {
    const c = await connect('', cookie());
    const cliCore = openTestCore({ dataDir: core.dataDir, via: 'cli' });
    await ok(cliCore, 'devices.add', { name: 'from-cli', host: 'h' });
    const ev = await c.next((f) => f.t === 'event' && f.name === 'inventory.changed', 'inventory.changed from another process');
    expect(ev.payload).toEqual({ entity: 'all' });
    const act = await c.next((f) => f.t === 'event' && f.name === 'activity.appended', 'activity.appended from another process');
    expect((act.payload as { lastId: number }).lastId).toBe(cliCore.activity.lastId());
    const list = await c.call(2, 'devices.list', {});
    expect(((list as { value: { items: Device[] } }).value.items).map((d) => d.name)).toEqual(['from-cli']);
  });

  it("sends a terminal's output only to the tab that opened it, and ends the terminal when that tab goes", async () => {
    // A serve started with --allow-local-shell (a local shell needs no device).
    await server.close();
    const shellCore = openTestCore({ via: 'serve', localShell: true });
    server = await startServer({ core: shellCore, host: '127.0.0.1', port: 0, staticDir: tempDir(), token: TOKEN });
    const a = await connect('', cookie());
    const b = await connect('', cookie());
    const opened = await a.call(1, 'terminals.open', { local: true, cols: 80, rows: 24 });
    expect(opened.ok).toBe(true);
    const id = (opened as { value: { id: string } }).value.id;
    expect((await a.call(2, 'terminals.input', { id, data: 'echo "mark-$((20+22))"\r' })).ok).toBe(true);
    await a.next((f) => f.t === 'event' && f.name === 'terminal.output' && JSON.stringify(f.payload).includes('mark-42'), 'terminal output');
    expect(b.frames.some((f) => f.t === 'event' && String(f.name).startsWith('terminal.'))).toBe(false);
    // Nor may another tab type into it, or close it.
    const typed = await b.call(3, 'terminals.input', { id, data: 'exit\r' });
    expect(typed.ok).toBe(false);
    expect((await b.call(4, 'terminals.close', { id })).ok).toBe(false);
    expect((await b.call(5, 'terminals.list', {})) as unknown).toMatchObject({ ok: true, value: [] });
    a.ws.close();
    const end = Date.now() + 5000;
    while (shellCore.terminals.list().length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(shellCore.terminals.list()).toEqual([]);
  });

  it('closes a socket that sends a message over the size limit, and keeps serving others', async () => {
    await server.close();
    server = await startServer({ core, host: '127.0.0.1', port: 0, staticDir: tempDir(), token: TOKEN, maxMessageBytes: 64 * 1024 });
    const big = await connect('', cookie());
    const closed = new Promise<number>((done) => big.ws.once('close', (code) => done(code)));
    big.ws.send(JSON.stringify({ t: 'call', id: 1, method: 'app.info', input: { pad: 'x'.repeat(128 * 1024) } }));
    expect(await closed).toBe(1009);
    const other = await connect('', cookie());
    expect((await other.call(1, 'app.info', {})).ok).toBe(true);
  });

  it('never sends a stack trace: an unexpected failure is INTERNAL with a plain message', async () => {
    const c = await connect('', cookie());
    core.db.close(); // every call now fails inside the core
    const r = await c.call(1, 'devices.list', {});
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|\/work\//);
    const viaHttp = await apiCall('sites.list', {});
    expect(JSON.stringify(viaHttp)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  });

  it('closes its sockets when the server stops', async () => {
    const c = await connect('', cookie());
    const closed = new Promise<void>((done) => c.ws.once('close', () => done()));
    await server.close();
    await closed;
    // Restart so afterEach has a server to close.
    server = await startServer({ core, host: '127.0.0.1', port: 0, staticDir: tempDir(), token: TOKEN });
  });
});
