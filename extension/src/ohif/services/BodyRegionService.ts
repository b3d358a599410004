/**
 * The `bodyRegionService`, an OHIF service: created by the services manager from
 * `BodyRegionService.REGISTRATION` with the extension's configuration, reached by everything else
 * as `servicesManager.services.bodyRegionService`. It holds the open study's results
 * (studyResults.ts) and the queue that fills them (classificationQueue.ts), and, while our mode is
 * entered, the viewer session and the worker: the mode's start command opens them, OHIF's
 * `onModeExit` (which the extension manager calls on every service) ends them. The runner around
 * the worker (caches, archive SRs, site corrections) is made once and kept for the page.
 */
import type { SeriesResult } from '../../engine/results/schema';
import { SERVICE_NAME } from '../ids';
import type { BodyRegionConfiguration } from '../configuration';
import type { OhifHost, OhifServiceCreateArgs } from '../ohifTypes';
import { PubSubService } from '../pubSubService';
import { ClassificationQueue } from './classificationQueue';
import type { ClassificationRunner, SeriesJob } from './jobs';
import { ResultSources } from './resultSources';
import { EVENTS, StudyResults, type StudySummariser } from './studyResults';
import { summariseForPanel } from './summaryView';
import type { SeriesView, StudyView } from './viewTypes';
import { ViewerSession } from './viewerSession';
import { createViewerRunner, type ViewerRunner, type ViewerStats } from '../session';
import type { SiteController } from './siteController';

export interface BodyRegionServiceOptions {
  configuration?: BodyRegionConfiguration;
  /** The viewer's managers; absent in tests that drive the results and the queue alone. */
  host?: OhifHost;
  /** Classifies series; in the viewer, the worker made when a session starts. */
  runner?: ClassificationRunner;
  summarise?: StudySummariser;
}

export class BodyRegionService extends PubSubService<typeof EVENTS, StudyView> {
  static readonly REGISTRATION = {
    name: SERVICE_NAME,
    altName: 'BodyRegionService',
    create: ({ configuration, servicesManager, commandsManager, extensionManager }: OhifServiceCreateArgs<BodyRegionConfiguration>) =>
      new BodyRegionService({ configuration, host: { servicesManager, commandsManager, extensionManager } }),
  };
  static readonly EVENTS = EVENTS;

  readonly configuration: BodyRegionConfiguration;
  /** Where each series' result came from, and "Save to archive" (the panel's archive section). */
  readonly resultSources = new ResultSources();
  private readonly host: OhifHost | null;
  private readonly results = new StudyResults((event, state) => this._broadcastEvent(event, state));
  private readonly queue: ClassificationQueue;
  private viewer: ViewerRunner | null = null;
  private session: ViewerSession | null = null;

  constructor(options: BodyRegionServiceOptions = {}) {
    super(EVENTS);
    this.configuration = { ...options.configuration };
    this.host = options.host ?? null;
    this.queue = new ClassificationQueue(this.results, options.runner ?? null, options.summarise ?? summariseForPanel);
  }

  // OHIF's lifecycle: the extension manager calls these on every service.

  /** Any mode entered: a clean slate (our mode then starts a session with its start command). */
  onModeEnter(): void {
    this.endSession();
    this.reset();
  }

  /** The mode exits: the session and the study end, and so does the worker with its model's memory. */
  onModeExit(): void {
    this.endSession();
    this.reset();
    this.viewer?.stopWorker();
  }

  /** Opens the viewer session of the study being opened (the worker starts with its first series). */
  startSession(): ViewerSession {
    if (!this.host) throw new Error('bodyRegionService: no viewer to start a session in');
    this.endSession();
    if (!this.viewer) {
      this.viewer = createViewerRunner(this.host, this);
      this.queue.setRunner(this.viewer.runner);
    }
    this.resultSources.reset();
    this.session = new ViewerSession(this.host, this);
    this.session.start();
    return this.session;
  }

  /** The open session, started if there is none. */
  currentSession(): ViewerSession {
    return this.session ?? this.startSession();
  }

  /** The site corrections of this mode entry, or null before a session made them. */
  site(): SiteController | null {
    return this.viewer?.site ?? null;
  }

  /** "Save to archive": the open study's fresh results as SRs; returns how many were stored. */
  saveToArchive(): Promise<number> {
    return this.viewer?.saveToArchive() ?? Promise.resolve(0);
  }

  stats(): ViewerStats & { userChangedLayout: boolean; layoutsApplied: number } {
    return {
      ...(this.viewer?.stats() ?? { framesFromViewer: 0, cacheHits: 0, readBack: 0 }),
      userChangedLayout: this.session?.userChangedLayout ?? false,
      layoutsApplied: this.session?.layoutsApplied ?? 0,
    };
  }

  // The study's results.

  getState(): StudyView {
    return this.results.getState();
  }

  getSeries(seriesInstanceUID: string): SeriesView | undefined {
    return this.results.getSeries(seriesInstanceUID);
  }

  /** The engine's results (schema body-region-result/1), for export and hanging protocols. */
  getRawResults(): SeriesResult[] {
    return this.results.getRawResults();
  }

  setCursor(cursor: StudyView['cursor']): void {
    this.results.setCursor(cursor);
  }

  linkDisplaySet(seriesInstanceUID: string, displaySetInstanceUID: string): void {
    this.results.linkDisplaySet(seriesInstanceUID, displaySetInstanceUID);
  }

  // The queue.

  /** Replaces the runner (tests; the viewer's comes from startSession). */
  setRunner(runner: ClassificationRunner, summarise?: StudySummariser): void {
    this.queue.setRunner(runner, summarise);
  }

  /** Starts (or restarts) classification of a study; the jobs' order is the order of work. */
  classifyStudy(studyInstanceUID: string, jobs: SeriesJob[]): void {
    this.queue.start(studyInstanceUID, jobs);
  }

  addSeries(jobs: SeriesJob[]): void {
    this.queue.add(jobs);
  }

  prioritise(seriesInstanceUIDs: string[]): void {
    this.queue.prioritise(seriesInstanceUIDs);
  }

  cancel(): void {
    this.queue.cancel();
  }

  /** Forgets the study (called when it closes). */
  reset(): void {
    this.queue.cancel();
    this.results.reset();
  }

  private endSession(): void {
    // ViewerSession.stop resets the study.
    this.session?.stop();
    this.session = null;
  }
}

/** The registered service, as commands, panels and protocols reach it. */
export function bodyRegionServiceOf(host: Pick<OhifHost, 'servicesManager'>): BodyRegionService {
  const service = host.servicesManager.services[SERVICE_NAME];
  if (!(service instanceof BodyRegionService)) throw new Error(`${SERVICE_NAME} is not registered`);
  return service;
}
