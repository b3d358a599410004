/**
 * Shared types of the body-region engine. The engine knows nothing of OHIF, React or the DOM:
 * the same modules run in the browser (inside the extension) and in Node (CLI, evaluation, benchmarks).
 *
 * Data path: fetch → geometry → preprocess → infer → decode → summarise → results.
 */
import type { CodedConcept, Orientation, Segment, StackQc } from './results/schema';

// Types that are also part of the result are defined once, by the result's schema.
export type { CodedConcept, Orientation, Segment, StackQc };

/** One image frame's DICOM attributes that the engine needs (from WADO-RS metadata or a file). */
export interface FrameMeta {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  sopClassUID: string;
  /** 1-based frame number inside the instance (1 for single-frame instances). */
  frameNumber: number;
  /** Number of frames of the instance this frame belongs to. */
  numberOfFrames: number;
  instanceNumber?: number;
  modality: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  transferSyntaxUID?: string;
  /** Patient coordinates (mm) of the first transmitted pixel, when known. */
  imagePositionPatient?: [number, number, number];
  /** Row and column direction cosines, when known. */
  imageOrientationPatient?: [number, number, number, number, number, number];
  /** [row spacing, column spacing] in mm, when known. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  /** Free-text tags that the summary compares with the pixels' verdict. */
  bodyPartExamined?: string;
  seriesDescription?: string;
  manufacturer?: string;
  imageType?: string[];
}

/** Frames that form one geometric stack (or one image without usable geometry). */
export interface Stack {
  /** 'stack': ≥ 2 parallel frames sorted along the normal; 'single': classified alone. */
  kind: 'stack' | 'single';
  orientation: Orientation | 'unknown';
  /** Frames sorted in anatomical order: along the normal, inferior → superior for axial stacks. */
  frames: FrameMeta[];
  /** Position of each frame along the slice normal (mm), same order as frames; empty for 'single'. */
  positionsMm: number[];
  /** Median distance between neighbouring frames (mm), or null. */
  spacingMm: number | null;
  qc: StackQc;
  /** Frames left out because a kept frame (frames[keptIndex]) has the same position. */
  duplicates?: Array<{ frame: FrameMeta; keptIndex: number }>;
}

/** Decoded pixels of one frame, as stored (before the modality LUT). */
export interface PixelFrame {
  rows: number;
  columns: number;
  /** One sample per pixel, row-major. Colour images are converted to luminance by the decoder. */
  data: Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array;
}

/** Where the pixels of a frame come from: DICOMweb, files on disk, or the viewer's cache. */
export interface PixelSource {
  getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame>;
}

/** Progress of one series' classification, for progress bars. */
export interface Progress {
  seriesInstanceUID: string;
  done: number;
  total: number;
}

/** A SNOMED CT (or other scheme) code as stored in models/labels.json. */

/** models/labels.json (schema body-region-labels/1): the model's output order and DICOM terms. */
export interface LabelsFile {
  schema: string;
  source?: string;
  labels: Array<{
    id: number;
    name: string;
    bodyPartExamined: string | null;
    snomed: CodedConcept | null;
    modalities: string[];
  }>;
  /** DICOM PS3.16 Annex L combined terms for runs of adjacent trunk regions. */
  combinations: Array<{
    bodyPartExamined: string;
    snomed: CodedConcept;
    regions: string[];
    rule?: string;
  }>;
}
