/**
 * QIDO-RS paging that survives archives which cap a page below the `limit` asked for (many do:
 * dcm4chee, cloud archives): the offset advances by what the archive actually returned, and paging
 * stops at the first EMPTY page, never at the first short one. An archive that ignores `offset`
 * (answers the same page again) is caught by the keys: a page with nothing new ends the paging.
 */
import type { DicomJsonDataset } from './dicomJson';

export type QidoPageSearch = (params: { limit: string; offset: string }) => Promise<DicomJsonDataset[]>;

export interface QidoPagingOptions {
  /** `limit` asked for per page (default 200); the archive may return fewer. */
  pageSize?: number;
  /** Identity of a match (e.g. its StudyInstanceUID): matches seen before are dropped. */
  key: (match: DicomJsonDataset) => string | undefined;
}

/** Every match of a QIDO search, in the archive's order, each key once. */
export async function searchAllPages(search: QidoPageSearch, options: QidoPagingOptions): Promise<DicomJsonDataset[]> {
  const pageSize = options.pageSize ?? 200;
  const seen = new Set<string>();
  const all: DicomJsonDataset[] = [];
  for (let offset = 0; ;) {
    const page = await search({ limit: String(pageSize), offset: String(offset) });
    if (page.length === 0) break;
    let added = 0;
    for (const match of page) {
      const key = options.key(match);
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      all.push(match);
      added++;
    }
    if (added === 0) break;
    offset += page.length;
  }
  return all;
}
