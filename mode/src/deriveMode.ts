/**
 * Builds a mode instance from the viewer's basic mode with a few changes (id, route, panels, hanging
 * protocol, modalities, hotkeys). A plain object merge: no immutability-helper needed.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- OHIF's mode objects are untyped JavaScript */

export interface BasicModeModule {
  modeFactory?: (this: any, args: { modeConfiguration?: unknown }) => any;
  modeInstance?: any;
}

/** What OHIF passes to a mode's onModeEnter, as far as this mode uses it (the rest goes to the basic mode). */
export interface ModeEnterArgs {
  servicesManager: { services: { customizationService?: { setCustomizations(customizations: Record<string, unknown>): void } } };
  commandsManager: { runCommand(commandName: string): unknown };
}

export interface DeriveOptions {
  id: string;
  routeName: string;
  displayName: string;
  rightPanels: string[];
  hangingProtocol: string;
  modalities: string[];
  /** Command run when the mode enters (after the basic mode's own onModeEnter). */
  startCommand: string;
  hotkeys: Array<{ commandName: string; label: string; keys: string[]; isEditable?: boolean }>;
  modeConfiguration?: Record<string, unknown>;
}

export async function deriveMode(basic: BasicModeModule, options: DeriveOptions): Promise<any> {
  const base = basic.modeFactory ? await basic.modeFactory.call(basic, { modeConfiguration: undefined }) : basic.modeInstance;
  if (!base?.routes?.length) throw new Error("body-region mode: the viewer's basic mode has no route to derive from");
  const baseRoute = base.routes[0];
  const baseLayout = baseRoute.layoutInstance;
  const route = {
    ...baseRoute,
    path: options.routeName,
    layoutInstance: {
      ...baseLayout,
      props: {
        ...baseLayout.props,
        rightPanels: options.rightPanels,
        rightPanelClosed: false,
      },
    },
  };
  const instance = {
    ...base,
    id: options.id,
    routeName: options.routeName,
    displayName: options.displayName,
    hide: false,
    routes: [route],
    hangingProtocol: options.hangingProtocol,
    modeModalities: options.modalities,
    onModeEnter(this: unknown, args: ModeEnterArgs) {
      base.onModeEnter?.call(this, args);
      const { customizationService } = args.servicesManager.services;
      try {
        customizationService?.setCustomizations({ 'ohif.hotkeyBindings': { $push: options.hotkeys } });
      } catch (error) {
        console.warn('[body-region] could not add hotkeys', error);
      }
      args.commandsManager.runCommand(options.startCommand);
    },
    onModeExit(this: unknown, args: unknown) {
      base.onModeExit?.call(this, args);
    },
    ...(options.modeConfiguration ?? {}),
  };
  return instance;
}
