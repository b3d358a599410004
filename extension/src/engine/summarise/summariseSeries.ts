import type { Stack } from '../types';
import type { QcFlag, RegionExtent, ResultImage, ResultSegment, SeriesSummary } from '../results/schema';
import { OTHER, REGION_LENGTH_MM, sortAnatomically } from '../decode/anatomy';
import { annexLTerm } from './annexL';
import { TRUNK_CHAIN } from './dicomTerms';
import { compareTag } from './tags';

/** A region names the series when it covers at least this share of its typical length... */
export const SIGNIFICANT_FRACTION_OF_TYPICAL = 0.5;
/** ...or, without geometry, at least this share of the series' classified slices. */
export const SIGNIFICANT_FRACTION_OF_SLICES = 0.2;
/** Stacks with fewer slices than this give the decoder little context. */
export const MIN_STACK_SLICES = 5;
/** Segments whose mean posterior is below this are flagged. */
export const LOW_CONFIDENCE = 0.5;

export interface SeriesSummaryInput {
  stacks: Stack[];
  segments: ResultSegment[];
  images: ResultImage[];
  bodyPartExamined?: string | null;
  seriesDescription?: string | null;
}

/** Lengths in mm mean extent along the body only for axial stacks (elsewhere they run across it). */
function alongBody(stacks: Stack[], s: ResultSegment): boolean {
  const stack = stacks[s.stackIndex];
  return s.lengthMm !== null && stack?.kind === 'stack' && stack.orientation === 'axial';
}

function extentsOf(stacks: Stack[], segments: ResultSegment[]): RegionExtent[] {
  const byLabel = new Map<string, RegionExtent>();
  for (const s of segments) {
    const e = byLabel.get(s.label) ?? { label: s.label, slices: 0, lengthMm: null };
    e.slices += s.lastIndex - s.firstIndex + 1;
    if (alongBody(stacks, s)) e.lengthMm = (e.lengthMm ?? 0) + (s.lengthMm as number);
    byLabel.set(s.label, e);
  }
  return sortAnatomically(byLabel.keys()).map((l) => byLabel.get(l) as RegionExtent);
}

function mainRegionOf(extents: RegionExtent[]): string | null {
  const candidates = extents.filter((e) => e.label !== OTHER);
  if (candidates.length === 0) return extents.length ? OTHER : null;
  const key = (e: RegionExtent) => [e.lengthMm ?? -1, e.slices];
  return candidates.reduce((best, e) => {
    const [a, b] = key(e);
    const [c, d] = key(best);
    return a > c || (a === c && b > d) ? e : best;
  }).label;
}

/** Labels holding at least SIGNIFICANT_FRACTION_OF_SLICES of the non-OTHER slices of `segments`. */
function bySliceShare(segments: ResultSegment[]): string[] {
  const slices = new Map<string, number>();
  let total = 0;
  for (const s of segments) {
    if (s.label === OTHER) continue;
    const n = s.lastIndex - s.firstIndex + 1;
    slices.set(s.label, (slices.get(s.label) ?? 0) + n);
    total += n;
  }
  return [...slices].filter(([, n]) => n >= SIGNIFICANT_FRACTION_OF_SLICES * total).map(([label]) => label);
}

/**
 * Regions large enough to name the series: in axial stacks, an extent of at least half the region's
 * typical length; in sagittal, coronal and oblique stacks (whose slices run across the body), a
 * share of the stack's slices; single images count only when the series has no stack. Plus the main
 * region and trunk regions lying between two significant ones.
 */
function significantRegionsOf(stacks: Stack[], segments: ResultSegment[], mainRegion: string | null): string[] {
  const significant = new Set<string>();
  const mm = new Map<string, number>();
  for (const s of segments.filter((seg) => alongBody(stacks, seg))) mm.set(s.label, (mm.get(s.label) ?? 0) + (s.lengthMm as number));
  for (const [label, length] of mm) {
    const typical = REGION_LENGTH_MM[label]?.typical ?? 100;
    if (label !== OTHER && length >= SIGNIFICANT_FRACTION_OF_TYPICAL * typical) significant.add(label);
  }
  stacks.forEach((stack, index) => {
    if (stack.kind === 'stack' && stack.orientation !== 'axial') {
      bySliceShare(segments.filter((s) => s.stackIndex === index)).forEach((l) => significant.add(l));
    }
  });
  if (!stacks.some((stack) => stack.kind === 'stack')) bySliceShare(segments).forEach((l) => significant.add(l));
  if (mainRegion && mainRegion !== OTHER) significant.add(mainRegion);
  const present = new Set(segments.map((s) => s.label));
  const chain = [...significant].map((r) => TRUNK_CHAIN.indexOf(r)).filter((i) => i >= 0);
  if (chain.length >= 2) {
    for (let i = Math.min(...chain) + 1; i < Math.max(...chain); i++) {
      if (present.has(TRUNK_CHAIN[i])) significant.add(TRUNK_CHAIN[i]);
    }
  }
  return sortAnatomically(significant);
}

function qcFlags(input: SeriesSummaryInput, segments: ResultSegment[]): QcFlag[] {
  const flags: QcFlag[] = [];
  const { stacks, images } = input;
  stacks.forEach((stack, stackIndex) => {
    if (stack.kind !== 'stack') return;
    const { qc } = stack;
    const n = stack.frames.length;
    if (qc.reversed)
      flags.push({
        code: 'reversed-stack',
        severity: 'info',
        stackIndex,
        message: `stack ${stackIndex}: archive order runs against anatomical order (superior → inferior)`,
      });
    if (qc.gapsAfter.length)
      flags.push({
        code: 'gaps',
        severity: 'warning',
        stackIndex,
        message: `stack ${stackIndex}: ${qc.gapsAfter.length} gap(s) larger than 1.5 × the ${stack.spacingMm?.toFixed(2)} mm spacing`,
      });
    if (qc.irregularSpacing)
      flags.push({
        code: 'irregular-spacing',
        severity: 'warning',
        stackIndex,
        message: `stack ${stackIndex}: slice spacing varies by more than 10 %`,
      });
    if (qc.duplicatesDropped)
      flags.push({
        code: 'duplicates',
        severity: 'info',
        stackIndex,
        message: `stack ${stackIndex}: ${qc.duplicatesDropped} frame(s) at an already occupied position were left out`,
      });
    if (n < MIN_STACK_SLICES)
      flags.push({ code: 'too-few-slices', severity: 'info', stackIndex, message: `stack ${stackIndex}: only ${n} slices` });
  });
  const orientations = new Set(stacks.filter((s) => s.kind === 'stack').map((s) => s.orientation));
  if (orientations.size > 1)
    flags.push({ code: 'mixed-orientations', severity: 'info', message: `series holds ${[...orientations].join(', ')} stacks` });
  const noGeometry = stacks.filter((s) => s.orientation === 'unknown').length;
  if (noGeometry && images.length > 1)
    flags.push({
      code: 'no-geometry',
      severity: 'warning',
      message: `${noGeometry} image(s) without position/orientation were classified one by one`,
    });
  const failed = images.filter((im) => im.error).length;
  if (failed)
    flags.push({
      code: 'frames-failed',
      severity: 'warning',
      message: `${failed} of ${images.length} image(s) could not be fetched or decoded`,
    });

  for (const s of segments) {
    if (s.label === OTHER) continue;
    const limits = REGION_LENGTH_MM[s.label];
    const stack = stacks[s.stackIndex];
    if (limits && stack && alongBody(stacks, s) && s.lengthMm !== null) {
      // Only a segment with neighbours on both sides is complete; one at a stack end may be cut off.
      const interior = s.firstIndex > 0 && s.lastIndex < stack.frames.length - 1;
      if (s.lengthMm > limits.max) {
        flags.push({
          code: 'implausible-length',
          severity: 'warning',
          stackIndex: s.stackIndex,
          label: s.label,
          message: `${s.label} spans ${s.lengthMm.toFixed(0)} mm (expected at most ${limits.max} mm)`,
        });
      } else if (interior && s.lengthMm < limits.min) {
        flags.push({
          code: 'implausible-length',
          severity: 'warning',
          stackIndex: s.stackIndex,
          label: s.label,
          message: `${s.label} spans only ${s.lengthMm.toFixed(0)} mm between its neighbours (expected at least ${limits.min} mm)`,
        });
      }
    }
    if (s.confidence < LOW_CONFIDENCE) {
      flags.push({
        code: 'low-confidence',
        severity: 'info',
        stackIndex: s.stackIndex,
        label: s.label,
        message: `${s.label} (slices ${s.firstIndex}–${s.lastIndex}) has mean confidence ${s.confidence.toFixed(2)}`,
      });
    }
  }
  return flags;
}

/**
 * Series summary: regions head to foot, the main region, the DICOM term the regions amount to,
 * agreement with BodyPartExamined and SeriesDescription, and QC flags.
 */
export function summariseSeries(input: SeriesSummaryInput): SeriesSummary {
  const { segments } = input;
  const extents = extentsOf(input.stacks, segments);
  const regions = extents.map((e) => e.label);
  const mainRegion = mainRegionOf(extents);
  const significantRegions = significantRegionsOf(input.stacks, segments, mainRegion);
  const tags = {
    bodyPartExamined: compareTag(input.bodyPartExamined, significantRegions),
    seriesDescription: compareTag(input.seriesDescription, significantRegions),
  };
  const qc = qcFlags(input, segments);
  for (const [name, tag] of [
    ['BodyPartExamined', tags.bodyPartExamined],
    ['SeriesDescription', tags.seriesDescription],
  ] as const) {
    if (tag.status === 'disagree') {
      qc.push({
        code: 'tag-disagreement',
        severity: 'warning',
        message: `${name} "${tag.value}" names ${tag.regions.join(', ')}; the images show ${significantRegions.join(', ') || 'no region'}`,
      });
    }
  }
  return { regions, mainRegion, extents, significantRegions, annexL: annexLTerm(significantRegions), tags, qc };
}
