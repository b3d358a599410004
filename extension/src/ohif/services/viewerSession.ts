/**
 * One open study in the viewer: starts classification by itself (series in viewports first, then the
 * rest), re-applies the "by region" layout as results arrive (unless the user changed the layout),
 * and cancels everything when the study closes.
 */
import type { OhifContext, OhifSubscription } from '../ohifTypes';
import { PROTOCOL_BY_REGION } from '../ids';
import type { BodyRegionService } from './BodyRegionService';
import { activeDisplaySets, displaySetsInViewports, isClassifiable, jobsFor } from './displaySets';
import { LayoutGuard } from './layoutGuard';
import { bestPerRegion, buildByRegionProtocol, RegionCandidate, regionViewportId } from '../hangingProtocols/buildByRegionProtocol';
import { candidatesFromResults, candidatesFromTags } from './regionLayout';
import { labelViewport } from './viewportLabels';
import { appearanceOf } from '../appearance';
import { nextViewportData, reportViewportError, setSlice, StackViewportLike, ViewportWaitError } from './viewportReady';

/** Display sets arrive in bursts while a study loads: one sync per burst. */
const SETTLE_MS = 400;

export class ViewerSession {
  private subscriptions: OhifSubscription[] = [];
  private readonly guard: LayoutGuard;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private appliedSignature = '';
  private stopped = false;
  /** Waits of the last by-region layout for its viewports; a newer layout or stop() cancels them. */
  private positioning: AbortController | null = null;
  private tagLayoutPending: OhifSubscription | null = null;
  /** How many times the by-region layout was applied (tests wait on it instead of on time). */
  layoutsApplied = 0;

  constructor(
    private readonly ctx: OhifContext,
    private readonly service: BodyRegionService,
  ) {
    this.guard = new LayoutGuard(ctx);
  }

  start(): void {
    const { displaySetService, hangingProtocolService, viewportGridService } = this.ctx.servicesManager.services;
    this.guard.start();
    const onDisplaySets = () => this.scheduleSync();
    for (const event of [displaySetService.EVENTS?.DISPLAY_SETS_ADDED, displaySetService.EVENTS?.DISPLAY_SETS_CHANGED]) {
      if (event) this.subscriptions.push(displaySetService.subscribe(event, onDisplaySets));
    }
    const onViewports = () => this.service.prioritise(this.seriesInViewports());
    for (const [svc, event] of [
      [hangingProtocolService, hangingProtocolService.EVENTS?.PROTOCOL_CHANGED],
      [viewportGridService, viewportGridService.EVENTS?.GRID_STATE_CHANGED],
    ] as const) {
      if (event) this.subscriptions.push(svc.subscribe(event, onViewports));
    }
    this.subscriptions.push(this.service.subscribe(this.service.EVENTS.SERIES_DONE, () => this.applyRegionLayout('pixels')));
    this.scheduleSync();
  }

  stop(): void {
    this.stopped = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.positioning?.abort();
    this.tagLayoutPending?.unsubscribe();
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.subscriptions = [];
    this.guard.stop();
    this.service.reset();
  }

  /** (Re)classifies every CT and MR series of the open study. */
  classifyStudy(): void {
    const jobs = this.orderedJobs();
    if (!jobs.length) return;
    // New results may call for the layout again (still only if the user did not change it).
    this.appliedSignature = '';
    this.service.classifyStudy(jobs[0].studyInstanceUID, jobs);
    this.linkDisplaySets();
  }

  get userChangedLayout(): boolean {
    return this.guard.userChangedLayout;
  }

  /**
   * Builds the "by region" protocol from the best evidence there is and applies it, unless the user
   * changed the layout by hand (force overrides that, e.g. from the command).
   */
  applyRegionLayout(source: 'pixels' | 'tags', force = false): boolean {
    if (this.stopped) return false;
    if (!force && this.guard.userChangedLayout) return false;
    const { hangingProtocolService } = this.ctx.servicesManager.services;
    const active = hangingProtocolService.getActiveProtocol?.()?.protocol?.id;
    if (!force && active && active !== PROTOCOL_BY_REGION) return false;
    const candidates: RegionCandidate[] =
      source === 'pixels' ? candidatesFromResults(this.ctx, this.service) : candidatesFromTags(this.ctx);
    const appearance = appearanceOf(this.ctx);
    const chosen = bestPerRegion(candidates, undefined, appearance.layoutRegions);
    if (!chosen.length) return false;
    const signature = chosen.map((c) => `${c.region}:${c.seriesInstanceUID}:${c.imageIndex}`).join('|');
    if (!force && signature === this.appliedSignature) return false;
    this.appliedSignature = signature;
    hangingProtocolService.addProtocol(PROTOCOL_BY_REGION, buildByRegionProtocol(chosen, source));
    // Listen for the viewports before asking for them, so that no answer comes first.
    void this.positionViewports(chosen, appearance.regionName);
    let applied: unknown;
    try {
      applied = this.ctx.commandsManager.runCommand('setHangingProtocol', { protocolId: PROTOCOL_BY_REGION, stageIndex: 0, reset: true });
    } catch (error) {
      applied = false;
      console.warn('[body-region] could not apply the by-region layout', error);
    }
    if (applied === false) {
      this.positioning?.abort();
      return false;
    }
    this.layoutsApplied++;
    return true;
  }

  /**
   * When the viewer says a region viewport is built, it gets its region's caption and is checked to
   * show its region's first slice (set there if not: the viewer may have restored a remembered
   * position over the protocol's initialImageOptions, see buildByRegionProtocol.ts).
   */
  private positionViewports(chosen: RegionCandidate[], regionName: (label: string) => string): Promise<void> {
    this.positioning?.abort();
    const controller = new AbortController();
    this.positioning = controller;
    const each = chosen.map(async (c) => {
      const viewportId = regionViewportId(c.region);
      try {
        const viewport: StackViewportLike = await nextViewportData(this.ctx, viewportId, c.displaySetInstanceUID, {
          signal: controller.signal,
          keptOnLayout: true,
        });
        if (!labelViewport(viewportId, c.region, regionName(c.region)))
          console.warn(`[body-region] viewport ${viewportId} has no element to caption`);
        if (c.imageIndex !== null && !setSlice(viewport, c.imageIndex)) {
          throw new ViewportWaitError(`viewport ${viewportId} has no image ${c.imageIndex + 1} to show`);
        }
      } catch (error) {
        reportViewportError(this.ctx, error);
      }
    });
    return Promise.all(each).then(() => undefined);
  }

  private scheduleSync(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.sync(), SETTLE_MS);
  }

  /** Queues series the service does not know yet; starts the study on its first display sets. */
  private sync(): void {
    if (this.stopped) return;
    const jobs = this.orderedJobs();
    if (!jobs.length) return;
    const state = this.service.getState();
    if (state.studyInstanceUID !== jobs[0].studyInstanceUID) {
      this.service.classifyStudy(jobs[0].studyInstanceUID, jobs);
      // Before results, arrange viewports by the regions the DICOM tags claim.
      this.afterViewerProtocol(jobs[0].studyInstanceUID, () => this.applyRegionLayout('tags'));
    } else {
      this.service.addSeries(jobs);
    }
    this.linkDisplaySets();
  }

  /**
   * Runs `then` once the viewer has hung the study with its own protocol (at once if it has): a
   * layout applied before that would be replaced by the viewer's.
   */
  private afterViewerProtocol(studyInstanceUID: string, then: () => void): void {
    const { hangingProtocolService } = this.ctx.servicesManager.services;
    this.tagLayoutPending?.unsubscribe();
    this.tagLayoutPending = null;
    if (hangingProtocolService.getState?.()?.activeStudyUID === studyInstanceUID) return then();
    const event: string | undefined = hangingProtocolService.EVENTS?.PROTOCOL_CHANGED;
    if (!event) return;
    this.tagLayoutPending = hangingProtocolService.subscribe(event, () => {
      this.tagLayoutPending?.unsubscribe();
      this.tagLayoutPending = null;
      // Not from inside the viewer's broadcast: its own listeners are still laying out its protocol.
      queueMicrotask(() => {
        if (!this.stopped) then();
      });
    });
  }

  private orderedJobs() {
    const shown = new Set(displaySetsInViewports(this.ctx));
    const all = activeDisplaySets(this.ctx).filter(isClassifiable);
    // Only the study the viewer opened: prior studies loaded in the study browser are not ours to label.
    const activeStudy: string | undefined =
      this.ctx.servicesManager.services.hangingProtocolService.getState?.()?.activeStudyUID || all[0]?.StudyInstanceUID;
    const displaySets = all.filter((ds) => ds.StudyInstanceUID === activeStudy);
    const inView = displaySets.filter((ds) => shown.has(ds.displaySetInstanceUID));
    const rest = displaySets
      .filter((ds) => !shown.has(ds.displaySetInstanceUID))
      .sort((a, b) => (Number(a.SeriesNumber) || 0) - (Number(b.SeriesNumber) || 0));
    return jobsFor([...inView, ...rest]);
  }

  private seriesInViewports(): string[] {
    const { displaySetService } = this.ctx.servicesManager.services;
    return displaySetsInViewports(this.ctx)
      .map((uid) => displaySetService.getDisplaySetByUID(uid)?.SeriesInstanceUID)
      .filter((uid): uid is string => !!uid);
  }

  private linkDisplaySets(): void {
    for (const ds of activeDisplaySets(this.ctx)) {
      const known = this.service.getSeries(ds.SeriesInstanceUID);
      if (known && !known.displaySetInstanceUID && isClassifiable(ds))
        this.service.linkDisplaySet(ds.SeriesInstanceUID, ds.displaySetInstanceUID);
    }
  }
}
