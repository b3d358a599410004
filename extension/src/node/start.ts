/**
 * `npm start`: one command from a fresh checkout to the viewer with the body-region panel.
 *
 *   npm start                              embedded Orthanc (persistent, .cache/orthanc-data) + demo data
 *   npm start -- --import <folder>         also send your DICOM files to the embedded archive
 *   npm start -- --dicomweb <url> [--header-file <file>]
 *                                          use an existing DICOMweb archive instead (or BODY_REGION_DICOMWEB);
 *                                          its credentials from a file or BODY_REGION_AUTH_HEADER, not argv
 *                                          (npm prints the command line, --header values included)
 *   npm start -- --port 3000               viewer port on 127.0.0.1 (0: any free port)
 *   npm start -- --host 0.0.0.0            listen beyond loopback: needs BODY_REGION_ACCESS_TOKEN(_FILE)
 *   npm start -- --write-back              the panel offers "Save to archive" (DICOM SRs, docs/SR.md)
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { startOrthanc, uploadFiles, OrthancHandle } from './orthanc';
import { isLoopback, LOGIN_PATH, startViewerServer, UpstreamArchive } from './server';
import { archiveHeaders } from '../cli/headers';
import { demoDataSets } from './demoData';
import { checkModel, defaultPaths, ensureBundles, ensureDemoPackage, ensureOhifDist, ensureOrthanc } from './setup';
import { MODE_ROUTE } from '../ohif/ids';

export interface StartOptions {
  dicomweb?: string;
  header: string[];
  headerFile?: string;
  import?: string;
  port: number;
  host: string;
  accessTokenFile?: string;
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
    .option(
      '--header <header>',
      'request header for that archive (repeatable; npm prints it: prefer --header-file)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--header-file <file>',
      "file of 'Name: value' lines for that archive (or BODY_REGION_HEADER_FILE, or BODY_REGION_AUTH_HEADER='Name: value')",
    )
    .option('--import <folder>', 'send the DICOM files in this folder to the embedded archive')
    .option('--port <port>', 'viewer port', (v) => Number(v), Number(env.BODY_REGION_PORT ?? 3000))
    .option(
      '--host <address>',
      'address to listen on; beyond loopback the archive proxy needs an access token',
      env.BODY_REGION_HOST ?? '127.0.0.1',
    )
    .option(
      '--access-token-file <file>',
      'file holding the access token the /dicom-web proxy asks for (or BODY_REGION_ACCESS_TOKEN)',
      env.BODY_REGION_ACCESS_TOKEN_FILE,
    )
    .option('--no-demo', 'do not load the demo data')
    .option('--data-dir <dir>', 'embedded archive storage (default .cache/orthanc-data)')
    .option('--write-back', 'let the panel save results to the archive as DICOM SRs (docs/SR.md)')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  return {
    dicomweb: o.dicomweb || undefined,
    header: o.header,
    headerFile: o.headerFile,
    import: o.import,
    port: o.port,
    host: o.host,
    accessTokenFile: o.accessTokenFile,
    demo: o.demo,
    dataDir: o.dataDir,
    writeBack: Boolean(o.writeBack),
  };
}

/** The viewer's access token, from a file or the environment (never argv); undefined when none is set. */
export function accessToken(options: StartOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = options.accessTokenFile ? fs.readFileSync(options.accessTokenFile, 'utf8').trim() : env.BODY_REGION_ACCESS_TOKEN?.trim();
  if (!token) return undefined;
  if (token.length < 16) throw new Error('the access token must have at least 16 characters');
  return token;
}

/** An archive URL fit for a log: user and password, if any, left out. */
export function urlForLog(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return '(not a URL)';
  }
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
    upstream = {
      url: options.dicomweb,
      headers: archiveHeaders({ header: options.header, headerFile: options.headerFile }),
      preserveHost: false,
    };
    if (options.header.length)
      log("Note: --header values show in npm's banner and in ps; --header-file or BODY_REGION_AUTH_HEADER keep them out (docs/OHIF.md).");
    log(`Using the DICOMweb archive at ${urlForLog(options.dicomweb)}`);
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

  const token = accessToken(options);
  const server = await startViewerServer({
    ...paths,
    upstream,
    port: options.port,
    host: options.host,
    accessToken: token,
    appConfig: { writeBack: options.writeBack },
    onProxyError: (m) => log(`proxy: ${m}`),
  });
  log(`Viewer ready: ${server.url}/  (open a CT or MR study with the "Body regions" mode, route /${MODE_ROUTE})`);
  if (!isLoopback(options.host))
    log(`Listening on ${options.host}: the archive proxy asks for the access token (${LOGIN_PATH}, or a Bearer header).`);
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
