// The viewer glue behind the panel without a viewer: the by-region protocol, the tag fallback, the
// custom attributes, region navigation order and the derived mode.
import {
  bestPerRegion,
  buildByRegionProtocol,
  gridFor,
  RegionCandidate,
} from '../../extension/src/ohif/hangingProtocols/buildByRegionProtocol';
import { regionsFromTags } from '../../extension/src/ohif/hangingProtocols/regionsFromTags';
import { staticProtocols } from '../../extension/src/ohif/hangingProtocols/staticProtocols';
import { mainRegionOfDisplaySet, regionsOfDisplaySet } from '../../extension/src/ohif/customAttributes';
import { BodyRegionService } from '../../extension/src/ohif/services/BodyRegionService';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { seriesResult } from '../helpers/seriesResult';
import { stepRegion } from '../../extension/src/ohif/services/navigation';
import { deriveMode } from '../../mode/src/deriveMode';
import mode from '../../mode/src/index';
import type { OhifContext } from '../../extension/src/ohif/ohifTypes';
import { cachedFrame, viewerImageId } from '../../extension/src/ohif/services/viewerPixelCache';

const candidate = (region: string, series: string, score: number, imageIndex: number | null = 0): RegionCandidate => ({
  region,
  seriesInstanceUID: series,
  displaySetInstanceUID: `ds-${series}`,
  imageIndex,
  score,
});

describe('by-region protocol', () => {
  it('keeps the best series per region, head to foot, without OTHER', () => {
    const chosen = bestPerRegion([
      candidate('PELVIS', 'a', 30),
      candidate('HEAD', 'b', 10),
      candidate('PELVIS', 'c', 50),
      candidate('OTHER', 'a', 99),
      candidate('CHEST', 'a', 20),
    ]);
    expect(chosen.map((c) => `${c.region}:${c.seriesInstanceUID}`)).toEqual(['HEAD:b', 'CHEST:a', 'PELVIS:c']);
  });

  it('builds one viewport per region at its first slice, on a grid that fits', () => {
    const protocol = buildByRegionProtocol(
      [candidate('CHEST', 's1', 1, 70), candidate('ABDOMEN', 's1', 1, 30), candidate('KNEE', 's2', 1, null)],
      'pixels',
    ) as any;
    const stage = protocol.stages[0];
    expect(stage.viewportStructure.properties).toEqual({ rows: 1, columns: 3 });
    expect(stage.viewports.map((v: any) => v.viewportOptions.viewportId)).toEqual([
      'body-region-CHEST',
      'body-region-ABDOMEN',
      'body-region-KNEE',
    ]);
    expect(stage.viewports[0].viewportOptions.initialImageOptions).toEqual({ index: 70 });
    expect(stage.viewports[2].viewportOptions.initialImageOptions).toBeUndefined();
    // A new target slice is a new remembered-position key, so the viewer does not restore an old one.
    expect(stage.viewports.map((v: any) => v.viewportOptions.id)).toEqual(['body-region-CHEST@70', 'body-region-ABDOMEN@30', undefined]);
    const selector = protocol.displaySetSelectors[stage.viewports[1].displaySets[0].id];
    expect(selector.seriesMatchingRules[0]).toMatchObject({
      attribute: 'SeriesInstanceUID',
      constraint: { equals: { value: 's1' } },
      required: true,
    });
    expect([1, 2, 4, 5, 6].map((n) => gridFor(n))).toEqual([
      { rows: 1, columns: 1 },
      { rows: 1, columns: 2 },
      { rows: 2, columns: 2 },
      { rows: 2, columns: 3 },
      { rows: 2, columns: 3 },
    ]);
  });

  it('registers four protocols whose selectors use the custom attributes', () => {
    const protocols = staticProtocols();
    expect(protocols.map((p) => p.name)).toEqual([
      '@body-region/by-region',
      '@body-region/whole-body',
      '@body-region/whole-body-pet',
      '@body-region/mr-joints',
    ]);
    const text = JSON.stringify(protocols);
    expect(text).toContain('"attribute":"bodyRegions"');
    expect(text).toContain('"attribute":"bodyRegion"');
  });
});

describe('tag fallback and custom attributes', () => {
  it('maps BodyPartExamined terms, combined terms and description keywords', () => {
    expect(regionsFromTags('CHESTABDPELVIS', null)).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(regionsFromTags('knee', 'whatever')).toEqual(['KNEE']);
    expect(regionsFromTags(null, 'CT Thorax/Abdomen w contrast')).toEqual(['CHEST', 'ABDOMEN']);
    expect(regionsFromTags('', 'T1 sag')).toEqual([]);
  });

  it('answers from the results once a series is done, from the tags before, never null', async () => {
    const service = new BodyRegionService({
      runner: {
        classify: async () =>
          seriesResult({
            seriesInstanceUID: 's',
            segments: [
              { label: 'PELVIS', firstIndex: 0, lastIndex: 9 },
              { label: 'ABDOMEN', firstIndex: 10, lastIndex: 39 },
            ],
            summary: { regions: ['ABDOMEN', 'PELVIS'], mainRegion: 'ABDOMEN' },
          }),
      },
    });
    const ds = { displaySetInstanceUID: 'd', StudyInstanceUID: 'st', SeriesInstanceUID: 's', SeriesDescription: 'Knee MR', Modality: 'CT' };
    expect(mainRegionOfDisplaySet(service, ds)).toBe('KNEE');
    expect(regionsOfDisplaySet(service, { ...ds, SeriesDescription: '' })).toEqual([]);
    expect(mainRegionOfDisplaySet(service, { ...ds, SeriesDescription: '' })).toBe('');
    service.classifyStudy('st', [{ studyInstanceUID: 'st', seriesInstanceUID: 's', description: '', modality: 'CT' }]);
    await new Promise((r) => setTimeout(r, 0));
    expect(mainRegionOfDisplaySet(service, ds)).toBe('ABDOMEN');
    expect(regionsOfDisplaySet(service, ds)).toEqual(['ABDOMEN', 'PELVIS']);
  });
});

describe('next / previous region', () => {
  it('walks the segments head to foot across series and wraps around', async () => {
    const results: Record<string, SeriesResult> = {
      a: seriesResult({
        seriesInstanceUID: 'a',
        segments: [
          { label: 'PELVIS', firstIndex: 0, lastIndex: 4, firstSopInstanceUID: 'a0' },
          { label: 'ABDOMEN', firstIndex: 5, lastIndex: 9, firstSopInstanceUID: 'a5' },
        ],
      }),
      b: seriesResult({ seriesInstanceUID: 'b', segments: [{ label: 'HEAD', firstIndex: 0, lastIndex: 9, firstSopInstanceUID: 'b0' }] }),
    };
    const service = new BodyRegionService({ runner: { classify: async (job) => results[job.seriesInstanceUID] } });
    service.classifyStudy(
      'st',
      ['a', 'b'].map((s) => ({ studyInstanceUID: 'st', seriesInstanceUID: s, description: s, modality: 'CT' })),
    );
    await new Promise((r) => setTimeout(r, 0));
    const shown: Array<[string, number]> = [];
    const ctx = {
      extensionManager: {
        getActiveDataSource: () => [
          {
            getImageIdsForDisplaySet: (ds: any) =>
              ds.SeriesInstanceUID === 'a' ? ['x/instances/a0/frames/1', 'x/instances/a5/frames/1'] : ['x/instances/b0/frames/1'],
          },
        ],
      },
      servicesManager: {
        services: {
          displaySetService: {
            getActiveDisplaySets: () =>
              ['a', 'b'].map((s) => ({
                displaySetInstanceUID: `ds-${s}`,
                SeriesInstanceUID: s,
                StudyInstanceUID: 'st',
                Modality: 'CT',
                numImageFrames: 2,
              })),
            getDisplaySetByUID: (uid: string) => ({ SeriesInstanceUID: uid.replace('ds-', '') }),
          },
          viewportGridService: {
            getActiveViewportId: () => 'vp',
            getDisplaySetsUIDsForViewport: () => ['ds-a'],
            setDisplaySetsForViewport: ({ displaySetInstanceUIDs, viewportOptions }: any) =>
              shown.push([displaySetInstanceUIDs[0], viewportOptions.initialImageOptions.index]),
          },
          cornerstoneViewportService: {
            getCornerstoneViewport: () => ({ getImageIds: () => ['a0', 'a5'], setImageIdIndex: (i: number) => shown.push(['ds-a', i]) }),
          },
        },
      },
    } as unknown as OhifContext;
    for (let i = 0; i < 4; i++) stepRegion(ctx, service, 1);
    // Starting in series a (active viewport): abdomen, pelvis, then series b's head, then wrap to abdomen.
    expect(shown).toEqual([
      ['ds-a', 1],
      ['ds-a', 0],
      ['ds-b', 0],
      ['ds-a', 1],
    ]);
    stepRegion(ctx, service, -1);
    expect(shown.at(-1)).toEqual(['ds-b', 0]);
  });
});

describe('the body-region mode', () => {
  const basicRoute = {
    path: 'basic',
    layoutTemplate() {},
    layoutInstance: { id: 'layout', props: { leftPanels: ['studies'], rightPanels: ['seg', 'measure'], rightPanelClosed: true } },
  };
  const basic = {
    modeFactory(this: any) {
      return this.modeInstance;
    },
    modeInstance: {
      id: 'basic',
      routeName: 'basic',
      hide: true,
      routes: [basicRoute],
      hangingProtocol: 'default',
      extensions: { '@ohif/extension-default': '^3' },
      onModeEnter: jest.fn(),
    },
  };

  it('is the basic mode with our id, route, panel, protocol and modalities', async () => {
    const derived = await mode.modeFactory({ loadModules: async () => [basic] });
    expect(derived).toMatchObject({
      id: 'body-region',
      routeName: 'body-region',
      hide: false,
      hangingProtocol: '@body-region/by-region',
      modeModalities: ['CT', 'MR'],
    });
    expect(derived.routes[0].path).toBe('body-region');
    expect(derived.routes[0].layoutInstance.props).toMatchObject({
      leftPanels: ['studies'],
      rightPanels: ['body-region.panelModule.bodyRegion'],
      rightPanelClosed: false,
    });
    // Our extension is loaded by URL, never listed by package name.
    expect(Object.keys(derived.extensions)).toEqual(['@ohif/extension-default']);
    // The basic mode's own route object is untouched.
    expect(basicRoute.layoutInstance.props.rightPanels).toEqual(['seg', 'measure']);
  });

  it('adds its hotkeys and starts the session when it enters', async () => {
    const derived = await deriveMode(basic, {
      id: 'x',
      routeName: 'x',
      displayName: 'x',
      rightPanels: [],
      hangingProtocol: 'p',
      modalities: ['CT'],
      startCommand: 'start',
      hotkeys: [{ commandName: 'next', label: 'Next', keys: ['alt+down'] }],
    });
    const setCustomizations = jest.fn();
    const runCommand = jest.fn();
    derived.onModeEnter({
      servicesManager: { services: { customizationService: { setCustomizations } } },
      commandsManager: { runCommand },
    });
    expect(basic.modeInstance.onModeEnter).toHaveBeenCalled();
    expect(setCustomizations).toHaveBeenCalledWith({
      'ohif.hotkeyBindings': { $push: [{ commandName: 'next', label: 'Next', keys: ['alt+down'] }] },
    });
    expect(runCommand).toHaveBeenCalledWith('start');
  });
});

describe("frames from the viewer's cornerstone cache", () => {
  const request = { studyInstanceUID: 'st', seriesInstanceUID: 'se', sopInstanceUID: 'sop', frameNumber: 2 };
  const imageId = viewerImageId('http://h/dicom-web/', request);

  it('names frames the way the viewer does', () => {
    expect(imageId).toBe('wadors:http://h/dicom-web/studies/st/series/se/instances/sop/frames/2');
  });

  it('gives stored values back, undoing the modality LUT when cornerstone applied it', () => {
    const raw = new Int16Array([0, 10, 20, 30]);
    const image = (extra: object) => ({ rows: 2, columns: 2, getPixelData: () => raw, ...extra });
    const plain = cachedFrame({ cache: { getImage: (id) => (id === imageId ? image({}) : undefined) } }, imageId)!;
    expect(Array.from(plain.data)).toEqual([0, 10, 20, 30]);
    expect(plain.data).not.toBe(raw); // a copy: the original stays in the cache
    const scaled = cachedFrame(
      { cache: { getImage: () => image({ preScale: { scaled: true, scalingParameters: { rescaleSlope: 2, rescaleIntercept: -10 } } }) } },
      imageId,
    )!;
    expect(Array.from(scaled.data)).toEqual([5, 10, 15, 20]);
  });

  it('says null for missing, colour, SUV-scaled or odd-sized images and a missing cornerstone', () => {
    const image = (extra: object) => ({ rows: 2, columns: 2, getPixelData: () => new Uint16Array(4), ...extra });
    expect(cachedFrame({ cache: { getImage: () => undefined } }, imageId)).toBeNull();
    expect(cachedFrame({ cache: { getImage: () => image({ color: true }) } }, imageId)).toBeNull();
    expect(
      cachedFrame({ cache: { getImage: () => image({ preScale: { scaled: true, scalingParameters: { suvbw: 3 } } }) } }, imageId),
    ).toBeNull();
    expect(cachedFrame({ cache: { getImage: () => image({ rows: 3 }) } }, imageId)).toBeNull();
    expect(cachedFrame(undefined, imageId)).toBeNull();
  });
});
