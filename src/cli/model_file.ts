/**
 * Reading a model file for the CLI, with the side files of ONNX external data
 * (`save_as_external_data=True`) taken from the model's folder automatically.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { GlassboxError } from '../gpu/errors.ts';
import { loadModel, type LoadModelOptions, type Model } from '../onnx/model.ts';
import { externalDataFiles } from '../onnx/parse.ts';
import { readFile } from './args.ts';

/** A model file's bytes and its external data side files by location. */
export interface ModelFile {
  /** The `.onnx` bytes. */
  bytes: Uint8Array;
  /** Side files by the location the model names them with (empty when it has none). */
  externalData: Record<string, Uint8Array>;
}

/** The folder of a path (with its trailing separator; `''` for a bare file name). */
function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '' : path.slice(0, cut + 1);
}

/**
 * Reads `path` and every side file its external data names, from the model's folder. Pass both
 * to `loadModel(engine, file.bytes, { externalData: file.externalData })`.
 *
 * @throws {GlassboxError} naming the file that cannot be read;
 *   `ModelFormatError` for an unreadable model or an unsafe location.
 */
export async function readModelFile(path: string): Promise<ModelFile> {
  const bytes = await readFile(path, 'model');
  const externalData: Record<string, Uint8Array> = {};
  const folder = folderOf(path);
  for (const location of externalDataFiles(bytes)) {
    try {
      externalData[location] = await Deno.readFile(folder + location);
    } catch (error) {
      throw new GlassboxError(
        `Cannot read external data '${location}' of model '${path}' (looked for ` +
          `'${folder + location}'): ${(error as Error).message}`,
      );
    }
  }
  return { bytes, externalData };
}

/**
 * Loads the model at `path` for `engine`, with its external data side files from its folder.
 *
 * @throws what {@linkcode readModelFile} and `loadModel` throw.
 */
export async function loadModelFile(
  engine: Engine,
  path: string,
  options: Omit<LoadModelOptions, 'externalData'> = {},
): Promise<Model> {
  const file = await readModelFile(path);
  return loadModel(engine, file.bytes, { ...options, externalData: file.externalData });
}
