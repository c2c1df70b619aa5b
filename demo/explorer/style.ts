/**
 * The explorer's style sheet, installed by the shell once per document (so that a test page or a
 * page embedding the explorer gets it too). Colors follow the user's light/dark preference; the
 * `glass-*` elements take their own theme from the same custom properties.
 *
 * @module
 */

export const EXPLORER_CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; line-height: 1.45; }
.gx-app { --gx-line: #8885; --gx-muted: #777; --gx-accent: #0969da; --gx-bad: #cf222e;
  --gx-ok: #1a7f37; --gx-card: #8881; display: grid; gap: 0.9rem; padding: 0.9rem 1.2rem 4rem;
  max-width: 110rem; margin: 0 auto; }
.gx-app h1 { font-size: 1.35rem; margin: 0; }
.gx-app h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.gx-app h3 { font-size: 0.95rem; margin: 0.6rem 0 0.3rem; }
.gx-bar { display: flex; flex-wrap: wrap; gap: 0.6rem 1.4rem; align-items: baseline; }
.gx-muted { color: var(--gx-muted); font-size: 0.9em; }
.gx-bad, [role='alert'] { color: var(--gx-bad); }
.gx-ok { color: var(--gx-ok); }
.gx-card { background: var(--gx-card); border: 1px solid var(--gx-line); border-radius: 8px;
  padding: 0.8rem 1rem; min-width: 0; }
.gx-card[hidden] { display: none; }
.gx-grid { display: grid; gap: 0.9rem; grid-template-columns: minmax(0, 3fr) minmax(18rem, 2fr); }
.gx-grid2 { display: grid; gap: 0.9rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
@media (max-width: 60rem) { .gx-grid, .gx-grid2 { grid-template-columns: minmax(0, 1fr); } }
/* The graph keeps its height (and, on a tall enough screen, its place) beside a long node panel. */
.gx-grid > #gx-graph { align-self: start; }
@media (min-width: 60rem) and (min-height: 48rem) {
  .gx-grid > #gx-graph { position: sticky; top: 0.5rem; } }
.explorer-inputs .settings, .explorer-explain .options { display: flex; flex-wrap: wrap;
  gap: 0.35rem 0.9rem; align-items: center; }
.explorer-inputs .settings .error { flex-basis: 100%; margin: 0; }
.explorer-inputs .settings input[type=number], .explorer-explain .options input { width: 5em; }
.explorer-inputs .settings input[type=text] { width: 8em; }
.explorer-explain .options input[type=checkbox] { width: auto; }
.explorer-inputs .row { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; align-items: center; }
.explorer-inputs textarea { width: 100%; box-sizing: border-box; min-height: 7em; }
.gx-app table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.gx-app td, .gx-app th { padding: 0.15rem 0.7rem 0.15rem 0; border-bottom: 1px solid var(--gx-line);
  text-align: left; vertical-align: top; }
.gx-app button, .gx-app select, .gx-app input { font: inherit; }
.gx-app button { cursor: pointer; }
.gx-app progress { width: 12rem; vertical-align: middle; }
.gx-jobs { position: fixed; right: 1rem; bottom: 1rem; max-width: 26rem; z-index: 10;
  background: Canvas; border: 1px solid var(--gx-line); border-radius: 8px; padding: 0.4rem 0.7rem;
  box-shadow: 0 2px 10px #0003; font-size: 0.9em; }
.gx-jobs:empty { display: none; }
.gx-empty { color: var(--gx-muted); font-style: italic; }
`;

/** Adds the style sheet to `doc` once. */
export function installStyle(doc: Document = document): void {
  if (doc.getElementById('gx-style')) return;
  const style = doc.createElement('style');
  style.id = 'gx-style';
  style.textContent = EXPLORER_CSS;
  doc.head.append(style);
}
