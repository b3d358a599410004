/**
 * One real Orthanc per test file: started before the tests, filled over STOW-RS
 * (POST /dicom-web/studies, multipart/related; type="application/dicom"), stopped after.
 */
import { randomUUID } from 'crypto';
import { startOrthanc, OrthancHandle, type OrthancOptions } from '../../extension/src/node/orthanc';

export interface ArchiveFixture {
  orthanc: OrthancHandle;
  /** DICOMweb root, e.g. http://127.0.0.1:1234/dicom-web */
  dicomWebUrl: string;
  /** Stores Part-10 files over STOW-RS; throws when the archive refuses any. */
  store(files: Uint8Array[]): Promise<void>;
}

/** multipart/related body of Part-10 files, one part each. */
export function stowBody(files: Uint8Array[]): { body: Buffer; contentType: string } {
  const boundary = `stow-${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
    chunks.push(Buffer.from(file.buffer, file.byteOffset, file.byteLength));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

export async function stowRs(dicomWebUrl: string, files: Uint8Array[]): Promise<void> {
  // Batches keep each request small on a 2-core machine.
  for (let i = 0; i < files.length; i += 20) {
    const { body, contentType } = stowBody(files.slice(i, i + 20));
    const res = await fetch(`${dicomWebUrl}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body: new Uint8Array(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`STOW-RS refused: HTTP ${res.status} ${text.slice(0, 300)}`);
    // 200 with a FailedSOPSequence (0008,1198) still means some instances were refused.
    const answer = JSON.parse(text) as Record<string, { Value?: unknown[] } | undefined>;
    const failed = answer['00081198']?.Value?.length ?? 0;
    if (failed > 0) throw new Error(`STOW-RS refused ${failed} of ${Math.min(20, files.length - i)} instances`);
  }
}

export async function startArchive(options: OrthancOptions = {}): Promise<ArchiveFixture> {
  const orthanc = await startOrthanc(options);
  return { orthanc, dicomWebUrl: orthanc.dicomWebUrl, store: (files) => stowRs(orthanc.dicomWebUrl, files) };
}

/** Registers beforeAll/afterAll in the calling test file; the getter is valid inside tests. */
export function useArchive(options: OrthancOptions = {}): () => ArchiveFixture {
  let fixture: ArchiveFixture | undefined;
  beforeAll(async () => {
    fixture = await startArchive(options);
  }, 60000);
  afterAll(async () => {
    await fixture?.orthanc.stop();
  });
  return () => {
    if (!fixture) throw new Error('archive not started');
    return fixture;
  };
}
