/**
 * Frames the viewer has already loaded, from cornerstone's image cache (the viewer's cornerstone, see
 * ../viewerCornerstone.ts), so the worker need not fetch them again. Values go back to stored
 * pixel values: cornerstone may have applied the modality LUT already ("prescaled"), while the
 * engine applies the slope and intercept of the metadata itself.
 */
import type { PixelsAnswer, PixelsRequest } from '../worker/protocol';

interface CornerstoneImage {
  rows: number;
  columns: number;
  color?: boolean;
  getPixelData(): ArrayLike<number> & { slice?: () => unknown; length: number };
  preScale?: { scaled?: boolean; scalingParameters?: { rescaleSlope?: number; rescaleIntercept?: number; suvbw?: number } };
}

export interface CornerstoneLike {
  cache?: { getImage?: (imageId: string) => CornerstoneImage | undefined };
}

export function viewerImageId(
  wadoRoot: string,
  r: Pick<PixelsRequest, 'studyInstanceUID' | 'seriesInstanceUID' | 'sopInstanceUID' | 'frameNumber'>,
): string {
  const root = wadoRoot.replace(/\/+$/, '');
  return `wadors:${root}/studies/${r.studyInstanceUID}/series/${r.seriesInstanceUID}/instances/${r.sopInstanceUID}/frames/${r.frameNumber}`;
}

/** The cached frame as stored values, or null when the viewer does not have it (or it is colour / SUV-scaled). */
export function cachedFrame(cornerstone: CornerstoneLike | undefined, imageId: string): PixelsAnswer['frame'] {
  let image: CornerstoneImage | undefined;
  try {
    image = cornerstone?.cache?.getImage?.(imageId);
  } catch {
    return null;
  }
  if (!image || image.color) return null;
  const pixels = image.getPixelData();
  if (!pixels || pixels.length !== image.rows * image.columns) return null;
  const scaling = image.preScale?.scaled ? (image.preScale.scalingParameters ?? {}) : null;
  if (scaling?.suvbw) return null;
  if (scaling) {
    const slope = scaling.rescaleSlope ?? 1;
    const intercept = scaling.rescaleIntercept ?? 0;
    if (!slope) return null;
    const data = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) data[i] = (pixels[i] - intercept) / slope;
    return { rows: image.rows, columns: image.columns, data };
  }
  // A copy: the answer's buffer is transferred to the worker and must not be the cache's own.
  const copy =
    pixels instanceof Int16Array || pixels instanceof Uint16Array || pixels instanceof Uint8Array || pixels instanceof Int8Array
      ? pixels.slice()
      : Float32Array.from(pixels);
  return { rows: image.rows, columns: image.columns, data: copy };
}
