/**
 * Remembers whether the user changed the viewer's layout by hand after the study opened, so that
 * late results never override it. It tells the hands apart by what the viewer says, not by time:
 * - a hanging protocol lays out its grid after announcing itself (PROTOCOL_CHANGED, then
 *   LAYOUT_CHANGED with the grid state's `isHangingProtocolLayout` set), whether the viewer, the
 *   route or this extension applied it;
 * - the layout menu (`setViewportGridLayout`) lays out a grid with `isHangingProtocolLayout` unset;
 * - a one-up toggle (double click) lays out a grid with no protocol announced before it;
 * - a series dropped on a viewport is announced by VIEWPORT_ONDROP_HANDLED.
 */
import type { OhifContext, OhifSubscription } from '../ohifTypes';

export class LayoutGuard {
  private subscriptions: OhifSubscription[] = [];
  /** Protocols announced whose grid has not been laid out yet. */
  private protocolLayoutsDue = 0;
  private changedByUser = false;

  constructor(private readonly ctx: OhifContext) {}

  start(): void {
    const { hangingProtocolService, viewportGridService } = this.ctx.servicesManager.services;
    const sub = (
      service: { subscribe?: (e: string, cb: () => void) => OhifSubscription; EVENTS?: Record<string, string> } | undefined,
      event: string | undefined,
      callback: () => void,
    ) => {
      if (event && service?.subscribe) this.subscriptions.push(service.subscribe(event, callback));
    };
    sub(hangingProtocolService, hangingProtocolService?.EVENTS?.PROTOCOL_CHANGED, () => this.protocolLayoutsDue++);
    sub(viewportGridService, viewportGridService?.EVENTS?.LAYOUT_CHANGED, () => this.onLayoutChanged());
    sub(viewportGridService, viewportGridService?.EVENTS?.VIEWPORT_ONDROP_HANDLED, () => (this.changedByUser = true));
  }

  stop(): void {
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.subscriptions = [];
  }

  get userChangedLayout(): boolean {
    return this.changedByUser;
  }

  private onLayoutChanged(): void {
    const fromProtocol = this.ctx.servicesManager.services.viewportGridService?.getState?.()?.isHangingProtocolLayout === true;
    if (fromProtocol && this.protocolLayoutsDue > 0) {
      this.protocolLayoutsDue--;
      return;
    }
    this.changedByUser = true;
  }
}
