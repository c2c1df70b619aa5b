/**
 * The gallery's entry point (the one esbuild builds: demo/serve.mjs, build.mjs, screenshots.mjs);
 * the page lives in demo/gallery/, one file per concern (main.ts boots it).
 *
 * @module
 */

// Called, not imported for its side effects: package.json's `sideEffects` lets esbuild drop a
// bare import of a demo module.
import { main } from './gallery/main.ts';

main();
