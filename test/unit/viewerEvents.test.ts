// The viewer glue that follows the viewer's events instead of timers: the manual-layout guard and
// putting a viewport on a slice once the viewer says it is built. The services are small in-process
// publishers with OHIF 3.13's event names and payloads.
import { LayoutGuard } from '../../extension/src/ohif/services/layoutGuard';
import { nextViewportData, ViewportWaitError } from '../../extension/src/ohif/services/viewportReady';
import { showImage } from '../../extension/src/ohif/services/navigation';
import type { OhifContext } from '../../extension/src/ohif/ohifTypes';

class Publisher {
  private listeners = new Map<string, Array<(payload: unknown) => void>>();
  constructor(readonly EVENTS: Record<string, string>) {}
  subscribe(event: string, callback: (payload: unknown) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback]);
    return {
      unsubscribe: () =>
        this.listeners.set(
          event,
          (this.listeners.get(event) ?? []).filter((c) => c !== callback),
        ),
    };
  }
  publish(event: string, payload?: unknown) {
    for (const callback of this.listeners.get(event) ?? []) callback(payload);
  }
  count(event: string) {
    return this.listeners.get(event)?.length ?? 0;
  }
}

function fakeViewer() {
  const hangingProtocolService = new Publisher({ PROTOCOL_CHANGED: 'event::hanging_protocol_changed' });
  const grid = { isHangingProtocolLayout: false, activeViewportId: 'vp1', shown: new Map<string, string[]>() };
  const viewportGridService = Object.assign(
    new Publisher({ LAYOUT_CHANGED: 'event::layoutChanged', VIEWPORT_ONDROP_HANDLED: 'event::viewportOnDropHandled' }),
    {
      getState: () => ({ isHangingProtocolLayout: grid.isHangingProtocolLayout }),
      getActiveViewportId: () => grid.activeViewportId,
      getDisplaySetsUIDsForViewport: (id: string) => grid.shown.get(id),
      setDisplaySetsForViewport: jest.fn(),
    },
  );
  const stacks = new Map<string, { ids: string[]; index: number }>();
  const cornerstoneViewport = (id: string) => {
    const stack = stacks.get(id);
    return stack
      ? {
          getImageIds: () => stack.ids,
          getCurrentImageIdIndex: () => stack.index,
          setImageIdIndex: (i: number) => ((stack.index = i), Promise.resolve()),
        }
      : undefined;
  };
  const cornerstoneViewportService = Object.assign(
    new Publisher({ VIEWPORT_DATA_CHANGED: 'event::cornerstoneViewportService:viewportDataChanged' }),
    { getCornerstoneViewport: cornerstoneViewport },
  );
  const ctx = {
    servicesManager: { services: { hangingProtocolService, viewportGridService, cornerstoneViewportService } },
  } as unknown as OhifContext;
  /** The viewer (re)builds a viewport with a display set of `images` images, at `restoredIndex`. */
  const build = (viewportId: string, displaySetInstanceUID: string, images: number, restoredIndex = 0) => {
    grid.shown.set(viewportId, [displaySetInstanceUID]);
    stacks.set(viewportId, { ids: Array.from({ length: images }, (_, i) => `img${i}`), index: restoredIndex });
    cornerstoneViewportService.publish(cornerstoneViewportService.EVENTS.VIEWPORT_DATA_CHANGED, {
      viewportId,
      viewportData: { data: [{ displaySetInstanceUID }] },
    });
  };
  return { ctx, grid, hangingProtocolService, viewportGridService, cornerstoneViewportService, stacks, build };
}

describe('LayoutGuard', () => {
  it('takes protocol layouts (the opening, its own) as the viewer’s, and the layout menu as the user’s', () => {
    const viewer = fakeViewer();
    const guard = new LayoutGuard(viewer.ctx);
    guard.start();
    const protocol = () => viewer.hangingProtocolService.publish('event::hanging_protocol_changed', { protocol: { id: 'p' } });
    const layout = (fromProtocol: boolean) => {
      viewer.grid.isHangingProtocolLayout = fromProtocol;
      viewer.viewportGridService.publish('event::layoutChanged', { numRows: 1, numCols: 2 });
    };
    protocol(); // the route hangs the study
    layout(true);
    protocol(); // the extension re-applies by region, twice before the grid follows
    protocol();
    layout(true);
    layout(true);
    expect(guard.userChangedLayout).toBe(false);
    layout(false); // the layout menu
    expect(guard.userChangedLayout).toBe(true);
  });

  it('takes a protocol-flagged layout with no protocol before it (one-up toggle) and a drop as the user’s', () => {
    const toggled = fakeViewer();
    const guard = new LayoutGuard(toggled.ctx);
    guard.start();
    toggled.grid.isHangingProtocolLayout = true;
    toggled.viewportGridService.publish('event::layoutChanged', {});
    expect(guard.userChangedLayout).toBe(true);

    const dropped = fakeViewer();
    const other = new LayoutGuard(dropped.ctx);
    other.start();
    dropped.viewportGridService.publish('event::viewportOnDropHandled', {});
    expect(other.userChangedLayout).toBe(true);
    other.stop();
    expect(dropped.viewportGridService.count('event::viewportOnDropHandled')).toBe(0);
  });
});

describe('a viewport on a slice, when the viewer says it is built', () => {
  it('waits for the viewport and display set asked for, whatever else the viewer builds first', async () => {
    const viewer = fakeViewer();
    const wait = nextViewportData(viewer.ctx, 'vp1', 'ds-a');
    viewer.build('vp2', 'ds-a', 5); // another viewport
    viewer.build('vp1', 'ds-old', 5); // the viewport, still with the display set it had
    viewer.build('vp1', 'ds-a', 5);
    const viewport = await wait;
    expect(viewport.getImageIds?.()).toHaveLength(5);
    expect(viewer.cornerstoneViewportService.count('event::cornerstoneViewportService:viewportDataChanged')).toBe(0);
  });

  it('takes a viewport that a new layout kept as it was (built, with the display set) when the layout changes', async () => {
    const viewer = fakeViewer();
    viewer.build('vp1', 'ds-a', 5); // built by an earlier layout
    viewer.build('vp2', 'ds-old', 5);
    const kept = nextViewportData(viewer.ctx, 'vp1', 'ds-a', { keptOnLayout: true });
    const rebuilt = nextViewportData(viewer.ctx, 'vp2', 'ds-b', { keptOnLayout: true });
    let rebuiltDone = false;
    void rebuilt.then(() => (rebuiltDone = true));
    viewer.viewportGridService.publish('event::layoutChanged', { numRows: 1, numCols: 2 });
    expect((await kept).getImageIds?.()).toHaveLength(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rebuiltDone).toBe(false); // vp2 still shows another display set: wait for its rebuild
    viewer.build('vp2', 'ds-b', 7);
    expect((await rebuilt).getImageIds?.()).toHaveLength(7);
    expect(viewer.viewportGridService.count('event::layoutChanged')).toBe(0);
  });

  it('fails with a clear error after its bound, or quietly when cancelled', async () => {
    const viewer = fakeViewer();
    await expect(nextViewportData(viewer.ctx, 'vp1', 'ds-a', { timeoutMs: 20 })).rejects.toThrow(
      new ViewportWaitError('viewport vp1 did not show display set ds-a within 0.02 s'),
    );
    const controller = new AbortController();
    const cancelled = nextViewportData(viewer.ctx, 'vp1', 'ds-a', { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toThrow(/cancelled/);
    expect(viewer.cornerstoneViewportService.count('event::cornerstoneViewportService:viewportDataChanged')).toBe(0);
  });

  it('puts a new series in the active viewport and sets the slice over the position the viewer restored', async () => {
    const viewer = fakeViewer();
    showImage(viewer.ctx, 'ds-b', 7);
    expect(viewer.viewportGridService.setDisplaySetsForViewport).toHaveBeenCalledWith(
      expect.objectContaining({
        viewportId: 'vp1',
        displaySetInstanceUIDs: ['ds-b'],
        viewportOptions: { initialImageOptions: { index: 7 } },
      }),
    );
    viewer.build('vp1', 'ds-b', 10, 2); // the viewer restores slice 2 of an earlier visit
    await new Promise((resolve) => setImmediate(resolve));
    expect(viewer.stacks.get('vp1')!.index).toBe(7);
    // Already shown: straight to the slice, nothing rebuilt.
    showImage(viewer.ctx, 'ds-b', 3);
    expect(viewer.stacks.get('vp1')!.index).toBe(3);
    expect(viewer.viewportGridService.setDisplaySetsForViewport).toHaveBeenCalledTimes(1);
  });

  it('says so when the series has no such slice', async () => {
    const viewer = fakeViewer();
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    showImage(viewer.ctx, 'ds-c', 30);
    viewer.build('vp1', 'ds-c', 10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toHaveBeenCalledWith('[body-region] viewport vp1 has no image 31 to show');
    logged.mockRestore();
  });
});
