/**
 * The extension's customizations with their defaults (OHIF merges a module named `default` into
 * its customizationService when the extension registers). Sites override them in app-config.js's
 * `customizationService` (docs/OHIF.md); appearance.ts reads them.
 */
import { DEFAULT_CUSTOMIZATIONS } from './appearance';

export function getCustomizationModule() {
  // A copy (plain data): OHIF keeps and updates what it is given.
  return [{ name: 'default', value: JSON.parse(JSON.stringify(DEFAULT_CUSTOMIZATIONS)) as typeof DEFAULT_CUSTOMIZATIONS }];
}
