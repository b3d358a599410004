/** What the evaluation knows about one classified series: truth, raw and decoded labels per slice. */
import type { SeriesRecord } from './dataset';

export interface SeriesOutcome {
  series: SeriesRecord;
  /** The engine's geometry made a stack of it (decoded as a sequence); otherwise each image keeps its own label. */
  isStack: boolean;
  /** Positions along the normal (mm) per slice, for stacks; null otherwise. */
  positionsMm: number[] | null;
  eightBitRemapped: boolean;
  truth: string[];
  /**
   * Argmax of the model's probabilities, per slice. In fast mode some slices are not classified:
   * their raw label is the decoded one.
   */
  raw: string[];
  /** Whether the model classified the slice (always true in exhaustive mode). */
  classified: boolean[];
  /** After sequence decoding (equal to raw for single images). */
  decoded: string[];
  /** Probability of the raw label, per slice. */
  rawConfidence: number[];
}
