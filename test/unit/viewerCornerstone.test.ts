// cornerstone comes from the cornerstone extension's `common` utility module, or a clear error.
import { CORNERSTONE_UTILITY_MODULE, optionalViewerCornerstone, viewerCornerstone } from '../../extension/src/ohif/viewerCornerstone';
import type { OhifExtensionManager } from '../../extension/src/ohif/ohifTypes';

describe("the viewer's cornerstone", () => {
  const cornerstone = { cache: { getImage: () => undefined } };
  const manager = (modules: Record<string, unknown>) =>
    ({ getModuleEntry: (id: string) => modules[id], getActiveDataSource: () => [] }) as OhifExtensionManager;

  it('is read from @ohif/extension-cornerstone.utilityModule.common', () => {
    const modules = {
      [CORNERSTONE_UTILITY_MODULE]: { exports: { getCornerstoneLibraries: () => ({ cornerstone, cornerstoneTools: {} }) } },
    };
    expect(viewerCornerstone(manager(modules))).toBe(cornerstone);
  });

  it('names the missing module instead of failing later', () => {
    expect(() => viewerCornerstone(manager({}))).toThrow(/@ohif\/extension-cornerstone\.utilityModule\.common/);
    expect(() => viewerCornerstone(manager({ [CORNERSTONE_UTILITY_MODULE]: { exports: {} } }))).toThrow(/mode's extensions/);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(optionalViewerCornerstone(manager({}))).toBeUndefined();
    expect(logged.mock.calls[0][0]).toMatch(/fetched from the archive/);
    logged.mockRestore();
  });
});
