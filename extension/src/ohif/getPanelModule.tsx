/** The right-hand panel. The host gets a hook-free island component (see panels/PanelIsland.ts). */
import React from 'react';
import { HOTKEYS, PANEL_NAME } from './ids';
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import { createIslandComponent } from './panels/PanelIsland';
import { ConnectedPanel, PanelActions } from './panels/ConnectedPanel';
import { PANEL_CSS } from './panels/panelStyles';
import { jumpToRegion } from './services/navigation';
import { downloadResults } from './exportResults';
import { startSession } from './session';
import { currentSiteController } from './siteSession';
import { CORRECTIONS_CSS } from './panels/CorrectionsSection';
import { appearanceOf } from './appearance';

function hint(keys: string[]): string {
  return keys.map((k) => k.replace('alt+', 'Alt+').replace('down', '↓').replace('up', '↑')).join(', ');
}

export function getPanelModule(ctx: OhifContext) {
  const actions: PanelActions = {
    selectRegion: (seriesInstanceUID, segmentIndex) => jumpToRegion(ctx, runtime.service, seriesInstanceUID, segmentIndex),
    rerun: () => (runtime.session ?? startSession(ctx)).classifyStudy(),
    cancel: () => runtime.service.cancel(),
    exportResults: () => downloadResults(runtime.service),
    shortcutHint: `${hint(HOTKEYS.previousRegion)} / ${hint(HOTKEYS.nextRegion)}`,
    site: currentSiteController,
    appearance: () => appearanceOf(ctx),
  };
  const component = createIslandComponent(
    'BodyRegionPanel',
    () => <ConnectedPanel service={runtime.service} actions={actions} />,
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
