/**
 * @jest-environment jsdom
 */
// The panel's site-corrections section in jsdom: the three actions, the list with undo/reset,
// export/import and the adapter switch call back with what the user chose.
import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CorrectionsSection, type CorrectionsSectionProps } from '../../extension/src/ohif/panels/CorrectionsSection';
import { LABEL_NAMES } from '../helpers/synthetic';

function setup(over: Partial<CorrectionsSectionProps> = {}) {
  const calls: string[] = [];
  const props: CorrectionsSectionProps = {
    labels: LABEL_NAMES,
    target: { seriesDescription: 'CT thorax', label: 'CHEST', canMoveBoundary: true },
    corrections: [],
    status: null,
    enabled: true,
    onSetRegion: (l) => calls.push(`set ${l}`),
    onMoveBoundary: () => calls.push('boundary'),
    onMarkOther: () => calls.push('other'),
    onUndo: () => calls.push('undo'),
    onReset: () => calls.push('reset'),
    onToggle: (on) => calls.push(`toggle ${on}`),
    onExport: () => calls.push('export'),
    onImport: (text) => calls.push(`import ${text}`),
    ...over,
  };
  render(<CorrectionsSection {...props} />);
  return calls;
}

test('the current segment can be set to another class, its boundary moved, the series marked OTHER', () => {
  const calls = setup();
  const select = screen.getByTestId('br-correct-region') as HTMLSelectElement;
  const options = Array.from(select.options).map((o) => o.value);
  expect(options).toHaveLength(20); // "region…" + the 19 other classes
  expect(options).not.toContain('CHEST');
  fireEvent.change(select, { target: { value: 'ABDOMEN' } });
  fireEvent.click(screen.getByTestId('br-move-boundary'));
  fireEvent.click(screen.getByTestId('br-mark-other'));
  expect(calls).toEqual(['set ABDOMEN', 'boundary', 'other']);
  expect((screen.getByTestId('br-undo') as HTMLButtonElement).disabled).toBe(true);
});

test('corrections are listed; undo, reset, export, the adapter switch and the status line', () => {
  const calls = setup({
    corrections: [{ id: 'c1', text: 'CT thorax: CHEST → ABDOMEN' }],
    status: 'site-adapted (1 correction)',
    target: null,
  });
  expect(screen.getByTestId('br-corrections-list').textContent).toBe('CT thorax: CHEST → ABDOMEN');
  expect(screen.getByTestId('br-adapted').textContent).toBe('site-adapted (1 correction)');
  expect(screen.queryByTestId('br-correct-region')).toBeNull();
  fireEvent.click(screen.getByTestId('br-undo'));
  fireEvent.click(screen.getByTestId('br-reset'));
  fireEvent.click(screen.getByTestId('br-corrections-export'));
  fireEvent.click(screen.getByTestId('br-adapter-toggle'));
  expect(calls).toEqual(['undo', 'reset', 'export', 'toggle false']);
});

test('import reads the chosen file', async () => {
  const calls = setup();
  const file = new File(['{"schema":"body-region-corrections/1"}'], 'c.json', { type: 'application/json' });
  if (!file.text) Object.defineProperty(file, 'text', { value: () => Promise.resolve('{"schema":"body-region-corrections/1"}') });
  fireEvent.change(screen.getByTestId('br-corrections-file'), { target: { files: [file] } });
  await waitFor(() => expect(calls).toEqual(['import {"schema":"body-region-corrections/1"}']));
});
