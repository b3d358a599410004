/**
 * 8-bit CT sources of the shared data set (pre-windowed PNG screenshots, "8-bit" or "NOT HU" in
 * their notes) hold 0..255 codes of a display window, not Hounsfield units. The training pipeline
 * maps them back to HU as `lo + v × (hi − lo) / 255` with a window per source
 * (models/training/build_cache.py, EIGHT_BIT_CT_WINDOWS); the evaluation must feed the model the
 * same values, so this table mirrors that one. Expressed as a modality LUT (slope, intercept), the
 * engine's own preprocessing then applies it like any DICOM rescale.
 *
 * Keep in step with build_cache.py until the mapping is recorded as data next to the model.
 */

export interface HuWindow {
  lo: number;
  hi: number;
}

export const EIGHT_BIT_CT_WINDOWS: Readonly<Record<string, HuWindow>> = {
  'github:rsummers11/CADLab': { lo: -175, hi: 275 },
  'github:AIResearcher188/Musculoskeletal_Datasets': { lo: -300, hi: 1300 },
  'Kitware/vtk-js': { lo: -20, hi: 400 },
  'github:OpenGVLab/SAM-Med2D': { lo: -2000, hi: 1450 },
  'github:neurolabusc/dcm_qa_ct': { lo: -1000, hi: 1000 },
};

/** Window assumed for an 8-bit CT source the table does not know (same default as training). */
export const DEFAULT_EIGHT_BIT_CT_WINDOW: HuWindow = { lo: -1000, hi: 1000 };

export function isEightBitCt(series: { modality: string; notes: string }): boolean {
  return series.modality === 'CT' && (series.notes.includes('8-bit') || series.notes.includes('NOT HU'));
}

/** The modality LUT that turns a series' stored values into the values the model was trained on. */
export function modalityLutFor(
  series: { modality: string; notes: string; source: string },
  volumeLut: { rescaleSlope: number; rescaleIntercept: number },
  windows: Readonly<Record<string, HuWindow>> = EIGHT_BIT_CT_WINDOWS,
): { rescaleSlope: number; rescaleIntercept: number; eightBit: boolean } {
  if (!isEightBitCt(series)) return { ...volumeLut, eightBit: false };
  const w = windows[series.source] ?? DEFAULT_EIGHT_BIT_CT_WINDOW;
  return { rescaleSlope: (w.hi - w.lo) / 255, rescaleIntercept: w.lo, eightBit: true };
}
