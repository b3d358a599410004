/**
 * The panel's own CSS. The prebuilt viewer ships purged Tailwind (only classes it uses itself), so
 * the panel brings plain CSS, every rule scoped under .br-panel. Its main colours are CSS variables
 * (`--br-background`, `--br-text`, `--br-muted`, `--br-accent`, `--br-summary-background`,
 * `--br-summary-border`, `--br-error`) that the panel sets from the `bodyRegion.panelColours`
 * customization (../appearance.ts).
 */
export const PANEL_CSS = `
.br-panel { font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--br-text); padding: 8px 10px; box-sizing: border-box; height: 100%; overflow-y: auto; background: var(--br-background); }
.br-panel * { box-sizing: border-box; }
.br-panel .br-header { display: flex; align-items: center; justify-content: space-between; gap: 6px; margin-bottom: 8px; }
.br-panel .br-title { font-size: 14px; font-weight: 600; color: var(--br-accent); white-space: nowrap; }
.br-panel .br-actions { display: flex; gap: 4px; flex-wrap: nowrap; }
.br-panel button.br-action { background: #1f2937; color: #e5e7eb; border: 1px solid #374151; border-radius: 4px; padding: 2px 6px; font-size: 11px; white-space: nowrap; cursor: pointer; }
.br-panel button.br-action:disabled { opacity: 0.5; cursor: default; }
.br-panel button.br-action:hover { background: #374151; }
.br-panel .br-summary { background: var(--br-summary-background); border: 1px solid var(--br-summary-border); border-radius: 6px; padding: 6px 8px; margin-bottom: 10px; }
.br-panel .br-summary-term { font-size: 15px; font-weight: 700; color: #f9fafb; letter-spacing: 0.02em; }
.br-panel .br-summary-sub { font-size: 11px; color: var(--br-muted); }
.br-panel .br-status { font-size: 12px; color: var(--br-muted); margin-bottom: 8px; }
.br-panel .br-model-error, .br-panel .br-error { color: var(--br-error); font-size: 12px; }
.br-panel .br-model-error { background: #3f1d1d; border: 1px solid #7f1d1d; border-radius: 6px; padding: 6px 8px; margin-bottom: 8px; }
.br-panel .br-series { border-top: 1px solid #1f2937; padding: 8px 0; }
.br-panel .br-series-head { display: flex; align-items: baseline; justify-content: space-between; gap: 6px; }
.br-panel .br-series-name { font-weight: 600; color: #e5e7eb; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.br-panel .br-series-meta { font-size: 11px; color: var(--br-muted); white-space: nowrap; }
.br-panel .br-badges { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 3px; }
.br-panel .br-badge { display: inline-block; font-size: 10px; font-weight: 700; border-radius: 3px; padding: 0 5px; }
.br-panel .br-badge-mismatch { background: #b45309; color: #fff7ed; }
.br-panel .br-badge-term { background: #1e3a8a; color: #dbeafe; }
.br-panel .br-progress { height: 6px; background: #1f2937; border-radius: 3px; overflow: hidden; margin-top: 6px; }
.br-panel .br-progress-fill { height: 100%; background: var(--br-accent); transition: width 0.2s; }
.br-panel .br-bar { display: flex; height: 22px; border-radius: 4px; overflow: hidden; margin-top: 6px; border: 1px solid #111827; }
.br-panel .br-bar-seg { border: 0; padding: 0 2px; margin: 0; min-width: 3px; font-size: 10px; font-weight: 700; overflow: hidden; white-space: nowrap; text-overflow: clip; cursor: pointer; border-right: 1px solid #000; }
.br-panel .br-bar-seg:last-child { border-right: 0; }
.br-panel .br-bar-seg:hover, .br-panel .br-bar-seg.br-current { outline: 2px solid #fff; outline-offset: -2px; }
.br-panel .br-regions { list-style: none; margin: 6px 0 0; padding: 0; }
.br-panel .br-region { display: flex; align-items: center; gap: 6px; width: 100%; background: none; border: 0; color: inherit; text-align: left; padding: 2px 4px; border-radius: 3px; cursor: pointer; font-size: 12px; }
.br-panel .br-region:hover, .br-panel .br-region.br-current { background: #1f2937; }
.br-panel .br-swatch { width: 10px; height: 10px; border-radius: 2px; flex: none; }
.br-panel .br-region-name { flex: 1; }
.br-panel .br-region-range, .br-panel .br-region-conf { color: var(--br-muted); font-size: 11px; white-space: nowrap; }
.br-panel .br-uncertain .br-region-name { font-style: italic; }
.br-panel .br-hint { font-size: 11px; color: #6b7280; margin-top: 10px; }
`;
