/** Writes DICOM Part-10 files with dcmjs: our SRs, demo data for `npm start`, the test and benchmark factories. */
import * as dcmjs from 'dcmjs';

interface DcmjsWriter {
  DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset(ds: object): object };
}
const data = (dcmjs as unknown as { data: DcmjsWriter }).data;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** A naturalized dcmjs dataset (already encoded for `transferSyntaxUID`) as a Part-10 file. */
export function writePart10(naturalDataset: Record<string, unknown>, transferSyntaxUID = EXPLICIT_VR_LITTLE_ENDIAN): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: naturalDataset.SOPClassUID,
    MediaStorageSOPInstanceUID: naturalDataset.SOPInstanceUID,
    TransferSyntaxUID: transferSyntaxUID,
    ImplementationClassUID: '2.25.276153420911734236512847262190573801',
    ImplementationVersionName: 'BODY_REGION',
  };
  const dict = new data.DicomDict(data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = data.DicomMetaDictionary.denaturalizeDataset(naturalDataset);
  return new Uint8Array(dict.write());
}
