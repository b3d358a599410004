/** The right-hand panel. The host gets a hook-free island component (see panels/PanelIsland.ts). */
import React from 'react';
import { HOTKEYS, PANEL_NAME } from './ids';
import type { OhifContext } from './ohifTypes';
import { bodyRegionServiceOf } from './services/BodyRegionService';
import { createIslandComponent } from './panels/PanelIsland';
import { ConnectedPanel, PanelActions } from './panels/ConnectedPanel';
import { PANEL_CSS } from './panels/panelStyles';
import { jumpToRegion } from './services/navigation';
import { downloadResults } from './exportResults';
import { CORRECTIONS_CSS } from './panels/CorrectionsSection';
import { appearanceOf } from './appearance';

function hint(keys: string[]): string {
  return keys.map((k) => k.replace('alt+', 'Alt+').replace('down', '↓').replace('up', '↑')).join(', ');
}

export function getPanelModule(ctx: OhifContext) {
  // The services manager made the service before any module getter runs.
  const service = bodyRegionServiceOf(ctx);
  const actions: PanelActions = {
    selectRegion: (seriesInstanceUID, segmentIndex) => jumpToRegion(ctx, service, seriesInstanceUID, segmentIndex),
    rerun: () => service.currentSession().classifyStudy(),
    cancel: () => service.cancel(),
    exportResults: () => downloadResults(service),
    saveToArchive: () => void service.saveToArchive(),
    shortcutHint: `${hint(HOTKEYS.previousRegion)} / ${hint(HOTKEYS.nextRegion)}`,
    site: () => service.site(),
    appearance: () => appearanceOf(ctx),
  };
  const component = createIslandComponent(
    'BodyRegionPanel',
    () => <ConnectedPanel service={service} actions={actions} />,
    PANEL_CSS + CORRECTIONS_CSS,
  );
  return [
    {
      name: PANEL_NAME,
      iconName: 'tab-linear',
      iconLabel: 'Regions',
      label: 'Body regions',
      component,
    },
  ];
}
