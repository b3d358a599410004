/** Registers the extension's hanging protocols (see hangingProtocols/staticProtocols.ts). */
import { staticProtocols } from './hangingProtocols/staticProtocols';

export function getHangingProtocolModule() {
  return staticProtocols();
}
