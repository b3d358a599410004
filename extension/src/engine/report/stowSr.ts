/**
 * "Write the SR of a result via STOW": encodes the result as our SR and stores it on the archive,
 * unless the archive already holds our current SR for that series and algorithm (idempotent).
 * A refusing archive gives an SrStoreError with a message a user can act on.
 */
import { describeError, type DicomWebArchive } from '../fetch/dicomWebArchive';
import { AbortError, HttpError } from '../fetch/retry';
import { encodeSr, newSrUid, type EncodeSrInput } from './encodeSr';
import { findSeriesSr, type StudySrs } from './findSrs';

export type StowOutcome =
  { written: true; sopInstanceUID: string; seriesInstanceUID: string } | { written: false; existingSopInstanceUID: string };

export class SrStoreError extends Error {
  constructor(
    message: string,
    /** HTTP status (0: network), null when not an HTTP failure. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'SrStoreError';
  }
}

/** Why an archive refused a STOW, in words. */
export function describeStoreFailure(error: unknown, url: string): string {
  if (error instanceof HttpError) {
    if (error.status === 401 || error.status === 403)
      return `the archive ${url} refused to store the SR (HTTP ${error.status}: not allowed to write; check the authorization or the archive's write permissions)`;
    if (error.status === 405 || error.status === 501) return `the archive ${url} does not accept STOW-RS (HTTP ${error.status})`;
    if (error.status === 409) return `the archive ${url} refused the SR: ${error.message}`;
    if (error.status >= 500) return `the archive ${url} failed to store the SR (HTTP ${error.status}; it may be read-only or unavailable)`;
    if (error.status === 0) return `the archive ${url} could not be reached to store the SR (network error)`;
    return `the archive ${url} refused to store the SR (HTTP ${error.status})`;
  }
  return `storing the SR on ${url} failed: ${describeError(error)}`;
}

export async function stowSeriesSr(
  archive: DicomWebArchive,
  input: EncodeSrInput,
  options: { signal?: AbortSignal; study?: StudySrs } = {},
): Promise<StowOutcome> {
  const { result } = input;
  const existing = await findSeriesSr(
    archive,
    {
      studyInstanceUID: result.studyInstanceUID,
      seriesInstanceUID: result.seriesInstanceUID,
      instanceUids: input.instances.map((i) => i.sopInstanceUID),
    },
    input.algorithm,
    options,
  );
  if (existing.current) return { written: false, existingSopInstanceUID: existing.current.sopInstanceUID };
  const uids = { seriesInstanceUID: input.seriesInstanceUID ?? newSrUid(), sopInstanceUID: input.sopInstanceUID ?? newSrUid() };
  const bytes = encodeSr({ ...input, ...uids });
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    await archive.storeInstances([buffer], result.studyInstanceUID, options.signal);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    throw new SrStoreError(describeStoreFailure(error, archive.url), error instanceof HttpError ? error.status : null);
  }
  return { written: true, ...uids };
}
