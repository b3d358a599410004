/** Exit codes of `body-region` (documented in docs/CLI.md). */
export const ExitCode = {
  /** Every series classified (non-image series such as SR are reported and do not count as failures). */
  Ok: 0,
  /** Wrong or missing arguments. */
  Usage: 1,
  /** At least one image series could not be classified (its line in the output says why). */
  SomeSeriesFailed: 2,
  /** The archive could not be reached or refused the first query. */
  ArchiveUnreachable: 3,
  /** The model could not be loaded. */
  ModelFailed: 4,
  /** Nothing to classify: no DICOM files, or the studies asked for do not exist. */
  NothingFound: 5,
  /** `--stow`: the archive refused to store an SR (every series was classified; the results are in the output). */
  StowFailed: 6,
  /** An unexpected internal error (a bug): the message on stderr says where. */
  Internal: 70,
  /** Interrupted (Ctrl-C); finished series are in the output, the run can be resumed. */
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
