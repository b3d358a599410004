/** `--adapter <file>`: reads a `body-region-adapter/2` (or /1) file and checks it against the loaded model. */
import { readFileSync } from 'fs';
import { AdapterError, parseAdapter, type SiteAdapter } from '../engine/adapt/adapter';
import { CliError, ExitCode } from './exitCodes';

/** The adapter in `file`, checked against `model` (an adapter of another model is refused). */
export function readAdapterFile(file: string, model: Parameters<SiteAdapter['checkModel']>[0]): SiteAdapter {
  let adapter: SiteAdapter;
  try {
    adapter = parseAdapter(JSON.parse(readFileSync(file, 'utf8')));
    adapter.checkModel(model);
  } catch (e) {
    const reason = e instanceof AdapterError || e instanceof SyntaxError ? e.message : (e as Error).message;
    throw new CliError(`adapter ${file} cannot be used: ${reason}`, ExitCode.Usage);
  }
  return adapter;
}
