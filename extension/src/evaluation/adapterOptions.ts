/** The adapter method's options, shared by `adapt` and `evaluate --simulate-sites`. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ADAPTER_METHOD, SITE_MEMORY, type AdapterMethod } from '../engine/adapt/adapter';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError('expected a positive number');
  return n;
}
function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && Number.isFinite(n))) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

export interface AdapterMethodFlags {
  lambda: number;
  replayWeight: number;
  freeClasses: AdapterMethod['freeClasses'];
  replayTargets: NonNullable<AdapterMethod['replayTargets']>;
  memoryWeight: number;
}

export function addAdapterMethodOptions(cmd: Command, note = ''): Command {
  return cmd
    .option('--lambda <x>', `${note}L2 pull towards the shipped head`, positiveNumber, DEFAULT_ADAPTER_METHOD.lambda)
    .option(
      '--replay-weight <x>',
      `${note}weight of the replay set's mean loss (0: no replay)`,
      nonNegativeNumber,
      DEFAULT_ADAPTER_METHOD.replayWeight,
    )
    .addOption(
      new Option('--free-classes <which>', `${note}which classes' rows may move`)
        .choices(['all', 'corrected'])
        .default(DEFAULT_ADAPTER_METHOD.freeClasses),
    )
    .addOption(
      new Option('--replay-targets <what>', `${note}fit the replay set to its labels or to the base head's probabilities`)
        .choices(['labels', 'base'])
        .default(DEFAULT_ADAPTER_METHOD.replayTargets ?? 'labels'),
    )
    .option(
      '--memory-weight <x>',
      `${note}site memory: largest share of the corrections' vote (docs/ADAPTATION.md; tried: ${SITE_MEMORY.weight}; 0: head only)`,
      nonNegativeNumber,
      DEFAULT_ADAPTER_METHOD.memory?.weight ?? 0,
    );
}

export const methodOf = (flags: AdapterMethodFlags): AdapterMethod => ({
  lambda: flags.lambda,
  replayWeight: flags.replayWeight,
  freeClasses: flags.freeClasses,
  replayTargets: flags.replayTargets,
  // An explicit undefined switches the default memory off.
  memory: flags.memoryWeight > 0 ? { k: SITE_MEMORY.k, weight: Math.min(1, flags.memoryWeight) } : undefined,
});
