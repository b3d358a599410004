import { CliError, ExitCode } from './exitCodes';

/** Parses repeated `--header 'Name: value'` options. Values are never echoed back. */
export function parseHeaders(entries: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError(`--header expects 'Name: value' (got a header without a valid name)`, ExitCode.Usage);
    }
    headers[name] = entry.slice(colon + 1).trim();
  }
  return headers;
}
