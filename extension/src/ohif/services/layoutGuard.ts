/**
 * Remembers whether the user changed the viewer's layout by hand after the study opened, so that
 * late results never override it. Changes made by the extension itself are announced with
 * `expectChange()` and ignored.
 */
import type { OhifContext, OhifSubscription } from '../ohifTypes';

const OWN_CHANGE_WINDOW_MS = 2500;
/** The route applies its first protocol in steps; changes this soon after it are the viewer's own. */
const OPENING_GRACE_MS = 2500;

export class LayoutGuard {
  private subscriptions: OhifSubscription[] = [];
  private ownChangeUntil = 0;
  private openedAt: number | null = null;
  private changedByUser = false;

  constructor(
    private readonly ctx: OhifContext,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const { hangingProtocolService, viewportGridService } = this.ctx.servicesManager.services;
    const onChange = () => this.onLayoutEvent();
    const sub = (
      service: { subscribe?: (e: string, cb: () => void) => OhifSubscription; EVENTS?: Record<string, string> },
      event: string | undefined,
    ) => {
      if (event && service?.subscribe) this.subscriptions.push(service.subscribe(event, onChange));
    };
    sub(hangingProtocolService, hangingProtocolService?.EVENTS?.PROTOCOL_CHANGED);
    sub(viewportGridService, viewportGridService?.EVENTS?.LAYOUT_CHANGED);
    sub(viewportGridService, viewportGridService?.EVENTS?.VIEWPORT_ONDROP_HANDLED);
  }

  stop(): void {
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.subscriptions = [];
  }

  /** The extension is about to change the layout itself. */
  expectChange(): void {
    this.ownChangeUntil = this.now() + OWN_CHANGE_WINDOW_MS;
  }

  get userChangedLayout(): boolean {
    return this.changedByUser;
  }

  private onLayoutEvent(): void {
    const t = this.now();
    if (this.openedAt === null) {
      this.openedAt = t;
      return;
    }
    if (t < this.ownChangeUntil || t - this.openedAt < OPENING_GRACE_MS) return;
    this.changedByUser = true;
  }
}
