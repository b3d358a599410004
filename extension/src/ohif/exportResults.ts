/** "Export results as JSON": the raw per-series results (schema body-region-result/1) and the study summary. */
import type { BodyRegionService } from './services/BodyRegionService';

export function resultsDocument(service: BodyRegionService): Record<string, unknown> {
  const state = service.getState();
  return {
    schema: 'body-region-study-export/1',
    exportedAt: new Date().toISOString(),
    studyInstanceUID: state.studyInstanceUID,
    summary: state.summary,
    series: service.getRawResults(),
    notClassified: state.series
      .filter((s) => s.status !== 'done')
      .map((s) => ({ seriesInstanceUID: s.seriesInstanceUID, status: s.status, error: s.error })),
  };
}

/** Offers the document as a file download; returns it too (scripts, tests). */
export function downloadResults(service: BodyRegionService): Record<string, unknown> {
  const doc = resultsDocument(service);
  downloadJson(`body-regions-${doc.studyInstanceUID ?? 'study'}.json`, JSON.stringify(doc, null, 2));
  return doc;
}

/** Offers JSON text as a file download. */
export function downloadJson(fileName: string, text: string): void {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
