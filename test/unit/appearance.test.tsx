/**
 * @jest-environment jsdom
 */
// A site's customizations (names, colours, layout regions) read through the customizationService,
// falling back to the extension's defaults entry by entry, and the panel drawn with them.
import React from 'react';
import { render, screen } from '@testing-library/react';
import { CUSTOMIZATION_KEYS, DEFAULT_CUSTOMIZATIONS, readAppearance } from '../../extension/src/ohif/appearance';
import { getCustomizationModule } from '../../extension/src/ohif/getCustomizationModule';
import { AppearanceContext } from '../../extension/src/ohif/panels/appearanceContext';
import { BodyRegionPanel } from '../../extension/src/ohif/panels/BodyRegionPanel';
import { bestPerRegion, RegionCandidate } from '../../extension/src/ohif/hangingProtocols/buildByRegionProtocol';
import { EMPTY_STUDY, StudyView } from '../../extension/src/ohif/services/viewTypes';

const service = (values: Record<string, unknown>) => ({ getCustomization: (id: string) => values[id] });

describe('the customization module', () => {
  it('declares every customization under `default`, so OHIF merges it as the defaults', () => {
    const [module] = getCustomizationModule();
    expect(module.name).toBe('default');
    expect(Object.keys(module.value).sort()).toEqual(Object.values(CUSTOMIZATION_KEYS).sort());
    expect(module.value).toEqual(DEFAULT_CUSTOMIZATIONS);
    expect(module.value).not.toBe(DEFAULT_CUSTOMIZATIONS); // OHIF may update it in place
  });
});

describe('reading the appearance', () => {
  it('uses the defaults without a customizationService or without customizations', () => {
    for (const appearance of [readAppearance(undefined), readAppearance(service({}))]) {
      expect(appearance.regionName('UPPER_ARM')).toBe('Upper arm');
      expect(appearance.termName('HEADNECK')).toBe('Head and neck');
      expect(appearance.regionColour('HEAD')).toBe('#e6194b');
      expect(appearance.panelColours.accent).toBe('#5acce6');
      expect(appearance.layoutRegions[0]).toBe('HEAD');
    }
  });

  it('takes what the site set, entry by entry, and skips (with a warning) what is malformed', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const appearance = readAppearance(
      service({
        [CUSTOMIZATION_KEYS.regionNames]: { HEAD: 'Cranium', NECK: 42 },
        [CUSTOMIZATION_KEYS.termNames]: 'not a table',
        [CUSTOMIZATION_KEYS.regionColours]: { HEAD: '#123456' },
        [CUSTOMIZATION_KEYS.panelColours]: { accent: '#ff00ff' },
        [CUSTOMIZATION_KEYS.layoutRegions]: ['PELVIS', 'OTHER', 'CHEST'],
      }),
    );
    expect(appearance.regionName('HEAD')).toBe('Cranium');
    expect(appearance.regionName('NECK')).toBe('Neck');
    expect(appearance.termName('HEAD')).toBe('Cranium'); // a single-region term reads as its region
    expect(appearance.termName('HEADNECK')).toBe('Head and neck');
    expect(appearance.regionColour('HEAD')).toBe('#123456');
    expect(appearance.regionColour('NECK')).toBe('#f58231');
    expect(appearance.panelColours).toEqual(expect.objectContaining({ accent: '#ff00ff', background: '#000' }));
    expect(appearance.layoutRegions).toEqual(['PELVIS', 'CHEST']);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      '[body-region] customization bodyRegion.regionNames.NECK should be a non-empty string; ignored',
      '[body-region] customization bodyRegion.termNames should be an object of strings; the defaults are used',
    ]);
    warn.mockRestore();
  });

  it('gives by-region viewports only to the listed regions, in the listed order', () => {
    const c = (region: string, score = 1): RegionCandidate => ({
      region,
      score,
      seriesInstanceUID: 's',
      displaySetInstanceUID: 'd',
      imageIndex: 0,
    });
    const candidates = [c('HEAD'), c('CHEST'), c('PELVIS'), c('OTHER')];
    expect(bestPerRegion(candidates).map((x) => x.region)).toEqual(['HEAD', 'CHEST', 'PELVIS']);
    expect(bestPerRegion(candidates, 6, ['PELVIS', 'CHEST', 'PELVIS', 'KNEE']).map((x) => x.region)).toEqual(['PELVIS', 'CHEST']);
  });
});

describe('the panel with a site’s appearance', () => {
  it('shows the site’s names and colours', () => {
    const state: StudyView = {
      ...EMPTY_STUDY,
      studyInstanceUID: 'st',
      status: 'done',
      summary: { annexL: 'HEADNECK', regions: ['HEAD', 'NECK'], snomed: null } as StudyView['summary'],
      series: [
        {
          seriesInstanceUID: 's',
          description: 'CT',
          modality: 'CT',
          status: 'done',
          progress: { done: 1, total: 1 },
          totalSlices: 10,
          segments: [
            {
              label: 'NECK',
              firstIndex: 0,
              lastIndex: 4,
              confidence: 0.9,
              startMm: null,
              endMm: null,
              firstSopInstanceUID: 'a',
              firstFrameNumber: 1,
            },
            {
              label: 'HEAD',
              firstIndex: 5,
              lastIndex: 9,
              confidence: 0.9,
              startMm: null,
              endMm: null,
              firstSopInstanceUID: 'b',
              firstFrameNumber: 1,
            },
          ],
          mainRegion: 'HEAD',
          regions: ['HEAD', 'NECK'],
          significantRegions: ['HEAD', 'NECK'],
          annexL: 'HEADNECK',
          bodyPartExamined: null,
          tagDisagreement: null,
          error: null,
        },
      ],
    };
    const appearance = readAppearance(
      service({
        [CUSTOMIZATION_KEYS.regionNames]: { HEAD: 'Cranium' },
        [CUSTOMIZATION_KEYS.termNames]: { HEADNECK: 'Skull and neck' },
        [CUSTOMIZATION_KEYS.regionColours]: { HEAD: '#123456' },
        [CUSTOMIZATION_KEYS.panelColours]: { accent: '#ff00ff' },
      }),
    );
    render(
      <AppearanceContext.Provider value={appearance}>
        <BodyRegionPanel state={state} onSelectRegion={() => undefined} />
      </AppearanceContext.Provider>,
    );
    expect(screen.getByTestId('br-summary-term').textContent).toBe('Skull and neck');
    const head = screen.getAllByTestId('br-region').find((e) => e.getAttribute('data-region') === 'HEAD')!;
    expect(head.querySelector('.br-region-name')!.textContent).toBe('Cranium');
    expect((head.querySelector('.br-swatch') as HTMLElement).style.background).toBe('rgb(18, 52, 86)');
    expect(screen.getByTestId('body-region-panel').style.getPropertyValue('--br-accent')).toBe('#ff00ff');
  });
});
