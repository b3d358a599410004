/**
 * The panel's site-corrections section (issue 11): correct the current segment (pick one of the
 * model's classes), move its boundary to the current slice, mark the series OTHER; the site's
 * corrections listed with undo, reset, export and import; the adapter switched on or off, and the
 * "site-adapted (N corrections)" line. Presentational only: the caller owns the corrections
 * (services/siteCorrections.ts) and the wiring. Kept apart from BodyRegionPanel.tsx to merge easily.
 */
import React from 'react';

export const CORRECTIONS_CSS = `
.br-panel .br-corrections { border-top: 1px solid #1f2937; margin-top: 10px; padding-top: 8px; font-size: 12px; }
.br-panel .br-corrections-title { font-weight: 600; color: #e5e7eb; margin-bottom: 4px; }
.br-panel .br-corrections-row { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 4px 0; }
.br-panel .br-corrections select { background: #111827; color: #e5e7eb; border: 1px solid #374151; border-radius: 4px; font-size: 11px; }
.br-panel .br-corrections-list { list-style: none; margin: 4px 0; padding: 0; color: #9ca3af; font-size: 11px; }
.br-panel .br-adapted { color: #5acce6; font-weight: 600; }
`;

/** The segment the corrections act on (the panel's current one). */
export interface CorrectionTarget {
  seriesDescription: string;
  label: string;
  /** Whether the viewport's current slice lies outside the segment (a boundary can move there). */
  canMoveBoundary: boolean;
}

export interface CorrectionListItem {
  id: string;
  /** e.g. "CT chest: CHEST → ABDOMEN". */
  text: string;
}

export interface CorrectionsSectionProps {
  labels: string[];
  target: CorrectionTarget | null;
  corrections: CorrectionListItem[];
  /** "site-adapted (N corrections)", or null when no adapter is in use. */
  status: string | null;
  enabled: boolean;
  onSetRegion: (label: string) => void;
  onMoveBoundary: () => void;
  onMarkOther: () => void;
  onUndo: () => void;
  onReset: () => void;
  onToggle: (enabled: boolean) => void;
  onExport: () => void;
  /** The text of a chosen body-region-corrections/1 file. */
  onImport: (text: string) => void;
}

export function CorrectionsSection(props: CorrectionsSectionProps): React.ReactElement {
  const { labels, target, corrections, status, enabled } = props;
  const fileInput = React.useRef<HTMLInputElement>(null);
  const importFile = async (file: File | undefined) => {
    if (file) props.onImport(await file.text());
  };
  return (
    <div className="br-corrections" data-testid="br-corrections">
      <div className="br-corrections-title">Site corrections</div>
      {status && (
        <div className="br-adapted" data-testid="br-adapted">
          {status}
        </div>
      )}
      {target ? (
        <div className="br-corrections-row">
          <label>
            {target.seriesDescription}: {target.label} →{' '}
            <select
              aria-label="Correct the region"
              data-testid="br-correct-region"
              value=""
              onChange={(e) => e.target.value && props.onSetRegion(e.target.value)}
            >
              <option value="">region…</option>
              {labels
                .filter((l) => l !== target.label)
                .map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
            </select>
          </label>
          <button
            type="button"
            className="br-action"
            data-testid="br-move-boundary"
            disabled={!target.canMoveBoundary}
            onClick={props.onMoveBoundary}
            title="Move the segment's boundary to the current slice"
          >
            Boundary here
          </button>
          <button
            type="button"
            className="br-action"
            data-testid="br-mark-other"
            onClick={props.onMarkOther}
            title="Not a body region of the model: mark the whole series OTHER"
          >
            Series is OTHER
          </button>
        </div>
      ) : (
        <div className="br-hint">Select a region of a series to correct it.</div>
      )}
      <ul className="br-corrections-list" data-testid="br-corrections-list">
        {corrections.map((c) => (
          <li key={c.id}>{c.text}</li>
        ))}
      </ul>
      <div className="br-corrections-row">
        <button type="button" className="br-action" data-testid="br-undo" disabled={corrections.length === 0} onClick={props.onUndo}>
          Undo
        </button>
        <button type="button" className="br-action" data-testid="br-reset" disabled={corrections.length === 0} onClick={props.onReset}>
          Reset
        </button>
        <button
          type="button"
          className="br-action"
          data-testid="br-corrections-export"
          disabled={corrections.length === 0}
          onClick={props.onExport}
        >
          Export
        </button>
        <button type="button" className="br-action" data-testid="br-corrections-import" onClick={() => fileInput.current?.click()}>
          Import
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="br-corrections-file"
          onChange={(e) => void importFile(e.target.files?.[0])}
        />
        <label title="Classify with the site adapter">
          <input type="checkbox" data-testid="br-adapter-toggle" checked={enabled} onChange={(e) => props.onToggle(e.target.checked)} />{' '}
          adapt
        </label>
      </div>
    </div>
  );
}
