/**
 * Demo data for `npm start`, only from sources whose licences allow it:
 *   - Debian's invesalius-examples (GPL-2): the "ProMED CT 0051" head CT inside Cranium.inv3,
 *     converted to a DICOM CT series (108 axial slices, 0.957 mm pixels, 1.5 mm apart);
 *   - Debian's python3-pydicom test files (MIT-style licence, see the package's copyright):
 *     CT_small.dcm and MR_small.dcm, each also as a copy without BodyPartExamined / with a
 *     wrong BodyPartExamined so the panel's tag badge has something to show.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as dcmjs from 'dcmjs';
import { writePart10 } from './part10';

export const INVESALIUS_PROJECT = '/usr/share/doc/invesalius-examples/examples/Cranium.inv3';
export const PYDICOM_TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

interface DcmjsData {
  DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
  DicomMessage: { readFile(b: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
  DicomMetaDictionary: {
    denaturalizeDataset(ds: object): Record<string, unknown>;
    naturalizeDataset(ds: object): Record<string, unknown>;
  };
}
const data = (dcmjs as unknown as { data: DcmjsData }).data;
// dcmjs warns about every private tag of the GE test file; the demo does not need to hear it.
(dcmjs as unknown as { log: { setLevel(level: string): void } }).log.setLevel('error');

/** A UID derived from a name, so demo data keeps its UIDs across runs (loaded once, never twice). */
export function stableUid(name: string): string {
  const digits = BigInt('0x' + crypto.createHash('sha256').update(name).digest('hex').slice(0, 30)).toString();
  return `2.25.${digits}`.slice(0, 64);
}

const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

/** The InVesalius sample as a CT series, or null when the package is not installed. */
export function invesaliusSeries(projectPath = INVESALIUS_PROJECT): Uint8Array[] | null {
  if (!fs.existsSync(projectPath)) return null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'body-region-inv3-'));
  try {
    // An .inv3 project is a gzip'd tar: main.plist (shape, spacing) and matrix.dat (int16 HU, z y x).
    execFileSync('tar', ['xzf', projectPath, '-C', tmp, '--wildcards', '*/main.plist', '*/matrix.dat']);
    const dir = path.join(tmp, fs.readdirSync(tmp)[0]);
    const plist = fs.readFileSync(path.join(dir, 'main.plist'), 'utf8');
    const shape = [
      ...(plist.match(/<key>shape<\/key>\s*<array>([\s\S]*?)<\/array>/)?.[1] ?? '').matchAll(/<integer>(\d+)<\/integer>/g),
    ].map((m) => Number(m[1]));
    const spacing = [
      ...(plist.match(/<key>spacing<\/key>\s*<array>([\s\S]*?)<\/array>/)?.[1] ?? '').matchAll(/<real>([\d.]+)<\/real>/g),
    ].map((m) => Number(m[1]));
    const [slices, rows, columns] = shape;
    const raw = fs.readFileSync(path.join(dir, 'matrix.dat'));
    if (!slices || raw.length < slices * rows * columns * 2) return null;
    const study = stableUid('invesalius-cranium-study');
    const series = stableUid('invesalius-cranium-series');
    const files: Uint8Array[] = [];
    const sliceBytes = rows * columns * 2;
    for (let k = 0; k < slices; k++) {
      // Slice 0 of the matrix is the most inferior one (the skull base; the last ones are above the vertex).
      // Rows are stored posterior first (the head rest at the top): flip them so anterior is up.
      const pixels = Buffer.alloc(sliceBytes);
      const rowBytes = columns * 2;
      for (let r = 0; r < rows; r++) {
        raw.copy(pixels, r * rowBytes, k * sliceBytes + (rows - 1 - r) * rowBytes, k * sliceBytes + (rows - r) * rowBytes);
      }
      files.push(
        writePart10({
          ...demoPatient('InVesalius^Cranium', 'INVESALIUS-0051', study, 'CT head (InVesalius sample ProMED CT 0051)'),
          SOPClassUID: CT_IMAGE,
          SOPInstanceUID: stableUid(`invesalius-cranium-${k}`),
          SeriesInstanceUID: series,
          SeriesNumber: 1,
          SeriesDescription: 'Head CT',
          InstanceNumber: slices - k,
          Modality: 'CT',
          ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
          ImagePositionPatient: [-(columns * spacing[0]) / 2, -(rows * spacing[1]) / 2, k * spacing[2]],
          ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
          PixelSpacing: [spacing[1], spacing[0]],
          SliceThickness: spacing[2],
          SamplesPerPixel: 1,
          PhotometricInterpretation: 'MONOCHROME2',
          Rows: rows,
          Columns: columns,
          BitsAllocated: 16,
          BitsStored: 16,
          HighBit: 15,
          PixelRepresentation: 1,
          RescaleIntercept: 0,
          RescaleSlope: 1,
          RescaleType: 'HU',
          WindowCenter: 40,
          WindowWidth: 400,
          PixelData: pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength),
          _vrMap: { PixelData: 'OW' },
        }),
      );
    }
    return files;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function demoPatient(name: string, id: string, study: string, description: string): Record<string, unknown> {
  return {
    PatientName: name,
    PatientID: id,
    PatientBirthDate: '',
    PatientSex: 'O',
    StudyInstanceUID: study,
    StudyDate: '20120914',
    StudyTime: '120000',
    StudyID: '1',
    StudyDescription: description,
    AccessionNumber: '',
    ReferringPhysicianName: '',
    Manufacturer: 'body-region demo',
  };
}

/**
 * A pydicom test file re-identified into its own demo series, BodyPartExamined set to `bodyPart`
 * (null: removed). The original UIDs are replaced so the copies do not collide with each other.
 */
export function pydicomCopy(file: string, name: string, bodyPart: string | null): Uint8Array | null {
  const full = path.join(PYDICOM_TEST_FILES, file);
  if (!fs.existsSync(full)) return null;
  const bytes = fs.readFileSync(full);
  const message = data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const dataset = data.DicomMetaDictionary.naturalizeDataset(message.dict);
  delete dataset.BodyPartExamined;
  if (bodyPart) dataset.BodyPartExamined = bodyPart;
  dataset.StudyInstanceUID = stableUid(`pydicom-${name}-study`);
  dataset.SeriesInstanceUID = stableUid(`pydicom-${name}-series`);
  dataset.SOPInstanceUID = stableUid(`pydicom-${name}-sop`);
  dataset.SeriesDescription = `${file.replace('.dcm', '')} (pydicom test file)`;
  dataset.StudyDescription = `pydicom test file ${file}${bodyPart ? `, BodyPartExamined ${bodyPart}` : ', no BodyPartExamined'}`;
  return writePart10(dataset);
}

/** Everything the demo loads, with a label per group for the start-up log. */
export function demoDataSets(): Array<{ label: string; files: Uint8Array[] }> {
  const sets: Array<{ label: string; files: Uint8Array[] }> = [];
  const head = invesaliusSeries();
  if (head) sets.push({ label: 'InVesalius head CT (invesalius-examples)', files: head });
  const copies: Array<[string, string, string | null]> = [
    ['CT_small.dcm', 'ct-small', null],
    ['CT_small.dcm', 'ct-small-wrong-tag', 'KNEE'],
    ['MR_small.dcm', 'mr-small', null],
  ];
  for (const [file, name, bodyPart] of copies) {
    const copy = pydicomCopy(file, name, bodyPart);
    if (copy) sets.push({ label: `${file}${bodyPart ? ` (BodyPartExamined ${bodyPart})` : ' (no BodyPartExamined)'}`, files: [copy] });
  }
  return sets;
}
