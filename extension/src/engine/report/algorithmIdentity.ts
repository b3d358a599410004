/**
 * Which algorithm produced a result, as written into and read back from our SRs (TID 4019 style):
 * an SR is reused only when the loaded model's bytes (sha256) and adapter are the same.
 */
export const ALGORITHM_NAME = 'OHIF Body Region';

export interface AlgorithmIdentity {
  /** models/model.json modelId and version. */
  modelId: string;
  version: string;
  /** sha256 (hex) of the ONNX model's bytes. */
  modelSha256: string;
  /** PREPROCESSING.md version, e.g. br-pre-1. */
  preprocessing: string;
  /** sha256 of a site adapter applied on top of the model; null without one. */
  adapterSha256: string | null;
}

/** Same model bytes and same adapter (or none on both sides): the SR's result stands for ours. */
export function sameAlgorithm(a: AlgorithmIdentity, b: AlgorithmIdentity): boolean {
  return (
    a.modelSha256.toLowerCase() === b.modelSha256.toLowerCase() &&
    (a.adapterSha256 ?? null)?.toLowerCase() === (b.adapterSha256 ?? null)?.toLowerCase()
  );
}

/** Algorithm Parameters (111002) are "name=value" texts; these are the names we write. */
export const PARAMETER = {
  modelId: 'model-id',
  modelSha256: 'model-sha256',
  preprocessing: 'preprocessing',
  adapterSha256: 'adapter-sha256',
  mode: 'mode',
  schema: 'result-schema',
} as const;
