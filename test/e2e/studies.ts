/**
 * Studies for the browser tests, built from real images of the shared data set (referenced by path,
 * never copied) with BodyPartExamined left out, so only the pixels can tell the regions:
 *   CT: one series stacking a head/neck CT on top of a chest/abdomen/pelvis CT (both 6 mm axial),
 *       plus a series whose pixel data is truncated (no frame can be decoded).
 *   MR: a head/neck T1 series and a pelvis/hip/thigh series.
 * The expected regions per slice come from the data set's labels.csv.
 */
import * as fs from 'fs';
import * as path from 'path';
import { makeSeries, newUid, SHARED_DATA, writeImage } from '../helpers/dicomFactory';
import { readNiftiVolume, Volume } from '../../extension/src/evaluation/nifti';

export interface BuiltStudy {
  studyInstanceUID: string;
  files: Uint8Array[];
  series: Array<{ seriesInstanceUID: string; description: string; expectedRegions: string[]; broken?: boolean }>;
}

function labelsOf(modality: 'ct' | 'mr', id: string): string[] {
  const csv = fs
    .readFileSync(path.join(SHARED_DATA, modality, 'labels.csv'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1);
  const out: string[] = [];
  for (const line of csv) {
    const [rowId, first, last, label] = line.split(',');
    if (rowId !== id) continue;
    for (let k = Number(first); k <= Number(last); k++) out[k] = label;
  }
  return out;
}

const volumePath = (modality: 'ct' | 'mr', id: string) => path.join(SHARED_DATA, modality, 'volumes', `${id}.nii.gz`);

function voxel(v: Volume, k: number, r: number, c: number): number {
  return Math.round(v.data[c + r * v.columns + k * v.columns * v.rows] * v.rescaleSlope + v.rescaleIntercept);
}

/** Several volumes of one in-plane size stacked along z (the first one lowest) as one series. */
async function stackedSeries(
  modality: 'ct' | 'mr',
  ids: string[],
  opts: { studyInstanceUID: string; seriesNumber: number; description: string; pixelSpacing: [number, number] },
): Promise<{ files: Uint8Array[]; seriesInstanceUID: string; labels: string[] }> {
  const volumes = await Promise.all(ids.map((id) => readNiftiVolume(volumePath(modality, id))));
  const { rows, columns } = volumes[0];
  if (volumes.some((v) => v.rows !== rows || v.columns !== columns)) throw new Error('stacked volumes must share their in-plane size');
  const starts: number[] = [];
  let total = 0;
  for (const v of volumes) {
    starts.push(total);
    total += v.slices;
  }
  const locate = (k: number) => {
    let i = volumes.length - 1;
    while (starts[i] > k) i--;
    return { v: volumes[i], local: k - starts[i] };
  };
  const series = await makeSeries({
    modality: modality === 'ct' ? 'CT' : 'MR',
    studyInstanceUID: opts.studyInstanceUID,
    seriesNumber: opts.seriesNumber,
    seriesDescription: opts.description,
    slices: total,
    rows,
    columns,
    spacingMm: volumes[0].sliceSpacingMm,
    pixelSpacing: opts.pixelSpacing,
    reverseInstanceNumbers: true,
    pixelRepresentation: 1,
    pixel: (k, r, c) => {
      const { v, local } = locate(k);
      return voxel(v, local, r, c);
    },
  });
  return { files: series.files, seriesInstanceUID: series.seriesInstanceUID, labels: ids.flatMap((id) => labelsOf(modality, id)) };
}

/** A CT series whose pixel data is cut short: the archive stores it, no frame can be decoded. */
async function brokenSeries(studyInstanceUID: string, seriesNumber: number): Promise<{ files: Uint8Array[]; seriesInstanceUID: string }> {
  const seriesInstanceUID = newUid();
  const files: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    files.push(
      await writeImage({
        syntax: 'explicit',
        sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
        sopInstanceUID: newUid(),
        studyInstanceUID,
        seriesInstanceUID,
        modality: 'CT',
        rows: 64,
        columns: 64,
        bitsAllocated: 16,
        pixelRepresentation: 1,
        photometricInterpretation: 'MONOCHROME2',
        stored: new Array(40).fill(0), // 80 bytes where 8192 are due
        extra: {
          SeriesNumber: seriesNumber,
          InstanceNumber: i + 1,
          SeriesDescription: 'Broken pixel data',
          ImagePositionPatient: [0, 0, i * 5],
          ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
          PixelSpacing: [1, 1],
          RescaleIntercept: 0,
          RescaleSlope: 1,
        },
      }),
    );
  }
  return { files, seriesInstanceUID };
}

const distinct = (labels: string[]) => [...new Set(labels)].filter((l) => l && l !== 'OTHER');

export async function buildCtStudy(): Promise<BuiltStudy> {
  const studyInstanceUID = newUid();
  const body = await stackedSeries('ct', ['xcist_tcgaov_abdpelvis', 'xcist_cptaclscc_headneck'], {
    studyInstanceUID,
    seriesNumber: 1,
    description: 'CT head to pelvis',
    pixelSpacing: [1.5, 1.5],
  });
  const broken = await brokenSeries(studyInstanceUID, 2);
  return {
    studyInstanceUID,
    files: [...body.files, ...broken.files],
    series: [
      { seriesInstanceUID: body.seriesInstanceUID, description: 'CT head to pelvis', expectedRegions: distinct(body.labels) },
      { seriesInstanceUID: broken.seriesInstanceUID, description: 'Broken pixel data', expectedRegions: [], broken: true },
    ],
  };
}

export async function buildMrStudy(): Promise<BuiltStudy> {
  const studyInstanceUID = newUid();
  const head = await stackedSeries('mr', ['r4_forrest-t1'], {
    studyInstanceUID,
    seriesNumber: 1,
    description: 'MR head T1',
    pixelSpacing: [1, 1.048],
  });
  const pelvis = await stackedSeries('mr', ['ibsi_sts_011_mr'], {
    studyInstanceUID,
    seriesNumber: 2,
    description: 'MR pelvis and thighs',
    pixelSpacing: [1.18, 1.18],
  });
  return {
    studyInstanceUID,
    files: [...head.files, ...pelvis.files],
    series: [
      { seriesInstanceUID: head.seriesInstanceUID, description: 'MR head T1', expectedRegions: distinct(head.labels) },
      { seriesInstanceUID: pelvis.seriesInstanceUID, description: 'MR pelvis and thighs', expectedRegions: distinct(pelvis.labels) },
    ],
  };
}
