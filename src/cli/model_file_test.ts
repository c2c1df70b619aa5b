import { assert, assertArrayEquals, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { cli } from '../../test/cli.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { readModelFile } from './model_file.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;
const MODEL = 'test/fixtures/external/model.onnx';

test("readModelFile: reads the external data side files from the model's folder", async () => {
  const file = await readModelFile(MODEL);
  assertEquals(Object.keys(file.externalData).join(), 'weights.bin');
  assertEquals(file.externalData['weights.bin'].length, 54);
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(MODEL, `${dir}/model.onnx`);
  let message = '';
  try {
    await readModelFile(`${dir}/model.onnx`);
  } catch (error) {
    message = (error as Error).message;
  }
  assert(message.includes("Cannot read external data 'weights.bin'"), message);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli run and graph: a model with external data, its side file found beside it', async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/x.npy`, writeNpy(new Float32Array([1, -2, 0.5, 3]), [1, 4]));
  const r = await cli(['run', MODEL, '--input', `${dir}/x.npy`, '--out', `${dir}/y.npy`]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/y.npy`)).data as Float32Array, [
    1.5,
    0.4375,
    1.375,
  ]);
  const g = await cli(['graph', MODEL]);
  assertEquals(g.code, 0, g.err.join('\n'));
  const notes = JSON.parse(g.out).weights.notes as string[];
  assert(notes.includes('1 external data file (weights.bin)'), notes.join('; '));
  await Deno.remove(dir, { recursive: true });
}, { ignore });
