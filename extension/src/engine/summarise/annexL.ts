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
 * head to at least the thighs; null when no defined term fits (e.g. PELVIS + THIGH) or the regions leave a gap (HEAD + CHEST).
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
  // A combined term claims every region between its ends (WHOLEBODY: from the head to the thighs):
  // a head series and a pelvis series with nothing between them are two scans, not a whole body.
  const span = TRUNK_CHAIN.slice(lo, hi + 1);
  const covered = (r: string) => present.has(r) || (r === 'PELVIS' && present.has('HIP'));
  const thigh = TRUNK_CHAIN.indexOf('THIGH');
  if (WHOLEBODY && lo === 0 && hi >= thigh) {
    if (!span.slice(0, thigh + 1).every(covered)) return null;
    return { term: WHOLEBODY.bodyPartExamined, snomed: WHOLEBODY.snomed, regions: span };
  }
  if (!span.every(covered)) return null;
  if (span.length === 1) return single(span[0]);
  const combined = COMBINED_TERMS.find(
    (c) => c.bodyPartExamined !== 'WHOLEBODY' && c.regions.length === span.length && c.regions.every((r, i) => r === span[i]),
  );
  return combined ? { term: combined.bodyPartExamined, snomed: combined.snomed, regions: span } : null;
}
