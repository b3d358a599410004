/**
 * The local web server of `npm start` (extension/src/node/server.ts) and the browser bundles:
 *  - the server listens on 127.0.0.1 only (the kernel's socket table says so, and other addresses
 *    of this machine refuse connections);
 *  - it serves nothing outside its folders (encoded dot segments, sibling folders with the same
 *    name prefix);
 *  - beyond loopback it does not start without an access token, and its /dicom-web proxy relays
 *    the archive (with the server's credentials) only to requests that carry the token;
 *  - our own code in the bundles (build/ohif, `npm run build:bundles`) has no eval / new Function,
 *    so it runs under a CSP without 'unsafe-eval'; third-party code that has them is listed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { startViewerServer, type ViewerServer } from '../../extension/src/node/server';
import { REPO } from '../helpers/tinyModel';

let work: string;
let server: ViewerServer;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'security-server-'));
  const dir = (name: string, files: Record<string, string> = {}) => {
    const d = path.join(work, name);
    fs.mkdirSync(d, { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(d, f), text);
    return d;
  };
  server = await startViewerServer({
    ohifDist: dir('ohif', { 'index.html': '<html>viewer</html>', 'app.js': 'console.log(1)' }),
    bundlesDir: dir('bundles', { 'body-region-extension.js': 'export default {}' }),
    modelsDir: dir('models', { 'model.json': '{}' }),
    ortDir: dir('ort'),
    upstream: { url: 'http://127.0.0.1:9/dicom-web' },
    port: 0,
  });
  // Siblings whose names start like the served folders: nothing in them may be served.
  dir('ohif-private', { 'secret.txt': 'SIBLING-SECRET' });
  dir('models-private', { 'secret.json': '"SIBLING-SECRET"' });
  fs.writeFileSync(path.join(work, 'top-secret.txt'), 'PARENT-SECRET');
});

afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Local addresses of listening TCP sockets on `port`, from /proc/net/tcp{,6} (Linux). */
function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, portHex] = cols[1].split(':');
      if (parseInt(portHex, 16) === port) out.push(addr);
    }
  }
  return out;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

describe('the viewer server of npm start', () => {
  test('listens on 127.0.0.1 only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    if (process.platform === 'linux') expect(listeningAddresses(server.port)).toEqual(['0100007F']); // 127.0.0.1, little-endian hex
    expect(await connects('127.0.0.1', server.port)).toBe(true);
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => !!a && a.address !== '127.0.0.1' && !a.address.startsWith('fe80'))
      .map((a) => a.address);
    expect(others).toContain('::1');
    for (const address of others) expect({ address, connects: await connects(address, server.port) }).toEqual({ address, connects: false });
  });

  test.each([
    ['/..%2fohif-private/secret.txt'],
    ['/%2e%2e/ohif-private/secret.txt'],
    ['/..%2f..%2ftop-secret.txt'],
    ['/..%2ftop-secret.txt'],
    ['/body-region/..%2fmodels-private%2fsecret.json'],
    ['/body-region/%2e%2e%2fmodels-private%2fsecret.json'],
    ['/body-region/..%5cmodels-private%5csecret.json'],
  ])('serves nothing outside its folders: %s', async (pathname) => {
    const res = await fetch(`${server.url}${pathname}`);
    const body = await res.text();
    expect(body).not.toMatch(/SECRET/);
  });

  test('serves its own files (so the refusals above are not a broken server)', async () => {
    expect(await (await fetch(`${server.url}/app.js`)).text()).toBe('console.log(1)');
    expect(await (await fetch(`${server.url}/body-region/model.json`)).text()).toBe('{}');
  });
});

describe('the /dicom-web proxy beyond loopback', () => {
  const TOKEN = 'a-viewer-token-of-some-length';
  let upstream: http.Server;
  let upstreamUrl = '';
  let proxied: ViewerServer;
  const seen: http.IncomingHttpHeaders[] = [];
  const serverDirs = () => ({
    ohifDist: path.join(work, 'ohif'),
    bundlesDir: path.join(work, 'bundles'),
    modelsDir: path.join(work, 'models'),
    ortDir: path.join(work, 'ort'),
  });

  beforeAll(async () => {
    // The archive: records what the proxy sends it.
    upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'Content-Type': 'application/dicom+json' });
      res.end('[]');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}/dicom-web`;
    proxied = await startViewerServer({
      ...serverDirs(),
      upstream: { url: upstreamUrl, headers: { Authorization: 'Bearer ARCHIVE-SECRET' } },
      host: '0.0.0.0',
      accessToken: TOKEN,
      port: 0,
    });
  });
  afterAll(async () => {
    await proxied?.close();
    await new Promise((r) => upstream?.close(r));
  });

  test('does not start beyond loopback without an access token', async () => {
    await expect(startViewerServer({ ...serverDirs(), upstream: { url: upstreamUrl }, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /access token/,
    );
  });

  test('answers 401 without the token, and the archive hears nothing', async () => {
    const before = seen.length;
    const attempts: Array<Record<string, string>> = [
      {},
      { Authorization: 'Bearer wrong-token-wrong-token' },
      { Cookie: 'body_region_token=wrong' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${proxied.url}/dicom-web/studies`, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('ARCHIVE-SECRET');
    }
    expect(seen.length).toBe(before);
    // The viewer's own files stay public: they hold no patient data.
    expect((await fetch(`${proxied.url}/app.js`)).status).toBe(200);
  });

  test('relays with the bearer token, adding the archive credentials and dropping the token', async () => {
    const res = await fetch(`${proxied.url}/dicom-web/studies`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.authorization).toBe('Bearer ARCHIVE-SECRET');
  });

  test('the login form sets an HttpOnly cookie that opens the proxy; the cookie is not relayed', async () => {
    expect((await fetch(`${proxied.url}/body-region/login`)).status).toBe(200);
    const wrong = await fetch(`${proxied.url}/body-region/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope' }),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await fetch(`${proxied.url}/body-region/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      redirect: 'manual',
    });
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const res = await fetch(`${proxied.url}/dicom-web/studies`, { headers: { Cookie: cookie.split(';')[0] } });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.cookie).toBeUndefined();
    expect(seen.at(-1)?.authorization).toBe('Bearer ARCHIVE-SECRET');
  });
});

describe('the browser bundles under a strict CSP', () => {
  const BUNDLES = ['body-region-extension.js', 'body-region-mode.js', 'body-region-worker.js'];
  const OUT = path.join(REPO, 'build/ohif');
  const CODE_FROM_STRINGS = /\beval\s*\(|\bnew\s+Function\s*\(|(?<![.\w$])Function\s*\(\s*["'`]/;

  beforeAll(() => {
    // Build when a bundle is missing or older than our sources.
    const newest = (dir: string): number =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs), 0);
    const sources = Math.max(newest(path.join(REPO, 'extension/src')), newest(path.join(REPO, 'mode')));
    const stale = BUNDLES.some((b) => !fs.existsSync(path.join(OUT, b)) || fs.statSync(path.join(OUT, b)).mtimeMs < sources);
    if (stale)
      execFileSync(process.execPath, [path.join(REPO, 'node_modules/webpack-cli/bin/cli.js'), '--config', 'webpack.config.js'], {
        cwd: REPO,
        stdio: 'pipe',
      });
  }, 600000);

  test.each(BUNDLES)('%s: no eval / new Function in our sources; third-party ones are the known, unused ones', (bundle) => {
    const map = JSON.parse(fs.readFileSync(path.join(OUT, `${bundle}.map`), 'utf8')) as { sources: string[]; sourcesContent: string[] };
    const offenders = map.sources.filter((_, i) => CODE_FROM_STRINGS.test(map.sourcesContent[i] ?? ''));
    const ours = offenders.filter((s) => !s.includes('node_modules'));
    expect(ours).toEqual([]);
    // dcmjs bundles ndarray (compiles accessors with new Function when an ndarray is made: the
    // engine never makes one) and lodash's global lookup (Function('return this') only when
    // neither global nor self exists). The CLI security test runs the engine with code
    // generation from strings disabled. Anything new here needs the same scrutiny.
    for (const s of offenders) expect(['dcmjs/build/dcmjs.es.js']).toContain(s.replace(/^.*node_modules\//, ''));
    // The bundle really comes from these sources (the map is not stale or empty).
    expect(map.sources.some((s) => s.includes('extension/src/') || s.includes('mode/'))).toBe(true);
  });
});
