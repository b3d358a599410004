/**
 * A loopback HTTP proxy in front of a real archive that injects faults: error statuses, hangs,
 * slow answers, connection resets, malformed multipart bodies. It records each request's method,
 * path and headers so tests can check what the client sent.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export type Fault =
  | { kind: 'forward' }
  /** Forward to another path (e.g. a QIDO query with its limit lowered, as a capping archive does). */
  | { kind: 'rewrite'; path: string }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'malformed' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  fault: Fault['kind'];
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> — append the archive's path (e.g. /dicom-web). */
  url: string;
  requests: RecordedRequest[];
  /** Decides per request; default forwards everything. */
  plan: (req: http.IncomingMessage, index: number) => Fault;
  stop(): Promise<void>;
}

export async function startFaultProxy(targetBaseUrl: string): Promise<FaultProxy> {
  const target = new URL(targetBaseUrl);
  const hanging = new Set<http.ServerResponse>();
  const proxy: FaultProxy = {
    url: '',
    requests: [],
    plan: () => ({ kind: 'forward' }),
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const index = proxy.requests.length;
    const fault = proxy.plan(req, index);
    proxy.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, fault: fault.kind });
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'Content-Type': 'text/plain' });
        res.end(`injected ${fault.status}`);
        return;
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'multipart/related; type="application/octet-stream"; boundary=abc' });
        res.end('this is not a multipart body at all');
        return;
      case 'delay':
        setTimeout(() => forward(req, res), fault.ms);
        return;
      case 'rewrite':
        forward(req, res, fault.path);
        return;
      default:
        forward(req, res);
    }
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, path = req.url): void {
    const headers = { ...req.headers, host: target.host };
    const upstream = http.request({ hostname: target.hostname, port: target.port, path, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return proxy;
}

/**
 * A plan that makes the archive behind the proxy cap every QIDO-RS page at `cap` matches, whatever
 * `limit` the client asks for (as dcm4chee's and cloud archives' result limits do).
 */
export function capQidoPages(cap: number): FaultProxy['plan'] {
  return (req) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isQido = req.method === 'GET' && /\/(studies|series)$/.test(url.pathname);
    if (!isQido) return { kind: 'forward' };
    const asked = Number(url.searchParams.get('limit') ?? Infinity);
    url.searchParams.set('limit', String(Math.min(asked, cap)));
    return { kind: 'rewrite', path: `${url.pathname}${url.search}` };
  };
}

/** A request for pixels: WADO-RS frames, or a whole instance (the client's fallback for frames). */
export function isPixelRequest(r: Pick<RecordedRequest, 'method' | 'path'>): boolean {
  return r.method === 'GET' && /\/frames\/|\/instances\/[^/]+$/.test(r.path.split('?')[0]);
}
