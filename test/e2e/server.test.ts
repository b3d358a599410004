/**
 * The viewer server of `npm start` (extension/src/node/server.ts) without a browser: generated
 * app-config, assets beside the bundles, cross-origin isolation headers, the SPA fallback, and the
 * /dicom-web proxy both to the embedded Orthanc (Host kept) and to a foreign archive (headers
 * added, absolute URLs rewritten).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { startViewerServer, ViewerServer } from '../../extension/src/node/server';
import { startArchive, ArchiveFixture } from '../helpers/orthancFixture';
import { makeSeries } from '../helpers/dicomFactory';
import { findDicomFiles, parseArgs } from '../../extension/src/node/start';
import { parseHeaders } from '../../extension/src/cli/headers';

function tempDirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'br-server-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

const dirs = {
  ohifDist: tempDirWith({ 'index.html': '<html>viewer</html>', 'app.bundle.js': 'console.log(1)' }),
  bundlesDir: tempDirWith({ 'body-region-extension.js': 'export default {}' }),
  modelsDir: tempDirWith({ 'model.json': '{"modelId":"m"}' }),
  ortDir: tempDirWith({ 'ort-wasm-simd-threaded.wasm': 'wasm', 'ort-wasm-simd-threaded.mjs': 'export {}' }),
};

describe('viewer server with the embedded Orthanc', () => {
  let archive: ArchiveFixture;
  let server: ViewerServer;

  beforeAll(async () => {
    archive = await startArchive();
    server = await startViewerServer({ ...dirs, upstream: { url: archive.dicomWebUrl, preserveHost: true } });
  }, 60000);
  afterAll(async () => {
    await server?.close();
    await archive?.orthanc.stop();
  });

  it('serves the viewer, the generated app-config and our assets, all cross-origin isolated', async () => {
    const config = await fetch(`${server.url}/app-config.js`);
    const text = await config.text();
    expect(text).toContain('extensions: ["/body-region/body-region-extension.js"]');
    expect(text).toContain('modes: ["/body-region/body-region-mode.js"]');
    expect(text).toContain("thumbnailRendering: 'wadors'");
    for (const url of [
      '/',
      '/app-config.js',
      '/body-region/body-region-extension.js',
      '/body-region/model.json',
      '/body-region/ort-wasm-simd-threaded.wasm',
    ]) {
      const res = await fetch(server.url + url);
      expect([url, res.status]).toEqual([url, 200]);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }
    expect((await fetch(`${server.url}/body-region/ort-wasm-simd-threaded.wasm`)).headers.get('content-type')).toBe('application/wasm');
    // Our scripts (the worker above all) carry a CSP without 'unsafe-eval'.
    const csp = (await fetch(`${server.url}/body-region/body-region-extension.js`)).headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/'unsafe-eval'/);
    // Client-side routes get the viewer; missing files and escapes do not.
    expect(await (await fetch(`${server.url}/body-region?StudyInstanceUIDs=1.2.3`)).text()).toBe('<html>viewer</html>');
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/body-region/..%2Fpackage.json`)).status).toBe(404);
  });

  it('proxies DICOMweb keeping the Host header, so Orthanc names the proxy in its URLs', async () => {
    const series = await makeSeries({ slices: 2 });
    await archive.store(series.files);
    const res = await fetch(`${server.url}/dicom-web/studies?StudyInstanceUID=${series.studyInstanceUID}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(`${server.url}/dicom-web/studies/${series.studyInstanceUID}`);
    expect(body).not.toContain(archive.orthanc.url);
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });
});

describe('viewer server in front of a foreign archive', () => {
  let upstream: http.Server;
  let upstreamUrl = '';
  let server: ViewerServer;
  const seen: Array<{ url?: string; host?: string; authorization?: string }> = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host, authorization: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'application/dicom+json' });
      res.end(JSON.stringify([{ '00081190': { vr: 'UR', Value: [`${upstreamUrl}/studies/1.2.3`] } }]));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/pacs/rs`;
    server = await startViewerServer({ ...dirs, upstream: { url: upstreamUrl, headers: parseHeaders(['Authorization: Bearer secret']) } });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => upstream.close(r));
  });

  it('adds the configured headers, talks to the archive as itself and rewrites its URLs to the proxy', async () => {
    const res = await fetch(`${server.url}/dicom-web/studies?limit=1`);
    const body = (await res.json()) as Array<Record<string, { Value: string[] }>>;
    expect(seen.at(-1)).toEqual({ url: '/pacs/rs/studies?limit=1', host: new URL(upstreamUrl).host, authorization: 'Bearer secret' });
    expect(body[0]['00081190'].Value[0]).toBe(`${server.url}/dicom-web/studies/1.2.3`);
  });
});

describe('npm start options', () => {
  it('reads --dicomweb, repeated --header, --import and BODY_REGION_DICOMWEB', () => {
    const o = parseArgs(['--dicomweb', 'https://pacs/rs', '--header', 'Authorization: Bearer x', '--header', 'X-A: 1', '--port', '0'], {});
    expect(o).toMatchObject({
      dicomweb: 'https://pacs/rs',
      header: ['Authorization: Bearer x', 'X-A: 1'],
      port: 0,
      host: '127.0.0.1',
      demo: true,
    });
    expect(parseHeaders(o.header)).toEqual({ Authorization: 'Bearer x', 'X-A': '1' });
    expect(parseArgs(['--import', '/data', '--no-demo'], { BODY_REGION_DICOMWEB: 'http://env/rs' })).toMatchObject({
      dicomweb: 'http://env/rs',
      import: '/data',
      demo: false,
    });
    expect(() => parseHeaders(['no colon'])).toThrow(/Name: value/);
  });
});

describe('npm start -- --import', () => {
  it('finds DICOM Part-10 files by their preamble, in subfolders, whatever their names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'br-import-'));
    fs.mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
    const series = await makeSeries({ slices: 2 });
    fs.writeFileSync(path.join(dir, 'IM0001'), series.files[0]);
    fs.writeFileSync(path.join(dir, 'sub', 'deeper', 'slice.dcm'), series.files[1]);
    fs.writeFileSync(path.join(dir, 'sub', 'notes.dcm'), 'not DICOM at all');
    expect(
      findDicomFiles(dir)
        .map((f) => path.relative(dir, f))
        .sort(),
    ).toEqual(['IM0001', path.join('sub', 'deeper', 'slice.dcm')]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
