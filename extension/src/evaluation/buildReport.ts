/**
 * Turns classified series into the evaluation report (report.json; docs/EVALUATION.md documents
 * every field). Pure: no file or model access, so it is tested on hand-made outcomes.
 */
import { annexLTerm } from '../engine/summarise/annexL';
import { compareTag } from '../engine/summarise/tags';
import type { Interval } from './metrics/bootstrap';
import { AdjacencyTest, nonAdjacentConfusions, NonAdjacentSummary } from './metrics/adjacency';
import { boundariesOf, matchBoundaries } from './metrics/boundaries';
import { breakdown, BreakdownRow, thicknessBucket, vendorOf } from './metrics/breakdown';
import { median, quantile } from './metrics/quantile';
import { ClassReport, ScoreSet, scoreImages } from './metrics/subjectScores';
import type { SeriesOutcome } from './outcome';

export const REPORT_SCHEMA = 'body-region-evaluation/1';

export interface ReportContext {
  model: {
    id: string;
    version: string;
    file: string;
    sha256: string;
    inputSize: number;
    preprocessing: string;
    /** model.json `training.trainedOn`: "train" (dev held out) or "all" (train + dev), null when not recorded. */
    trainedOn: string | null;
  };
  data: {
    path: string;
    folders: string[];
    split: string;
    modality: string | null;
    seriesFilter: string[] | null;
    /** The engine's mode: 'exhaustive' classifies every image, 'fast' samples and bisects boundaries. */
    mode: 'exhaustive' | 'fast';
  };
  createdAt: string;
  runtimeSeconds: number;
  bootstrap: { reps: number; seed: number };
  adjacency: { test: AdjacencyTest; source: string };
  /** Whether the data set's series.csv carries a BodyPartExamined column. */
  hasBodyPartExamined: boolean;
  /** `--adapter`: the site adapter the engine applied; absent or null: none. */
  adapter?: ReportAdapter | null;
}

/** The site adapter of an evaluation (`--adapter`), as the report records it. */
export interface ReportAdapter {
  file: string;
  id: string;
  /** Corrected images and series it was fitted on. */
  corrections: number;
  series: number;
  classes: string[];
  createdAt: string;
}

/** One modality's figures: a ScoreSet without its confusion matrices, plus the series count. */
export interface ModalityScores extends Omit<ScoreSet, 'confusionRaw' | 'confusionDecoded'> {
  series: number;
}

export interface SeriesRow {
  id: string;
  modality: string;
  subject: string;
  source: string;
  kind: string;
  orientation: string;
  images: number;
  decodedAsStack: boolean;
  trueRegions: string[];
  predictedRegions: string[];
  exactMatch: boolean;
  accuracy: number;
  accuracyDecoded: number;
  eightBitRemapped: boolean;
}

export interface EvaluationReport {
  schema: string;
  createdAt: string;
  model: ReportContext['model'];
  data: ReportContext['data'];
  /** The site adapter applied (`--adapter`), null when none. */
  adapter: ReportAdapter | null;
  /**
   * Whether the evaluated images' split was part of the model's training data (dev or train split
   * with a model trained on "all"; train split with any model); null when the model does not say.
   * When true, the numbers describe fit, not generalisation.
   */
  splitSeenInTraining: boolean | null;
  runtimeSeconds: number;
  msPerImage: number | null;
  counts: {
    series: number;
    stacks: number;
    singleImages: number;
    images: number;
    /** Images the model classified (all of them in exhaustive mode). */
    imagesClassified: number;
    subjects: number;
    eightBitCtSeries: number;
    byModality: Record<string, { series: number; images: number; subjects: number }>;
  };
  bootstrap: { reps: number; seed: number; level: number; unit: 'subject' };
  imageAccuracy: number | null;
  imageAccuracyDecoded: number | null;
  imageAccuracyCi: Interval | null;
  imageAccuracyDecodedCi: Interval | null;
  macroF1: number | null;
  macroF1Decoded: number | null;
  byModality: Record<string, ModalityScores>;
  perClass: ClassReport[];
  notValidated: string[];
  confusion: { labels: string[]; raw: number[][]; decoded: number[][] };
  breakdowns: Record<'manufacturer' | 'orientation' | 'sliceThickness' | 'source' | 'kind', BreakdownRow[]>;
  seriesExactMatch: number | null;
  seriesExactMatchStacks: number | null;
  boundaryErrorMmMedian: number | null;
  boundaryErrorMmP90: number | null;
  boundaries: {
    seriesMeasured: number;
    seriesWithoutSpacing: number;
    trueBoundaries: number;
    matched: number;
    missed: number;
    spurious: number;
  };
  nonAdjacentConfusions: number;
  nonAdjacentConfusionsRaw: number;
  nonAdjacent: { adjacencySource: string; decoded: NonAdjacentSummary; raw: NonAdjacentSummary };
  bodyPartExamined:
    | { available: false; note: string }
    | {
        available: true;
        series: number;
        tagAgreesWithTruth: number | null;
        tagPartlyAgreesWithTruth: number | null;
        modelAgreesWithTruth: number | null;
      };
  series: SeriesRow[];
}

interface ImageRow {
  seriesId: string;
  subject: string;
  modality: string;
  vendor: string;
  orientation: string;
  thickness: string;
  source: string;
  kind: string;
  truth: number;
  raw: number;
  decoded: number;
}

function indexOfLabel(labelNames: readonly string[], label: string, where: string): number {
  const i = labelNames.indexOf(label);
  if (i < 0) throw new Error(`${where}: label ${label} is not one of the model's labels`);
  return i;
}

function imageRows(outcomes: readonly SeriesOutcome[], labelNames: readonly string[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const o of outcomes) {
    const s = o.series;
    for (let k = 0; k < o.truth.length; k++) {
      rows.push({
        seriesId: s.id,
        subject: s.subject,
        modality: s.modality,
        vendor: vendorOf(s.manufacturer),
        orientation: s.orientation || 'unknown',
        thickness: thicknessBucket(s.sliceMm),
        source: s.source || 'unknown',
        kind: s.kind || 'unknown',
        truth: indexOfLabel(labelNames, o.truth[k], `${s.id} slice ${k}`),
        raw: indexOfLabel(labelNames, o.raw[k], `${s.id} slice ${k}`),
        decoded: indexOfLabel(labelNames, o.decoded[k], `${s.id} slice ${k}`),
      });
    }
  }
  return rows;
}

const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);

function seriesRow(o: SeriesOutcome): SeriesRow {
  const trueRegions = [...new Set(o.truth)];
  const predictedRegions = [...new Set(o.decoded)];
  const exactMatch = trueRegions.length === predictedRegions.length && trueRegions.every((r) => predictedRegions.includes(r));
  const n = o.truth.length;
  return {
    id: o.series.id,
    modality: o.series.modality,
    subject: o.series.subject,
    source: o.series.source,
    kind: o.series.kind,
    orientation: o.series.orientation,
    images: n,
    decodedAsStack: o.isStack,
    trueRegions,
    predictedRegions,
    exactMatch,
    accuracy: o.raw.filter((l, i) => l === o.truth[i]).length / n,
    accuracyDecoded: o.decoded.filter((l, i) => l === o.truth[i]).length / n,
    eightBitRemapped: o.eightBitRemapped,
  };
}

export function splitSeenInTraining(split: string, trainedOn: string | null): boolean | null {
  if (split === 'train') return true;
  if (trainedOn === null) return null;
  if (split === 'test') return false;
  // dev (or all, which includes dev and train) was trained on unless the model kept dev out
  return trainedOn === 'all' || split === 'all';
}

export function buildReport(outcomes: readonly SeriesOutcome[], labelNames: readonly string[], context: ReportContext): EvaluationReport {
  const images = imageRows(outcomes, labelNames);
  const overall = scoreImages(images, labelNames, context.bootstrap);

  const modalities = [...new Set(outcomes.map((o) => o.series.modality))].sort();
  const byModality: Record<string, ModalityScores> = {};
  const countsByModality: EvaluationReport['counts']['byModality'] = {};
  modalities.forEach((m, i) => {
    const subset = images.filter((r) => r.modality === m);
    const scores = scoreImages(subset, labelNames, { ...context.bootstrap, seed: context.bootstrap.seed + i + 1 });
    const series = outcomes.filter((o) => o.series.modality === m).length;
    byModality[m] = {
      series,
      subjects: scores.subjects,
      images: scores.images,
      accuracy: scores.accuracy,
      accuracyDecoded: scores.accuracyDecoded,
      accuracyCi: scores.accuracyCi,
      accuracyDecodedCi: scores.accuracyDecodedCi,
      macroF1: scores.macroF1,
      macroF1Decoded: scores.macroF1Decoded,
      perClass: scores.perClass,
    };
    countsByModality[m] = { series, images: scores.images, subjects: scores.subjects };
  });

  const rows = outcomes.map(seriesRow);
  const stackRows = rows.filter((r) => r.decodedAsStack);

  // Boundaries: stacks whose slice spacing is known.
  const errors: number[] = [];
  let trueBoundaries = 0;
  let missed = 0;
  let spurious = 0;
  let seriesMeasured = 0;
  let seriesWithoutSpacing = 0;
  for (const o of outcomes) {
    if (!o.isStack) continue;
    if (o.positionsMm === null) {
      seriesWithoutSpacing += 1;
      continue;
    }
    seriesMeasured += 1;
    const truth = boundariesOf(o.truth, o.positionsMm);
    const predicted = boundariesOf(o.decoded, o.positionsMm);
    const match = matchBoundaries(truth, predicted);
    trueBoundaries += truth.length;
    errors.push(...match.errorsMm);
    missed += match.missed.length;
    spurious += match.spurious.length;
  }

  const pairs = (pick: (i: ImageRow) => number) => images.map((i) => ({ truth: labelNames[i.truth], predicted: labelNames[pick(i)] }));
  const nonAdjacentDecoded = nonAdjacentConfusions(
    pairs((i) => i.decoded),
    context.adjacency.test,
  );
  const nonAdjacentRaw = nonAdjacentConfusions(
    pairs((i) => i.raw),
    context.adjacency.test,
  );

  let bodyPartExamined: EvaluationReport['bodyPartExamined'];
  if (!context.hasBodyPartExamined) {
    bodyPartExamined = { available: false, note: 'not available: series.csv has no BodyPartExamined column' };
  } else {
    // The engine's own readings: compareTag (what the viewer shows as tag agreement) on the true
    // regions, and the Annex L term of the decoded regions against that of the true regions.
    const tagged = outcomes.filter((o) => (o.series.bodyPartExamined ?? '').trim() !== '');
    let tagAgrees = 0;
    let tagPartly = 0;
    let modelAgrees = 0;
    for (const o of tagged) {
      const status = compareTag(o.series.bodyPartExamined, [...new Set(o.truth)]).status;
      if (status === 'agree') tagAgrees += 1;
      if (status === 'partial') tagPartly += 1;
      const truthTerm = annexLTerm(o.truth)?.term ?? null;
      if (truthTerm !== null && annexLTerm(o.decoded)?.term === truthTerm) modelAgrees += 1;
    }
    bodyPartExamined = {
      available: true,
      series: tagged.length,
      tagAgreesWithTruth: share(tagAgrees, tagged.length),
      tagPartlyAgreesWithTruth: share(tagPartly, tagged.length),
      modelAgreesWithTruth: share(modelAgrees, tagged.length),
    };
  }

  return {
    schema: REPORT_SCHEMA,
    createdAt: context.createdAt,
    model: context.model,
    data: context.data,
    adapter: context.adapter ?? null,
    splitSeenInTraining: splitSeenInTraining(context.data.split, context.model.trainedOn),
    runtimeSeconds: context.runtimeSeconds,
    msPerImage: images.length === 0 ? null : (1000 * context.runtimeSeconds) / images.length,
    counts: {
      series: outcomes.length,
      stacks: stackRows.length,
      singleImages: outcomes.length - stackRows.length,
      images: images.length,
      imagesClassified: outcomes.reduce((a, o) => a + o.classified.filter(Boolean).length, 0),
      subjects: overall.subjects,
      eightBitCtSeries: outcomes.filter((o) => o.eightBitRemapped).length,
      byModality: countsByModality,
    },
    bootstrap: { ...context.bootstrap, level: 0.95, unit: 'subject' },
    imageAccuracy: overall.accuracy,
    imageAccuracyDecoded: overall.accuracyDecoded,
    imageAccuracyCi: overall.accuracyCi,
    imageAccuracyDecodedCi: overall.accuracyDecodedCi,
    macroF1: overall.macroF1,
    macroF1Decoded: overall.macroF1Decoded,
    byModality,
    perClass: overall.perClass,
    notValidated: overall.perClass.filter((c) => !c.validated).map((c) => c.label),
    confusion: { labels: [...labelNames], raw: overall.confusionRaw, decoded: overall.confusionDecoded },
    breakdowns: {
      manufacturer: breakdown(images, (i) => i.vendor),
      orientation: breakdown(images, (i) => i.orientation),
      sliceThickness: breakdown(images, (i) => i.thickness),
      source: breakdown(images, (i) => i.source),
      kind: breakdown(images, (i) => i.kind),
    },
    seriesExactMatch: share(rows.filter((r) => r.exactMatch).length, rows.length),
    seriesExactMatchStacks: share(stackRows.filter((r) => r.exactMatch).length, stackRows.length),
    boundaryErrorMmMedian: median(errors),
    boundaryErrorMmP90: quantile(errors, 0.9),
    boundaries: { seriesMeasured, seriesWithoutSpacing, trueBoundaries, matched: errors.length, missed, spurious },
    nonAdjacentConfusions: nonAdjacentDecoded.images,
    nonAdjacentConfusionsRaw: nonAdjacentRaw.images,
    nonAdjacent: { adjacencySource: context.adjacency.source, decoded: nonAdjacentDecoded, raw: nonAdjacentRaw },
    bodyPartExamined,
    series: rows,
  };
}
