/** Commands: classify study, re-run, cancel, jump to region, next/previous region, export, apply layout. */
import { COMMANDS } from './ids';
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import { jumpToRegion, stepRegion } from './services/navigation';
import { downloadResults, resultsDocument } from './exportResults';
import { startSession } from './session';

export function getCommandsModule(ctx: OhifContext) {
  const session = () => runtime.session ?? startSession(ctx);
  const definitions = {
    [COMMANDS.startSession]: { commandFn: () => startSession(ctx) },
    [COMMANDS.classifyStudy]: { commandFn: () => session().classifyStudy() },
    [COMMANDS.rerun]: { commandFn: () => session().classifyStudy() },
    [COMMANDS.cancel]: { commandFn: () => runtime.service.cancel() },
    [COMMANDS.jumpToRegion]: {
      commandFn: ({ seriesInstanceUID, segmentIndex = 0 }: { seriesInstanceUID: string; segmentIndex?: number }) =>
        jumpToRegion(ctx, runtime.service, seriesInstanceUID, segmentIndex),
    },
    [COMMANDS.nextRegion]: { commandFn: () => stepRegion(ctx, runtime.service, 1) },
    [COMMANDS.previousRegion]: { commandFn: () => stepRegion(ctx, runtime.service, -1) },
    [COMMANDS.exportResults]: {
      commandFn: ({ download = true }: { download?: boolean } = {}) =>
        download ? downloadResults(runtime.service) : resultsDocument(runtime.service),
    },
    [COMMANDS.getStats]: {
      commandFn: () => ({
        framesFromViewer: runtime.runner?.framesFromViewer ?? 0,
        userChangedLayout: runtime.session?.userChangedLayout ?? false,
        layoutsApplied: runtime.session?.layoutsApplied ?? 0,
      }),
    },
    [COMMANDS.applyRegionLayout]: { commandFn: () => session().applyRegionLayout('pixels', true) },
  };
  return { definitions, defaultContext: 'DEFAULT' };
}
