/**
 * What the panel shows: a small, stable view of the engine's results. The panel and its jsdom tests
 * depend on these types only, never on OHIF or on the full result schema.
 */

export type SeriesStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface RegionSegmentView {
  label: string;
  /** Indices into the series' slices in anatomical order (inferior → superior), inclusive. */
  firstIndex: number;
  lastIndex: number;
  /** Mean posterior probability of the label over the segment (0..1). */
  confidence: number;
  startMm: number | null;
  endMm: number | null;
  /** First slice of the segment, for navigation. */
  firstSopInstanceUID: string;
  firstFrameNumber: number;
}

export interface SeriesView {
  seriesInstanceUID: string;
  /** OHIF display set of this series, when the viewer has one. */
  displaySetInstanceUID?: string;
  description: string;
  modality: string;
  seriesNumber?: number;
  status: SeriesStatus;
  progress: { done: number; total: number };
  /** Number of slices the segments span (the bar's scale). */
  totalSlices: number;
  segments: RegionSegmentView[];
  /** Region covering most slices, or null. */
  mainRegion: string | null;
  /** Distinct regions in anatomical order. */
  regions: string[];
  /** Regions large enough to name the series (the engine's summary): the by-region layout shows these. */
  significantRegions: string[];
  /** DICOM Annex L defined term for the series (e.g. CHESTABDOMEN), or null. */
  annexL: string | null;
  /** BodyPartExamined as stored in the series, if any. */
  bodyPartExamined: string | null;
  /** Set when the pixels disagree with BodyPartExamined. */
  tagDisagreement: string | null;
  /** Why the series could not be classified. */
  error: { code: string; message: string } | null;
}

export type StudyStatus = 'idle' | 'running' | 'done' | 'cancelled';

export interface StudySummaryView {
  /** Annex L defined term for the study (e.g. CHESTABDPELVIS), or null. */
  annexL: string | null;
  snomed: string | null;
  regions: string[];
}

export interface StudyView {
  studyInstanceUID: string | null;
  status: StudyStatus;
  /** Set when the model could not be loaded: nothing can be classified, the viewer still works. */
  modelError: string | null;
  series: SeriesView[];
  summary: StudySummaryView | null;
  /** Series and segment the navigation (next/previous region) is at. */
  cursor: { seriesInstanceUID: string; segmentIndex: number } | null;
}

export const EMPTY_STUDY: StudyView = {
  studyInstanceUID: null,
  status: 'idle',
  modelError: null,
  series: [],
  summary: null,
  cursor: null,
};
