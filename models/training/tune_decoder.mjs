// Tunes the engine's sequence decoder (extension/src/engine/decode) on source-held-out CV
// probabilities (cv_report.py writes them), never on dev: decoded image accuracy, per modality,
// and the share of series whose decoded region set equals the truth, over a small grid of options.
//
// Usage (after `npm run build`): node models/training/tune_decoder.mjs <cand>_cv_sequences.json
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { decodeSequence } = require('../../build/node/engine/decode/decodeSequence.js');
const LABELS = JSON.parse(fs.readFileSync(new URL('../labels.json', import.meta.url))).labels.map((l) => l.name);

const seqs = Object.values(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));

const argmax = (p) => LABELS[p.indexOf(Math.max(...p))];

function score(options) {
  const tally = { CT: [0, 0], MR: [0, 0] };
  let exact = 0;
  let multi = 0;
  for (const s of seqs) {
    const positions = s.sliceMm ? s.slices.map((k) => k * s.sliceMm) : null;
    const decoded =
      options && s.probs.length > 1 ? decodeSequence(s.probs, LABELS, positions, options).labels : s.probs.map(argmax);
    decoded.forEach((l, i) => {
      tally[s.modality][0] += l === s.labels[i] ? 1 : 0;
      tally[s.modality][1] += 1;
    });
    if (s.probs.length > 1) {
      multi++;
      const a = [...new Set(decoded)].sort().join();
      const b = [...new Set(s.labels)].sort().join();
      if (a === b) exact++;
    }
  }
  const all = (tally.CT[0] + tally.MR[0]) / (tally.CT[1] + tally.MR[1]);
  return { all, CT: tally.CT[0] / tally.CT[1], MR: tally.MR[0] / tally.MR[1], exactSets: exact / multi };
}

// Does the engine's "low-confidence" threshold (a decoded posterior below 0.5, the summary's
// LOW_CONFIDENCE) separate its errors from its right answers on sources it never saw?
function uncertainty(threshold = 0.5) {
  const t = { flagged: [0, 0], confident: [0, 0] };
  for (const s of seqs) {
    const positions = s.sliceMm ? s.slices.map((k) => k * s.sliceMm) : null;
    const d = s.probs.length > 1 ? decodeSequence(s.probs, LABELS, positions, {}) : null;
    s.probs.forEach((p, i) => {
      const label = d ? d.labels[i] : argmax(p);
      const conf = d ? d.confidence[i] : Math.max(...p);
      const bucket = conf < threshold ? t.flagged : t.confident;
      bucket[0] += label === s.labels[i] ? 1 : 0;
      bucket[1] += 1;
    });
  }
  const errors = t.flagged[1] - t.flagged[0] + (t.confident[1] - t.confident[0]);
  return {
    threshold,
    imagesFlagged: t.flagged[1] / (t.flagged[1] + t.confident[1]),
    accuracyFlagged: t.flagged[0] / Math.max(1, t.flagged[1]),
    accuracyConfident: t.confident[0] / Math.max(1, t.confident[1]),
    errorsFlagged: (t.flagged[1] - t.flagged[0]) / Math.max(1, errors),
  };
}

console.log(JSON.stringify({ options: 'argmax, no decoding', ...score(null) }));
console.log(JSON.stringify({ uncertainty: uncertainty(0.5) }));
console.log(JSON.stringify({ uncertainty: uncertainty(0.7) }));
console.log(JSON.stringify({ options: 'engine defaults', ...score({}) }));
const rows = [];
for (const otherWeight of [0.01, 0.05, 0.2])
  for (const farWeight of [1e-6, 1e-4, 1e-2])
    for (const probabilityFloor of [1e-4, 1e-3, 1e-2]) {
      const r = score({ otherWeight, farWeight, probabilityFloor });
      rows.push({ options: { otherWeight, farWeight, probabilityFloor }, ...r });
    }
rows.sort((a, b) => b.all - a.all);
for (const r of rows) console.log(JSON.stringify(r));
