/** An SR as a naturalized dcmjs dataset, from DICOM JSON (WADO-RS metadata, QIDO) or Part-10 bytes. */
import * as dcmjs from 'dcmjs';
import type { DicomJsonDataset } from '../fetch/dicomJson';

interface DcmjsNaturalizer {
  DicomMetaDictionary: { naturalizeDataset(ds: object): Record<string, unknown> };
  DicomMessage: { readFile(b: ArrayBuffer): { dict: object } };
}
const data = (dcmjs as unknown as { data: DcmjsNaturalizer }).data;

export function naturalizeDicomJson(dataset: DicomJsonDataset): Record<string, unknown> {
  return data.DicomMetaDictionary.naturalizeDataset(dataset);
}

export function readPart10Dataset(bytes: Uint8Array): Record<string, unknown> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dataset = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(buffer).dict);
  const charset = Array.isArray(dataset.SpecificCharacterSet) ? dataset.SpecificCharacterSet[0] : dataset.SpecificCharacterSet;
  if (charset !== 'ISO_IR 192') return dataset;
  // dcmjs 0.52 reads sequence items with a fresh stream that forgets the character set: their
  // strings come back as Latin-1 readings of UTF-8 bytes. Undo that inside sequences only.
  for (const [key, value] of Object.entries(dataset)) if (Array.isArray(value)) dataset[key] = value.map((v) => repairItems(v));
  return dataset;
}

function relatin(s: string): string {
  // eslint-disable-next-line no-control-regex -- the full Latin-1 range, NUL included, is the point
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return s;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  } catch {
    return s; // not UTF-8 bytes after all
  }
}
function repairItems(value: unknown, inSequence = false): unknown {
  if (typeof value === 'string') return inSequence ? relatin(value) : value;
  if (Array.isArray(value)) return value.map((v) => repairItems(v, inSequence));
  if (value && typeof value === 'object' && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = repairItems(v, true);
    return out;
  }
  return value;
}
