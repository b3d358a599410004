/**
 * The panel's site corrections wired to the service (services/siteController.ts): a classified
 * series corrected from the panel's current segment, the adapter re-fitted and the study re-run,
 * another study of the same kind classified with it; undo, export / import, switch off, and the
 * corrections found again by a fresh page (fake-indexeddb). The model's head is read by
 * loadSiteModel from the tiny model's folder, as the viewer fetches it beside model.json.
 */
import { IDBFactory } from 'fake-indexeddb';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL, fileURLToPath } from 'url';
import { SiteAdapter } from '../../extension/src/engine/adapt/adapter';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { serialiseReplay } from '../../extension/src/engine/infer/manifest';
import { classifySeries } from '../../extension/src/engine/pipeline';
import { BodyRegionService } from '../../extension/src/ohif/services/BodyRegionService';
import type { SeriesJob } from '../../extension/src/ohif/services/jobs';
import { CorrectionsStore, type SiteModel } from '../../extension/src/ohif/services/siteCorrections';
import { loadSiteModel, SiteController } from '../../extension/src/ohif/services/siteController';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';
import { buildTinyModelDir, huForLabel, type TinyModelDir } from '../helpers/tinyModel';

const hu = (label: string) => huForLabel(LABEL_NAMES.indexOf(label));

function chestLooking(prefix: string, n: number, labelAt: (i: number) => string = () => 'CHEST') {
  const frames = axialSeries(
    Array.from({ length: n }, (_, i) => 5 * i),
    prefix,
  ).map((f) => ({ ...f, seriesInstanceUID: `${prefix}.series` }));
  return { frames, pixels: new SyntheticPixelSource(new Map(frames.map((f, i) => [f.sopInstanceUID, hu(labelAt(i)) + 4 * (i % 3)]))) };
}

/** fetch over the model folder (file: URLs), as the viewer's fetch over the served assets. */
const fileFetch = (async (url: string) => {
  const file = fileURLToPath(url);
  if (!fs.existsSync(file)) return new Response('missing', { status: 404 });
  return new Response(fs.readFileSync(file));
}) as unknown as typeof fetch;

const job = (prefix: string): SeriesJob => ({
  studyInstanceUID: `${prefix}.study`,
  seriesInstanceUID: `${prefix}.series`,
  description: `CT ${prefix}`,
  modality: 'CT',
});

describe('site corrections wired to the panel and the runner', () => {
  let tiny: TinyModelDir;
  let model: BodyRegionModel;
  let siteModel: SiteModel;

  beforeAll(async () => {
    tiny = buildTinyModelDir(20, 16, 0, 2000);
    model = await loadModelFromDir(tiny.dir);
    // The viewer keys corrections to model.json's sha256 (as the shipped models/model.json has it).
    const manifestFile = path.join(tiny.dir, 'model.json');
    fs.writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')), sha256: model.sha256 }));
    const loaded = await loadSiteModel(pathToFileURL(tiny.dir + path.sep).href, fileFetch);
    expect(loaded?.head.classes).toBe(20);
    expect(loaded?.sha256).toBe(model.sha256);
    expect(loaded?.labelNames).toEqual(model.labelNames);
    // As in siteCorrections.test.ts: the tiny model's logits are thousands apart, so its head is
    // scaled down for one site's correction to move it.
    siteModel = { ...loaded!, temperature: 1000 };
  });
  test('the replay set is fetched on the first fit, not when the model loads, and once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'site-replay-'));
    try {
      for (const f of fs.readdirSync(tiny.dir)) fs.copyFileSync(path.join(tiny.dir, f), path.join(dir, f));
      const { bin, labels } = serialiseReplay({
        count: 2,
        dim: 3,
        embeddings: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        labels: Int32Array.from([3, 5]),
        sources: ['a', 'b'],
      });
      fs.writeFileSync(path.join(dir, 'replay.bin'), bin);
      fs.writeFileSync(path.join(dir, 'replay.json'), JSON.stringify(labels));
      const manifestFile = path.join(dir, 'model.json');
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
      fs.writeFileSync(
        manifestFile,
        JSON.stringify({ ...manifest, replay: { file: 'replay.bin', labels: 'replay.json', count: 2, dim: 3 } }),
      );
      const fetched: string[] = [];
      const counting = (async (url: string) => {
        fetched.push(path.basename(fileURLToPath(url)));
        return fileFetch(url);
      }) as unknown as typeof fetch;
      const loaded = (await loadSiteModel(pathToFileURL(dir + path.sep).href, counting))!;
      expect(fetched).not.toContain('replay.bin');
      expect(fetched).not.toContain('replay.json');
      const [a, b] = await Promise.all([loaded.replay(), loaded.replay()]);
      expect(a).toBe(b);
      expect(Array.from(a!.labels)).toEqual([3, 5]);
      expect(fetched.filter((f) => f === 'replay.bin')).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a model without a head (or sha256) offers no corrections', async () => {
    const bare = buildTinyModelDir(20, 16, 0, 2000, { embedding: false });
    expect(await loadSiteModel(pathToFileURL(bare.dir + path.sep).href, fileFetch)).toBeNull();
    fs.rmSync(bare.dir, { recursive: true, force: true });
  });

  test('"boundary here" extends the current segment to the slice the viewport shows', async () => {
    const { service, site, classify, show } = setup(new IDBFactory(), (i) => (i < 5 ? 'ABDOMEN' : 'CHEST'));
    expect((await classify('two')).sort()).toEqual(['ABDOMEN', 'CHEST']);
    const segments = service.getSeries('two.series')!.segments;
    const chest = segments.findIndex((s) => s.label === 'CHEST');
    service.setCursor({ seriesInstanceUID: 'two.series', segmentIndex: chest });
    const result = service.getRawResults()[0] as unknown as { images: Array<{ sopInstanceUID: string; sliceIndex: number }> };
    const inside = result.images.find((im) => im.sliceIndex === segments[chest].firstIndex)!;
    show({ sopInstanceUID: inside.sopInstanceUID, frameNumber: 1 });
    expect(site.target()?.canMoveBoundary).toBe(false);
    const { firstIndex, lastIndex } = segments[chest];
    const outside = result.images.find((im) => im.sliceIndex === (firstIndex >= 2 ? firstIndex - 2 : lastIndex + 2))!;
    show({ sopInstanceUID: outside.sopInstanceUID, frameNumber: 1 });
    expect(site.target()).toMatchObject({ label: 'CHEST', canMoveBoundary: true });
    await site.moveBoundary();
    expect(site.getSnapshot().corrections.map((c) => c.text)).toEqual(['CHEST boundary moved (2 images)']);
    expect(site.getSnapshot().status).toBe('site-adapted (1 correction)');
  });

  afterAll(async () => {
    await model?.dispose();
    fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  function setup(factory = new IDBFactory(), labelAt?: (i: number) => string) {
    const service = new BodyRegionService();
    const downloads: string[] = [];
    let reruns = 0;
    let current: { sopInstanceUID: string; frameNumber: number } | null = null;
    const site: SiteController = new SiteController({
      service,
      store: new CorrectionsStore({ factory }),
      model: async () => siteModel,
      currentImage: () => current,
      rerun: () => reruns++,
      download: (_name, text) => downloads.push(text),
    });
    // The viewer's runner: the worker gets the controller's adapter file with every request.
    service.setRunner({
      classify: async (j) => {
        const file = site.adapterFile();
        const result = await classifySeries({
          ...chestLooking(j.seriesInstanceUID.replace(/\.series$/, ''), 10, labelAt),
          model,
          adapter: file ? new SiteAdapter(file) : null,
        });
        return result;
      },
    });
    const classify = (prefix: string) =>
      new Promise<string[]>((resolve) => {
        const sub = service.subscribe(service.EVENTS.STUDY_DONE, (state) => {
          sub.unsubscribe();
          resolve(state.series.flatMap((s) => s.regions));
        });
        service.classifyStudy(`${prefix}.study`, [job(prefix)]);
      });
    const show = (image: typeof current) => (current = image);
    return { service, site, downloads, classify, reruns: () => reruns, factory, show };
  }

  test('correct a segment: stored, listed, adapter fitted, the next study reads as corrected; undo, export, import, off', async () => {
    const { service, site, downloads, classify, reruns, factory } = setup();
    await site.start();
    expect(site.getSnapshot()).toMatchObject({ available: true, status: null, corrections: [] });
    expect(await classify('first')).toEqual(['CHEST']);
    expect(site.target()).toBeNull();
    service.setCursor({ seriesInstanceUID: 'first.series', segmentIndex: 0 });
    expect(site.target()).toEqual({ seriesDescription: 'CT first', label: 'CHEST', canMoveBoundary: false });

    await site.setRegion('ABDOMEN');
    expect(reruns()).toBe(1);
    expect(site.getSnapshot().status).toBe('site-adapted (1 correction)');
    expect(site.getSnapshot().corrections.map((c) => c.text)).toEqual(['CHEST → ABDOMEN (10 images)']);
    expect(await classify('next')).toEqual(['ABDOMEN']);

    await site.exportFile();
    expect(JSON.parse(downloads[0])).toMatchObject({ schema: 'body-region-corrections/1', model: { sha256: model.sha256 } });
    await site.undo();
    expect(site.getSnapshot()).toMatchObject({ status: null, corrections: [] });
    expect(site.adapterFile()).toBeNull();
    expect(await classify('again')).toEqual(['CHEST']);

    await site.importText(downloads[0]);
    expect(site.getSnapshot().status).toBe('site-adapted (1 correction)');
    await site.setEnabled(false);
    expect(site.getSnapshot()).toMatchObject({ enabled: false, status: null });
    expect(site.adapterFile()).toBeNull();
    await site.setEnabled(true);

    // A later page (same IndexedDB) starts adapted.
    const later = setup(factory);
    await later.site.start();
    expect(later.site.getSnapshot().status).toBe('site-adapted (1 correction)');
    expect(await later.classify('later')).toEqual(['ABDOMEN']);

    await site.reset();
    expect(site.getSnapshot().corrections).toEqual([]);
  });

  test('a file made with another model is refused with a message; mark OTHER corrects the whole series', async () => {
    const { service, site, downloads, classify } = setup();
    await classify('first');
    service.setCursor({ seriesInstanceUID: 'first.series', segmentIndex: 0 });
    await site.markOther();
    expect(site.getSnapshot().corrections.map((c) => c.text)).toEqual(['series marked OTHER (10 images)']);
    await site.exportFile();
    const foreign = JSON.parse(downloads[0]);
    foreign.model.sha256 = 'ff'.repeat(32);
    await site.importText(JSON.stringify(foreign));
    expect(site.getSnapshot().error).toMatch(/another model/);
    expect(site.getSnapshot().corrections).toHaveLength(1);
  });
});
