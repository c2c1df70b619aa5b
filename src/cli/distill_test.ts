import { assert, assertArrayEquals, assertClose, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { readNpy, writeNpy } from '../io/npy.ts';
import { cli } from '../../test/cli.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;

/** The float initializers of an ONNX file by name. */
function initializers(bytes: Uint8Array): Record<string, Float32Array> {
  const m = fromBinary(ModelProtoSchema, bytes);
  const out: Record<string, Float32Array> = {};
  for (const t of m.graph!.initializer) out[t.name] = new Float32Array(t.rawData.slice().buffer);
  return out;
}

test(
  'cli distill --kind linear: JSON figures, and the ONNX runs in `glassbox run` like x·W + b',
  async () => {
    const dir = await Deno.makeTempDir();
    const out = `${dir}/linear.onnx`;
    const r = await cli([
      'distill',
      'models/mnist_cnn.onnx',
      '--data',
      'models/data/mnist_test_x.npy',
      '--labels',
      'models/data/mnist_test_y.npy',
      '--kind',
      'linear',
      '--epochs',
      '10',
      '--out',
      out,
      '--json',
    ]);
    assertEquals(r.code, 0, r.err.join('\n'));
    const report = JSON.parse(r.out);
    assertEquals(report.kind, 'linear');
    assertEquals(report.classes, 10);
    assertEquals(report.parameters, 7850);
    assertEquals(report.fidelity.count, 50);
    assert(report.fidelity.agreement > 0.5, `agreement ${report.fidelity.agreement}`);
    assert(report.accuracy.model > 0.9, `model accuracy ${report.accuracy.model}`);
    // Round trip through `glassbox run`.
    const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
    const n = 5;
    const xs = (x.data as Float32Array).slice(0, n * 784);
    await Deno.writeFile(`${dir}/x.npy`, writeNpy(xs, [n, 1, 28, 28]));
    const run = await cli(['run', out, '--input', `${dir}/x.npy`, '--out', `${dir}/y.npy`]);
    assertEquals(run.code, 0, run.err.join('\n'));
    const y = readNpy(await Deno.readFile(`${dir}/y.npy`));
    assertArrayEquals(y.shape, [n, 10]);
    const w = initializers(await Deno.readFile(out));
    const expected = new Float64Array(n * 10);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < 10; c++) {
        let s = w['dense0.bias'][c];
        for (let i = 0; i < 784; i++) s += xs[r * 784 + i] * w['dense0.weight'][i * 10 + c];
        expected[r * 10 + c] = s;
      }
    }
    // f32 sums of 784 products of inputs in [0, 1] and weights ≲ 1.
    assertClose(y.data as Float32Array, expected, { atol: 1e-4, rtol: 1e-5 });
    await Deno.remove(dir, { recursive: true });
  },
  { ignore },
);

test('cli distill --kind tree: prints rules; the ONNX gives one leaf row per example', async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/tree.onnx`;
  const r = await cli([
    'distill',
    'models/mnist_cnn.onnx',
    '--data',
    'models/data/mnist_test_x.npy',
    '--kind',
    'tree',
    '--depth',
    '3',
    '--out',
    out,
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const lines = r.out.split('\n');
  assert(lines[0].startsWith('tree surrogate → '), lines[0]);
  assert(lines.length >= 3 && lines[1].trim().startsWith('if pixel('), lines[1]);
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  await Deno.writeFile(
    `${dir}/x.npy`,
    writeNpy((x.data as Float32Array).slice(0, 7 * 784), [7, 1, 28, 28]),
  );
  const run = await cli(['run', out, '--input', `${dir}/x.npy`, '--out', `${dir}/y.npy`]);
  assertEquals(run.code, 0, run.err.join('\n'));
  const y = readNpy(await Deno.readFile(`${dir}/y.npy`)).data as Float32Array;
  const values = initializers(await Deno.readFile(out))['tree.values'];
  const leaves = values.length / 10;
  for (let r = 0; r < 7; r++) {
    const row = Array.from(y.subarray(r * 10, r * 10 + 10));
    let found = false;
    for (let l = 0; l < leaves && !found; l++) {
      found = row.every((v, c) => v === values[l * 10 + c]);
    }
    assert(found, `row ${r} is not a leaf's values: ${row}`);
  }
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli distill and probe: usage errors', async () => {
  const bad = [
    [
      ['distill', 'models/mnist_cnn.onnx', '--data', 'x.npy', '--kind', 'forest', '--out', 'o'],
      'unknown --kind',
    ],
    [['distill', 'models/mnist_cnn.onnx', '--data', 'x.npy'], 'missing --out'],
    [['probe', 'models/mnist_cnn.onnx', '--data', 'x.npy'], 'give one of --labels'],
    [
      ['probe', 'models/mnist_cnn.onnx', '--data', 'x.npy', '--task', 'colour'],
      "unknown --task 'colour'",
    ],
    [
      ['probe', 'models/mnist_cnn.onnx', '--data', 'x.npy', '--task', 'parity', '--controls', 'x'],
      '--controls',
    ],
  ] as const;
  for (const [args, message] of bad) {
    const r = await cli([...args]);
    assertEquals(r.code, 2, args.join(' '));
    assert(r.err[0].includes(message), `${r.err[0]} should include ${message}`);
  }
}, { ignore });
