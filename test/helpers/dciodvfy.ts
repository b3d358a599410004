/**
 * Validates DICOM files with David Clunie's dciodvfy (Debian package dicom3tools). Errors always
 * fail; warnings fail too, except the accepted ones listed here (docs/SR.md says why).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * dciodvfy knows only the coding schemes of PS3.16 and warns once per use of our private scheme,
 * even though the SR declares it in CodingSchemeIdentificationSequence.
 */
export const ACCEPTED_WARNINGS: RegExp[] = [
  /^Warning - Unrecognized defined term <99BODYRGN> for value 1 of attribute <Coding Scheme Designator>$/,
];

export interface DciodvfyReport {
  /** The IOD dciodvfy recognised (first line), e.g. EnhancedSR. */
  iod: string;
  errors: string[];
  /** Warnings other than the accepted ones. */
  warnings: string[];
  accepted: number;
}

export function dciodvfy(bytes: Uint8Array): DciodvfyReport {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dciodvfy-'));
  const file = path.join(dir, 'sr.dcm');
  try {
    fs.writeFileSync(file, bytes);
    const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
    if (run.error) throw new Error(`dciodvfy could not run (apt-get install dicom3tools): ${run.error.message}`);
    const lines = `${run.stdout}\n${run.stderr}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const report: DciodvfyReport = { iod: lines[0] ?? '', errors: [], warnings: [], accepted: 0 };
    for (const line of lines.slice(1)) {
      if (/^Error/.test(line)) report.errors.push(line);
      else if (ACCEPTED_WARNINGS.some((re) => re.test(line))) report.accepted++;
      else if (/^Warning/.test(line)) report.warnings.push(line);
    }
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Jest-friendly: throws with dciodvfy's own lines when the file is not a clean Enhanced SR. */
export function expectValidSr(bytes: Uint8Array): void {
  const report = dciodvfy(bytes);
  const problems = [...report.errors, ...report.warnings];
  if (report.iod !== 'EnhancedSR' || problems.length) {
    throw new Error(`dciodvfy: IOD ${report.iod}\n${problems.join('\n')}`);
  }
}
