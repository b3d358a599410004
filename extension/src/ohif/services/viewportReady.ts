/**
 * Acting on a viewport once the viewer has put a display set in it, on the viewer's own event
 * instead of polling: cornerstoneViewportService broadcasts VIEWPORT_DATA_CHANGED after a
 * viewport's stack is set, and after it restored the display set's earlier position (which wins
 * over a protocol's initialImageOptions), so a slice set then stays. A bounded wait is only a
 * failure guard: when it runs out the caller is told, nothing is guessed.
 */
import type { OhifContext, OhifSubscription } from '../ohifTypes';

/** The part of a cornerstone stack viewport used here. */
export interface StackViewportLike {
  getImageIds?(): string[];
  getCurrentImageIdIndex?(): number;
  setImageIdIndex?(index: number): unknown;
}

/** How long a viewport may take to show its display set before that counts as a failure. */
export const VIEWPORT_TIMEOUT_MS = 30000;

export class ViewportWaitError extends Error {
  override name = 'ViewportWaitError';
}

interface DataChanged {
  viewportId?: string;
  viewportData?: { data?: Array<{ displaySetInstanceUID?: string }> | { displaySetInstanceUID?: string } };
}

function displaySetOf(event: DataChanged): string | undefined {
  const data = event.viewportData?.data;
  return Array.isArray(data) ? data[0]?.displaySetInstanceUID : data?.displaySetInstanceUID;
}

/**
 * Resolves with the cornerstone viewport the next time the viewer (re)builds `viewportId` with
 * `displaySetInstanceUID`; rejects with a ViewportWaitError after `timeoutMs`, or when `signal` aborts.
 * With `keptOnLayout`, also when the grid's next LAYOUT_CHANGED finds the viewport already built
 * with that display set: a new layout keeps such a viewport as it is, without rebuilding it (OHIF's
 * viewport component is memoised on its display sets). Should it still be rebuilt, the protocol's
 * initialImageOptions apply (buildByRegionProtocol.ts gives each target slice its own position key).
 */
export function nextViewportData(
  ctx: OhifContext,
  viewportId: string,
  displaySetInstanceUID: string,
  options: { signal?: AbortSignal; timeoutMs?: number; keptOnLayout?: boolean } = {},
): Promise<StackViewportLike> {
  const service = ctx.servicesManager.services.cornerstoneViewportService;
  const event: string | undefined = service?.EVENTS?.VIEWPORT_DATA_CHANGED;
  if (!event) return Promise.reject(new ViewportWaitError('the viewer has no cornerstoneViewportService (VIEWPORT_DATA_CHANGED)'));
  const timeoutMs = options.timeoutMs ?? VIEWPORT_TIMEOUT_MS;
  const grid = ctx.servicesManager.services.viewportGridService;
  return new Promise((resolve, reject) => {
    let subscription: OhifSubscription | null = null;
    let layoutSubscription: OhifSubscription | null = null;
    const done = () => {
      subscription?.unsubscribe();
      layoutSubscription?.unsubscribe();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new ViewportWaitError(`waiting for viewport ${viewportId} was cancelled`));
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new ViewportWaitError(`viewport ${viewportId} did not show display set ${displaySetInstanceUID} within ${timeoutMs / 1000} s`),
      );
    }, timeoutMs);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    // Our listeners run inside the viewer's broadcast: a throw there would skip the viewer's own.
    const guarded =
      <A extends unknown[]>(listener: (...args: A) => void) =>
      (...args: A) => {
        try {
          listener(...args);
        } catch (error) {
          done();
          reject(error);
        }
      };
    subscription = service.subscribe(
      event,
      guarded((changed: DataChanged) => {
        if (changed?.viewportId !== viewportId || displaySetOf(changed) !== displaySetInstanceUID) return;
        const viewport: StackViewportLike | undefined = service.getCornerstoneViewport?.(viewportId) ?? undefined;
        if (!viewport) return;
        done();
        resolve(viewport);
      }),
    );
    const layoutChanged: string | undefined = grid?.EVENTS?.LAYOUT_CHANGED;
    if (options.keptOnLayout && layoutChanged) {
      layoutSubscription = grid.subscribe(
        layoutChanged,
        guarded(() => {
          layoutSubscription?.unsubscribe();
          // The grid's word, not ViewportInfo.hasDisplaySet (in 3.13 it misreads stack viewport data).
          const kept = (grid.getDisplaySetsUIDsForViewport?.(viewportId) ?? []).includes(displaySetInstanceUID);
          const viewport: StackViewportLike | undefined = kept ? (service.getCornerstoneViewport?.(viewportId) ?? undefined) : undefined;
          if (!viewport?.getImageIds?.()?.length) return; // not built yet: its VIEWPORT_DATA_CHANGED will come
          done();
          resolve(viewport);
        }),
      );
    }
  });
}

/** Shows image `index` of the viewport's stack; false when the stack is shorter or not a stack. */
export function setSlice(viewport: StackViewportLike, index: number): boolean {
  const count = viewport.getImageIds?.()?.length ?? 0;
  if (count <= index || typeof viewport.setImageIdIndex !== 'function') return false;
  if (viewport.getCurrentImageIdIndex?.() !== index) {
    // cornerstone answers with a promise that rejects when the image cannot load: say so, do not lose it.
    Promise.resolve(viewport.setImageIdIndex(index)).catch((error: unknown) =>
      console.warn('[body-region] could not show slice', index, error),
    );
  }
  return true;
}

/** Says what went wrong in the console and, where the viewer has one, in a notification. */
export function reportViewportError(ctx: OhifContext, error: unknown): void {
  if (error instanceof ViewportWaitError && /cancelled/.test(error.message)) return;
  const message = `[body-region] ${(error as Error)?.message ?? String(error)}`;
  console.error(message);
  ctx.servicesManager.services.uiNotificationService?.show?.({ title: 'Body region', message, type: 'error', duration: 5000 });
}
