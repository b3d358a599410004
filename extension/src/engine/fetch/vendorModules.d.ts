// Minimal typings for the codec packages, which ship none (or point at a missing file).

interface CornerstoneFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface CornerstoneDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): CornerstoneFrameInfo;
  decode(): void;
  delete(): void;
}

interface CornerstoneEncoder {
  getDecodedBuffer(frameInfo: CornerstoneFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  delete(): void;
  setNearLossless?(nearLossless: number): void;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit' {
  const factory: (module?: object) => Promise<{ JPEGDecoder: new () => CornerstoneDecoder; JPEGEncoder: new () => CornerstoneEncoder }>;
  export = factory;
}
declare module '@cornerstonejs/codec-charls' {
  const factory: (module?: object) => Promise<{ JpegLSDecoder: new () => CornerstoneDecoder; JpegLSEncoder: new () => CornerstoneEncoder }>;
  export = factory;
}
declare module '@cornerstonejs/codec-openjpeg' {
  const factory: (module?: object) => Promise<{ J2KDecoder: new () => CornerstoneDecoder; J2KEncoder: new () => CornerstoneEncoder }>;
  export = factory;
}
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    decode(buffer?: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
// dcmjs ships no typings; callers cast the few entry points they use.
declare module 'dcmjs';
