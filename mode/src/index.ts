/**
 * The `body-region` OHIF mode: the basic viewer with the study browser on the left, the body-region
 * panel on the right and the "by region" hanging protocol. Valid for studies with CT or MR.
 *
 * Derived at run time from the viewer's own basic mode (`loadModules(['@ohif/mode-basic'])`), so it
 * follows whatever that mode does (toolbar, tools, viewports) in the viewer it is loaded into.
 */
import { COMMANDS, HOTKEYS, MODE_ID, MODE_ROUTE, PANEL_ID, PROTOCOL_BY_REGION } from '@ohif-body-region/extension/ids';
import { deriveMode, BasicModeModule } from './deriveMode';

export interface ModeFactoryArgs {
  modeConfiguration?: Record<string, unknown>;
  loadModules: (names: string[]) => Promise<unknown[]>;
}

const mode = {
  id: MODE_ID,
  routeName: MODE_ROUTE,
  displayName: 'Body regions',
  async modeFactory({ modeConfiguration, loadModules }: ModeFactoryArgs) {
    const [basic] = (await loadModules(['@ohif/mode-basic'])) as [BasicModeModule];
    return deriveMode(basic, {
      id: MODE_ID,
      routeName: MODE_ROUTE,
      displayName: 'Body regions',
      rightPanels: [PANEL_ID],
      hangingProtocol: PROTOCOL_BY_REGION,
      modalities: ['CT', 'MR'],
      startCommand: COMMANDS.startSession,
      hotkeys: [
        { commandName: COMMANDS.nextRegion, label: 'Next body region', keys: HOTKEYS.nextRegion, isEditable: true },
        { commandName: COMMANDS.previousRegion, label: 'Previous body region', keys: HOTKEYS.previousRegion, isEditable: true },
      ],
      modeConfiguration,
    });
  },
};

export default mode;
