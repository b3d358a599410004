/**
 * The body-region OHIF extension: labels every CT and MR image with the body region it shows.
 * Loaded by the prebuilt viewer from a URL in app-config.js (an ES-module bundle whose default
 * export is this object), or as the package `@ohif-body-region/extension` in a source build.
 */
import { EXTENSION_ID } from './ids';
import type { OhifContext } from './ohifTypes';
import { serviceConfiguration } from './configuration';
import { BodyRegionService, bodyRegionServiceOf } from './services/BodyRegionService';
import { registerCustomAttributes } from './customAttributes';
import { getPanelModule } from './getPanelModule';
import { getCommandsModule } from './getCommandsModule';
import { getHangingProtocolModule } from './getHangingProtocolModule';
import { getCustomizationModule } from './getCustomizationModule';

const extension = {
  id: EXTENSION_ID,
  version: '0.1.0',

  /** Registers the bodyRegionService (its onModeEnter/onModeExit own the session and the worker). */
  preRegistration({ servicesManager, configuration, appConfig }: OhifContext) {
    const app = appConfig ?? (globalThis as { config?: unknown }).config;
    servicesManager.registerService(BodyRegionService.REGISTRATION, serviceConfiguration(configuration, app));
    registerCustomAttributes(servicesManager.services.hangingProtocolService, bodyRegionServiceOf({ servicesManager }));
  },

  getPanelModule,
  getCommandsModule,
  getHangingProtocolModule,
  getCustomizationModule,
};

export default extension;
