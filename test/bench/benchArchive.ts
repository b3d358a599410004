/**
 * The benchmark's archive: a real loopback Orthanc whose storage is kept under .cache/bench/orthanc
 * (gitignored), so a series stored once over STOW-RS is there on the next run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startOrthanc, type OrthancHandle } from '../../extension/src/node/orthanc';
import { stowRs } from '../helpers/orthancFixture';
import { CACHE_ROOT } from './paths';
import type { WholeBodyManifest } from './wholeBodyStack';

/** Instances of the series the archive already holds (QIDO-RS). */
async function storedCount(dicomWebUrl: string, m: WholeBodyManifest): Promise<number> {
  const res = await fetch(`${dicomWebUrl}/studies/${m.studyInstanceUID}/series/${m.seriesInstanceUID}/instances?limit=100000`, {
    headers: { Accept: 'application/dicom+json' },
  });
  if (res.status === 204 || res.status === 404) return 0;
  if (!res.ok) throw new Error(`QIDO-RS failed: HTTP ${res.status}`);
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown[]).length : 0;
}

export interface BenchArchive {
  orthanc: OrthancHandle;
  /** Seconds spent storing instances this run (0 when the cache already held them). */
  storeSeconds: number;
}

/** Starts Orthanc on the cached storage and stores the series unless it is already complete. */
export async function startBenchArchive(
  m: WholeBodyManifest,
  opts: { storageDir?: string; log?: (s: string) => void } = {},
): Promise<BenchArchive> {
  const storageDir = opts.storageDir ?? path.join(CACHE_ROOT, 'orthanc');
  fs.mkdirSync(storageDir, { recursive: true });
  const orthanc = await startOrthanc({ storageDir });
  try {
    const t0 = Date.now();
    const have = await storedCount(orthanc.dicomWebUrl, m);
    if (have !== m.slices) {
      opts.log?.(`storing ${m.slices} instances in Orthanc over STOW-RS (archive had ${have})…`);
      for (let i = 0; i < m.files.length; i += 100) {
        await stowRs(
          orthanc.dicomWebUrl,
          m.files.slice(i, i + 100).map((f) => new Uint8Array(fs.readFileSync(f))),
        );
        opts.log?.(`  ${Math.min(i + 100, m.files.length)}/${m.files.length}`);
      }
      const now = await storedCount(orthanc.dicomWebUrl, m);
      if (now !== m.slices) throw new Error(`Orthanc holds ${now} of ${m.slices} instances after STOW-RS`);
    }
    return { orthanc, storeSeconds: have === m.slices ? 0 : (Date.now() - t0) / 1000 };
  } catch (e) {
    await orthanc.stop();
    throw e;
  }
}
