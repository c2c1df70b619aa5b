/**
 * The explorer page (`npm start`, then /demo/): open your own ONNX model — or a bundled example —
 * and explore, explain and compare it on your GPU. The page is demo/explorer/app.ts mounted on
 * `<main id="explorer">`; the engine self-check is /demo/selfcheck.html and the components'
 * gallery /demo/gallery.html.
 *
 * @module
 */

import { mountExplorer } from './explorer/app.ts';

const root = document.getElementById('explorer')!;
mountExplorer(root).then(
  () => document.body.setAttribute('data-ready', ''),
  (error) => {
    console.error(error);
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = `The explorer failed to start: ${
      error instanceof Error ? error.message : String(error)
    }`;
    root.append(p);
  },
);
