/**
 * Public surface of the body-region engine (browser and Node alike). Node-only helpers are not
 * exported here: import `infer/loadModelNode` directly from Node code.
 */
export * from './types';

// fetch: DICOMweb / Part-10 access, metadata → FrameMeta, frame decoding (PixelSource implementations).
export * from './fetch';

// geometry
export { buildStacks, orientationOf, GAP_FACTOR, IRREGULAR_FRACTION } from './geometry/buildStacks';
export { nonImageReason } from './geometry/sopClasses';

// preprocess
export { preprocessFrame, PREPROCESSING_VERSION, CT_WINDOWS, type PreprocessMeta } from './preprocess/preprocessFrame';

// infer
export {
  BodyRegionModel,
  ModelLoadError,
  checkManifestAndLabels,
  softmaxRows,
  softmaxRowsT,
  type ModelManifest,
  type ModelOutputs,
  type LoadModelOptions,
} from './infer/BodyRegionModel';
export { parseManifest, parseHead, parseReplay, serialiseReplay, type LinearHead, type ReplaySet, type HeadFile, type ReplayLabelsFile } from './infer/manifest';

// adapt: the site adapter and the corrections it is fitted on (docs/ADAPTATION.md)
export { fitAdapter, parseAdapter, SiteAdapter, AdapterError, DEFAULT_ADAPTER_METHOD, ADAPTER_SCHEMA, type AdapterFile, type AdapterMethod, type CorrectionSet } from './adapt/adapter';
export { fitHead, headLogits } from './adapt/fitHead';
export { correctionSet, type LabelledEmbedding } from './adapt/trainingSet';
export { CORRECTIONS_SCHEMA, parseCorrections, correctedEmbeddings, type Correction, type CorrectionAction, type CorrectedImage, type CorrectionsFile } from './adapt/corrections';
export { correctedImages, makeCorrection, correctionsFile } from './adapt/correctionActions';

// decode
export {
  OTHER,
  REGION_ADJACENCY,
  ANATOMICAL_ORDER,
  REGION_LENGTH_MM,
  neighboursOf,
  areAdjacent,
  adjacencyWeight,
  SIDE_BRANCH_WEIGHT,
  sortAnatomically,
} from './decode/anatomy';
export {
  decodeSequence,
  toSegments,
  jumpMatrix,
  switchProbability,
  type DecodedSequence,
  type DecodeOptions,
} from './decode/decodeSequence';
export { coarseToFine, decodeSparse, DEFAULT_SAMPLE_MM, type CoarseToFineOptions, type CoarseToFineResult } from './decode/coarseToFine';

// summarise
export { summariseSeries, type SeriesSummaryInput } from './summarise/summariseSeries';
export { summariseStudy } from './summarise/summariseStudy';
export { annexLTerm } from './summarise/annexL';
export { regionsFromText, compareTag } from './summarise/tags';
export { REGION_TERMS, COMBINED_TERMS, TRUNK_CHAIN } from './summarise/dicomTerms';

// results
export * from './results/schema';

// pipeline
export { classifySeries, type ClassifySeriesInput, type SliceClassifier, type KnownFrameOutputs } from './pipeline';
export { knownOutputsFromResult } from './results/knownOutputs';
export { encodeEmbedding, decodeEmbedding, type EncodedEmbedding } from './results/embeddingCodec';
