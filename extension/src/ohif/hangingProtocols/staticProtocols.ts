/**
 * Hanging protocols registered with the viewer (getHangingProtocolModule). They select display sets
 * through the custom attributes `bodyRegion` (main region of a display set) and `bodyRegions` (all
 * its regions), which read the classification results and fall back on DICOM tags before results.
 */
import {
  ATTRIBUTE_REGION,
  ATTRIBUTE_REGIONS,
  PROTOCOL_BY_REGION,
  PROTOCOL_MR_JOINTS,
  PROTOCOL_WHOLE_BODY,
  PROTOCOL_WHOLE_BODY_PET,
} from '../ids';
import { buildByRegionProtocol } from './buildByRegionProtocol';

const stackViewport = (viewportId: string, extra: Record<string, unknown> = {}) => ({
  viewportId,
  viewportType: 'stack',
  toolGroupId: 'default',
  allowUnmatchedView: true,
  ...extra,
});

/** Custom attributes return '' / [] when nothing is known (the host's validators choke on null). */
const KNOWN_REGIONS = [
  'HEAD',
  'NECK',
  'CHEST',
  'BREAST',
  'ABDOMEN',
  'PELVIS',
  'SPINE',
  'SHOULDER',
  'ARM',
  'ELBOW',
  'WRIST',
  'HAND',
  'HIP',
  'THIGH',
  'KNEE',
  'LEG',
  'ANKLE',
  'FOOT',
];

const hasImages = { attribute: 'numImageFrames', constraint: { greaterThan: { value: 0 } }, required: true };

/**
 * Initial content of the "by region" protocol (one viewport, the series with a known region
 * preferred). The extension replaces it with one viewport per region once regions are known.
 */
export const byRegionInitial = {
  ...buildByRegionProtocol([], 'tags'),
  displaySetSelectors: {
    anyImages: {
      seriesMatchingRules: [
        hasImages,
        { weight: 5, attribute: ATTRIBUTE_REGION, constraint: { contains: KNOWN_REGIONS } },
        { weight: 2, attribute: 'Modality', constraint: { equals: { value: 'CT' } } },
      ],
    },
  },
};

const wholeBodySelectors = {
  wholeBodyCT: {
    seriesMatchingRules: [
      { attribute: 'Modality', constraint: { equals: { value: 'CT' } }, required: true },
      hasImages,
      { weight: 3, attribute: ATTRIBUTE_REGIONS, constraint: { containsAll: ['CHEST', 'ABDOMEN', 'PELVIS'] } },
      { weight: 2, attribute: ATTRIBUTE_REGIONS, constraint: { contains: ['HEAD', 'THIGH'] } },
      { weight: 1, attribute: 'isReconstructable', constraint: { equals: { value: true } } },
    ],
  },
  wholeBodyPT: {
    seriesMatchingRules: [
      { attribute: 'Modality', constraint: { equals: { value: 'PT' } }, required: true },
      { weight: 2, attribute: 'SeriesDescription', constraint: { doesNotContain: { value: 'Uncorrected' } } },
    ],
  },
};

const ctViewport = {
  viewportOptions: stackViewport('body-region-wb-ct', { initialImageOptions: { preset: 'middle' } }),
  displaySets: [{ id: 'wholeBodyCT' }],
};

/** Whole-body CT navigation: the CT that covers the most trunk regions. */
export const wholeBodyProtocol = {
  id: PROTOCOL_WHOLE_BODY,
  name: 'Whole body CT',
  locked: true,
  protocolMatchingRules: [{ attribute: 'ModalitiesInStudy', constraint: { contains: ['CT'] }, required: true }],
  toolGroupIds: ['default'],
  numberOfPriorsReferenced: 0,
  displaySetSelectors: { wholeBodyCT: wholeBodySelectors.wholeBodyCT },
  stages: [{ name: 'CT', viewportStructure: { layoutType: 'grid', properties: { rows: 1, columns: 1 } }, viewports: [ctViewport] }],
};

/** PET-CT: the same CT with the (attenuation-corrected) PET beside it; only for studies with PET. */
export const wholeBodyPetProtocol = {
  ...wholeBodyProtocol,
  id: PROTOCOL_WHOLE_BODY_PET,
  name: 'Whole body PET-CT',
  protocolMatchingRules: [
    { attribute: 'ModalitiesInStudy', constraint: { contains: 'CT' }, required: true },
    { attribute: 'ModalitiesInStudy', constraint: { contains: 'PT' }, required: true },
  ],
  displaySetSelectors: wholeBodySelectors,
  stages: [
    {
      name: 'CT + PET',
      viewportStructure: { layoutType: 'grid', properties: { rows: 1, columns: 2 } },
      viewports: [
        ctViewport,
        {
          viewportOptions: stackViewport('body-region-wb-pt', { initialImageOptions: { preset: 'middle' } }),
          displaySets: [{ id: 'wholeBodyPT' }],
        },
      ],
    },
  ],
};

const JOINTS = ['SHOULDER', 'ELBOW', 'WRIST', 'HAND', 'HIP', 'KNEE', 'ANKLE', 'FOOT'];

/** MR of a joint: up to three joint series side by side (e.g. sagittal, coronal, axial). */
export const mrJointsProtocol = {
  id: PROTOCOL_MR_JOINTS,
  name: 'MR joints',
  locked: true,
  protocolMatchingRules: [{ attribute: 'ModalitiesInStudy', constraint: { contains: ['MR'] }, required: true }],
  toolGroupIds: ['default'],
  numberOfPriorsReferenced: 0,
  displaySetSelectors: {
    jointSeries: {
      seriesMatchingRules: [
        { attribute: 'Modality', constraint: { equals: { value: 'MR' } }, required: true },
        hasImages,
        { weight: 5, attribute: ATTRIBUTE_REGION, constraint: { contains: JOINTS } },
      ],
    },
  },
  stages: [
    {
      name: 'Joint, three series',
      viewportStructure: { layoutType: 'grid', properties: { rows: 1, columns: 3 } },
      viewports: [0, 1, 2].map((i) => ({
        viewportOptions: stackViewport(`body-region-joint-${i}`, { initialImageOptions: { preset: 'middle' } }),
        displaySets: [{ id: 'jointSeries', matchedDisplaySetsIndex: i }],
      })),
    },
  ],
};

export function staticProtocols(): Array<{ name: string; protocol: Record<string, unknown> }> {
  return [
    { name: PROTOCOL_BY_REGION, protocol: byRegionInitial },
    { name: PROTOCOL_WHOLE_BODY, protocol: wholeBodyProtocol },
    { name: PROTOCOL_WHOLE_BODY_PET, protocol: wholeBodyPetProtocol },
    { name: PROTOCOL_MR_JOINTS, protocol: mrJointsProtocol },
  ];
}
