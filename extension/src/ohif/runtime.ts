/**
 * The extension's state in one page: the service (created in preRegistration), the session of the
 * open study and the runner. Module-level because the viewer creates the extension once per page.
 */
import type { OhifContext } from './ohifTypes';
import { BodyRegionService } from './services/BodyRegionService';
import { ViewerSession } from './services/viewerSession';

export interface Runtime {
  ctx: OhifContext | null;
  service: BodyRegionService;
  session: ViewerSession | null;
}

export const runtime: Runtime = {
  ctx: null,
  service: new BodyRegionService(),
  session: null,
};
