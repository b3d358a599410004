/** Binds the panel to the bodyRegion service (our React, inside the island). */
import React, { useSyncExternalStore } from 'react';
import { BodyRegionPanel } from './BodyRegionPanel';
import type { BodyRegionService } from '../services/BodyRegionService';
import { ArchiveSection } from './ArchiveSection';
import { resultSources, saveStudyToArchive } from '../archiveSession';

export interface PanelActions {
  selectRegion: (seriesInstanceUID: string, segmentIndex: number) => void;
  rerun: () => void;
  cancel: () => void;
  exportResults: () => void;
  shortcutHint?: string;
}

export function ConnectedPanel({ service, actions }: { service: BodyRegionService; actions: PanelActions }): React.ReactElement {
  const state = useSyncExternalStore(
    (onChange) => service.subscribe(service.EVENTS.STATE_CHANGED, onChange).unsubscribe,
    () => service.getState(),
  );
  return (
    <BodyRegionPanel
      state={state}
      onSelectRegion={actions.selectRegion}
      onRerun={actions.rerun}
      onCancel={actions.cancel}
      onExport={actions.exportResults}
      shortcutHint={actions.shortcutHint}
      footer={<ArchiveSection sources={resultSources} series={state.series} onSave={() => void saveStudyToArchive()} />}
    />
  );
}
