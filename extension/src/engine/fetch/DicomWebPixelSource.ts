/**
 * PixelSource over DICOMweb: fetch one frame over WADO-RS, decode it by its transfer syntax.
 * When the archive cannot serve a frame on its own (it fails to transcode or to parse it) or the
 * metadata lacks what decoding needs (a palette given only as bulk data), the whole instance is
 * fetched as stored and the frame is taken from it.
 */
import type { FrameMeta, PixelFrame, PixelSource } from '../types';
import { decodeFrame } from './decodeFrame';
import type { DicomWebArchive } from './dicomWebArchive';
import type { DecodableFrameMeta } from './frameInfo';
import { checkFrameSize, framePixelBytes, parsePart10, Part10Instance } from './part10';
import { PixelFormatError } from './pixelConversion';
import { HttpError } from './retry';

/** Frame answers after which the whole instance may still be served. */
const FRAME_UNSERVABLE = new Set([400, 406, 415, 500, 501]);

export class DicomWebPixelSource implements PixelSource {
  /** Frames fetched and bytes received, for throughput reports. */
  readonly stats = { frames: 0, bytes: 0, instanceFallbacks: 0 };
  /** The last few whole instances (multi-frame instances are asked for frame by frame). */
  private readonly instances = new Map<string, Promise<Part10Instance>>();

  constructor(private readonly archive: DicomWebArchive) {}

  async getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame> {
    checkFrameSize(frame);
    const meta = frame as DecodableFrameMeta;
    if (meta.photometricInterpretation === 'PALETTE COLOR' && !meta.palette) return this.fromInstance(frame, signal);
    let retrieved;
    try {
      retrieved = await this.archive.retrieveFrame(frame, signal);
    } catch (error) {
      if (error instanceof HttpError && FRAME_UNSERVABLE.has(error.status)) return this.fromInstance(frame, signal, error);
      throw error;
    }
    this.stats.frames++;
    this.stats.bytes += retrieved.bytes.byteLength;
    return decodeFrame(retrieved.bytes, retrieved.transferSyntaxUID, meta);
  }

  private async fromInstance(frame: FrameMeta, signal?: AbortSignal, cause?: HttpError): Promise<PixelFrame> {
    this.stats.instanceFallbacks++;
    let pending = this.instances.get(frame.sopInstanceUID);
    if (!pending) {
      pending = this.archive.retrieveInstance(frame, signal).then((bytes) => parsePart10(bytes));
      this.instances.set(frame.sopInstanceUID, pending);
      pending.catch(() => this.instances.delete(frame.sopInstanceUID));
      while (this.instances.size > 4) this.instances.delete(this.instances.keys().next().value as string);
    }
    let instance: Part10Instance;
    try {
      instance = await pending;
    } catch (error) {
      // Report the frame failure when the instance is not to be had either.
      throw cause ?? error;
    }
    const own = instance.frames.find((f) => f.frameNumber === frame.frameNumber);
    if (!own) throw new PixelFormatError(`instance ${frame.sopInstanceUID} has no frame ${frame.frameNumber}`);
    this.stats.frames++;
    return decodeFrame(framePixelBytes(instance, own), instance.transferSyntaxUID, own);
  }
}
