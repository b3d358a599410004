/** Commands: classify study, re-run, cancel, jump to region, next/previous region, export, apply layout. */
import { COMMANDS } from './ids';
import type { OhifContext } from './ohifTypes';
import { bodyRegionServiceOf } from './services/BodyRegionService';
import { jumpToRegion, stepRegion } from './services/navigation';
import { downloadResults, resultsDocument } from './exportResults';

export function getCommandsModule(ctx: OhifContext) {
  const service = () => bodyRegionServiceOf(ctx);
  const definitions = {
    [COMMANDS.startSession]: { commandFn: () => service().startSession() },
    [COMMANDS.classifyStudy]: { commandFn: () => service().currentSession().classifyStudy() },
    [COMMANDS.rerun]: { commandFn: () => service().currentSession().classifyStudy() },
    [COMMANDS.cancel]: { commandFn: () => service().cancel() },
    [COMMANDS.jumpToRegion]: {
      commandFn: ({ seriesInstanceUID, segmentIndex = 0 }: { seriesInstanceUID: string; segmentIndex?: number }) =>
        jumpToRegion(ctx, service(), seriesInstanceUID, segmentIndex),
    },
    [COMMANDS.nextRegion]: { commandFn: () => stepRegion(ctx, service(), 1) },
    [COMMANDS.previousRegion]: { commandFn: () => stepRegion(ctx, service(), -1) },
    [COMMANDS.exportResults]: {
      commandFn: ({ download = true }: { download?: boolean } = {}) => (download ? downloadResults(service()) : resultsDocument(service())),
    },
    [COMMANDS.getStats]: { commandFn: () => service().stats() },
    [COMMANDS.applyRegionLayout]: { commandFn: () => service().currentSession().applyRegionLayout('pixels', true) },
  };
  return { definitions, defaultContext: 'DEFAULT' };
}
