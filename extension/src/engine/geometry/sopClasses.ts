import type { FrameMeta } from '../types';

/** SOP classes that hold no cross-sectional image pixels (by exact UID or UID prefix). */
const NON_IMAGE_CLASSES: Array<{ uid: string; prefix?: boolean; name: string }> = [
  { uid: '1.2.840.10008.5.1.4.1.1.88.59', name: 'Key Object Selection' },
  { uid: '1.2.840.10008.5.1.4.1.1.88.', prefix: true, name: 'Structured Report' },
  { uid: '1.2.840.10008.5.1.4.1.1.66.4', name: 'Segmentation' },
  { uid: '1.2.840.10008.5.1.4.1.1.66', prefix: true, name: 'Raw Data / Registration' },
  { uid: '1.2.840.10008.5.1.4.1.1.481.3', name: 'RT Structure Set' },
  { uid: '1.2.840.10008.5.1.4.1.1.481.2', name: 'RT Dose' },
  { uid: '1.2.840.10008.5.1.4.1.1.481.5', name: 'RT Plan' },
  { uid: '1.2.840.10008.5.1.4.1.1.104.1', name: 'Encapsulated PDF' },
  { uid: '1.2.840.10008.5.1.4.1.1.104.', prefix: true, name: 'Encapsulated Document' },
  { uid: '1.2.840.10008.5.1.4.1.1.11.', prefix: true, name: 'Presentation State' },
  { uid: '1.2.840.10008.5.1.4.1.1.9.', prefix: true, name: 'Waveform' },
];

/** Modalities whose series never hold images to classify. */
const NON_IMAGE_MODALITIES = new Set(['SR', 'SEG', 'RTSTRUCT', 'RTPLAN', 'RTDOSE', 'PR', 'KO', 'DOC', 'REG', 'RWV', 'FID']);

/** Why a frame is not an image to classify (e.g. "SR: Structured Report"), or null if it is one. */
export function nonImageReason(frame: FrameMeta | undefined): string | null {
  if (!frame) return 'no frames';
  const uid = frame.sopClassUID ?? '';
  const known = NON_IMAGE_CLASSES.find((c) => (c.prefix ? uid.startsWith(c.uid) : uid === c.uid));
  const modality = frame.modality || 'unknown modality';
  if (known) return `${modality}: ${known.name}`;
  if (NON_IMAGE_MODALITIES.has(frame.modality)) return `${modality}`;
  if (!(frame.rows > 0 && frame.columns > 0)) return `${modality}: no Rows/Columns`;
  return null;
}
