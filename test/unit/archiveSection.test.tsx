/**
 * @jest-environment jsdom
 */
// The panel's "Results in the archive" section: where each result came from, outdated SRs, and
// "Save to archive" only when write-back is enabled.
import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { ArchiveSection } from '../../extension/src/ohif/panels/ArchiveSection';
import { ResultSources } from '../../extension/src/ohif/services/resultSources';
import type { SeriesView } from '../../extension/src/ohif/services/viewTypes';

const series = (uid: string, description: string): SeriesView => ({
  seriesInstanceUID: uid,
  description,
  modality: 'CT',
  status: 'done',
  progress: { done: 0, total: 0 },
  totalSlices: 10,
  segments: [],
  mainRegion: null,
  regions: [],
  significantRegions: [],
  annexL: null,
  bodyPartExamined: null,
  tagDisagreement: null,
  error: null,
});

test('says where each result came from and marks outdated SRs', () => {
  const sources = new ResultSources();
  sources.setSeries('1', { source: 'archive', srSopInstanceUID: '9', srCreatedAt: '2026-12-07T03:00:00Z', outdated: [] });
  sources.setSeries('2', { source: 'cache', outdated: [] });
  sources.setSeries('3', { source: 'computed', outdated: ['written by another model (m 1.0.0, sha256 abcdef…)'] });
  sources.setSeries('4', { source: 'computed', outdated: [], adapted: 'site-adapted (2 corrections)' });
  render(
    <ArchiveSection
      sources={sources}
      series={[series('1', 'chest'), series('2', 'abdomen'), series('3', 'pelvis'), series('4', 'knee')]}
      onSave={() => undefined}
    />,
  );
  const rows = screen.getAllByTestId('br-source');
  expect(rows.map((r) => r.textContent)).toEqual([
    'chestarchive SR (2026-12-07)',
    "abdomenthis browser's cache",
    'pelviscomputed nowOutdated archive SR: written by another model (m 1.0.0, sha256 abcdef…)',
    'kneecomputed now · site-adapted (2 corrections)',
  ]);
  expect(screen.queryByTestId('br-save-archive')).toBeNull();
});

test('"Save to archive" only with write-back; disabled when everything is in the archive; errors are alerts', () => {
  const sources = new ResultSources();
  sources.setWriteBack(true);
  sources.setSeries('1', { source: 'computed', outdated: [] });
  const onSave = jest.fn();
  render(<ArchiveSection sources={sources} series={[series('1', 'chest')]} onSave={onSave} />);
  fireEvent.click(screen.getByTestId('br-save-archive'));
  expect(onSave).toHaveBeenCalledTimes(1);
  act(() => {
    sources.setSave({ status: 'error', message: 'the archive refused (HTTP 403). The results stay in this browser.' });
  });
  expect(screen.getByRole('alert').textContent).toMatch(/HTTP 403/);
  act(() => {
    sources.markSaved('1', '9');
  });
  expect(screen.getByTestId('br-source').textContent).toMatch(/computed now · saved to archive/);
  expect((screen.getByTestId('br-save-archive') as HTMLButtonElement).disabled).toBe(true);
});
