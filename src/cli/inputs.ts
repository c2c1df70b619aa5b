/**
 * `--input [NAME=]FILE`, read the same way by every command that feeds a model (`run`,
 * `explain`): repeated once per model input, by name (`--input input_ids=ids.npy`) or, without a
 * name, in the order of the model's inputs; every model input needs one. Arrays go to the model
 * as they are (float32, float64, int32, int64 token ids), except uint8, converted to float32
 * without scaling (`distill` and `probe` scale their uint8 `--data` by 1/255).
 *
 * @module
 */

import { readNpy } from '../io/npy.ts';
import type { InputData, Model } from '../onnx/model.ts';
import { readFile, UsageError } from './args.ts';

/** The option's help line, shared by the commands. */
export const INPUT_HELP =
  "input .npy; repeat once per model input, NAME= to give it by name (else in the model's order)";

/** One `--input` value split into the input's name (if given) and the file. */
export function splitInputSpec(spec: string): { name?: string; path: string } {
  const eq = spec.indexOf('=');
  // `dir/a=b.npy` is a path: a name has no slash before the `=`.
  const named = eq > 0 && !/[/\\]/.test(spec.slice(0, eq));
  return named ? { name: spec.slice(0, eq), path: spec.slice(eq + 1) } : { path: spec };
}

/**
 * Reads every `--input` for `model`, keyed by the model input each one feeds.
 *
 * @throws {UsageError} when no `--input` is given, a name is not one of the model's inputs,
 *   there are more files than inputs, or a model input has no file.
 */
export async function readInputs(
  model: Model,
  specs: readonly string[],
): Promise<Record<string, InputData>> {
  const names = () => model.inputs.map((v) => v.name).join(', ');
  if (specs.length === 0) throw new UsageError('missing --input');
  const inputs: Record<string, InputData> = {};
  for (const spec of specs) {
    const { name, path } = splitInputSpec(spec);
    const target = name ?? model.inputs.find((v) => !(v.name in inputs))?.name;
    if (!target) {
      throw new UsageError(`more --input files than the model has inputs (${names()})`);
    }
    if (!model.inputs.some((v) => v.name === target)) {
      throw new UsageError(`the model has no input '${target}' (inputs: ${names()})`);
    }
    if (target in inputs) throw new UsageError(`--input '${target}' given more than once`);
    const array = readNpy(await readFile(path, 'input'));
    const data = array.data instanceof Uint8Array ? Float32Array.from(array.data) : array.data;
    inputs[target] = { data, shape: array.shape };
  }
  const missing = model.inputs.filter((v) => !(v.name in inputs)).map((v) => v.name);
  if (missing.length > 0) {
    throw new UsageError(
      `missing --input for the model's input${missing.length > 1 ? 's' : ''} ` +
        `${missing.map((n) => `'${n}'`).join(', ')} (inputs: ${names()})`,
    );
  }
  return inputs;
}
