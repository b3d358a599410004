/** The viewer's site adaptation (issue 11): a SiteController bound to the open viewer and the service. */
import type { OhifHost } from './ohifTypes';
import type { BodyRegionService } from './services/BodyRegionService';
import { downloadJson } from './exportResults';
import { loadSiteModel, SiteController } from './services/siteController';
import type { AdapterFitter } from './services/siteCorrections';

/** The image the active viewport shows (its SOP Instance UID and frame, read from the imageId), or null. */
function currentImage(host: OhifHost): { sopInstanceUID: string; frameNumber: number } | null {
  const { viewportGridService, cornerstoneViewportService } = host.servicesManager.services;
  const viewport = cornerstoneViewportService?.getCornerstoneViewport(viewportGridService.getActiveViewportId());
  const imageId = viewport?.getCurrentImageId?.();
  const match = imageId && /\/instances\/([0-9.]+)(?:\/frames\/(\d+))?/.exec(imageId);
  return match ? { sopInstanceUID: match[1], frameNumber: Number(match[2] ?? 1) } : null;
}

export function createSiteController(
  host: OhifHost,
  service: BodyRegionService,
  assetBase: string,
  rerun: () => void,
  fit: AdapterFitter,
): SiteController {
  const controller = new SiteController({
    service,
    model: () => loadSiteModel(assetBase),
    currentImage: () => currentImage(host),
    rerun,
    download: downloadJson,
    fit,
  });
  void controller.start();
  return controller;
}
