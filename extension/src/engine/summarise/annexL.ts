import type { AnnexLTerm } from '../results/schema';
import { COMBINED_TERMS, REGION_TERMS, TRUNK_CHAIN } from './dicomTerms';

const WHOLEBODY = COMBINED_TERMS.find((c) => c.bodyPartExamined === 'WHOLEBODY');
const ARM = new Set(['SHOULDER', 'UPPER_ARM', 'ELBOW', 'FOREARM', 'WRIST', 'HAND']);

function single(label: string): AnnexLTerm | null {
  const term = REGION_TERMS[label];
  return term ? { term: term.bodyPartExamined, snomed: term.snomed, regions: [label] } : null;
}

/**
 * The DICOM BodyPartExamined term (with SNOMED CT) naming a set of regions: the region's own term
 * for one region, a PS3.16 Annex L combined term for a run of trunk regions, WHOLEBODY from the
 * head to at least the thighs; null when no defined term fits (e.g. PELVIS + THIGH, HEAD + CHEST).
 * OTHER never counts; SPINE, BREAST, HIP and arm regions beside trunk regions are parts of the trunk
 * scan (a CT abdomen shows the spine), so they are set aside when the trunk names the series.
 */
export function annexLTerm(regions: Iterable<string>): AnnexLTerm | null {
  const present = new Set([...regions].filter((r) => r !== 'OTHER'));
  if (present.size === 0) return null;
  if (present.size === 1) return single([...present][0]);

  const chainIdx = [...present].map((r) => TRUNK_CHAIN.indexOf(r)).filter((i) => i >= 0);
  if (chainIdx.length === 0) return null; // e.g. several arm regions: no combined term
  // HIP sits between PELVIS and THIGH: it extends the chain like either.
  if (present.has('HIP')) chainIdx.push(TRUNK_CHAIN.indexOf('PELVIS'));
  const lo = Math.min(...chainIdx);
  const hi = Math.max(...chainIdx);
  const onChain = [...present].filter((r) => TRUNK_CHAIN.includes(r) || r === 'HIP' || r === 'SPINE' || r === 'BREAST' || ARM.has(r));
  if (onChain.length !== present.size) return null;

  if (WHOLEBODY && lo === 0 && hi >= TRUNK_CHAIN.indexOf('THIGH')) {
    return { term: WHOLEBODY.bodyPartExamined, snomed: WHOLEBODY.snomed, regions: TRUNK_CHAIN.slice(lo, hi + 1) };
  }
  const span = TRUNK_CHAIN.slice(lo, hi + 1);
  if (span.length === 1) return single(span[0]);
  const combined = COMBINED_TERMS.find(
    (c) => c.bodyPartExamined !== 'WHOLEBODY' && c.regions.length === span.length && c.regions.every((r, i) => r === span[i]),
  );
  return combined ? { term: combined.bodyPartExamined, snomed: combined.snomed, regions: span } : null;
}
