/**
 * @jest-environment jsdom
 */
// What the radiologist reads in the viewer: region and Annex L names (every label and term of
// models/labels.json has one), the by-region layout limited to the summary's significant regions,
// and the region caption in each by-region viewport.
import * as fs from 'fs';
import * as path from 'path';
import { annexLName, regionName } from '../../extension/src/ohif/regionNames';
import { candidatesFromResults } from '../../extension/src/ohif/services/regionLayout';
import { BodyRegionService } from '../../extension/src/ohif/services/BodyRegionService';
import { seriesResult } from '../helpers/seriesResult';
import { labelViewport } from '../../extension/src/ohif/services/viewportLabels';
import type { OhifContext } from '../../extension/src/ohif/ohifTypes';

const labels = JSON.parse(fs.readFileSync(path.join(__dirname, '../../models/labels.json'), 'utf8')) as {
  labels: Array<{ name: string; bodyPartExamined: string | null }>;
  combinations: Array<{ bodyPartExamined: string; regions: string[] }>;
};

describe('region names', () => {
  it('name every label and its DICOM term the same way, in sentence case', () => {
    for (const { name, bodyPartExamined } of labels.labels) {
      expect(regionName(name)).toMatch(/^[A-Z][a-z]+( [a-z]+)?$/);
      if (bodyPartExamined) expect([bodyPartExamined, annexLName(bodyPartExamined)]).toEqual([bodyPartExamined, regionName(name)]);
    }
    expect(regionName('UPPER_ARM')).toBe('Upper arm');
    expect(annexLName('LOWERLEG')).toBe('Lower leg');
  });

  it('name every combined term by the regions it stands for', () => {
    for (const { bodyPartExamined, regions } of labels.combinations) {
      const name = annexLName(bodyPartExamined);
      if (bodyPartExamined === 'WHOLEBODY') expect(name).toBe('Whole body');
      else
        for (const region of regions)
          expect([bodyPartExamined, name.toLowerCase()]).toEqual([
            bodyPartExamined,
            expect.stringContaining(regionName(region).toLowerCase()),
          ]);
    }
    expect(annexLName('HEADNECK')).toBe('Head and neck');
    expect(annexLName('CHESTABDPELVIS')).toBe('Chest, abdomen and pelvis');
  });
});

describe('the by-region layout', () => {
  it('offers only the regions the summary calls significant', async () => {
    // A head and neck CT whose last 4 slices decode as CHEST with 66 % confidence.
    const service = new BodyRegionService({
      runner: {
        classify: async () =>
          seriesResult({
            seriesInstanceUID: 's',
            segments: [
              { label: 'CHEST', firstIndex: 0, lastIndex: 3, confidence: 0.66, firstSopInstanceUID: 'i0' },
              { label: 'NECK', firstIndex: 4, lastIndex: 40, confidence: 0.9, firstSopInstanceUID: 'i4' },
              { label: 'HEAD', firstIndex: 41, lastIndex: 99, confidence: 0.95, firstSopInstanceUID: 'i41' },
            ],
            summary: { regions: ['HEAD', 'NECK', 'CHEST'], significantRegions: ['HEAD', 'NECK'], mainRegion: 'HEAD' },
          }),
      },
    });
    service.classifyStudy('st', [{ studyInstanceUID: 'st', seriesInstanceUID: 's', description: '', modality: 'CT' }]);
    await new Promise((r) => setTimeout(r, 0));
    const ds = { displaySetInstanceUID: 'd', SeriesInstanceUID: 's', Modality: 'CT', numImageFrames: 100 };
    const ctx = {
      servicesManager: { services: { displaySetService: { getActiveDisplaySets: () => [ds] } } },
      extensionManager: {
        getActiveDataSource: () => [
          { getImageIdsForDisplaySet: () => Array.from({ length: 100 }, (_, i) => `x/instances/i${i}/frames/1`) },
        ],
      },
    } as unknown as OhifContext;
    const chosen = candidatesFromResults(ctx, service);
    expect(chosen.map((c) => [c.region, c.imageIndex])).toEqual([
      ['NECK', 4],
      ['HEAD', 41],
    ]);
  });
});

describe('region captions in the by-region viewports', () => {
  it('adds one caption with the region name once the viewport exists, and updates it', () => {
    expect(labelViewport('body-region-UPPER_ARM', 'UPPER_ARM', regionName('UPPER_ARM'))).toBe(false);
    const host = document.createElement('div');
    host.setAttribute('data-viewportid', 'body-region-UPPER_ARM');
    document.body.appendChild(host);
    expect(labelViewport('body-region-UPPER_ARM', 'UPPER_ARM', regionName('UPPER_ARM'))).toBe(true);
    expect(labelViewport('body-region-UPPER_ARM', 'UPPER_ARM', regionName('UPPER_ARM'))).toBe(true);
    const captions = host.querySelectorAll('[data-testid="br-viewport-region"]');
    expect(captions).toHaveLength(1);
    expect(captions[0].textContent).toBe('Upper arm');
    expect((captions[0] as HTMLElement).style.pointerEvents).toBe('none');
  });
});
