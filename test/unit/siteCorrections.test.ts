/**
 * The viewer's site corrections: IndexedDB store (fake-indexeddb, a full in-memory IndexedDB) per
 * site, undo, reset, export/import, and the adapter re-fitted from them (tiny nearest-centre model).
 */
import { IDBFactory } from 'fake-indexeddb';
import * as fs from 'fs';
import { makeCorrection } from '../../extension/src/engine/adapt/correctionActions';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { loadModelFromDir, readHead, readManifest } from '../../extension/src/engine/infer/loadModelNode';
import type { LinearHead } from '../../extension/src/engine/infer/manifest';
import { classifySeries } from '../../extension/src/engine/pipeline';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { CorrectionsStore, SiteAdaptation, type SiteModel } from '../../extension/src/ohif/services/siteCorrections';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';
import { buildTinyModelDir, huForLabel, type TinyModelDir } from '../helpers/tinyModel';

const hu = (label: string) => huForLabel(LABEL_NAMES.indexOf(label));

function chestLooking(prefix: string, n: number) {
  const frames = axialSeries(
    Array.from({ length: n }, (_, i) => 5 * i),
    prefix,
  ).map((f) => ({ ...f, seriesInstanceUID: `${prefix}.series` }));
  return { frames, pixels: new SyntheticPixelSource(new Map(frames.map((f, i) => [f.sopInstanceUID, hu('CHEST') + 4 * (i % 3)]))) };
}

describe('site corrections in the viewer (store + adapter)', () => {
  let tiny: TinyModelDir;
  let model: BodyRegionModel;
  let siteModel: SiteModel;
  let result: SeriesResult;

  beforeAll(async () => {
    tiny = buildTinyModelDir(20, 16, 0, 2000);
    model = await loadModelFromDir(tiny.dir);
    const head = (await readHead(tiny.dir, await readManifest(tiny.dir))) as LinearHead;
    // The tiny model's logits are thousands apart: a stiff pull would not let one site move it; the
    // head itself is scaled down instead so that the default method applies as shipped.
    siteModel = {
      id: 'tiny-plumbing',
      version: '0.0.0',
      sha256: model.sha256!,
      labelNames: model.labelNames,
      temperature: 1000,
      head,
      replay: async () => null,
    };
    result = await classifySeries({ ...chestLooking('first', 10), model });
  });
  afterAll(async () => {
    await model?.dispose();
    fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  test('corrections are kept per site, undone, reset, exported and imported', async () => {
    const store = new CorrectionsStore({ factory: new IDBFactory() });
    const setSegment = makeCorrection(
      result,
      { kind: 'set-segment', stackIndex: 0, firstIndex: 0, lastIndex: 9, from: 'CHEST', to: 'ABDOMEN' },
      'c1',
      '2026-12-07T03:00:00Z',
    );
    const other = makeCorrection(result, { kind: 'mark-other' }, 'c2', '2026-12-07T03:01:00Z');
    await store.add('siteA', setSegment);
    await store.add('siteA', other);
    await store.add('siteB', { ...other, id: 'c3' });
    expect((await store.list('siteA')).map((c) => c.id)).toEqual(['c1', 'c2']);
    expect((await store.undo('siteA'))?.id).toBe('c2');
    expect((await store.list('siteA')).map((c) => c.id)).toEqual(['c1']);
    const exported = await store.export('siteA', { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! });
    expect(exported.schema).toBe('body-region-corrections/1');
    expect(exported.corrections[0].images).toHaveLength(10);
    expect(JSON.stringify(exported)).not.toMatch(/PatientName/);
    await store.reset('siteA');
    expect(await store.list('siteA')).toEqual([]);
    expect(await store.list('siteB')).toHaveLength(1);
    const fresh = new CorrectionsStore({ factory: new IDBFactory() });
    expect(await fresh.import('siteA', JSON.parse(JSON.stringify(exported)), model.sha256!)).toBe(1);
    expect((await fresh.list('siteA'))[0].images[0].label).toBe('ABDOMEN');
    await expect(fresh.import('siteA', exported, 'ff'.repeat(32))).rejects.toThrow(/another model/);
    await store.close();
    await fresh.close();
  });

  test('the adapter follows the corrections: fitted, switched off, undone', async () => {
    const store = new CorrectionsStore({ factory: new IDBFactory() });
    const adaptation = new SiteAdaptation(store, 'siteA', siteModel);
    expect(await adaptation.refit()).toBeNull();
    expect(adaptation.status).toBeNull();
    await store.add(
      'siteA',
      makeCorrection(
        result,
        { kind: 'set-segment', stackIndex: 0, firstIndex: 0, lastIndex: 9, from: 'CHEST', to: 'ABDOMEN' },
        'c1',
        '2026-12-07T03:00:00Z',
      ),
    );
    const adapter = await adaptation.refit();
    expect(adaptation.status).toBe('site-adapted (1 correction)');
    // Another study of the same kind now reads as ABDOMEN.
    const next = await classifySeries({ ...chestLooking('next', 8), model, adapter });
    expect(next.regions).toEqual(['ABDOMEN']);
    adaptation.enabled = false;
    expect(adaptation.current).toBeNull();
    expect(adaptation.status).toBeNull();
    adaptation.enabled = true;
    await store.undo('siteA');
    expect(await adaptation.refit()).toBeNull();
    await store.close();
  });
});
