/**
 * The benchmark's web server on 127.0.0.1: the bench page and its bundle, the model files,
 * onnxruntime-web's wasm, and a same-origin /dicom-web proxy to Orthanc that counts the bytes it
 * passes on. Every response carries COOP/COEP so the page is cross-origin isolated (wasm threads).
 * The Node path goes through the same proxy, so both hosts' byte counts are measured alike.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/** Bytes of response bodies that went through the proxy, by kind of request. */
export interface ProxyCounters {
  frameRequests: number;
  frameBytes: number;
  metadataRequests: number;
  metadataBytes: number;
  otherRequests: number;
  otherBytes: number;
}

export const emptyCounters = (): ProxyCounters => ({
  frameRequests: 0,
  frameBytes: 0,
  metadataRequests: 0,
  metadataBytes: 0,
  otherRequests: 0,
  otherBytes: 0,
});

export interface BenchServer {
  url: string;
  counters: ProxyCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

export interface BenchServerOptions {
  /** Orthanc root, e.g. http://127.0.0.1:8042 (its DICOMweb is at /dicom-web). */
  orthancUrl: string;
  /** URL prefix → directory, e.g. { '/models/': 'models', '/ort/': 'node_modules/onnxruntime-web/dist' }. */
  mounts: Record<string, string>;
  /**
   * false: ask Orthanc for identity encoding whatever the client sent. Browsers always send
   * Accept-Encoding: gzip, and Orthanc then compresses every frame on the fly (CPU on the server).
   */
  passAcceptEncoding?: boolean;
}

function kindOf(url: string): 'frame' | 'metadata' | 'other' {
  if (/\/frames\/[\d,]+(\/rendered)?(\?|$)/.test(url)) return 'frame';
  if (/\/metadata(\?|$)/.test(url)) return 'metadata';
  return 'other';
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const upstream = new URL(options.orthancUrl);
  const state = { counters: emptyCounters() };

  const serveFile = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    for (const [prefix, dir] of Object.entries(options.mounts)) {
      if (!pathname.startsWith(prefix)) continue;
      const root = path.resolve(dir);
      const file = path.resolve(root, pathname.slice(prefix.length) || 'index.html');
      if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION }).end('not found');
        return true;
      }
      const body = fs.readFileSync(file);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
        ...ISOLATION,
      });
      res.end(body);
      return true;
    }
    return false;
  };

  const proxy = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const kind = kindOf(req.url ?? '');
    const headers = { ...req.headers, host: req.headers.host ?? upstream.host };
    if (options.passAcceptEncoding === false) headers['accept-encoding'] = 'identity';
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, ...ISOLATION });
      upRes.on('data', (chunk: Buffer) => {
        const c = state.counters;
        if (kind === 'frame') c.frameBytes += chunk.length;
        else if (kind === 'metadata') c.metadataBytes += chunk.length;
        else c.otherBytes += chunk.length;
      });
      upRes.pipe(res);
    });
    const c = state.counters;
    if (kind === 'frame') c.frameRequests++;
    else if (kind === 'metadata') c.metadataRequests++;
    else c.otherRequests++;
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain', ...ISOLATION });
      res.end(`proxy error: ${e.message}`);
    });
    req.pipe(up);
  };

  const server = http.createServer((req, res) => {
    if ((req.url ?? '').startsWith('/dicom-web/')) return proxy(req, res);
    if (req.url === '/favicon.ico') return void res.writeHead(204, ISOLATION).end();
    if (serveFile(req, res)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION }).end('not found');
  });
  // Many parallel frame requests on keep-alive connections: no idle cut-off during a run.
  server.keepAliveTimeout = 60000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get counters() {
      return state.counters;
    },
    resetCounters() {
      state.counters = emptyCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
