/** PixelSource over DICOMweb: fetch one frame over WADO-RS, decode it by its transfer syntax. */
import type { FrameMeta, PixelFrame, PixelSource } from '../types';
import { decodeFrame } from './decodeFrame';
import type { DicomWebArchive } from './dicomWebArchive';
import type { DecodableFrameMeta } from './frameInfo';

export class DicomWebPixelSource implements PixelSource {
  /** Frames fetched and bytes received, for throughput reports. */
  readonly stats = { frames: 0, bytes: 0 };
  constructor(private readonly archive: DicomWebArchive) {}

  async getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame> {
    const retrieved = await this.archive.retrieveFrame(frame, signal);
    this.stats.frames++;
    this.stats.bytes += retrieved.bytes.byteLength;
    return decodeFrame(retrieved.bytes, retrieved.transferSyntaxUID, frame as DecodableFrameMeta);
  }
}
