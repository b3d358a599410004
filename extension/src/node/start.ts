/**
 * `npm start`: one command from a fresh checkout to the viewer with the body-region panel.
 *
 *   npm start                              embedded Orthanc (persistent, .cache/orthanc-data) + demo data
 *   npm start -- --import <folder>         also send your DICOM files to the embedded archive
 *   npm start -- --dicomweb <url> [--header 'Authorization: Bearer …']
 *                                          use an existing DICOMweb archive instead (or BODY_REGION_DICOMWEB)
 *   npm start -- --port 3000               viewer port on 127.0.0.1 (0: any free port)
 *   npm start -- --write-back              the panel offers "Save to archive" (DICOM SRs, docs/SR.md)
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { startOrthanc, uploadFiles, OrthancHandle } from './orthanc';
import { startViewerServer, UpstreamArchive } from './server';
import { demoDataSets } from './demoData';
import { checkModel, defaultPaths, ensureBundles, ensureDemoPackage, ensureOhifDist, ensureOrthanc } from './setup';
import { MODE_ROUTE } from '../ohif/ids';

export interface StartOptions {
  dicomweb?: string;
  header: string[];
  import?: string;
  port: number;
  demo: boolean;
  dataDir?: string;
  /** The panel offers "Save to archive" (our SRs written to the archive). */
  writeBack?: boolean;
}

const log = (line: string) => process.stdout.write(`[body-region] ${line}\n`);

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  const program = new Command()
    .name('npm start --')
    .option('--dicomweb <url>', 'use an existing DICOMweb archive (default: embedded Orthanc)', env.BODY_REGION_DICOMWEB)
    .option('--header <header>', "request header for that archive, e.g. 'Authorization: Bearer …' (repeatable)", (v: string, all: string[]) => [...all, v], [])
    .option('--import <folder>', 'send the DICOM files in this folder to the embedded archive')
    .option('--port <port>', 'viewer port on 127.0.0.1', (v) => Number(v), Number(env.BODY_REGION_PORT ?? 3000))
    .option('--no-demo', 'do not load the demo data')
    .option('--data-dir <dir>', 'embedded archive storage (default .cache/orthanc-data)')
    .option('--write-back', 'let the panel save results to the archive as DICOM SRs (docs/SR.md)')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  return { dicomweb: o.dicomweb || undefined, header: o.header, import: o.import, port: o.port, demo: o.demo, dataDir: o.dataDir, writeBack: Boolean(o.writeBack) };
}

export function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`--header must look like 'Name: value', got '${line}'`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

/** DICOM Part-10 files under a folder (by the DICM preamble, whatever their names). */
export function findDicomFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && isPart10(full)) out.push(full);
    }
  };
  walk(folder);
  return out;
}

function isPart10(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(4);
    const n = fs.readSync(fd, buf, 0, 4, 128);
    fs.closeSync(fd);
    return n === 4 && buf.toString('latin1') === 'DICM';
  } catch {
    return false;
  }
}

async function loadDemoOnce(orthanc: OrthancHandle, dataDir: string): Promise<void> {
  const marker = path.join(dataDir, 'demo-loaded.json');
  if (fs.existsSync(marker)) return;
  for (const set of demoDataSets()) {
    await uploadFiles(orthanc.url, set.files);
    log(`Loaded demo data: ${set.label}, ${set.files.length} file(s)`);
  }
  fs.writeFileSync(marker, JSON.stringify({ loadedAt: new Date().toISOString() }));
}

async function importFolder(orthanc: OrthancHandle, folder: string): Promise<void> {
  const files = findDicomFiles(folder);
  log(`Importing ${files.length} DICOM file(s) from ${folder}…`);
  let failed = 0;
  for (const file of files) {
    try {
      await uploadFiles(orthanc.url, [file]);
    } catch (error) {
      failed++;
      log(`  skipped ${file}: ${(error as Error).message}`);
    }
  }
  log(`Imported ${files.length - failed} file(s)${failed ? `, ${failed} refused` : ''}.`);
}

export async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const paths = defaultPaths();
  if (options.dataDir) paths.dataDir = path.resolve(options.dataDir);
  ensureOhifDist(paths, log);
  ensureBundles(paths, log);
  const modelProblem = checkModel(paths);
  if (modelProblem) log(`Warning: ${modelProblem}`);

  let orthanc: OrthancHandle | null = null;
  let upstream: UpstreamArchive;
  if (options.dicomweb) {
    if (options.import) log('Note: --import sends files to the embedded archive only; ignored with --dicomweb.');
    upstream = { url: options.dicomweb, headers: parseHeaders(options.header), preserveHost: false };
    log(`Using the DICOMweb archive at ${options.dicomweb}`);
  } else {
    ensureOrthanc(log);
    if (options.demo) ensureDemoPackage(log);
    fs.mkdirSync(paths.dataDir, { recursive: true });
    orthanc = await startOrthanc({ storageDir: paths.dataDir });
    log(`Embedded Orthanc on ${orthanc.url} (storage ${paths.dataDir})`);
    if (options.demo) await loadDemoOnce(orthanc, paths.dataDir);
    if (options.import) await importFolder(orthanc, path.resolve(options.import));
    upstream = { url: orthanc.dicomWebUrl, preserveHost: true };
  }

  const server = await startViewerServer({ ...paths, upstream, port: options.port, appConfig: { writeBack: options.writeBack }, onProxyError: (m) => log(`proxy: ${m}`) });
  log(`Viewer ready: ${server.url}/  (open a CT or MR study with the "Body regions" mode, route /${MODE_ROUTE})`);
  log('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('Stopping…');
  await server.close();
  await orthanc?.stop();
  return 0;
}
