/** Confusion matrices over class indices: rows are the truth, columns the prediction. */

export type ConfusionMatrix = number[][];

export function emptyConfusion(numClasses: number): ConfusionMatrix {
  return Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
}

export function confusionMatrix(truth: number[], predicted: number[], numClasses: number): ConfusionMatrix {
  if (truth.length !== predicted.length) {
    throw new Error(`truth (${truth.length}) and predictions (${predicted.length}) differ in length`);
  }
  const cm = emptyConfusion(numClasses);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (t < 0 || t >= numClasses || p < 0 || p >= numClasses) {
      throw new Error(`class index out of range at ${i}: truth ${t}, predicted ${p}`);
    }
    cm[t][p] += 1;
  }
  return cm;
}

/** Adds `weight` copies of `b` into `a` (in place); used to rebuild matrices from resampled subjects. */
export function addConfusionInto(a: ConfusionMatrix, b: ConfusionMatrix, weight = 1): void {
  for (let t = 0; t < a.length; t++) {
    for (let p = 0; p < a.length; p++) a[t][p] += weight * b[t][p];
  }
}

export function confusionTotal(cm: ConfusionMatrix): number {
  let n = 0;
  for (const row of cm) for (const v of row) n += v;
  return n;
}

export function confusionTrace(cm: ConfusionMatrix): number {
  let n = 0;
  for (let i = 0; i < cm.length; i++) n += cm[i][i];
  return n;
}

/** Share of images on the diagonal; null for an empty matrix. */
export function accuracyOf(cm: ConfusionMatrix): number | null {
  const total = confusionTotal(cm);
  return total === 0 ? null : confusionTrace(cm) / total;
}
