/**
 * The one adapter between the host viewer's React and ours.
 *
 * The prebuilt OHIF viewer exposes no React global, and a second React must never run hooks inside
 * the host's tree ("Invalid hook call"). So the component we hand to the host is a hook-free class:
 * the host's React instantiates it (the class protocol only needs `prototype.isReactComponent`),
 * its render returns a plain `<div ref>` element, and once the host attaches that div we mount our
 * own React 18 root into it (an "island"). The host never calls into our React and vice versa.
 *
 * Assumption, checked at run time: the host renders elements tagged Symbol.for('react.element')
 * (React 16–18; OHIF 3.13 ships React 18.3.1). If the host never attaches the div, a console error
 * says so instead of failing silently.
 */
import React from 'react';
import { createRoot, Root } from 'react-dom/client';

export type IslandRenderer = (hostProps: Record<string, unknown>) => React.ReactElement;

const SELF_TEST_MS = 5000;

export function createIslandComponent(
  displayName: string,
  renderIsland: IslandRenderer,
  css?: string,
): React.ComponentClass<Record<string, unknown>> {
  class Island extends React.Component<Record<string, unknown>> {
    static displayName = displayName;
    private root: Root | null = null;
    private node: HTMLElement | null = null;
    private readonly selfTest = setTimeout(() => {
      if (!this.node) {
        console.error(
          `[body-region] the viewer created the ${displayName} panel but never attached its DOM node: ` +
            'its React is not compatible with the island adapter (extension/src/ohif/panels/PanelIsland.ts).',
        );
      }
    }, SELF_TEST_MS);

    /** Stable callback ref: the host calls it with the div on mount and with null on unmount. */
    private readonly attach = (node: HTMLElement | null): void => {
      if (node === this.node) return;
      this.unmountIsland();
      this.node = node;
      if (!node) return;
      clearTimeout(this.selfTest);
      if (css) {
        const style = document.createElement('style');
        style.textContent = css;
        node.appendChild(style);
      }
      const mountPoint = document.createElement('div');
      mountPoint.style.height = '100%';
      node.appendChild(mountPoint);
      this.root = createRoot(mountPoint);
      this.root.render(renderIsland(this.props));
    };

    override componentDidUpdate(): void {
      this.root?.render(renderIsland(this.props));
    }

    override componentWillUnmount(): void {
      clearTimeout(this.selfTest);
      this.unmountIsland();
    }

    private unmountIsland(): void {
      const root = this.root;
      this.root = null;
      // Unmount after the host's commit phase has finished touching the DOM.
      if (root) setTimeout(() => root.unmount(), 0);
    }

    override render(): React.ReactNode {
      return React.createElement('div', {
        ref: this.attach,
        className: 'br-island',
        style: { height: '100%', width: '100%', overflow: 'hidden' },
      });
    }
  }
  return Island;
}
