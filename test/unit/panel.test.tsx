/**
 * @jest-environment jsdom
 */
// The body-region panel in jsdom: bars per series, progress, summary, tag badge, error line,
// clicks on regions; and the island adapter that mounts our React root inside a host tree.
import React from 'react';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { BodyRegionPanel } from '../../extension/src/ohif/panels/BodyRegionPanel';
import { createIslandComponent } from '../../extension/src/ohif/panels/PanelIsland';
import { ConnectedPanel } from '../../extension/src/ohif/panels/ConnectedPanel';
import { BodyRegionService } from '../../extension/src/ohif/services/BodyRegionService';
import { ModelUnavailableError } from '../../extension/src/ohif/services/errors';
import type { SeriesJob } from '../../extension/src/ohif/services/jobs';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { seriesResult } from '../helpers/seriesResult';
import { EMPTY_STUDY, SeriesView, StudyView } from '../../extension/src/ohif/services/viewTypes';

function series(over: Partial<SeriesView>): SeriesView {
  return {
    seriesInstanceUID: '1.2.3',
    description: 'CT chest abdomen',
    modality: 'CT',
    status: 'done',
    progress: { done: 0, total: 0 },
    totalSlices: 100,
    segments: [],
    mainRegion: null,
    regions: [],
    significantRegions: [],
    annexL: null,
    bodyPartExamined: null,
    tagDisagreement: null,
    error: null,
    ...over,
  };
}

const segment = (label: string, firstIndex: number, lastIndex: number, confidence = 0.9) => ({
  label,
  firstIndex,
  lastIndex,
  confidence,
  startMm: firstIndex * 5,
  endMm: lastIndex * 5,
  firstSopInstanceUID: `sop-${label}`,
  firstFrameNumber: 1,
});

const studyWith = (rows: SeriesView[], over: Partial<StudyView> = {}): StudyView => ({
  ...EMPTY_STUDY,
  studyInstanceUID: '9.9',
  status: 'done',
  series: rows,
  ...over,
});

describe('BodyRegionPanel', () => {
  it('says "uncertain" for a region below the low-confidence threshold, and only there', () => {
    const state = studyWith([
      series({
        segments: [segment('CHEST', 0, 49, 0.92), segment('ABDOMEN', 50, 99, 0.31)],
        regions: ['CHEST', 'ABDOMEN'],
      }),
    ]);
    render(<BodyRegionPanel state={state} onSelectRegion={jest.fn()} />);
    const rows = screen.getAllByTestId('br-region');
    const abdomen = rows.find((r) => r.getAttribute('data-region') === 'ABDOMEN') as HTMLElement;
    const chest = rows.find((r) => r.getAttribute('data-region') === 'CHEST') as HTMLElement;
    expect(abdomen.textContent).toContain('31 % · uncertain');
    expect(abdomen.getAttribute('data-uncertain')).toBe('true');
    expect(chest.textContent).not.toContain('uncertain');
    expect(chest.getAttribute('data-uncertain')).toBeNull();
  });

  it('draws one bar per series with a segment per region, superior first, and reports clicks', () => {
    const onSelect = jest.fn();
    const state = studyWith(
      [
        series({
          seriesInstanceUID: 'a',
          segments: [segment('PELVIS', 0, 29), segment('ABDOMEN', 30, 69, 0.8), segment('CHEST', 70, 99, 0.95)],
          regions: ['CHEST', 'ABDOMEN', 'PELVIS'],
          annexL: 'CHESTABDPELVIS',
        }),
        series({
          seriesInstanceUID: 'b',
          description: 'broken',
          status: 'error',
          error: { code: 'all-frames-failed', message: 'no frame could be decoded' },
        }),
      ],
      { summary: { annexL: 'CHESTABDPELVIS', snomed: '416775004', regions: ['CHEST', 'ABDOMEN', 'PELVIS'] } },
    );
    render(<BodyRegionPanel state={state} onSelectRegion={onSelect} />);

    const bars = screen.getAllByTestId('br-bar');
    expect(bars).toHaveLength(1);
    const segs = within(bars[0]).getAllByTestId('br-bar-segment');
    expect(segs.map((s) => s.getAttribute('data-region'))).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    // Widths follow the number of slices.
    expect(segs.map((s) => (s as HTMLElement).style.flexGrow)).toEqual(['30', '40', '30']);
    expect(segs[1].getAttribute('title')).toContain('confidence 80 %');

    // Names a radiologist reads; the DICOM term stays in the tooltip.
    expect(screen.getByTestId('br-summary-term').textContent).toBe('Chest, abdomen and pelvis');
    expect(screen.getByTestId('br-summary-term').getAttribute('title')).toBe('DICOM Annex L term: CHESTABDPELVIS');
    expect(screen.getByTestId('br-summary').textContent).toContain('Study: Chest, Abdomen, Pelvis');
    expect(screen.getByTestId('br-summary').textContent).toContain('416775004');
    expect(screen.getByTestId('br-series-error').textContent).toContain('no frame could be decoded');

    fireEvent.click(segs[1]);
    expect(onSelect).toHaveBeenLastCalledWith('a', 1);
    const listed = screen.getAllByTestId('br-region');
    fireEvent.click(listed[2]);
    expect(onSelect).toHaveBeenLastCalledWith('a', 0);
  });

  it('shows progress while running, the tag mismatch badge and the model error', () => {
    const state = studyWith(
      [
        series({ seriesInstanceUID: 'a', status: 'running', progress: { done: 25, total: 100 } }),
        series({
          seriesInstanceUID: 'b',
          segments: [segment('KNEE', 0, 9)],
          bodyPartExamined: 'CHEST',
          tagDisagreement: 'BodyPartExamined is CHEST; the pixels show KNEE',
        }),
      ],
      { status: 'running', modelError: null },
    );
    const { rerender } = render(<BodyRegionPanel state={state} onSelectRegion={() => undefined} onCancel={() => undefined} />);
    expect(screen.getByTestId('br-progress').getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByTestId('br-status').textContent).toMatch(/Classifying series/);
    expect(screen.getByTestId('br-mismatch').textContent).toContain('CHEST');
    expect(screen.getByTestId('br-cancel')).toBeTruthy();

    rerender(<BodyRegionPanel state={{ ...state, status: 'done', modelError: 'model.json: HTTP 404' }} onSelectRegion={() => undefined} />);
    expect(screen.getByTestId('br-model-error').textContent).toContain('HTTP 404');
    expect(screen.queryByTestId('br-cancel')).toBeNull();
  });
});

describe('BodyRegionService with the panel', () => {
  const job = (uid: string): SeriesJob => ({ studyInstanceUID: 's', seriesInstanceUID: uid, description: uid, modality: 'CT' });
  const result = (uid: string, labels: string[]): SeriesResult =>
    seriesResult({
      seriesInstanceUID: uid,
      segments: labels.map((label, i) => ({ ...segment(label, i * 10, i * 10 + 9) })),
      summary: { regions: labels, mainRegion: labels[0] },
    });

  it('classifies queued series one by one, keeps going after a broken one, and updates the panel', async () => {
    const runner = {
      classify: jest.fn(async (j: SeriesJob, onProgress: (d: number, t: number) => void) => {
        onProgress(5, 10);
        if (j.seriesInstanceUID === 'broken')
          return seriesResult({ seriesInstanceUID: 'broken', error: { code: 'all-frames-failed', message: 'HTTP 500 for every frame' } });
        return result(j.seriesInstanceUID, ['PELVIS', 'ABDOMEN']);
      }),
    };
    const service = new BodyRegionService({
      runner,
      summarise: (rs) => ({ annexL: 'ABDOMENPELVIS', snomed: null, regions: rs.flatMap((r) => r.regions) }),
    });
    render(
      <ConnectedPanel
        service={service}
        actions={{ selectRegion: () => undefined, rerun: () => undefined, cancel: () => undefined, exportResults: () => undefined }}
      />,
    );
    await act(async () => {
      service.classifyStudy('s', [job('broken'), job('good')]);
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(runner.classify).toHaveBeenCalledTimes(2);
    expect(service.getState().status).toBe('done');
    expect(screen.getByTestId('br-series-error').textContent).toContain('HTTP 500');
    expect(screen.getAllByTestId('br-bar-segment').map((s) => s.getAttribute('data-region'))).toEqual(['ABDOMEN', 'PELVIS']);
    expect(screen.getByTestId('br-summary-term').textContent).toBe('Abdomen and pelvis');
  });

  it('stops with a clear message when the model cannot be loaded', async () => {
    const runner = { classify: jest.fn(async () => Promise.reject(new ModelUnavailableError('labels.json: HTTP 404'))) };
    const service = new BodyRegionService({ runner });
    await act(async () => {
      service.classifyStudy('s', [job('a'), job('b')]);
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(runner.classify).toHaveBeenCalledTimes(1);
    expect(service.getState().modelError).toBe('labels.json: HTTP 404');
    expect(service.getState().series.map((s) => s.status)).toEqual(['error', 'error']);
  });

  it('cancels the running series and the queue', async () => {
    let release: () => void = () => undefined;
    const runner = {
      classify: jest.fn(
        (_j: SeriesJob, _p: unknown, signal: AbortSignal) =>
          new Promise<SeriesResult>((resolve, reject) => {
            release = () => resolve(result('a', ['HEAD']));
            signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      ),
    };
    const service = new BodyRegionService({ runner });
    service.classifyStudy('s', [job('a'), job('b')]);
    await new Promise((r) => setTimeout(r, 0));
    service.cancel();
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(service.getState().status).toBe('cancelled');
    expect(service.getState().series.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    expect(runner.classify).toHaveBeenCalledTimes(1);
  });
});

describe('PanelIsland', () => {
  it('mounts its own React root into the div the host attaches, and unmounts it with the host', async () => {
    const Island = createIslandComponent('Test', (props) => <span data-testid="inside">{String(props.label)}</span>, '.x{}');
    // The "host" here is the same React, which exercises the same class-component protocol.
    const { unmount, container } = render(<Island label="hello" />);
    await act(async () => undefined);
    expect(screen.getByTestId('inside').textContent).toBe('hello');
    expect(container.querySelector('style')?.textContent).toBe('.x{}');
    unmount();
    await act(async () => new Promise((r) => setTimeout(r, 5)));
    expect(screen.queryByTestId('inside')).toBeNull();
  });
});
