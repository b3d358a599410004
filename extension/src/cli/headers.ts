/**
 * Request headers for a DICOMweb archive (authorization). Safer than `--header` on the command line,
 * which shows in `ps` and in npm's own banner (`npm start -- --header …`): a file
 * (`--header-file` or BODY_REGION_HEADER_FILE, one `Name: value` per line) or the environment
 * (BODY_REGION_AUTH_HEADER, one `Name: value`). Values are never echoed back.
 */
import * as fs from 'fs';
import { CliError, ExitCode } from './exitCodes';

export const AUTH_HEADER_ENV = 'BODY_REGION_AUTH_HEADER';
export const HEADER_FILE_ENV = 'BODY_REGION_HEADER_FILE';

/** Parses `Name: value` lines; `source` names where they came from in errors (never the value). */
export function parseHeaders(entries: string[] = [], source = '--header'): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError(`${source} expects 'Name: value' (got a header without a valid name)`, ExitCode.Usage);
    }
    headers[name] = entry.slice(colon + 1).trim();
  }
  return headers;
}

/** Non-empty lines of a header file that are not `#` comments. */
function headerFileLines(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the header file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.Usage);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export interface HeaderSources {
  /** `--header` values (kept for scripts; documented as the less safe way). */
  header?: string[];
  /** `--header-file`. */
  headerFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Headers from the file, then the environment, then `--header` (a later source wins per name). */
export function archiveHeaders({ header = [], headerFile, env = process.env }: HeaderSources): Record<string, string> {
  const file = headerFile ?? env[HEADER_FILE_ENV];
  return {
    ...(file ? parseHeaders(headerFileLines(file), `header file ${file}`) : {}),
    ...(env[AUTH_HEADER_ENV] ? parseHeaders([env[AUTH_HEADER_ENV]!], AUTH_HEADER_ENV) : {}),
    ...parseHeaders(header),
  };
}
