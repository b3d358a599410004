/**
 * DICOM Part-10 files (bytes already in memory) → FrameMeta[] and a PixelSource over their pixel
 * data, native or encapsulated. Pure TypeScript with dcmjs; reading from disk is the host's job.
 */
import * as dcmjs from 'dcmjs';
import type { FrameMeta, PixelFrame, PixelSource } from '../types';
import { DicomJsonDataset, Tags, getString } from './dicomJson';
import { decodeFrame } from './decodeFrame';
import { DecodableFrameMeta, frameKey } from './frameInfo';
import { metadataToFramesWithReasons, SkippedInstance } from './metadataToFrames';
import { nativeFrameLength, PixelFormatError } from './pixelConversion';
import { isEncapsulated, sniffCodec } from './transferSyntax';

export interface Part10Instance {
  transferSyntaxUID: string;
  dataset: DicomJsonDataset;
  frames: DecodableFrameMeta[];
  skipped: SkippedInstance[];
}

interface DcmjsDicomData {
  meta: DicomJsonDataset;
  dict: DicomJsonDataset;
}

const dcmjsData = (dcmjs as unknown as { data: { DicomMessage: { readFile(b: ArrayBuffer, o?: object): DcmjsDicomData } } }).data;
interface Logger {
  setLevel?(level: string): void;
  getLogger?(name: string): Logger;
}
const dcmjsLog = (dcmjs as unknown as { log?: Logger }).log;
// dcmjs warns on every odd VR and short value through its loggers; the engine reports problems itself.
dcmjsLog?.setLevel?.('error');
dcmjsLog?.getLogger?.('validation.dcmjs')?.setLevel?.('silent');

/** Refused before reading or fetching: decoding would need more memory than a browser tab has (8192 x 8192). */
export const MAX_PIXELS_PER_FRAME = 1 << 26;
export function checkFrameSize(frame: Pick<FrameMeta, 'rows' | 'columns'>): void {
  if (!(frame.rows > 0 && frame.columns > 0)) throw new PixelFormatError(`invalid image size ${frame.rows}x${frame.columns}`);
  if (frame.rows * frame.columns > MAX_PIXELS_PER_FRAME) {
    throw new PixelFormatError(`image too large: ${frame.rows}x${frame.columns} pixels (at most ${MAX_PIXELS_PER_FRAME} per frame)`);
  }
}

export class Part10Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Part10Error';
  }
}

/**
 * Parses one Part-10 file. Throws Part10Error when it is not DICOM. `headerOnly` stops before the
 * pixel data (for listing many files cheaply); such an instance cannot give pixels.
 */
export function parsePart10(buffer: ArrayBuffer, options: { headerOnly?: boolean } = {}): Part10Instance {
  let parsed: DcmjsDicomData;
  try {
    parsed = dcmjsData.DicomMessage.readFile(buffer, options.headerOnly ? { untilTag: '7FE00010', includeUntilTagValue: false } : undefined);
  } catch (error) {
    throw new Part10Error(`not a readable DICOM file: ${(error as Error).message}`);
  }
  const transferSyntaxUID = getString(parsed.meta, Tags.TransferSyntaxUID) ?? '1.2.840.10008.1.2';
  const dataset: DicomJsonDataset = { ...parsed.dict, [Tags.TransferSyntaxUID]: { vr: 'UI', Value: [transferSyntaxUID] } };
  const { frames, skipped } = metadataToFramesWithReasons([dataset]);
  return { transferSyntaxUID, dataset, frames, skipped };
}

/** Encoded or native bytes of one frame of a parsed file. */
export function framePixelBytes(instance: Part10Instance, frame: DecodableFrameMeta): Uint8Array {
  const element = instance.dataset[Tags.PixelData];
  const parts = (element?.Value ?? []).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer || ArrayBuffer.isView(v));
  if (parts.length === 0) throw new Part10Error('the file has no pixel data');
  const asBytes = (v: ArrayBuffer | ArrayBufferView) =>
    ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
  if (!isEncapsulated(instance.transferSyntaxUID)) {
    const all = parts.length === 1 ? asBytes(parts[0]) : concat(parts.map(asBytes));
    const length = nativeFrameLength(frame);
    const start = (frame.frameNumber - 1) * length;
    if (start + length > all.length) {
      throw new Part10Error(`pixel data is cut short: frame ${frame.frameNumber} needs bytes ${start}..${start + length}, the file has ${all.length}`);
    }
    return all.subarray(start, start + length);
  }
  const fragments = parts.map(asBytes);
  const frames = groupFragments(fragments, frame.numberOfFrames);
  const encoded = frames[frame.frameNumber - 1];
  if (!encoded) throw new Part10Error(`encapsulated pixel data has no frame ${frame.frameNumber} (${frames.length} found)`);
  return encoded;
}

/**
 * dcmjs gives one item per frame when the basic offset table says so, otherwise one per fragment.
 * Fragments of one frame are joined; frame starts are recognised by their codec header.
 */
function groupFragments(fragments: Uint8Array[], numberOfFrames: number): Uint8Array[] {
  if (fragments.length === numberOfFrames) return fragments;
  if (numberOfFrames === 1) return [concat(fragments)];
  const frames: Uint8Array[][] = [];
  for (const fragment of fragments) {
    if (frames.length === 0 || (sniffCodec(fragment) !== undefined && frames.length < numberOfFrames)) frames.push([fragment]);
    else frames[frames.length - 1].push(fragment);
  }
  return frames.map(concat);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** PixelSource over parsed files: frames are found by SOP instance UID and frame number. */
export class Part10PixelSource implements PixelSource {
  private readonly byKey = new Map<string, { instance: Part10Instance; frame: DecodableFrameMeta }>();

  constructor(instances: Part10Instance[]) {
    for (const instance of instances) for (const frame of instance.frames) this.byKey.set(frameKey(frame), { instance, frame });
  }

  add(instance: Part10Instance): void {
    for (const frame of instance.frames) this.byKey.set(frameKey(frame), { instance, frame });
  }

  async getPixels(frame: FrameMeta): Promise<PixelFrame> {
    checkFrameSize(frame);
    const found = this.byKey.get(frameKey(frame));
    if (!found) throw new Part10Error(`no file holds ${frame.sopInstanceUID} frame ${frame.frameNumber}`);
    const bytes = framePixelBytes(found.instance, found.frame);
    return decodeFrame(bytes, found.instance.transferSyntaxUID, found.frame);
  }
}
