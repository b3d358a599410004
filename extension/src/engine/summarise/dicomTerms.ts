/**
 * DICOM BodyPartExamined defined terms and SNOMED CT codes (PS3.16 Annex L / CID 4031) of our
 * regions and of the combined trunk terms. A copy of models/labels.json, kept in code so that the
 * summaries work without a labels file at hand (study summaries, results read back from disk);
 * test/unit/labels.test.ts fails if the two drift apart.
 */
import type { CodedConcept } from '../types';

export const REGION_TERMS: Readonly<Record<string, { bodyPartExamined: string; snomed: CodedConcept } | null>> = {
  OTHER: null,
  HEAD: { bodyPartExamined: 'HEAD', snomed: { scheme: 'SCT', code: '69536005', meaning: 'Head' } },
  NECK: { bodyPartExamined: 'NECK', snomed: { scheme: 'SCT', code: '45048000', meaning: 'Neck' } },
  CHEST: { bodyPartExamined: 'CHEST', snomed: { scheme: 'SCT', code: '43799004', meaning: 'Chest' } },
  BREAST: { bodyPartExamined: 'BREAST', snomed: { scheme: 'SCT', code: '76752008', meaning: 'Breast' } },
  ABDOMEN: { bodyPartExamined: 'ABDOMEN', snomed: { scheme: 'SCT', code: '818981001', meaning: 'Abdomen' } },
  PELVIS: { bodyPartExamined: 'PELVIS', snomed: { scheme: 'SCT', code: '816092008', meaning: 'Pelvis' } },
  SPINE: { bodyPartExamined: 'SPINE', snomed: { scheme: 'SCT', code: '421060004', meaning: 'Spine' } },
  SHOULDER: { bodyPartExamined: 'SHOULDER', snomed: { scheme: 'SCT', code: '16982005', meaning: 'Shoulder' } },
  UPPER_ARM: { bodyPartExamined: 'UPPERARM', snomed: { scheme: 'SCT', code: '40983000', meaning: 'Upper Arm' } },
  ELBOW: { bodyPartExamined: 'ELBOW', snomed: { scheme: 'SCT', code: '16953009', meaning: 'Elbow' } },
  FOREARM: { bodyPartExamined: 'FOREARM', snomed: { scheme: 'SCT', code: '14975008', meaning: 'Forearm' } },
  WRIST: { bodyPartExamined: 'WRIST', snomed: { scheme: 'SCT', code: '74670003', meaning: 'Wrist' } },
  HAND: { bodyPartExamined: 'HAND', snomed: { scheme: 'SCT', code: '85562004', meaning: 'Hand' } },
  HIP: { bodyPartExamined: 'HIP', snomed: { scheme: 'SCT', code: '24136001', meaning: 'Hip' } },
  THIGH: { bodyPartExamined: 'THIGH', snomed: { scheme: 'SCT', code: '68367000', meaning: 'Thigh' } },
  KNEE: { bodyPartExamined: 'KNEE', snomed: { scheme: 'SCT', code: '72696002', meaning: 'Knee' } },
  LOWER_LEG: { bodyPartExamined: 'LOWERLEG', snomed: { scheme: 'SCT', code: '30021000', meaning: 'Lower Leg' } },
  ANKLE: { bodyPartExamined: 'ANKLE', snomed: { scheme: 'SCT', code: '70258002', meaning: 'Ankle' } },
  FOOT: { bodyPartExamined: 'FOOT', snomed: { scheme: 'SCT', code: '56459004', meaning: 'Foot' } },
};

/** Combined terms, each for an exact run of adjacent trunk regions (WHOLEBODY: head to at least the thighs). */
export const COMBINED_TERMS: ReadonlyArray<{ bodyPartExamined: string; snomed: CodedConcept; regions: string[] }> = [
  { bodyPartExamined: 'HEADNECK', snomed: { scheme: 'SCT', code: '774007' }, regions: ['HEAD', 'NECK'] },
  { bodyPartExamined: 'NECKCHEST', snomed: { scheme: 'SCT', code: '417437006' }, regions: ['NECK', 'CHEST'] },
  { bodyPartExamined: 'CHESTABDOMEN', snomed: { scheme: 'SCT', code: '416550000' }, regions: ['CHEST', 'ABDOMEN'] },
  { bodyPartExamined: 'ABDOMENPELVIS', snomed: { scheme: 'SCT', code: '818982008' }, regions: ['ABDOMEN', 'PELVIS'] },
  { bodyPartExamined: 'CHESTABDPELVIS', snomed: { scheme: 'SCT', code: '416775004' }, regions: ['CHEST', 'ABDOMEN', 'PELVIS'] },
  { bodyPartExamined: 'NECKCHESTABDOMEN', snomed: { scheme: 'SCT', code: '416152001' }, regions: ['NECK', 'CHEST', 'ABDOMEN'] },
  {
    bodyPartExamined: 'NECKCHESTABDPELV',
    snomed: { scheme: 'SCT', code: '416319003' },
    regions: ['NECK', 'CHEST', 'ABDOMEN', 'PELVIS'],
  },
  {
    bodyPartExamined: 'WHOLEBODY',
    snomed: { scheme: 'SCT', code: '38266002' },
    regions: ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH'],
  },
];

/** The head-to-foot chain of axial trunk and leg regions that the combined terms are runs of. */
export const TRUNK_CHAIN: ReadonlyArray<string> = [
  'HEAD',
  'NECK',
  'CHEST',
  'ABDOMEN',
  'PELVIS',
  'THIGH',
  'KNEE',
  'LOWER_LEG',
  'ANKLE',
  'FOOT',
];
