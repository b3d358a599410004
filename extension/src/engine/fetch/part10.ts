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
  /** Bytes of native pixel data the file declares but does not hold (it was cut short); 0 if whole. */
  pixelDataShortBy: number;
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
    parsed = dcmjsData.DicomMessage.readFile(
      buffer,
      options.headerOnly ? { untilTag: '7FE00010', includeUntilTagValue: false } : undefined,
    );
  } catch (error) {
    throw new Part10Error(`not a readable DICOM file: ${(error as Error).message}`);
  }
  const transferSyntaxUID = getString(parsed.meta, Tags.TransferSyntaxUID) ?? '1.2.840.10008.1.2';
  const dataset: DicomJsonDataset = { ...parsed.dict, [Tags.TransferSyntaxUID]: { vr: 'UI', Value: [transferSyntaxUID] } };
  const { frames, skipped } = metadataToFramesWithReasons([dataset]);
  const pixelDataShortBy =
    options.headerOnly || isEncapsulated(transferSyntaxUID) ? 0 : nativePixelDataShortfall(buffer, transferSyntaxUID);
  return { transferSyntaxUID, dataset, frames, skipped, pixelDataShortBy };
}

/**
 * How many bytes a native (7FE0,0010) element declares past the end of the file. dcmjs pads a
 * value that the file cuts short instead of failing, so the declared length is read here from the
 * element headers (little endian; the largest shortfall, so an icon image's pixel data does not
 * hide the main one's).
 */
function nativePixelDataShortfall(buffer: ArrayBuffer, transferSyntaxUID: string): number {
  const implicit = transferSyntaxUID === '1.2.840.10008.1.2';
  if (!implicit && transferSyntaxUID !== '1.2.840.10008.1.2.1') return 0;
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let shortfall = 0;
  for (let i = 132; i + 8 <= bytes.length; i++) {
    if (bytes[i] !== 0xe0 || bytes[i + 1] !== 0x7f || bytes[i + 2] !== 0x10 || bytes[i + 3] !== 0x00) continue;
    const vr = String.fromCharCode(bytes[i + 4], bytes[i + 5]);
    if (!implicit && vr !== 'OW' && vr !== 'OB') continue;
    const header = implicit ? 8 : 12;
    if (i + header > bytes.length) continue;
    const length = view.getUint32(i + header - 4, true);
    if (length !== 0xffffffff) shortfall = Math.max(shortfall, i + header + length - bytes.length);
  }
  return shortfall;
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
    const held = all.length - instance.pixelDataShortBy;
    const length = nativeFrameLength(frame);
    const start = (frame.frameNumber - 1) * length;
    if (start + length > held) {
      throw new Part10Error(
        `pixel data is cut short: frame ${frame.frameNumber} needs bytes ${start}..${start + length}, the file has ${held}`,
      );
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
