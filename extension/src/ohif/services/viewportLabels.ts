/**
 * A caption with the region's name in each viewport of the by-region layout. OHIF 3.13's stack
 * viewports show no label of their own, so a small element is added to the viewport's element
 * (found by its `data-viewportid`); it goes away with the viewport.
 */
export const REGION_LABEL_CLASS = 'br-viewport-region-label';

/** Adds the caption (`text`, the region's name) if the viewport's element exists; true once the viewport has it. */
export function labelViewport(viewportId: string, region: string, text: string, doc: Document = document): boolean {
  // Our viewport ids are `body-region-<LABEL>`: letters, digits, '-' and '_' only, safe in a selector.
  const host = doc.querySelector<HTMLElement>(`[data-viewportid="${viewportId}"]`);
  if (!host) return false;
  let label = host.querySelector<HTMLElement>(`.${REGION_LABEL_CLASS}`);
  if (!label) {
    label = doc.createElement('div');
    label.className = REGION_LABEL_CLASS;
    label.setAttribute('data-testid', 'br-viewport-region');
    // Inline styles through the CSSOM: allowed by a CSP without 'unsafe-inline' for style attributes.
    Object.assign(label.style, {
      position: 'absolute',
      bottom: '6px',
      left: '50%',
      transform: 'translateX(-50%)',
      padding: '1px 8px',
      borderRadius: '4px',
      background: 'rgba(0, 0, 0, 0.6)',
      color: '#f9fafb',
      font: '600 13px system-ui, sans-serif',
      pointerEvents: 'none',
      zIndex: '10',
    });
    if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
    host.appendChild(label);
  }
  label.textContent = text;
  label.setAttribute('data-region', region);
  return true;
}
