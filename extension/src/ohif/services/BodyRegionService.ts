/**
 * The `bodyRegionService`: the results store of one open study, with events (pub/sub), and the queue
 * that feeds it from a classification runner (a Web Worker in the viewer, anything in tests).
 * No OHIF imports: the viewer glue (studyClassifier.ts) decides which series to queue and when.
 */
import { EMPTY_STUDY, SeriesView, StudySummaryView, StudyView } from './viewTypes';
import { emptySeriesView, seriesViewFromResult, RawSeriesResult } from './resultView';

export interface SeriesJob {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  displaySetInstanceUID?: string;
  description: string;
  modality: string;
  seriesNumber?: number;
  bodyPartExamined?: string | null;
}

export interface ClassificationRunner {
  /** Classifies one series; rejects with a ModelUnavailableError when the model cannot be loaded. */
  classify(job: SeriesJob, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<RawSeriesResult>;
}

/** The model (or onnxruntime) could not be loaded: no series can be classified. */
export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

export type StudySummariser = (results: RawSeriesResult[]) => StudySummaryView | null;

export const EVENTS = {
  STATE_CHANGED: 'event::bodyRegion:stateChanged',
  SERIES_DONE: 'event::bodyRegion:seriesDone',
  STUDY_DONE: 'event::bodyRegion:studyDone',
} as const;
type EventName = (typeof EVENTS)[keyof typeof EVENTS];
type Listener = (payload: StudyView) => void;

export class BodyRegionService {
  static readonly EVENTS = EVENTS;
  readonly EVENTS = EVENTS;

  private state: StudyView = EMPTY_STUDY;
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private readonly rawResults = new Map<string, RawSeriesResult>();
  private queue: SeriesJob[] = [];
  private controller: AbortController | null = null;
  private draining = false;

  constructor(
    private runner: ClassificationRunner | null = null,
    private summarise: StudySummariser = () => null,
  ) {}

  setRunner(runner: ClassificationRunner, summarise?: StudySummariser): void {
    this.runner = runner;
    if (summarise) this.summarise = summarise;
  }

  getState(): StudyView {
    return this.state;
  }

  /** Raw engine results (schema body-region-result/1), for export and hanging protocols. */
  getRawResults(): RawSeriesResult[] {
    return this.state.series.map((s) => this.rawResults.get(s.seriesInstanceUID)).filter((r): r is RawSeriesResult => !!r);
  }

  getSeries(seriesInstanceUID: string): SeriesView | undefined {
    return this.state.series.find((s) => s.seriesInstanceUID === seriesInstanceUID);
  }

  subscribe(event: EventName, listener: Listener): { unsubscribe: () => void } {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return { unsubscribe: () => set!.delete(listener) };
  }

  /** Starts (or restarts) classification of a study; the jobs' order is the order of work. */
  classifyStudy(studyInstanceUID: string, jobs: SeriesJob[]): void {
    this.cancel();
    this.rawResults.clear();
    this.queue = [...jobs];
    this.state = {
      ...EMPTY_STUDY,
      studyInstanceUID,
      status: jobs.length ? 'running' : 'done',
      series: jobs.map((job) => emptySeriesView(job)),
    };
    this.emit(EVENTS.STATE_CHANGED);
    void this.drain();
  }

  /** Adds series that appeared after the study opened (lazy loading); known ones are ignored. */
  addSeries(jobs: SeriesJob[]): void {
    const fresh = jobs.filter((j) => !this.getSeries(j.seriesInstanceUID));
    if (!fresh.length) return;
    this.queue.push(...fresh);
    this.update({ series: [...this.state.series, ...fresh.map((j) => emptySeriesView(j))], status: 'running' });
    void this.drain();
  }

  /** Moves queued series to the front (e.g. the ones now shown in viewports). */
  prioritise(seriesInstanceUIDs: string[]): void {
    const wanted = new Set(seriesInstanceUIDs);
    this.queue = [
      ...this.queue.filter((j) => wanted.has(j.seriesInstanceUID)),
      ...this.queue.filter((j) => !wanted.has(j.seriesInstanceUID)),
    ];
  }

  /** Stops the running series and drops the queue; finished results stay. */
  cancel(): void {
    this.controller?.abort();
    this.controller = null;
    const dropped = new Set(this.queue.map((j) => j.seriesInstanceUID));
    this.queue = [];
    if (this.state.series.some((s) => s.status === 'running' || dropped.has(s.seriesInstanceUID))) {
      this.update({
        status: 'cancelled',
        series: this.state.series.map((s) =>
          s.status === 'running' || (s.status === 'queued' && dropped.has(s.seriesInstanceUID)) ? { ...s, status: 'cancelled' } : s,
        ),
      });
    }
  }

  /** Forgets the study (called when it closes). */
  reset(): void {
    this.cancel();
    this.rawResults.clear();
    this.state = EMPTY_STUDY;
    this.emit(EVENTS.STATE_CHANGED);
  }

  setCursor(cursor: StudyView['cursor']): void {
    this.update({ cursor });
  }

  /** Records the display set that shows a series (known only after OHIF made display sets). */
  linkDisplaySet(seriesInstanceUID: string, displaySetInstanceUID: string): void {
    if (!this.getSeries(seriesInstanceUID)) return;
    this.update({
      series: this.state.series.map((s) => (s.seriesInstanceUID === seriesInstanceUID ? { ...s, displaySetInstanceUID } : s)),
    });
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.runner) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const job = this.queue.shift()!;
        const controller = new AbortController();
        this.controller = controller;
        this.patchSeries(job.seriesInstanceUID, { status: 'running' });
        try {
          const result = await this.runner.classify(
            job,
            (done, total) => this.patchSeries(job.seriesInstanceUID, { progress: { done, total } }),
            controller.signal,
          );
          if (controller.signal.aborted) continue;
          this.rawResults.set(job.seriesInstanceUID, result);
          const previous = this.getSeries(job.seriesInstanceUID);
          this.patchSeries(job.seriesInstanceUID, seriesViewFromResult(result, job, previous));
          this.update({ summary: this.summarise(this.getRawResults()) });
          this.emit(EVENTS.SERIES_DONE);
        } catch (error) {
          if (controller.signal.aborted) continue;
          if (error instanceof ModelUnavailableError || (error as Error)?.name === 'ModelUnavailableError') {
            const message = (error as Error).message;
            this.queue = [];
            this.update({
              modelError: message,
              series: this.state.series.map((s) =>
                s.status === 'queued' || s.status === 'running'
                  ? { ...s, status: 'error', error: { code: 'model-unavailable', message } }
                  : s,
              ),
            });
            break;
          }
          this.patchSeries(job.seriesInstanceUID, {
            status: 'error',
            error: { code: 'classification-failed', message: (error as Error)?.message ?? String(error) },
          });
        }
      }
    } finally {
      this.draining = false;
      this.controller = null;
    }
    if (this.state.status === 'running' && !this.queue.length) {
      this.update({ status: 'done' });
      this.emit(EVENTS.STUDY_DONE);
    }
  }

  private patchSeries(seriesInstanceUID: string, patch: Partial<SeriesView>): void {
    this.update({
      series: this.state.series.map((s) => (s.seriesInstanceUID === seriesInstanceUID ? { ...s, ...patch } : s)),
    });
  }

  private update(patch: Partial<StudyView>): void {
    this.state = { ...this.state, ...patch };
    this.emit(EVENTS.STATE_CHANGED);
  }

  private emit(event: EventName): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(this.state);
      } catch (error) {
        console.error('[body-region] listener failed', error);
      }
    }
  }
}
