/**
 * The body-region panel: one bar per series showing which slices lie in which region, progress while
 * classifying, the study summary (DICOM Annex L term), a badge where the pixels disagree with
 * BodyPartExamined and an error line for a series that could not be classified.
 * A plain React component of our own React (rendered in its own root, see PanelIsland.ts).
 */
import React from 'react';
import type { RegionSegmentView, SeriesView, StudyView } from '../services/viewTypes';
import { textColourOn } from './regionColours';
import { panelColourVariables, useAppearance } from './appearanceContext';
import { LOW_CONFIDENCE } from '../../engine/summarise/summariseSeries';

/** Below the summary's threshold the region is a hint: said so rather than shown as fact. */
const isUncertain = (s: RegionSegmentView): boolean => s.confidence < LOW_CONFIDENCE;

export interface BodyRegionPanelProps {
  state: StudyView;
  onSelectRegion: (seriesInstanceUID: string, segmentIndex: number) => void;
  onRerun?: () => void;
  onCancel?: () => void;
  onExport?: () => void;
  /** Shortcut hint shown at the bottom, e.g. "Alt+↓ / Alt+↑". */
  shortcutHint?: string;
  /** Extra section below the series (e.g. where results came from, "Save to archive"). */
  footer?: React.ReactNode;
}

export function BodyRegionPanel(props: BodyRegionPanelProps): React.ReactElement {
  const { state, onRerun, onCancel, onExport } = props;
  const running = state.status === 'running';
  const done = state.series.filter((s) => s.status === 'done' || s.status === 'error').length;
  const { panelColours } = useAppearance();
  return (
    <div className="br-panel" data-testid="body-region-panel" style={panelColourVariables(panelColours)}>
      <div className="br-header">
        <span className="br-title">Body regions</span>
        <span className="br-actions">
          {running && onCancel && (
            <button type="button" className="br-action" onClick={onCancel} data-testid="br-cancel">
              Cancel
            </button>
          )}
          {!running && onRerun && (
            <button type="button" className="br-action" onClick={onRerun} data-testid="br-rerun">
              Re-run
            </button>
          )}
          {onExport && (
            <button
              type="button"
              className="br-action"
              onClick={onExport}
              data-testid="br-export"
              disabled={!done}
              title="Export the results as JSON"
            >
              Export
            </button>
          )}
        </span>
      </div>
      {state.modelError && (
        <div className="br-model-error" role="alert" data-testid="br-model-error">
          The body-region model could not be loaded: {state.modelError}
        </div>
      )}
      <StudySummary state={state} />
      <div className="br-status" data-testid="br-status">
        {statusLine(state, done)}
      </div>
      {state.series.map((series) => (
        <SeriesRow
          key={series.seriesInstanceUID}
          series={series}
          currentSegment={state.cursor?.seriesInstanceUID === series.seriesInstanceUID ? state.cursor.segmentIndex : -1}
          onSelect={(index) => props.onSelectRegion(series.seriesInstanceUID, index)}
        />
      ))}
      {props.footer}
      {props.shortcutHint && <div className="br-hint">Next / previous region: {props.shortcutHint}</div>}
    </div>
  );
}

function statusLine(state: StudyView, done: number): string {
  const total = state.series.length;
  switch (state.status) {
    case 'idle':
      return 'Waiting for a study.';
    case 'running':
      return `Classifying series ${Math.min(done + 1, total)} of ${total}…`;
    case 'cancelled':
      return `Cancelled (${done} of ${total} series classified).`;
    case 'done':
      return total ? `${done} of ${total} series classified.` : 'No CT or MR series in this study.';
  }
}

function StudySummary({ state }: { state: StudyView }): React.ReactElement | null {
  const { regionName, termName } = useAppearance();
  const summary = state.summary;
  if (!summary || (!summary.annexL && !summary.regions.length)) return null;
  return (
    <div className="br-summary" data-testid="br-summary">
      <div
        className="br-summary-term"
        data-testid="br-summary-term"
        title={summary.annexL ? `DICOM Annex L term: ${summary.annexL}` : undefined}
      >
        {summary.annexL ? termName(summary.annexL) : summary.regions.map((r) => regionName(r)).join(' + ')}
      </div>
      <div className="br-summary-sub">
        Study: {summary.regions.map((r) => regionName(r)).join(', ') || '—'}
        {summary.snomed ? ` · SNOMED CT ${summary.snomed}` : ''}
      </div>
    </div>
  );
}

interface SeriesRowProps {
  series: SeriesView;
  currentSegment: number;
  onSelect: (segmentIndex: number) => void;
}

function SeriesRow({ series, currentSegment, onSelect }: SeriesRowProps): React.ReactElement {
  const { termName } = useAppearance();
  const name = series.description || `Series ${series.seriesNumber ?? ''}`.trim();
  return (
    <div className="br-series" data-testid="br-series" data-series-uid={series.seriesInstanceUID} data-status={series.status}>
      <div className="br-series-head">
        <span className="br-series-name" title={name}>
          {name}
        </span>
        <span className="br-series-meta">
          {series.modality}
          {series.totalSlices ? ` · ${series.totalSlices} sl.` : ''}
        </span>
      </div>
      {(series.annexL || series.tagDisagreement) && (
        <div className="br-badges">
          {series.annexL && (
            <span className="br-badge br-badge-term" title={`DICOM Annex L term for this series: ${series.annexL}`}>
              {termName(series.annexL)}
            </span>
          )}
          {series.tagDisagreement && (
            <span className="br-badge br-badge-mismatch" title={series.tagDisagreement} data-testid="br-mismatch">
              BodyPartExamined {series.bodyPartExamined ?? '?'} ≠ pixels
            </span>
          )}
        </div>
      )}
      {series.status === 'running' && <ProgressBar done={series.progress.done} total={series.progress.total} />}
      {series.status === 'queued' && <div className="br-series-meta">queued</div>}
      {series.status === 'cancelled' && <div className="br-series-meta">cancelled</div>}
      {series.status === 'error' && series.error && (
        <div className="br-error" role="alert" data-testid="br-series-error">
          Could not classify: {series.error.message}
        </div>
      )}
      {series.status === 'done' && series.segments.length > 0 && (
        <>
          <RegionBar series={series} currentSegment={currentSegment} onSelect={onSelect} />
          <RegionList series={series} currentSegment={currentSegment} onSelect={onSelect} />
        </>
      )}
    </div>
  );
}

function ProgressBar({ done, total }: { done: number; total: number }): React.ReactElement {
  const percent = total ? Math.round((100 * done) / total) : 0;
  return (
    <div className="br-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} data-testid="br-progress">
      <div className="br-progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

/** Superior regions first (left), as a radiologist reads a body from head to feet. */
function displayOrder(segments: RegionSegmentView[]): number[] {
  return segments.map((_, i) => i).reverse();
}

function RegionBar({ series, currentSegment, onSelect }: SeriesRowProps & { series: SeriesView }): React.ReactElement {
  const { regionName, regionColour } = useAppearance();
  const total = Math.max(1, series.totalSlices);
  return (
    <div className="br-bar" data-testid="br-bar">
      {displayOrder(series.segments).map((i) => {
        const s = series.segments[i];
        const background = regionColour(s.label);
        const count = s.lastIndex - s.firstIndex + 1;
        return (
          <button
            type="button"
            key={i}
            className={`br-bar-seg${i === currentSegment ? ' br-current' : ''}`}
            style={{ flexGrow: count, flexBasis: 0, background, color: textColourOn(background) }}
            title={`${regionName(s.label)}: slices ${s.firstIndex + 1}–${s.lastIndex + 1} of ${total}, confidence ${Math.round(100 * s.confidence)} %${isUncertain(s) ? ' (uncertain)' : ''}${boundary(s)}`}
            onClick={() => onSelect(i)}
            data-testid="br-bar-segment"
            data-region={s.label}
          >
            {count / total > 0.12 ? regionName(s.label) : ''}
          </button>
        );
      })}
    </div>
  );
}

function RegionList({ series, currentSegment, onSelect }: SeriesRowProps & { series: SeriesView }): React.ReactElement {
  const { regionName, regionColour } = useAppearance();
  return (
    <ul className="br-regions">
      {displayOrder(series.segments).map((i) => {
        const s = series.segments[i];
        return (
          <li key={i}>
            <button
              type="button"
              className={`br-region${i === currentSegment ? ' br-current' : ''}${isUncertain(s) ? ' br-uncertain' : ''}`}
              onClick={() => onSelect(i)}
              data-testid="br-region"
              data-region={s.label}
              data-segment-index={i}
              data-uncertain={isUncertain(s) ? 'true' : undefined}
            >
              <span className="br-swatch" style={{ background: regionColour(s.label) }} />
              <span className="br-region-name">{regionName(s.label)}</span>
              <span className="br-region-range">
                {s.firstIndex + 1}–{s.lastIndex + 1}
              </span>
              <span className="br-region-conf">
                {Math.round(100 * s.confidence)} %{isUncertain(s) ? ' · uncertain' : ''}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function boundary(s: RegionSegmentView): string {
  if (s.startMm === null || s.endMm === null) return '';
  return `, ${s.startMm.toFixed(0)} to ${s.endMm.toFixed(0)} mm`;
}
