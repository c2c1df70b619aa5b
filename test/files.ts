/**
 * Loads repository files in both runners: from disk under Deno, over web-test-runner's server
 * (which serves the repository root) in the browser.
 *
 * @module
 */

import { type NpyArray, readNpy } from '../src/io/npy.ts';

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** The bytes of a file given by its path from the repository root. */
export async function loadBytes(path: string): Promise<Uint8Array<ArrayBuffer>> {
  if (deno) return await deno.readFile(new URL(`../${path}`, import.meta.url));
  const response = await fetch(`/${path}`);
  if (!response.ok) throw new Error(`Cannot fetch /${path}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** A `.npy` file given by its path from the repository root. */
export async function loadNpy(path: string): Promise<NpyArray> {
  return readNpy(await loadBytes(path));
}
