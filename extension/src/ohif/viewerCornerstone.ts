/**
 * cornerstone3D as the host viewer runs it, asked of the extension manager the way OHIF's own
 * extensions ask for it: `@ohif/extension-cornerstone` publishes its libraries in its `common`
 * utility module. (No `window.cornerstone`: that global is a debugging aid, not an API.)
 */
import type { OhifExtensionManager } from './ohifTypes';
import type { CornerstoneLike } from './services/viewerPixelCache';

export const CORNERSTONE_UTILITY_MODULE = '@ohif/extension-cornerstone.utilityModule.common';

interface CommonUtilityModule {
  exports?: { getCornerstoneLibraries?: () => { cornerstone?: CornerstoneLike } };
}

/** The viewer's cornerstone core; throws a clear error when the cornerstone extension is not loaded. */
export function viewerCornerstone(extensionManager: OhifExtensionManager): CornerstoneLike {
  const entry = extensionManager.getModuleEntry(CORNERSTONE_UTILITY_MODULE) as CommonUtilityModule | undefined;
  const cornerstone = entry?.exports?.getCornerstoneLibraries?.()?.cornerstone;
  if (!cornerstone) {
    throw new Error(
      `body-region: the viewer has no ${CORNERSTONE_UTILITY_MODULE} (is @ohif/extension-cornerstone among the mode's extensions?)`,
    );
  }
  return cornerstone;
}

/** For optional uses (reusing decoded frames): the libraries, or undefined after saying why once. */
export function optionalViewerCornerstone(extensionManager: OhifExtensionManager): CornerstoneLike | undefined {
  try {
    return viewerCornerstone(extensionManager);
  } catch (error) {
    console.error(`[body-region] ${(error as Error).message}; frames are fetched from the archive instead of the viewer's cache`);
    return undefined;
  }
}
