/** The viewer's site adaptation (issue 11): one SiteController per page, bound to the open viewer. */
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import { downloadJson } from './exportResults';
import { loadSiteModel, SiteController } from './services/siteController';
import type { AdapterFitter } from './services/siteCorrections';

let controller: SiteController | null = null;

/** The image the active viewport shows (its SOP Instance UID and frame, read from the imageId), or null. */
function currentImage(ctx: OhifContext): { sopInstanceUID: string; frameNumber: number } | null {
  const { viewportGridService, cornerstoneViewportService } = ctx.servicesManager.services;
  const viewport = cornerstoneViewportService?.getCornerstoneViewport?.(viewportGridService.getActiveViewportId());
  const imageId: string | undefined = viewport?.getCurrentImageId?.();
  const match = imageId && /\/instances\/([0-9.]+)(?:\/frames\/(\d+))?/.exec(imageId);
  return match ? { sopInstanceUID: match[1], frameNumber: Number(match[2] ?? 1) } : null;
}

export function siteController(ctx: OhifContext, assetBase: string, rerun: () => void, fit: AdapterFitter): SiteController {
  if (!controller) {
    controller = new SiteController({
      service: runtime.service,
      model: () => loadSiteModel(assetBase),
      currentImage: () => currentImage(ctx),
      rerun,
      download: downloadJson,
      fit,
    });
    void controller.start();
  }
  return controller;
}

/** The page's controller once a session made it (the panel shows no corrections section before). */
export function currentSiteController(): SiteController | null {
  return controller;
}
