/**
 * The results of the open study: the panel's view (StudyView) and the engine's results behind it.
 * Announces every change through `emit`; the service broadcasts them as its events.
 */
import type { SeriesResult } from '../../engine/results/schema';
import { EMPTY_STUDY, SeriesView, StudySummaryView, StudyView } from './viewTypes';
import { emptySeriesView, seriesViewFromResult } from './resultView';
import type { SeriesJob } from './jobs';

export const EVENTS = {
  STATE_CHANGED: 'event::bodyRegion:stateChanged',
  SERIES_DONE: 'event::bodyRegion:seriesDone',
  STUDY_DONE: 'event::bodyRegion:studyDone',
} as const;
export type StudyEvent = (typeof EVENTS)[keyof typeof EVENTS];

export type StudySummariser = (results: SeriesResult[]) => StudySummaryView | null;

export class StudyResults {
  private state: StudyView = EMPTY_STUDY;
  private readonly results = new Map<string, SeriesResult>();

  constructor(private readonly emit: (event: StudyEvent, state: StudyView) => void) {}

  getState(): StudyView {
    return this.state;
  }

  getSeries(seriesInstanceUID: string): SeriesView | undefined {
    return this.state.series.find((s) => s.seriesInstanceUID === seriesInstanceUID);
  }

  /** The engine's results (schema body-region-result/1) in panel order, for export and hanging protocols. */
  getRawResults(): SeriesResult[] {
    return this.state.series.map((s) => this.results.get(s.seriesInstanceUID)).filter((r): r is SeriesResult => !!r);
  }

  /** A new study whose series are all queued. */
  open(studyInstanceUID: string, jobs: SeriesJob[]): void {
    this.results.clear();
    this.state = {
      ...EMPTY_STUDY,
      studyInstanceUID,
      status: jobs.length ? 'running' : 'done',
      series: jobs.map((job) => emptySeriesView(job)),
    };
    this.emit(EVENTS.STATE_CHANGED, this.state);
  }

  /** Adds the series not known yet (queued); returns those. */
  add(jobs: SeriesJob[]): SeriesJob[] {
    const fresh = jobs.filter((j) => !this.getSeries(j.seriesInstanceUID));
    if (fresh.length) this.update({ series: [...this.state.series, ...fresh.map((j) => emptySeriesView(j))], status: 'running' });
    return fresh;
  }

  patchSeries(seriesInstanceUID: string, patch: Partial<SeriesView>): void {
    this.update({
      series: this.state.series.map((s) => (s.seriesInstanceUID === seriesInstanceUID ? { ...s, ...patch } : s)),
    });
  }

  /** A series' result arrived: its view, the study summary, then SERIES_DONE. */
  setResult(job: SeriesJob, result: SeriesResult, summarise: StudySummariser): void {
    this.results.set(job.seriesInstanceUID, result);
    this.patchSeries(job.seriesInstanceUID, seriesViewFromResult(result, job, this.getSeries(job.seriesInstanceUID)));
    this.update({ summary: summarise(this.getRawResults()) });
    this.emit(EVENTS.SERIES_DONE, this.state);
  }

  /** The running series and the dropped queued ones are cancelled; finished results stay. */
  cancel(dropped: Set<string>): void {
    const hit = (s: SeriesView) => s.status === 'running' || (s.status === 'queued' && dropped.has(s.seriesInstanceUID));
    if (!this.state.series.some(hit)) return;
    this.update({ status: 'cancelled', series: this.state.series.map((s) => (hit(s) ? { ...s, status: 'cancelled' } : s)) });
  }

  /** The model cannot be loaded: every unfinished series fails with its message. */
  modelUnavailable(message: string): void {
    this.update({
      modelError: message,
      series: this.state.series.map((s) =>
        s.status === 'queued' || s.status === 'running' ? { ...s, status: 'error', error: { code: 'model-unavailable', message } } : s,
      ),
    });
  }

  /** The queue ran dry while the study was running: done, then STUDY_DONE. */
  finish(): void {
    if (this.state.status !== 'running') return;
    this.update({ status: 'done' });
    this.emit(EVENTS.STUDY_DONE, this.state);
  }

  setCursor(cursor: StudyView['cursor']): void {
    this.update({ cursor });
  }

  /** Records the display set that shows a series (known only after OHIF made display sets). */
  linkDisplaySet(seriesInstanceUID: string, displaySetInstanceUID: string): void {
    if (this.getSeries(seriesInstanceUID)) this.patchSeries(seriesInstanceUID, { displaySetInstanceUID });
  }

  reset(): void {
    this.results.clear();
    this.state = EMPTY_STUDY;
    this.emit(EVENTS.STATE_CHANGED, this.state);
  }

  private update(patch: Partial<StudyView>): void {
    this.state = { ...this.state, ...patch };
    this.emit(EVENTS.STATE_CHANGED, this.state);
  }
}
