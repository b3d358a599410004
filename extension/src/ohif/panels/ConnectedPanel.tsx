/** Binds the panel to the bodyRegion service (our React, inside the island). */
import React, { useSyncExternalStore } from 'react';
import { BodyRegionPanel } from './BodyRegionPanel';
import type { BodyRegionService } from '../services/BodyRegionService';
import { ArchiveSection } from './ArchiveSection';
import { CorrectionsSection } from './CorrectionsSection';
import type { SiteController } from '../services/siteController';
import type { Appearance } from '../appearance';
import { AppearanceContext } from './appearanceContext';

export interface PanelActions {
  selectRegion: (seriesInstanceUID: string, segmentIndex: number) => void;
  rerun: () => void;
  cancel: () => void;
  exportResults: () => void;
  /** "Save to archive" (shown only when write-back is enabled). */
  saveToArchive?: () => void;
  shortcutHint?: string;
  /** The site corrections (made when a study opens), or null before. */
  site?: () => SiteController | null;
  /** Names and colours as the site customized them (the defaults without). */
  appearance?: () => Appearance;
}

export function ConnectedPanel({ service, actions }: { service: BodyRegionService; actions: PanelActions }): React.ReactElement {
  const state = useSyncExternalStore(
    (onChange) => service.subscribe(service.EVENTS.STATE_CHANGED, onChange).unsubscribe,
    () => service.getState(),
  );
  const site = actions.site?.() ?? null;
  const panel = (
    <BodyRegionPanel
      state={state}
      onSelectRegion={actions.selectRegion}
      onRerun={actions.rerun}
      onCancel={actions.cancel}
      onExport={actions.exportResults}
      shortcutHint={actions.shortcutHint}
      footer={
        <>
          <ArchiveSection sources={service.resultSources} series={state.series} onSave={() => actions.saveToArchive?.()} />
          {site && <ConnectedCorrections site={site} />}
        </>
      }
    />
  );
  return actions.appearance ? <AppearanceContext.Provider value={actions.appearance()}>{panel}</AppearanceContext.Provider> : panel;
}

/** The corrections section bound to the site controller; re-rendered with the panel (the cursor moves there). */
export function ConnectedCorrections({ site }: { site: SiteController }): React.ReactElement | null {
  const snapshot = useSyncExternalStore(site.subscribe, site.getSnapshot);
  if (!snapshot.available) return null;
  return (
    <>
      <CorrectionsSection
        labels={snapshot.labels}
        target={site.target()}
        corrections={snapshot.corrections}
        status={snapshot.status}
        enabled={snapshot.enabled}
        onSetRegion={(label) => void site.setRegion(label)}
        onMoveBoundary={() => void site.moveBoundary()}
        onMarkOther={() => void site.markOther()}
        onUndo={() => void site.undo()}
        onReset={() => void site.reset()}
        onToggle={(enabled) => void site.setEnabled(enabled)}
        onExport={() => void site.exportFile()}
        onImport={(text) => void site.importText(text)}
      />
      {snapshot.error && (
        <div className="br-error" role="alert" data-testid="br-corrections-error">
          {snapshot.error}
        </div>
      )}
    </>
  );
}
