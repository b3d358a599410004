/**
 * The body-region OHIF extension: labels every CT and MR image with the body region it shows.
 * Loaded by the prebuilt viewer from a URL in app-config.js (an ES-module bundle whose default
 * export is this object), or as the package `@ohif-body-region/extension` in a source build.
 */
import { EXTENSION_ID, SERVICE_NAME } from './ids';
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import { registerCustomAttributes } from './customAttributes';
import { getPanelModule } from './getPanelModule';
import { getCommandsModule } from './getCommandsModule';
import { getHangingProtocolModule } from './getHangingProtocolModule';
import { getCustomizationModule } from './getCustomizationModule';
import { stopSession } from './session';

const extension = {
  id: EXTENSION_ID,
  version: '0.1.0',

  preRegistration(ctx: OhifContext) {
    runtime.configuration = { ...(ctx.configuration ?? {}) };
    ctx.servicesManager.registerService({ name: SERVICE_NAME, altName: SERVICE_NAME, create: () => runtime.service } as never);
    registerCustomAttributes(ctx.servicesManager.services.hangingProtocolService, runtime.service);
  },

  getPanelModule,
  getCommandsModule,
  getHangingProtocolModule,
  getCustomizationModule,

  onModeExit() {
    stopSession();
  },
};

export default extension;
