import { ConfusionMatrix } from './confusion';

/** Precision, recall and F1 of one class; null where the ratio is undefined (0 / 0). */
export interface ClassScores {
  truePositives: number;
  /** Images whose truth is this class (row sum). */
  support: number;
  /** Images predicted as this class (column sum). */
  predicted: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export function classScores(cm: ConfusionMatrix, classIndex: number): ClassScores {
  const tp = cm[classIndex][classIndex];
  let support = 0;
  let predicted = 0;
  for (let k = 0; k < cm.length; k++) {
    support += cm[classIndex][k];
    predicted += cm[k][classIndex];
  }
  const precision = predicted === 0 ? null : tp / predicted;
  const recall = support === 0 ? null : tp / support;
  // F1 = 2TP / (2TP + FP + FN): defined whenever the class occurs in truth or prediction.
  const denominator = support + predicted;
  const f1 = denominator === 0 ? null : (2 * tp) / denominator;
  return { truePositives: tp, support, predicted, precision, recall, f1 };
}

export function allClassScores(cm: ConfusionMatrix): ClassScores[] {
  return cm.map((_, k) => classScores(cm, k));
}

/** Unweighted mean of the defined F1 values over the classes that have support. */
export function macroF1(cm: ConfusionMatrix): number | null {
  const values = allClassScores(cm)
    .filter((s) => s.support > 0)
    .map((s) => s.f1 as number);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
