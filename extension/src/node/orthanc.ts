/**
 * Starts a private Orthanc (with the DICOMweb plugin) on loopback, for tests, benchmarks and `npm start`.
 * Node-only host code: the engine never imports this.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const GDCM_PLUGIN = '/usr/share/orthanc/plugins/libOrthancGdcm.so';

export interface OrthancHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  /** DICOMweb root, http://127.0.0.1:<port>/dicom-web */
  dicomWebUrl: string;
  port: number;
  storageDir: string;
  stop(): Promise<void>;
}

export interface OrthancOptions {
  /** Keep data here between runs (npm start); a temporary folder (deleted on stop) when absent. */
  storageDir?: string;
  port?: number;
  /** Forwarded Orthanc log lines, for debugging. */
  onLog?: (line: string) => void;
  /** More Orthanc configuration (e.g. `LimitFindResults` to cap QIDO pages in tests); merged last. */
  extraConfig?: Record<string, unknown>;
}

/** Says what is missing, in words a user can act on, or null when Orthanc can be started. */
export function orthancMissing(): string | null {
  if (!fs.existsSync(ORTHANC_BINARY) || !fs.existsSync(DICOMWEB_PLUGIN)) {
    return 'Orthanc with the DICOMweb plugin is not installed: run `sudo apt-get install -y orthanc orthanc-dicomweb`.';
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancHandle> {
  const missing = orthancMissing();
  if (missing) throw new Error(missing);
  const temporary = !options.storageDir;
  const storageDir = options.storageDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'body-region-orthanc-'));
  fs.mkdirSync(storageDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const plugins = [DICOMWEB_PLUGIN];
  if (fs.existsSync(GDCM_PLUGIN)) plugins.push(GDCM_PLUGIN);
  const config = {
    Name: 'body-region',
    HttpPort: port,
    StorageDirectory: path.join(storageDir, 'db'),
    IndexDirectory: path.join(storageDir, 'db'),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomServerEnabled: false,
    HttpTimeout: 60,
    // On loopback, gzip only costs time: Orthanc compresses each 512 KB frame on the fly (bench: 4× slower).
    HttpCompressionEnabled: false,
    StableAge: 1,
    Plugins: plugins,
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
    ...options.extraConfig,
  };
  const configPath = path.join(storageDir, 'orthanc.json');
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));

  const child: ChildProcess = spawn(ORTHANC_BINARY, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => options.onLog?.(chunk.toString());
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  let exited = false;
  child.on('exit', () => (exited = true));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) throw new Error(`Orthanc exited during start-up (config ${configPath})`);
    try {
      const res = await fetch(`${url}/system`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Orthanc did not answer on ${url} within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    port,
    storageDir,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      if (temporary) fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Stores DICOM Part 10 files through Orthanc's REST API (/instances); returns the new instance ids. */
export async function uploadFiles(orthancUrl: string, files: Array<string | Uint8Array>): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const body = typeof file === 'string' ? fs.readFileSync(file) : file;
    const res = await fetch(`${orthancUrl}/instances`, { method: 'POST', body: body as unknown as BodyInit });
    if (!res.ok) throw new Error(`Orthanc refused ${typeof file === 'string' ? file : 'an instance'}: HTTP ${res.status}`);
    const answer = (await res.json()) as { ID: string };
    ids.push(answer.ID);
  }
  return ids;
}
