/**
 * Node-only: use the codec packages' wasm decoder builds (loaded from node_modules by path), which
 * decode JPEG 2000 about twice as fast as the default builds the browser bundle uses.
 */
import { registerCodecLoader } from '../engine/fetch/codecs';

const quiet = () => ({ print: () => undefined, printErr: () => undefined });

export function useNodeWasmCodecs(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the wasm build is picked by path at run time
  const wasm = (pkg: string) => async () => (require(`${pkg}/decodewasmjs`) as (m: object) => Promise<unknown>)(quiet());
  registerCodecLoader('openjpeg', wasm('@cornerstonejs/codec-openjpeg'));
  registerCodecLoader('charls', wasm('@cornerstonejs/codec-charls'));
  registerCodecLoader('libjpeg-turbo', wasm('@cornerstonejs/codec-libjpeg-turbo-8bit'));
}
