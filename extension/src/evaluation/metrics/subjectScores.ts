/**
 * Image-level scores of a set of images with bootstrap intervals over subjects: accuracy (raw and
 * decoded) and per class precision, recall and F1.
 */
import { bootstrapIntervals, Interval } from './bootstrap';
import { accuracyOf, addConfusionInto, ConfusionMatrix, confusionMatrix, emptyConfusion } from './confusion';
import { allClassScores, macroF1 } from './classMetrics';
import type { ScoredImage } from './breakdown';

export interface ClassReport {
  label: string;
  /** False when no subject of the evaluated images has this class: its numbers are then null. */
  validated: boolean;
  images: number;
  subjects: number;
  /** Images predicted as this class (after decoding). */
  predicted: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  precisionCi: Interval | null;
  recallCi: Interval | null;
  f1Ci: Interval | null;
  /** The same scores on the raw (argmax) predictions. */
  raw: { predicted: number; precision: number | null; recall: number | null; f1: number | null };
}

export interface ScoreSet {
  images: number;
  subjects: number;
  accuracy: number | null;
  accuracyDecoded: number | null;
  accuracyCi: Interval | null;
  accuracyDecodedCi: Interval | null;
  macroF1: number | null;
  macroF1Decoded: number | null;
  confusionRaw: ConfusionMatrix;
  confusionDecoded: ConfusionMatrix;
  perClass: ClassReport[];
}

interface SubjectMatrices {
  raw: ConfusionMatrix;
  decoded: ConfusionMatrix;
}

export function scoreImages(
  images: readonly ScoredImage[],
  labelNames: readonly string[],
  bootstrap: { reps: number; seed: number },
): ScoreSet {
  const k = labelNames.length;
  const bySubject = new Map<string, ScoredImage[]>();
  for (const image of images) {
    const list = bySubject.get(image.subject);
    if (list) list.push(image);
    else bySubject.set(image.subject, [image]);
  }
  const subjects: SubjectMatrices[] = [...bySubject.values()].map((list) => ({
    raw: confusionMatrix(
      list.map((i) => i.truth),
      list.map((i) => i.raw),
      k,
    ),
    decoded: confusionMatrix(
      list.map((i) => i.truth),
      list.map((i) => i.decoded),
      k,
    ),
  }));
  const subjectsPerClass = labelNames.map((_, c) => [...bySubject.values()].filter((l) => l.some((i) => i.truth === c)).length);

  const totals = (sample: readonly SubjectMatrices[]) => {
    const raw = emptyConfusion(k);
    const decoded = emptyConfusion(k);
    for (const s of sample) {
      addConfusionInto(raw, s.raw);
      addConfusionInto(decoded, s.decoded);
    }
    return { raw, decoded };
  };
  // Statistic vector: [accuracy raw, accuracy decoded, then precision, recall, F1 (decoded) per class].
  const statistics = (sample: readonly SubjectMatrices[]) => {
    const { raw, decoded } = totals(sample);
    const scores = allClassScores(decoded);
    return [accuracyOf(raw), accuracyOf(decoded), ...scores.flatMap((s) => [s.precision, s.recall, s.f1])];
  };
  const { raw, decoded } = totals(subjects);
  const intervals = bootstrapIntervals(subjects, statistics, bootstrap);
  const decodedScores = allClassScores(decoded);
  const rawScores = allClassScores(raw);
  const perClass = labelNames.map((label, c): ClassReport => {
    const validated = subjectsPerClass[c] > 0;
    const d = decodedScores[c];
    const r = rawScores[c];
    return {
      label,
      validated,
      images: d.support,
      subjects: subjectsPerClass[c],
      predicted: d.predicted,
      precision: validated ? d.precision : null,
      recall: validated ? d.recall : null,
      f1: validated ? d.f1 : null,
      precisionCi: validated ? (intervals[2 + 3 * c] ?? null) : null,
      recallCi: validated ? (intervals[3 + 3 * c] ?? null) : null,
      f1Ci: validated ? (intervals[4 + 3 * c] ?? null) : null,
      raw: {
        predicted: r.predicted,
        precision: validated ? r.precision : null,
        recall: validated ? r.recall : null,
        f1: validated ? r.f1 : null,
      },
    };
  });
  return {
    images: images.length,
    subjects: bySubject.size,
    accuracy: accuracyOf(raw),
    accuracyDecoded: accuracyOf(decoded),
    accuracyCi: intervals[0] ?? null,
    accuracyDecodedCi: intervals[1] ?? null,
    macroF1: macroF1(raw),
    macroF1Decoded: macroF1(decoded),
    confusionRaw: raw,
    confusionDecoded: decoded,
    perClass,
  };
}
