/** report.md: the evaluation report for people; report.json holds the same numbers for programs. */
import type { Interval } from '../metrics/bootstrap';
import type { BreakdownRow } from '../metrics/breakdown';
import type { ClassReport } from '../metrics/subjectScores';
import type { EvaluationReport } from '../buildReport';

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);
const ci = (i: Interval | null | undefined): string => (i ? `${(100 * i.low).toFixed(1)}–${(100 * i.high).toFixed(1)}` : '–');
const num = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : v.toFixed(digits));
const cellText = (s: string): string => s.replace(/\|/g, '\\|');

function classTable(rows: readonly ClassReport[]): string[] {
  const out = [
    '| class | images | subjects | precision (95 % CI) | recall (95 % CI) | F1 (95 % CI) | F1 raw |',
    '|---|---:|---:|---|---|---|---:|',
  ];
  for (const c of rows) {
    if (!c.validated) {
      const predicted = c.predicted > 0 ? ` (predicted for ${c.predicted} images)` : '';
      out.push(`| ${c.label} | 0 | 0 | not validated${predicted} | | | |`);
      continue;
    }
    out.push(
      `| ${c.label} | ${c.images} | ${c.subjects} | ${pct(c.precision)} (${ci(c.precisionCi)}) | ${pct(c.recall)} (${ci(c.recallCi)}) | ${pct(c.f1)} (${ci(c.f1Ci)}) | ${pct(c.raw.f1)} |`,
    );
  }
  return out;
}

function breakdownTable(title: string, rows: readonly BreakdownRow[]): string[] {
  return [
    `### By ${title}`,
    '',
    '| group | images | subjects | series | accuracy raw | accuracy decoded |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${cellText(r.key)} | ${r.images} | ${r.subjects} | ${r.series} | ${pct(r.accuracy)} | ${pct(r.accuracyDecoded)} |`,
    ),
    '',
  ];
}

function trainingWarning(r: EvaluationReport): string[] {
  if (r.splitSeenInTraining === true) {
    return [
      `> **These images were part of the model's training data** (model trained on "${r.model.trainedOn ?? 'train'}", split "${r.data.split}"):`,
      '> the numbers below measure how well the model fits what it saw, not how it does on new data.',
      '> Judge generalisation on held-out data (the test set, or a model trained with dev held out).',
      '',
    ];
  }
  if (r.splitSeenInTraining === null) {
    return ['> model.json does not say what the model was trained on: whether these images were held out is unknown.', ''];
  }
  return [];
}

export function reportMarkdown(r: EvaluationReport): string {
  const lines: string[] = [];
  const modalities = Object.keys(r.byModality);
  lines.push(
    `# Body-region evaluation: ${r.model.id} ${r.model.version}, split "${r.data.split}"`,
    '',
    `Written by \`body-region evaluate\` on ${r.createdAt}, through the engine's pipeline (\`classifySeries\`: the geometry, preprocessing, model session and sequence decoding the viewer runs).`,
    '',
    `- Model: \`${r.model.id}\` version ${r.model.version}, \`${r.model.file}\` sha256 \`${r.model.sha256}\`, input ${r.model.inputSize} px, preprocessing ${r.model.preprocessing}, trained on ${r.model.trainedOn ?? '(not recorded)'}`,
    `- Data: \`${r.data.path}\` (${r.data.folders.map((f) => `\`${f}\``).join(', ')}), split ${r.data.split}` +
      (r.data.modality ? `, modality ${r.data.modality}` : '') +
      (r.data.seriesFilter ? `, series ${r.data.seriesFilter.join(', ')}` : ''),
    `- Engine mode: ${r.data.mode}` +
      (r.data.mode === 'fast'
        ? ` (${r.counts.imagesClassified} of ${r.counts.images} images classified; the others take their decoded label, also as "raw": compare decoded numbers)`
        : ' (every image classified)'),
    `- Counts: ${r.counts.series} series (${r.counts.stacks} stacks decoded as sequences, ${r.counts.singleImages} single images), ${r.counts.images} images, ${r.counts.subjects} subjects; ` +
      modalities
        .map(
          (m) =>
            `${m} ${r.counts.byModality[m].series} series / ${r.counts.byModality[m].images} images / ${r.counts.byModality[m].subjects} subjects`,
        )
        .join('; ') +
      `; ${r.counts.eightBitCtSeries} 8-bit CT series re-mapped to HU as in training`,
    `- Runtime: ${num(r.runtimeSeconds)} s in all (${num(r.msPerImage)} ms per image, reading, preprocessing, inference and decoding)`,
    `- Intervals: 95 % percentile bootstrap over subjects, ${r.bootstrap.reps} resamples, seed ${r.bootstrap.seed}`,
    '',
    ...trainingWarning(r),
    '## Image level',
    '',
    '| | images | subjects | accuracy raw (95 % CI) | accuracy decoded (95 % CI) | macro F1 raw | macro F1 decoded |',
    '|---|---:|---:|---|---|---:|---:|',
    `| all | ${r.counts.images} | ${r.counts.subjects} | ${pct(r.imageAccuracy)} (${ci(r.imageAccuracyCi)}) | ${pct(r.imageAccuracyDecoded)} (${ci(r.imageAccuracyDecodedCi)}) | ${pct(r.macroF1)} | ${pct(r.macroF1Decoded)} |`,
    ...modalities.map((m) => {
      const s = r.byModality[m];
      return `| ${m} | ${s.images} | ${s.subjects} | ${pct(s.accuracy)} (${ci(s.accuracyCi)}) | ${pct(s.accuracyDecoded)} (${ci(s.accuracyDecodedCi)}) | ${pct(s.macroF1)} | ${pct(s.macroF1Decoded)} |`;
    }),
    '',
    '"Raw" is the argmax of each image on its own; "decoded" is the label after the sequence decoder',
    '(stacks only; single images keep their own label). Macro F1 averages the classes present in the truth.',
    '',
    '## Per class (decoded labels, all modalities)',
    '',
    ...classTable(r.perClass),
    '',
    `Not validated (no subject of this class in the evaluated data): ${r.notValidated.length ? r.notValidated.join(', ') : 'none'}.`,
    '',
  );
  for (const m of modalities) {
    lines.push(`### Per class, ${m}`, '', ...classTable(r.byModality[m].perClass.filter((c) => c.validated || c.predicted > 0)), '');
  }
  lines.push(
    '## Confusion matrix',
    '',
    '![confusion matrix (decoded)](confusion.svg)',
    '',
    'Decoded labels in `confusion.svg`, raw labels in `confusion-raw.svg`; both matrices are in report.json.',
    '',
    '## Series level',
    '',
    `- Exact match of the set of regions: ${pct(r.seriesExactMatch)} of ${r.counts.series} series; ${pct(r.seriesExactMatchStacks)} of the ${r.counts.stacks} stacks`,
    `- Boundary error (each true boundary to the nearest predicted boundary between the same two regions): median ${num(r.boundaryErrorMmMedian)} mm, 90th percentile ${num(r.boundaryErrorMmP90)} mm, ` +
      `over ${r.boundaries.matched} matched of ${r.boundaries.trueBoundaries} true boundaries in ${r.boundaries.seriesMeasured} stacks with known spacing ` +
      `(${r.boundaries.missed} true boundaries had no predicted counterpart, ${r.boundaries.spurious} predicted boundaries had no true one; ${r.boundaries.seriesWithoutSpacing} stacks without known spacing left out)`,
    `- Non-adjacent confusions (predicted region neither the true one nor anatomically next to it; OTHER has no neighbours; table: ${r.nonAdjacent.adjacencySource}): ` +
      `${r.nonAdjacentConfusions} images decoded, ${r.nonAdjacentConfusionsRaw} raw`,
    '',
  );
  if (r.nonAdjacent.decoded.pairs.length > 0) {
    lines.push('| truth | predicted (decoded) | images |', '|---|---|---:|');
    for (const p of r.nonAdjacent.decoded.pairs) lines.push(`| ${p.truth} | ${p.predicted} | ${p.images} |`);
    lines.push('');
  }
  lines.push('### BodyPartExamined', '');
  if (!r.bodyPartExamined.available) {
    lines.push(`Agreement of the BodyPartExamined tag with the truth: ${r.bodyPartExamined.note}.`, '');
  } else {
    lines.push(
      `Over ${r.bodyPartExamined.series} series with a BodyPartExamined tag: the tag names exactly the true regions for ${pct(r.bodyPartExamined.tagAgreesWithTruth)} ` +
        `(partly for ${pct(r.bodyPartExamined.tagPartlyAgreesWithTruth)}); the model's decoded regions give the true regions' Annex L term for ${pct(r.bodyPartExamined.modelAgreesWithTruth)}.`,
      '',
    );
  }
  lines.push(
    '## Breakdowns',
    '',
    ...breakdownTable('manufacturer', r.breakdowns.manufacturer),
    ...breakdownTable('orientation', r.breakdowns.orientation),
    ...breakdownTable('slice thickness', r.breakdowns.sliceThickness),
    ...breakdownTable('source', r.breakdowns.source),
    ...breakdownTable('kind of series', r.breakdowns.kind),
    '## Series',
    '',
    '| series | modality | kind | images | true regions | predicted regions (decoded) | exact | accuracy raw | accuracy decoded |',
    '|---|---|---|---:|---|---|:-:|---:|---:|',
    ...r.series.map(
      (s) =>
        `| ${s.id} | ${s.modality} | ${s.kind} | ${s.images} | ${s.trueRegions.join(' ')} | ${s.predictedRegions.join(' ')} | ${s.exactMatch ? 'yes' : 'no'} | ${pct(s.accuracy)} | ${pct(s.accuracyDecoded)} |`,
    ),
    '',
  );
  return lines.join('\n');
}
