/**
 * Dumps, per image of a labelled split, the model's embedding, its true class and the series it
 * belongs to (JSON lines), for exploring adapter methods outside the engine. Not a test: run by hand,
 *   npx tsc -p test/bench/tsconfig.json && node build/bench/test/bench/dumpSiteEmbeddings.js \
 *     --data <dir> --split test --model <model dir> > dump.jsonl
 */
import * as path from 'path';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { classifySeriesVolumeDetailed } from '../../extension/src/evaluation/classifyVolumes';
import { readDataset, selectSeries } from '../../extension/src/evaluation/dataset';
import { labelledEmbeddings } from '../../extension/src/evaluation/labelledEmbeddings';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 && fallback === undefined) throw new Error(`--${name} is required`);
  return i < 0 ? (fallback as string) : process.argv[i + 1];
}

async function main(): Promise<void> {
  const selected = selectSeries((await readDataset(arg('data'))).series, { split: arg('split', 'test') });
  const model = await loadModelFromDir(path.resolve(arg('model')));
  for (const s of selected) {
    const detailed = await classifySeriesVolumeDetailed(s, model);
    const decoded = new Map(detailed.result.images.map((im) => [im.sopInstanceUID, im.decodedLabel]));
    const items = labelledEmbeddings(detailed, model.labelNames);
    const uids = detailed.result.images.filter((im) => im.embedding).map((im) => im.sopInstanceUID);
    items.forEach((item, i) => {
      const line = {
        series: s.id,
        subject: s.subject,
        modality: s.modality,
        source: s.source,
        slice: detailed.sliceOf.get(uids[i]),
        label: item.label,
        decoded: decoded.get(uids[i]),
        embedding: Array.from(item.embedding, (v) => +v.toFixed(5)),
      };
      process.stdout.write(JSON.stringify(line) + '\n');
    });
  }
  await model.dispose();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
