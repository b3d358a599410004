/**
 * Names other parts refer to: the mode lists the panel and protocols by these ids,
 * docs/OHIF.md documents them. Kept free of imports so the mode bundle stays tiny.
 */
export const EXTENSION_ID = 'body-region';
export const PANEL_NAME = 'bodyRegion';
export const PANEL_ID = `${EXTENSION_ID}.panelModule.${PANEL_NAME}`;
export const SERVICE_NAME = 'bodyRegionService';
export const MODE_ID = 'body-region';
export const MODE_ROUTE = 'body-region';

/** Hanging protocol ids (registered by the extension's hangingProtocolModule). */
export const PROTOCOL_BY_REGION = '@body-region/by-region';
export const PROTOCOL_WHOLE_BODY = '@body-region/whole-body';
export const PROTOCOL_WHOLE_BODY_PET = '@body-region/whole-body-pet';
export const PROTOCOL_MR_JOINTS = '@body-region/mr-joints';

/** Custom hanging-protocol attributes (hangingProtocolService.addCustomAttribute). */
export const ATTRIBUTE_REGION = 'bodyRegion';
export const ATTRIBUTE_REGIONS = 'bodyRegions';

export const COMMANDS = {
  /** Run by the body-region mode's onModeEnter: watch the opening study and classify it. */
  startSession: 'bodyRegion.startSession',
  classifyStudy: 'bodyRegion.classifyStudy',
  rerun: 'bodyRegion.rerun',
  cancel: 'bodyRegion.cancel',
  jumpToRegion: 'bodyRegion.jumpToRegion',
  nextRegion: 'bodyRegion.nextRegion',
  previousRegion: 'bodyRegion.previousRegion',
  exportResults: 'bodyRegion.exportResults',
  applyRegionLayout: 'bodyRegion.applyRegionLayout',
  /** { framesFromViewer }: frames the worker took from the viewer's cache instead of the archive. */
  getStats: 'bodyRegion.getStats',
} as const;

/** Default keyboard shortcuts (mousetrap syntax, as OHIF's hotkeys manager uses). */
export const HOTKEYS = {
  nextRegion: ['alt+down'],
  previousRegion: ['alt+up'],
};
