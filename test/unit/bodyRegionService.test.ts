// The bodyRegionService as OHIF makes and drives it: registered by the extension through the
// services manager with its configuration, reached through `servicesManager.services`, published
// events, and the mode lifecycle that ends the study and its classification.
import extension from '../../extension/src/ohif/index';
import { BodyRegionService, bodyRegionServiceOf } from '../../extension/src/ohif/services/BodyRegionService';
import type { ClassificationRunner, SeriesJob } from '../../extension/src/ohif/services/jobs';
import type { OhifServiceRegistration, OhifServices } from '../../extension/src/ohif/ohifTypes';
import { EMPTY_STUDY } from '../../extension/src/ohif/services/viewTypes';
import { seriesResult } from '../helpers/seriesResult';

/** A services manager that registers the way OHIF 3.13's does: `create` gets the configuration and the managers. */
function fakeViewer() {
  const attributes: string[] = [];
  const services = {
    hangingProtocolService: { addCustomAttribute: (id: string) => attributes.push(id) },
  } as unknown as OhifServices;
  const commandsManager = { runCommand: () => undefined };
  const extensionManager = { getActiveDataSource: () => [], getModuleEntry: () => undefined };
  const servicesManager = {
    services,
    registerService<S, C>(registration: OhifServiceRegistration<S, C>, configuration?: C) {
      services[registration.name] = registration.create({ configuration, servicesManager, commandsManager, extensionManager });
      if (registration.altName) services[registration.altName] = services[registration.name];
    },
  };
  return { servicesManager, commandsManager, extensionManager, attributes };
}

const job = (uid: string): SeriesJob => ({ studyInstanceUID: 's', seriesInstanceUID: uid, description: uid, modality: 'CT' });

describe('the bodyRegionService in OHIF', () => {
  it('is created by the services manager with the extension configuration and the app config write-back', async () => {
    const viewer = fakeViewer();
    await extension.preRegistration({ ...viewer, configuration: { mode: 'fast' }, appConfig: { bodyRegion: { writeBack: true } } });
    const service = bodyRegionServiceOf(viewer);
    expect(service).toBeInstanceOf(BodyRegionService);
    expect(viewer.servicesManager.services.BodyRegionService).toBe(service);
    expect(service.configuration).toEqual({ mode: 'fast', writeBack: true });
    expect(viewer.attributes).toEqual(['bodyRegion', 'bodyRegions']);
  });

  it('leaves write-back off unless a configuration turns it on', async () => {
    const viewer = fakeViewer();
    await extension.preRegistration({ ...viewer, configuration: {}, appConfig: {} });
    expect(bodyRegionServiceOf(viewer).configuration.writeBack).toBe(false);
  });

  it('says so when asked for before it is registered', () => {
    expect(() => bodyRegionServiceOf(fakeViewer())).toThrow(/bodyRegionService is not registered/);
  });

  it('publishes its events, refuses unknown ones, and stops calling after unsubscribe', async () => {
    const runner: ClassificationRunner = { classify: async (j) => seriesResult({ seriesInstanceUID: j.seriesInstanceUID }) };
    const service = new BodyRegionService({ runner });
    const seen: string[] = [];
    const done = service.subscribe(BodyRegionService.EVENTS.SERIES_DONE, (state) => seen.push(`done:${state.series.length}`));
    const study = service.subscribe(service.EVENTS.STUDY_DONE, (state) => seen.push(`study:${state.status}`));
    expect(() => service.subscribe('event::bodyRegion:typo' as never, () => undefined)).toThrow(/not supported/);
    service.classifyStudy('s', [job('a'), job('b')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['done:2', 'done:2', 'study:done']);
    done.unsubscribe();
    study.unsubscribe();
    service.classifyStudy('s', [job('a')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toHaveLength(3);
  });

  it('on mode exit cancels the running series and forgets the study; the next study is classified again', async () => {
    const signals: AbortSignal[] = [];
    const runner: ClassificationRunner = {
      classify: async (j, _p, signal) => {
        signals.push(signal);
        // The first series never ends, even when aborted: it must not hold up the next study.
        return signals.length === 1 ? new Promise(() => undefined) : seriesResult({ seriesInstanceUID: j.seriesInstanceUID });
      },
    };
    const service = new BodyRegionService({ runner });
    service.classifyStudy('s', [job('a'), job('b')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(service.getState().series.map((s) => s.status)).toEqual(['running', 'queued']);
    service.onModeExit();
    expect(signals.map((s) => s.aborted)).toEqual([true]);
    expect(service.getState()).toEqual(EMPTY_STUDY);
    service.onModeEnter();
    service.classifyStudy('s', [job('c')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(signals).toHaveLength(2);
    expect(service.getState().series.map((s) => s.status)).toEqual(['done']);
  });

  it('cannot start a viewer session without a viewer', () => {
    expect(() => new BodyRegionService().startSession()).toThrow(/no viewer/);
  });
});
