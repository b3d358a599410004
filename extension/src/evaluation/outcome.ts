/** What the evaluation knows about one classified series: truth, raw and decoded labels per slice. */
import type { SeriesRecord } from './dataset';

export interface SeriesOutcome {
  series: SeriesRecord;
  /** Decoded as a stack (≥ 2 slices and not a 'single' image); otherwise each image keeps its own label. */
  isStack: boolean;
  /** Positions along the normal (mm), null when the data set does not know the spacing. */
  positionsMm: number[] | null;
  eightBitRemapped: boolean;
  truth: string[];
  /** Argmax of the model's probabilities, per slice. */
  raw: string[];
  /** After sequence decoding (equal to raw for single images). */
  decoded: string[];
  /** Probability of the raw label, per slice. */
  rawConfidence: number[];
}
