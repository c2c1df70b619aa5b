import { assert, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { cli } from '../../test/cli.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;

test('cli probe --task parity: accuracy by layer with controls (JSON)', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const n = 120;
  await Deno.writeFile(
    `${dir}/x.npy`,
    writeNpy((x.data as Float32Array).slice(0, n * 784), [n, 1, 28, 28]),
  );
  const y = readNpy(await Deno.readFile('models/data/mnist_test_y.npy'));
  await Deno.writeFile(
    `${dir}/y.npy`,
    writeNpy(Float32Array.from(y.data as BigInt64Array, Number).slice(0, n), [n]),
  );
  const r = await cli([
    'probe',
    'models/mnist_cnn.onnx',
    '--data',
    `${dir}/x.npy`,
    '--task',
    'parity',
    '--classes',
    `${dir}/y.npy`,
    '--layer',
    '/pool2/MaxPool_output_0',
    '--layer',
    'logits',
    '--epochs',
    '10',
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const report = JSON.parse(r.out);
  assertEquals(report.taskName, 'parity');
  assertEquals(report.control, 'class');
  assertEquals(
    report.layers.map((l: { layer: string }) => l.layer).join(),
    '/pool2/MaxPool_output_0,logits',
  );
  for (const l of report.layers) {
    for (const k of ['accuracy', 'controlAccuracy', 'selectivity', 'randomModelAccuracy']) {
      assert(typeof l[k] === 'number' && Number.isFinite(l[k]), `${l.layer} ${k}`);
    }
  }
  await Deno.remove(dir, { recursive: true });
}, { ignore });
