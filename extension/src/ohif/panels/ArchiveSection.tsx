/**
 * The panel's "Results in the archive" section: per series, where its result came from (our SR in
 * the archive, this browser's cache, or computed now) and any outdated SR of ours; and, when the
 * app config enables write-back, "Save to archive". Self-contained (own store, inline styles).
 */
import React, { useSyncExternalStore } from 'react';
import type { SeriesView } from '../services/viewTypes';
import type { ResultSources, SeriesSource } from '../services/resultSources';

const style = {
  box: { borderTop: '1px solid #1f2937', marginTop: 8, paddingTop: 8, fontSize: 11, color: '#9ca3af' },
  line: { display: 'flex', gap: 6, justifyContent: 'space-between' },
  name: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' as const, color: '#d1d5db' },
  outdated: { color: '#fbbf24' },
  error: { color: '#fca5a5' },
  button: {
    background: '#1f2937',
    color: '#e5e7eb',
    border: '1px solid #374151',
    borderRadius: 4,
    padding: '2px 6px',
    fontSize: 11,
    cursor: 'pointer',
    marginTop: 6,
  },
};

export function sourceLabel(s: SeriesSource): string {
  const base =
    s.source === 'archive'
      ? `archive SR${s.srCreatedAt ? ` (${s.srCreatedAt.slice(0, 10)})` : ''}`
      : s.source === 'cache'
        ? "this browser's cache"
        : 'computed now';
  const saved = s.saved && s.source !== 'archive' ? `${base} · saved to archive` : base;
  return s.adapted ? `${saved} · ${s.adapted}` : saved;
}

export interface ArchiveSectionProps {
  sources: ResultSources;
  series: SeriesView[];
  onSave: () => void;
}

export function ArchiveSection({ sources, series, onSave }: ArchiveSectionProps): React.ReactElement | null {
  const snapshot = useSyncExternalStore(sources.subscribe.bind(sources), () => sources.getSnapshot());
  const known = series.filter((s) => snapshot.series[s.seriesInstanceUID]);
  if (!known.length && !snapshot.writeBack) return null;
  const unsaved = known.filter(
    (s) => s.status === 'done' && snapshot.series[s.seriesInstanceUID].source !== 'archive' && !snapshot.series[s.seriesInstanceUID].saved,
  );
  const saving = snapshot.save.status === 'saving';
  return (
    <div style={style.box} data-testid="br-archive">
      {known.map((s) => {
        const src = snapshot.series[s.seriesInstanceUID];
        return (
          <div key={s.seriesInstanceUID} data-testid="br-source" data-series-uid={s.seriesInstanceUID} data-source={src.source}>
            <div style={style.line}>
              <span style={style.name}>{s.description || s.seriesInstanceUID}</span>
              <span>{sourceLabel(src)}</span>
            </div>
            {src.outdated.map((reason, i) => (
              <div key={i} style={style.outdated} data-testid="br-outdated">
                Outdated archive SR: {reason}
              </div>
            ))}
          </div>
        );
      })}
      {snapshot.writeBack && (
        <div>
          <button
            type="button"
            style={style.button}
            onClick={onSave}
            disabled={saving || unsaved.length === 0}
            data-testid="br-save-archive"
            title="Store the results as DICOM SRs in the archive"
          >
            Save to archive
          </button>
          {snapshot.save.message && (
            <div
              style={snapshot.save.status === 'error' ? style.error : undefined}
              role={snapshot.save.status === 'error' ? 'alert' : undefined}
              data-testid="br-save-status"
              data-status={snapshot.save.status}
            >
              {snapshot.save.message}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
