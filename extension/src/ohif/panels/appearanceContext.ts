/** The site's appearance (../appearance.ts) for the panel's components; the defaults outside a provider. */
import React from 'react';
import { Appearance, DEFAULT_APPEARANCE, PanelColours } from '../appearance';

export const AppearanceContext = React.createContext<Appearance>(DEFAULT_APPEARANCE);

export function useAppearance(): Appearance {
  return React.useContext(AppearanceContext);
}

/** The panel colours as the CSS variables panelStyles.ts reads (`--br-accent`, …). */
export function panelColourVariables(colours: PanelColours): React.CSSProperties {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(colours)) out[`--br-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = value;
  return out as React.CSSProperties;
}
