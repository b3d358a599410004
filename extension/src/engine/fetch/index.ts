/** The fetch stage: DICOMweb and Part-10 access, metadata → FrameMeta, frame decoding. */
export * from './dicomJson';
export * from './frameInfo';
export * from './metadataToFrames';
export * from './transferSyntax';
export * from './pixelConversion';
export * from './decodeFrame';
export * from './rle';
export * from './retry';
export * from './dicomWebArchive';
export * from './qidoPaging';
export * from './DicomWebPixelSource';
export * from './part10';
