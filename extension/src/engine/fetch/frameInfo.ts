import type { FrameMeta } from '../types';

/** Colour look-up table of a PALETTE COLOR image (one entry per stored value from firstMapped on). */
export interface PaletteLut {
  firstMapped: number;
  /** Entry count; 0 in the descriptor means 65536. */
  entries: number;
  bits: 8 | 16;
  red: Uint8Array | Uint16Array;
  green: Uint8Array | Uint16Array;
  blue: Uint8Array | Uint16Array;
}

/**
 * FrameMeta plus what only the pixel decoder needs. The extra fields ride along on the same object,
 * so the rest of the engine sees a plain FrameMeta.
 */
export interface DecodableFrameMeta extends FrameMeta {
  highBit?: number;
  planarConfiguration?: number;
  palette?: PaletteLut;
  /** Index of the frame's instance in the source (Part-10 file list or metadata array). */
  sourceIndex?: number;
}

export function frameKey(frame: Pick<FrameMeta, 'sopInstanceUID' | 'frameNumber'>): string {
  return `${frame.sopInstanceUID}#${frame.frameNumber}`;
}
