/** The panel's stylesheet, scoped to its root class (no global rules). */
export const INSPECTOR_CSS = `
.bmu-inspector { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #e6edf3; background: rgba(13, 17, 23, 0.92);
  border: 1px solid #30363d; border-radius: 8px; padding: 8px 10px; width: 420px; max-height: 90vh; overflow: auto; box-sizing: border-box; }
.bmu-inspector * { box-sizing: border-box; }
.bmu-inspector h1 { font-size: 12px; margin: 0; cursor: pointer; display: flex; justify-content: space-between; gap: 8px; }
.bmu-inspector h2 { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: #8b949e; margin: 10px 0 4px; font-weight: 600; }
.bmu-inspector table { width: 100%; border-collapse: collapse; }
.bmu-inspector td, .bmu-inspector th { padding: 1px 4px; text-align: left; white-space: nowrap; vertical-align: middle; }
.bmu-inspector th { color: #8b949e; font-weight: 400; }
.bmu-inspector td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bmu-inspector canvas { width: 96px; height: 20px; display: block; }
.bmu-inspector .bar { height: 8px; background: #2f81f7; border-radius: 2px; min-width: 1px; }
.bmu-inspector .muted { color: #8b949e; }
.bmu-inspector .row { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 2px 0; }
.bmu-inspector .row > span { width: 70px; color: #8b949e; }
.bmu-inspector button { font: inherit; color: #e6edf3; background: #21262d; border: 1px solid #30363d; border-radius: 4px; padding: 1px 6px; cursor: pointer; }
.bmu-inspector button[aria-pressed="true"] { background: #1f6feb; border-color: #1f6feb; }
.bmu-inspector.folded .body { display: none; }
`
