/**
 * The viewer's web server for `npm start` and the e2e tests, on 127.0.0.1 unless told otherwise:
 *   /                 the prebuilt OHIF viewer (SPA: unknown paths get index.html)
 *   /app-config.js    generated: our data source, our extension and mode bundles
 *   /body-region/...  our bundles, the model files, onnxruntime's wasm files
 *   /dicom-web/...    a same-origin proxy to the DICOMweb archive (Orthanc sends no CORS headers)
 * Every response carries COOP/COEP so that onnxruntime-web may use threads.
 *
 * The proxy relays the archive with the server's own credentials to whoever reaches the port. On
 * loopback that is this machine's users; beyond loopback an access token is required (the server
 * refuses to start without one) and /dicom-web answers only requests that carry it, as a bearer
 * token or as the cookie that /body-region/login sets.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { renderAppConfig, AppConfigOptions } from './serverAppConfig';

export interface UpstreamArchive {
  /** DICOMweb root of the archive, e.g. http://127.0.0.1:8042/dicom-web */
  url: string;
  /** Extra request headers (e.g. Authorization) added by the proxy; the browser never sees them. */
  headers?: Record<string, string>;
  /**
   * Keep the browser's Host header (embedded Orthanc: its BulkDataURIs then point at this server).
   * For other archives, absolute URLs in metadata are rewritten to this server instead.
   */
  preserveHost?: boolean;
}

export interface ViewerServerOptions {
  ohifDist: string;
  /** Directory with body-region-{extension,mode,worker}.js */
  bundlesDir: string;
  /** Directory with model.json, labels.json and the ONNX file. */
  modelsDir: string;
  /** Directory with ort-wasm-simd-threaded.{wasm,mjs} (onnxruntime-web/dist). */
  ortDir: string;
  upstream: UpstreamArchive;
  port?: number;
  /** Address to listen on (default 127.0.0.1). Anything but loopback needs `accessToken`. */
  host?: string;
  /** Required by /dicom-web when set (and always beyond loopback); from a file or the environment, never argv. */
  accessToken?: string;
  appConfig?: Partial<AppConfigOptions>;
  /** Called for every proxied request that fails, for logs. */
  onProxyError?: (message: string) => void;
}

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const ASSET_PREFIX = '/body-region/';

/**
 * A strict CSP on our own scripts. It governs the classification worker and onnxruntime's thread
 * workers (a worker's CSP comes from its script's response), so every run proves they need no eval;
 * the page itself keeps the viewer's policy.
 */
export const WORKER_CSP = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'",
};
const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
};

/** Cross-origin isolation (threads for onnxruntime-web); everything is same-origin, so require-corp is safe. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith('127.');

export const LOGIN_PATH = '/body-region/login';
const TOKEN_COOKIE = 'body_region_token';

export async function startViewerServer(options: ViewerServerOptions): Promise<ViewerServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.accessToken) {
    throw new Error(
      `listening on ${host} (beyond loopback) needs an access token for the /dicom-web proxy (BODY_REGION_ACCESS_TOKEN or --access-token-file)`,
    );
  }
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
      res.end(String(error?.message ?? error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function handle(options: ViewerServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const pathname = decodeURIComponent(url.pathname);
  if (pathname === LOGIN_PATH && options.accessToken) return login(options.accessToken, req, res);
  if (pathname === '/dicom-web' || pathname.startsWith('/dicom-web/')) {
    if (options.accessToken && !carriesToken(req, options.accessToken)) {
      res.writeHead(401, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
      res.end(`this viewer's archive needs its access token: open ${LOGIN_PATH}\n`);
      return;
    }
    return proxy(options, req, res, pathname.slice('/dicom-web'.length) + url.search);
  }
  if (pathname === '/app-config.js') {
    const body = renderAppConfig({ ...options.appConfig });
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES['.js'], 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
    res.end(body);
    return;
  }
  if (pathname.startsWith(ASSET_PREFIX)) {
    const name = pathname.slice(ASSET_PREFIX.length);
    if (name.includes('/') || name.startsWith('.')) return notFound(res);
    const dir = ORT_FILES.includes(name) ? options.ortDir : name.startsWith('body-region-') ? options.bundlesDir : options.modelsDir;
    return sendFile(res, path.join(dir, name), req, 'no-cache', WORKER_CSP);
  }
  // The viewer: real files, else index.html (client-side routes like /body-region?StudyInstanceUIDs=…).
  const file = safeJoin(options.ohifDist, pathname);
  if (file && fs.existsSync(file) && fs.statSync(file).isFile()) return sendFile(res, file, req, 'public, max-age=3600');
  if (path.extname(pathname) && !pathname.endsWith('.html')) return notFound(res);
  return sendFile(res, path.join(options.ohifDist, 'index.html'), req, 'no-cache');
}

/** Constant-time comparison (through digests, so lengths do not leak either). */
function sameToken(given: string, token: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(token));
}

function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

const bearerOf = (req: http.IncomingMessage): string | undefined => /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];

function carriesToken(req: http.IncomingMessage, token: string): boolean {
  const bearer = bearerOf(req);
  const cookie = cookieValue(req, TOKEN_COOKIE);
  return (bearer !== undefined && sameToken(bearer, token)) || (cookie !== undefined && sameToken(cookie, token));
}

const LOGIN_FORM = (note: string) =>
  `<!doctype html><meta charset="utf-8"><title>Body region viewer</title><p>${note}</p>` +
  `<form method="post" action="${LOGIN_PATH}"><label>Access token <input name="token" type="password" autofocus></label> <button>Open the viewer</button></form>`;

/** GET: a form asking for the token; POST: a right token sets an HttpOnly cookie and goes to the viewer. */
function login(token: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const page = (status: number, note: string) => {
    res.writeHead(status, { 'Content-Type': CONTENT_TYPES['.html'], 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
    res.end(LOGIN_FORM(note));
  };
  if (req.method !== 'POST') return Promise.resolve(page(200, 'This viewer asks for its access token before it shows the archive.'));
  return new Promise<void>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 4096) chunks.push(c);
    });
    req.on('end', () => {
      const given = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? '';
      if (!sameToken(given, token)) page(401, 'Wrong access token.');
      else {
        const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
        res.writeHead(303, { Location: '/', 'Set-Cookie': cookie, ...ISOLATION_HEADERS });
        res.end();
      }
      resolve();
    });
  });
}

function safeJoin(root: string, pathname: string): string | null {
  const base = path.resolve(root);
  const joined = path.resolve(base, `.${path.sep}${pathname}`);
  // Inside root itself, not merely a path with the same prefix (root "ohif" vs. sibling "ohif-private").
  return joined === base || joined.startsWith(base + path.sep) ? joined : null;
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
  res.end('not found');
}

function sendFile(
  res: http.ServerResponse,
  file: string,
  req: http.IncomingMessage,
  cacheControl: string,
  extra: http.OutgoingHttpHeaders = {},
): void {
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) return notFound(res);
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': stat.size,
      'Cache-Control': cacheControl,
      ...ISOLATION_HEADERS,
      ...extra,
    });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  });
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function proxy(options: ViewerServerOptions, req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> {
  const { upstream } = options;
  const base = new URL(upstream.url.replace(/\/+$/, ''));
  const target = new URL(base.href + rest);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // The viewer's cookies (our access token among them) are this origin's, not the archive's.
    if (!HOP_BY_HOP.has(k) && v !== undefined && k !== 'accept-encoding' && k !== 'cookie') headers[k] = v;
  }
  // Our own access token is not a credential for the archive.
  const bearer = bearerOf(req);
  if (options.accessToken && bearer !== undefined && sameToken(bearer, options.accessToken)) delete headers.authorization;
  if (!upstream.preserveHost) headers.host = target.host;
  Object.assign(headers, upstream.headers ?? {});
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<void>((resolve) => {
    const upstreamReq = client.request(target, { method: req.method, headers }, (upstreamRes) => {
      const outHeaders: http.OutgoingHttpHeaders = { ...ISOLATION_HEADERS };
      for (const [k, v] of Object.entries(upstreamRes.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) outHeaders[k] = v;
      const contentType = String(upstreamRes.headers['content-type'] ?? '');
      const rewrite = !upstream.preserveHost && /json/.test(contentType);
      if (!rewrite) {
        res.writeHead(upstreamRes.statusCode ?? 502, outHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => resolve());
        return;
      }
      // Absolute BulkDataURIs that name the archive itself are rewritten to this proxy (same origin).
      const chunks: Buffer[] = [];
      upstreamRes.on('data', (c: Buffer) => chunks.push(c));
      upstreamRes.on('end', () => {
        const origin = `http://${req.headers.host}/dicom-web`;
        const body = Buffer.from(Buffer.concat(chunks).toString('utf8').split(base.href).join(origin));
        delete outHeaders['content-length'];
        outHeaders['content-length'] = body.length;
        res.writeHead(upstreamRes.statusCode ?? 502, outHeaders);
        res.end(body);
        resolve();
      });
    });
    upstreamReq.on('error', (error) => {
      options.onProxyError?.(`${req.method} ${rest}: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
      res.end(`DICOMweb archive unreachable: ${error.message}`);
      resolve();
    });
    req.pipe(upstreamReq);
  });
}
