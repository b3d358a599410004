/**
 * What a site may change about how regions look, read through OHIF's customizationService: the
 * names shown for region labels and Annex L terms, the region colours, the panel's colours and the
 * regions the by-region layout gives a viewport to (in viewport order). The extension's
 * customization module (getCustomizationModule.ts) declares the defaults; app-config.js overrides
 * them (docs/OHIF.md, "Customizations"). A missing or malformed value falls back to the default
 * entry by entry, so a site may set only the entries it changes.
 */
import { ANATOMICAL_ORDER } from '../engine/decode/anatomy';
import type { OhifContext } from './ohifTypes';
import { annexLName, REGION_NAMES, regionName, TERM_NAMES } from './regionNames';
import { REGION_COLOURS, regionColour } from './panels/regionColours';

export const CUSTOMIZATION_KEYS = {
  regionNames: 'bodyRegion.regionNames',
  termNames: 'bodyRegion.termNames',
  regionColours: 'bodyRegion.regionColours',
  panelColours: 'bodyRegion.panelColours',
  layoutRegions: 'bodyRegion.layoutRegions',
} as const;

/** The panel's colours (CSS colour values); panelStyles.ts uses them as CSS variables. */
export interface PanelColours {
  background: string;
  text: string;
  muted: string;
  accent: string;
  summaryBackground: string;
  summaryBorder: string;
  error: string;
}

export const DEFAULT_PANEL_COLOURS: PanelColours = {
  background: '#000',
  text: '#d1d5db',
  muted: '#9ca3af',
  accent: '#5acce6',
  summaryBackground: '#0b1a42',
  summaryBorder: '#1e3a8a',
  error: '#fca5a5',
};

export interface Appearance {
  regionName(label: string): string;
  termName(term: string): string;
  regionColour(label: string): string;
  panelColours: PanelColours;
  /** Regions the by-region layout may show, in viewport order (OTHER never). */
  layoutRegions: readonly string[];
}

/** The customization module's values: what a site gets without customizing anything. */
export const DEFAULT_CUSTOMIZATIONS = {
  [CUSTOMIZATION_KEYS.regionNames]: { ...REGION_NAMES },
  [CUSTOMIZATION_KEYS.termNames]: { ...TERM_NAMES },
  [CUSTOMIZATION_KEYS.regionColours]: { ...REGION_COLOURS },
  [CUSTOMIZATION_KEYS.panelColours]: { ...DEFAULT_PANEL_COLOURS },
  [CUSTOMIZATION_KEYS.layoutRegions]: [...ANATOMICAL_ORDER],
};

function appearanceFrom(
  names: Record<string, string>,
  terms: Record<string, string>,
  colours: Record<string, string>,
  panelColours: PanelColours,
  layoutRegions: readonly string[],
): Appearance {
  return {
    regionName: (label) => regionName(label, names),
    termName: (term) => annexLName(term, terms, names),
    regionColour: (label) => regionColour(label, colours),
    panelColours,
    layoutRegions,
  };
}

export const DEFAULT_APPEARANCE: Appearance = appearanceFrom(
  REGION_NAMES,
  TERM_NAMES,
  REGION_COLOURS,
  DEFAULT_PANEL_COLOURS,
  ANATOMICAL_ORDER,
);

interface CustomizationReader {
  getCustomization?: (id: string) => unknown;
}

/** The string entries of a customized table over its defaults; other entries are reported and skipped. */
function table<T extends object>(key: string, value: unknown, defaults: T): T {
  if (value === undefined || value === null) return defaults;
  if (typeof value !== 'object' || Array.isArray(value)) {
    console.warn(`[body-region] customization ${key} should be an object of strings; the defaults are used`);
    return defaults;
  }
  const out: Record<string, string> = { ...(defaults as Record<string, string>) };
  for (const [entry, text] of Object.entries(value)) {
    if (typeof text === 'string' && text) out[entry] = text;
    else console.warn(`[body-region] customization ${key}.${entry} should be a non-empty string; ignored`);
  }
  return out as T;
}

function regionList(key: string, value: unknown, defaults: readonly string[]): readonly string[] {
  if (value === undefined || value === null) return defaults;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    console.warn(`[body-region] customization ${key} should be a list of region labels; the default list is used`);
    return defaults;
  }
  return value.filter((v) => v !== 'OTHER');
}

/** The appearance the site configured (the defaults where it did not). */
export function readAppearance(customizationService: CustomizationReader | undefined): Appearance {
  if (!customizationService?.getCustomization) return DEFAULT_APPEARANCE;
  const get = (key: string) => customizationService.getCustomization!(key);
  const names = table(CUSTOMIZATION_KEYS.regionNames, get(CUSTOMIZATION_KEYS.regionNames), REGION_NAMES);
  return appearanceFrom(
    names,
    table(CUSTOMIZATION_KEYS.termNames, get(CUSTOMIZATION_KEYS.termNames), TERM_NAMES),
    table(CUSTOMIZATION_KEYS.regionColours, get(CUSTOMIZATION_KEYS.regionColours), REGION_COLOURS),
    table(CUSTOMIZATION_KEYS.panelColours, get(CUSTOMIZATION_KEYS.panelColours), DEFAULT_PANEL_COLOURS),
    regionList(CUSTOMIZATION_KEYS.layoutRegions, get(CUSTOMIZATION_KEYS.layoutRegions), ANATOMICAL_ORDER),
  );
}

/** The appearance for an OHIF context (its customizationService). */
export function appearanceOf(ctx: Pick<OhifContext, 'servicesManager'>): Appearance {
  return readAppearance(ctx.servicesManager.services.customizationService);
}
