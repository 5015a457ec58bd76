import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { run } from './procs';

/**
 * A Docker/OCI distribution token server (https://distribution.github.io/distribution/spec/auth/token/):
 * `GET /token?service=S&scope=repository:NAME:pull,push` answers a JWT the registry verifies against
 * the certificate it was given as `rootcertbundle`.
 */

export interface TokenServerOptions {
  /** Listen address, `127.X.Y.Z:PORT`. */
  host: string;
  /** The registry's service name: the only `service` accepted, and the token's `aud`. */
  service: string;
  issuer: string;
  user: string;
  password: string;
  /** Without credentials, grant pull (only). Default false: such a token grants nothing. */
  anonymousPull?: boolean;
  /** PEM files from createSigningCert(). */
  keyPath: string;
  certPath: string;
  /** Token lifetime. Default 300 s. */
  expiresIn?: number;
}

export interface RunningTokenServer {
  /** The realm: `http://HOST/token`. */
  url: string;
  close(): Promise<void>;
}

/** One access entry of a token (the `access` claim). */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Writes a self-signed P-256 key and certificate (`token-key.pem`, `token-cert.pem`) into dir. */
export async function createSigningCert(dir: string): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '3650', '-subj', '/CN=bootfleet-lab-token-issuer',
  ]);
  return { keyPath, certPath };
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * Signs an ES256 JWT. Distribution 2.8 (registry/auth/token/token.go) wants `aud` as a string, and
 * finds the key through `x5c`, verifying that chain against its rootcertbundle; the signature is
 * JOSE's raw r||s, not DER.
 */
function signJwt(claims: object, key: KeyObject, certDer: Buffer): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] }));
  const payload = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${payload}.${b64url(sign('sha256', Buffer.from(payload), { key, dsaEncoding: 'ieee-p1363' }))}`;
}

/** `repository:bootfleet/os:pull,push` (a name may itself hold colons, e.g. a port). */
function parseScope(scope: string): TokenAccess | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const text = Buffer.from(value, 'base64').toString();
  const colon = text.indexOf(':');
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const key = createPrivateKey(await readFile(options.keyPath));
  const certDer = new X509Certificate(await readFile(options.certPath)).raw;
  const expiresIn = options.expiresIn ?? 300;

  const server = createServer((req, res) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', 'http://token');
    if (req.method !== 'GET' || url.pathname !== '/token') return reply(404, { details: 'only GET /token' });
    const service = url.searchParams.get('service');
    if (service !== null && service !== options.service) return reply(400, { details: `unknown service ${service}` });

    const creds = basicCredentials(req);
    if (req.headers.authorization && !(creds?.user === options.user && creds.password === options.password)) {
      return reply(401, { details: 'incorrect username or password' }, { 'www-authenticate': 'Basic realm="bootfleet-lab"' });
    }
    const requested = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).map(parseScope)
      .filter((a): a is TokenAccess => a !== null);
    // An anonymous caller still gets a token (as Docker Hub does); it just grants less, or nothing.
    const access = creds
      ? requested
      : options.anonymousPull
        ? requested.filter((a) => a.type === 'repository' && a.actions.includes('pull')).map((a) => ({ ...a, actions: ['pull'] }))
        : [];
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({
      iss: options.issuer, sub: creds?.user ?? '', aud: options.service,
      exp: now + expiresIn, nbf: now, iat: now, jti: randomUUID(), access,
    }, key, certDer);
    return reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() });
  });

  const [address, port] = options.host.split(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), address, () => resolve());
  });
  return {
    url: `http://${options.host}/token`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
