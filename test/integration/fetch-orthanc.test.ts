/**
 * The fetch stage against a real Orthanc: QIDO-RS listing, WADO-RS metadata → FrameMeta, frame
 * decoding for every transfer syntax (against the values written, or the same file decoded locally),
 * enhanced multi-frame, a non-image series.
 */
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../extension/src/engine/fetch/DicomWebPixelSource';
import { metadataToFramesWithReasons } from '../../extension/src/engine/fetch/metadataToFrames';
import { parsePart10, Part10PixelSource } from '../../extension/src/engine/fetch/part10';
import { getString, Tags } from '../../extension/src/engine/fetch/dicomJson';
import type { FrameMeta } from '../../extension/src/engine/types';
import {
  BuiltSeries,
  makeEnhancedMultiFrame,
  makeSeries,
  makeStructuredReport,
  newUid,
  PYDICOM_FILES,
  readArrayBuffer,
  REAL_EXAMPLES,
  SyntaxName,
  withNewUids,
} from '../helpers/dicomFactory';
import { useArchive } from '../helpers/orthancFixture';

installXhrPolyfill();
const archive = useArchive();

const studyInstanceUID = newUid();
const built: Record<string, BuiltSeries> = {};
const real: Record<
  string,
  { path: string; studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string; bytes: Uint8Array }
> = {};
let sr: ReturnType<typeof makeStructuredReport>;
let client: DicomWebArchive;

/** 8-bit smooth image for lossy JPEG (small reconstruction error). */
const smooth8 = (k: number, r: number, c: number) => Math.round(40 + 2 * r + c / 2 + 5 * k);

beforeAll(async () => {
  built.explicit = await makeSeries({ studyInstanceUID, seriesNumber: 1, slices: 8, reverseInstanceNumbers: true, omit: [5] });
  built.implicit = await makeSeries({ studyInstanceUID, seriesNumber: 2, slices: 3, transferSyntax: 'implicit' });
  built.rle = await makeSeries({ studyInstanceUID, seriesNumber: 3, slices: 3, transferSyntax: 'rle' });
  built.jpegLs = await makeSeries({ studyInstanceUID, seriesNumber: 4, slices: 3, transferSyntax: 'jpegLs', modality: 'MR' });
  built.jpeg2000 = await makeSeries({ studyInstanceUID, seriesNumber: 5, slices: 3, transferSyntax: 'jpeg2000' });
  built.jpegBaseline = await makeSeries({
    studyInstanceUID,
    seriesNumber: 6,
    slices: 3,
    transferSyntax: 'jpegBaseline',
    modality: 'MR',
    pixel: smooth8,
  });
  built.enhanced = await makeEnhancedMultiFrame({ studyInstanceUID, seriesNumber: 7, slices: 5 });
  built.single = await makeSeries({ studyInstanceUID, seriesNumber: 8, slices: 1 });
  sr = makeStructuredReport(studyInstanceUID);
  for (const name of ['jpegLossless', 'rle', 'jpeg2000', 'implicit', 'deflated', 'jpegExtended'] as const) {
    const copy = withNewUids(REAL_EXAMPLES[name], { studyInstanceUID });
    real[name] = { path: REAL_EXAMPLES[name], ...copy };
  }
  const files = [...Object.values(built).flatMap((s) => s.files), sr.bytes, ...Object.values(real).map((r) => r.bytes)];
  await archive().store(files);
  client = new DicomWebArchive({ url: archive().dicomWebUrl });
}, 120000);

async function seriesFrames(seriesInstanceUID: string, study = studyInstanceUID): Promise<FrameMeta[]> {
  const metadata = await client.retrieveSeriesMetadata(study, seriesInstanceUID);
  return metadataToFramesWithReasons(metadata).frames;
}

describe('QIDO-RS listing', () => {
  it('finds the study, every series and the instances of one series', async () => {
    const studies = await client.searchStudies({ StudyInstanceUID: studyInstanceUID });
    expect(studies.map((s) => getString(s, Tags.StudyInstanceUID))).toEqual([studyInstanceUID]);
    const series = await client.searchSeries(studyInstanceUID);
    const uids = series.map((s) => getString(s, Tags.SeriesInstanceUID));
    for (const s of Object.values(built)) expect(uids).toContain(s.seriesInstanceUID);
    expect(uids).toContain(sr.seriesInstanceUID);
    const instances = await client.searchInstances(studyInstanceUID, built.explicit.seriesInstanceUID);
    expect(instances).toHaveLength(7);
  });
});

describe('WADO-RS metadata → FrameMeta', () => {
  it('keeps instance numbers, positions and pixel layout of a reversed series with a gap', async () => {
    const frames = await seriesFrames(built.explicit.seriesInstanceUID);
    expect(frames).toHaveLength(7);
    const bySop = new Map(built.explicit.instances.map((i) => [i.sopInstanceUID, i]));
    for (const f of frames) {
      const source = bySop.get(f.sopInstanceUID)!;
      expect(f.instanceNumber).toBe(source.instanceNumber);
      expect(f.imagePositionPatient![2]).toBeCloseTo(source.sliceIndex * 5, 3);
      expect(f.imageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
      expect(f.pixelSpacing).toEqual([1, 1]);
      expect([f.rows, f.columns, f.bitsAllocated, f.pixelRepresentation, f.modality]).toEqual([64, 64, 16, 1, 'CT']);
      expect(f.studyInstanceUID).toBe(studyInstanceUID);
    }
  });

  it('expands the enhanced multi-frame instance, one FrameMeta per frame with per-frame positions', async () => {
    const frames = await seriesFrames(built.enhanced.seriesInstanceUID);
    expect(frames.map((f) => f.frameNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(frames.map((f) => f.imagePositionPatient![2])).toEqual(built.enhanced.instances.map((i) => i.sliceIndex * 5));
    expect(frames.every((f) => f.pixelSpacing![0] === 0.8 && f.rescaleIntercept === -1024)).toBe(true);
  });

  it('gives no frames, with a reason, for a structured report', async () => {
    const metadata = await client.retrieveSeriesMetadata(studyInstanceUID, sr.seriesInstanceUID);
    const { frames, skipped } = metadataToFramesWithReasons(metadata);
    expect(frames).toHaveLength(0);
    expect(skipped[0].reason).toMatch(/not an image/);
  });
});

describe('frame decoding for every transfer syntax', () => {
  const synthetic: Array<[SyntaxName | 'enhanced' | 'single', number]> = [
    ['explicit', 0],
    ['implicit', 0],
    ['rle', 0],
    ['jpegLs', 0],
    ['jpeg2000', 0],
    ['jpegBaseline', 3],
    ['enhanced', 0],
    ['single', 0],
  ];
  it.each(synthetic)('%s: decoded pixels equal the values written (tolerance %d)', async (name, tolerance) => {
    const series = built[name];
    const frames = await seriesFrames(series.seriesInstanceUID);
    const pixels = new DicomWebPixelSource(client);
    for (const f of frames) {
      const frame = await pixels.getPixels(f);
      const source = series.instances.find(
        (i) => i.sopInstanceUID === f.sopInstanceUID && (series.files.length > 1 || series.instances.indexOf(i) === f.frameNumber - 1),
      )!;
      expect(frame.data.length).toBe(series.rows * series.columns);
      let maxDiff = 0;
      for (let p = 0; p < frame.data.length; p++) maxDiff = Math.max(maxDiff, Math.abs(frame.data[p] - source.stored[p]));
      expect(maxDiff).toBeLessThanOrEqual(tolerance);
    }
  });

  it.each([
    ['rle', 0],
    ['jpegLs', 0],
    ['jpeg2000', 0],
    ['jpegBaseline', 1],
  ] as const)('%s sent as stored (no transcoding) is decoded in the client', async (name, tolerance) => {
    const series = built[name];
    const original = new DicomWebArchive({ url: archive().dicomWebUrl, frameTransferSyntax: 'original' });
    const frames = await seriesFrames(series.seriesInstanceUID);
    const retrieved = await original.retrieveFrame(frames[0]);
    expect(retrieved.transferSyntaxUID).not.toBe('1.2.840.10008.1.2.1');
    const frame = await new DicomWebPixelSource(original).getPixels(frames[0]);
    const source = series.instances.find((i) => i.sopInstanceUID === frames[0].sopInstanceUID)!;
    let maxDiff = 0;
    for (let p = 0; p < frame.data.length; p++) maxDiff = Math.max(maxDiff, Math.abs(frame.data[p] - source.stored[p]));
    expect(maxDiff).toBeLessThanOrEqual(tolerance);
  });

  it.each(['jpegLossless', 'rle', 'jpeg2000', 'implicit', 'deflated', 'jpegExtended'])(
    'real %s file: the archive path gives the pixels of the local decode',
    async (name) => {
      const r = real[name];
      const frames = await seriesFrames(r.seriesInstanceUID, r.studyInstanceUID);
      expect(frames).toHaveLength(1);
      const remote = await new DicomWebPixelSource(client).getPixels(frames[0]);
      const local = parsePart10(readArrayBuffer(r.path));
      let localPixels;
      try {
        localPixels = await new Part10PixelSource([local]).getPixels(local.frames[0]);
      } catch (error) {
        // 12-bit JPEG has no client decoder: the archive's transcoding is the only way, and it worked.
        expect(name).toBe('jpegExtended');
        expect((error as Error).message).toMatch(/12-bit JPEG/);
        expect(remote.data.length).toBe(frames[0].rows * frames[0].columns);
        return;
      }
      expect(remote.rows).toBe(localPixels.rows);
      expect(Array.from(remote.data)).toEqual(Array.from(localPixels.data));
    },
  );

  it('falls back to client-side decoding where Orthanc cannot transcode (JPEG 2000 without GDCM)', async () => {
    const before = client.stats.transcodeFallbacks;
    const fresh = new DicomWebArchive({ url: archive().dicomWebUrl });
    const frames = await seriesFrames(built.jpeg2000.seriesInstanceUID);
    const retrieved = await fresh.retrieveFrame(frames[0]);
    // Either the archive transcoded (with a GDCM plugin) or we got JPEG 2000 and said so.
    expect(['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.4.90']).toContain(retrieved.transferSyntaxUID);
    if (retrieved.transferSyntaxUID !== '1.2.840.10008.1.2.1') expect(fresh.stats.transcodeFallbacks).toBe(1);
    expect(client.stats.transcodeFallbacks).toBeGreaterThanOrEqual(before);
  });

  it('retrieves a whole instance as stored (the fallback for frames the archive cannot serve)', async () => {
    const [f] = await seriesFrames(built.jpeg2000.seriesInstanceUID);
    const instance = parsePart10(await client.retrieveInstance(f));
    expect(instance.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.90');
    const pixels = await new Part10PixelSource([instance]).getPixels(instance.frames[0]);
    expect(Array.from(pixels.data)).toEqual(built.jpeg2000.instances.find((i) => i.sopInstanceUID === f.sopInstanceUID)!.stored);
  });

  it('decodes the pydicom JPEG 2000 twin of MR_small to the uncompressed pixels through the archive', async () => {
    const raw = withNewUids(`${PYDICOM_FILES}/MR_small.dcm`, { studyInstanceUID });
    const j2k = withNewUids(`${PYDICOM_FILES}/MR_small_jp2klossless.dcm`, { studyInstanceUID });
    await archive().store([raw.bytes, j2k.bytes]);
    const [a] = await seriesFrames(raw.seriesInstanceUID);
    const [b] = await seriesFrames(j2k.seriesInstanceUID);
    const pixels = new DicomWebPixelSource(client);
    expect(Array.from((await pixels.getPixels(b)).data)).toEqual(Array.from((await pixels.getPixels(a)).data));
  });
});

describe('what the archive transcodes', () => {
  it('reports, per stored syntax, whether Orthanc sends Explicit VR Little Endian when asked', async () => {
    const strict = new DicomWebArchive({ url: archive().dicomWebUrl, frameTransferSyntax: 'uncompressed', retries: 0 });
    const table: Record<string, string> = {};
    const cases: Array<[string, string, string]> = [
      ...(['implicit', 'rle', 'jpegLs', 'jpeg2000', 'jpegBaseline'] as const).map((n): [string, string, string] => [
        n,
        studyInstanceUID,
        built[n].seriesInstanceUID,
      ]),
      ...Object.entries(real).map(([n, r]): [string, string, string] => [`real ${n}`, r.studyInstanceUID, r.seriesInstanceUID]),
    ];
    for (const [name, study, seriesUid] of cases) {
      const [f] = await seriesFrames(seriesUid, study);
      table[name] = await strict.retrieveFrame(f).then(
        (r) => `transcoded (${r.transferSyntaxUID})`,
        (e) => `refused (${e.status ?? e.message})`,
      );
    }
    console.log(
      `Orthanc transcoding to Explicit VR LE:\n${Object.entries(table)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    // Uncompressed and lossless-JPEG frames must come back uncompressed; the rest is measured, not assumed.
    expect(table.implicit).toMatch(/^transcoded/);
    expect(table['real jpegLossless']).toMatch(/^transcoded/);
  });
});

describe('throughput', () => {
  it('fetches and decodes frames concurrently (reports frames/s)', async () => {
    const series = await makeSeries({ studyInstanceUID, seriesNumber: 20, slices: 40, rows: 256, columns: 256 });
    await archive().store(series.files);
    const frames = await seriesFrames(series.seriesInstanceUID);
    const pixels = new DicomWebPixelSource(new DicomWebArchive({ url: archive().dicomWebUrl, concurrency: 6 }));
    const t0 = Date.now();
    const decoded = await Promise.all(frames.map((f) => pixels.getPixels(f)));
    const seconds = (Date.now() - t0) / 1000;
    expect(decoded).toHaveLength(40);
    console.log(
      `fetched ${frames.length} frames of 256x256 int16 in ${seconds.toFixed(2)} s = ${(frames.length / seconds).toFixed(0)} frames/s`,
    );
  });
});
