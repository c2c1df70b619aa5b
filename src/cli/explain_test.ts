import { assert, assertArrayEquals, assertEquals, relativeL2 } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { cli } from '../../test/cli.ts';
import { buildModel } from '../../test/onnx_builder.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;

/** Example 0 of the MNIST gradient fixture, written to a temporary .npy. */
async function mnistExample(dir: string): Promise<string> {
  const x = readNpy(await Deno.readFile('test/fixtures/grad/mnist_cnn_input.npy'));
  const path = `${dir}/x.npy`;
  await Deno.writeFile(path, writeNpy((x.data as Float32Array).slice(0, 784), [1, 1, 28, 28]));
  return path;
}

test('cli explain gradient: the input-shaped map matches PyTorch', async () => {
  const dir = await Deno.makeTempDir();
  const input = await mnistExample(dir);
  const r = await cli([
    'explain',
    'models/mnist_cnn.onnx',
    '--input',
    input,
    '--target',
    '2',
    '--method',
    'gradient',
    '--out',
    `${dir}/g.npy`,
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const g = readNpy(await Deno.readFile(`${dir}/g.npy`));
  assertEquals(g.dtype, 'float32');
  assertArrayEquals(g.shape, [1, 1, 28, 28]);
  const want = readNpy(await Deno.readFile('test/fixtures/grad/mnist_cnn_grad_input.npy'));
  const err = relativeL2(g.data as Float32Array, (want.data as Float32Array).slice(0, 784));
  assert(err < 1e-4, `gradient differs from PyTorch by ${err}`);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli explain integrated-gradients --json: metadata with the completeness delta', async () => {
  const dir = await Deno.makeTempDir();
  const input = await mnistExample(dir);
  const r = await cli([
    'explain',
    'models/mnist_cnn.onnx',
    '--input',
    input,
    '--method',
    'integrated-gradients',
    '--steps',
    '64',
    '--rule',
    'riemann_trapezoid',
    '--baseline',
    'blur',
    '--out',
    `${dir}/ig.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const meta = JSON.parse(r.out);
  assertEquals(meta.method, 'integrated-gradients');
  assertEquals(meta.options.steps, 64);
  assertEquals(meta.options.rule, 'riemann_trapezoid');
  assertEquals(meta.options.baseline, 'blur');
  assertArrayEquals(meta.targets, meta.predicted);
  assertEquals(meta.completeness.delta.length, 1);
  assert(meta.top[0][0].probability > 0.5, 'top class probability');
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/ig.npy`)).shape, [1, 1, 28, 28]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli explain grad-cam: layer shape, or the input shape with --upsample', async () => {
  const dir = await Deno.makeTempDir();
  const input = await mnistExample(dir);
  const base = ['explain', 'models/mnist_cnn.onnx', '--input', input, '--method', 'grad-cam'];
  const layer = ['--layer', '/relu2/Relu_output_0'];
  let r = await cli([...base, ...layer, '--out', `${dir}/cam.npy`]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/cam.npy`)).shape, [1, 14, 14]);
  r = await cli([...base, ...layer, '--upsample', '--out', `${dir}/up.npy`]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/up.npy`)).shape, [1, 1, 28, 28]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test("cli explain: Captum's conventions by option reproduce Captum's maps", async () => {
  const dir = await Deno.makeTempDir();
  const base = [
    'explain',
    'models/mnist_cnn.onnx',
    '--input',
    'test/fixtures/captum/mnist_cnn_input.npy',
  ];
  const runs: [string, string[], string][] = [
    [
      'grad-cam',
      ['--layer', '/relu2/Relu_output_0', '--relu', 'off', '--interpolate', 'bilinear'],
      'grad_cam_bilinear',
    ],
    ['integrated-gradients', [
      '--rule',
      'riemann_trapezoid',
      '--steps',
      '16',
      '--trapezoid-weights',
      'captum',
    ], 'ig_riemann_trapezoid'],
    [
      'occlusion',
      ['--window', '5x5', '--stride', '3x3', '--border', 'clip'],
      'occlusion_w5x5_s3x3',
    ],
  ];
  for (const [method, options, fixture] of runs) {
    const out = `${dir}/${fixture}.npy`;
    const r = await cli([...base, '--method', method, ...options, '--out', out, '--json']);
    assertEquals(r.code, 0, r.err.join('\n'));
    const got = readNpy(await Deno.readFile(out));
    const want = readNpy(await Deno.readFile(`test/fixtures/captum/mnist_cnn_${fixture}.npy`));
    assertArrayEquals(got.shape, want.shape);
    const err = relativeL2(got.data as Float32Array, want.data as Float32Array);
    assert(err < 1e-4, `${method} ${options.join(' ')} differs from Captum by ${err}`);
  }
  const bad = await cli([
    ...base,
    '--method',
    'occlusion',
    '--border',
    'wrap',
    '--out',
    `${dir}/x.npy`,
  ]);
  assertEquals(bad.code, 2);
  assert(bad.err.join(' ').includes('--border wants clip or skip'), bad.err.join('\n'));
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli explain: token ids give one attribution per token', async () => {
  const dir = await Deno.makeTempDir();
  const ids = readNpy(await Deno.readFile('models/data/text_test_ids.npy'));
  const input = `${dir}/ids.npy`;
  await Deno.writeFile(input, writeNpy((ids.data as BigInt64Array).slice(0, 64), [1, 64]));
  const r = await cli([
    'explain',
    'models/text_transformer.onnx',
    '--input',
    input,
    '--method',
    'occlusion',
    '--window',
    '2',
    '--out',
    `${dir}/a.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/a.npy`)).shape, [1, 64]);
  assertArrayEquals(JSON.parse(r.out).options.window, [2]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli explain: usage errors exit 2 with one line', async () => {
  const model = 'models/mnist_cnn.onnx';
  for (
    const [args, text] of [
      [['explain', model, '--input', 'x.npy', '--out', 'o.npy'], 'missing --method'],
      [['explain', model, '--input', 'x.npy', '--method', 'magic', '--out', 'o'], "'magic'"],
      [['explain', model, '--input', 'x', '--method', 'gradient'], 'missing --out'],
      [
        [
          'explain',
          model,
          '--input',
          'x',
          '--method',
          'integrated-gradients',
          '--rule',
          'simpson',
          '--out',
          'o',
        ],
        "unknown --rule 'simpson'",
      ],
      [
        ['explain', model, '--input', 'x', '--method', 'occlusion', '--window', '0', '--out', 'o'],
        '--window',
      ],
      [
        ['explain', model, '--input', 'x', '--method', 'gradient', '--frob', '1', '--out', 'o'],
        '--frob',
      ],
    ] as [string[], string][]
  ) {
    const r = await cli(args);
    assertEquals(r.code, 2, `${args.join(' ')}: ${r.err.join('\n')}`);
    assert(r.err.length === 1 && r.err[0].includes(text), `${args.join(' ')}: ${r.err}`);
  }
}, { ignore });

test('cli explain --input NAME=FILE: named token ids, as `glassbox run` takes them', async () => {
  const dir = await Deno.makeTempDir();
  const ids = readNpy(await Deno.readFile('models/data/text_test_ids.npy'));
  await Deno.writeFile(
    `${dir}/ids.npy`,
    writeNpy((ids.data as BigInt64Array).slice(0, 64), [1, 64]),
  );
  const args = ['explain', 'models/text_transformer.onnx', '--method', 'saliency', '--json'];
  const named = await cli([
    ...args,
    '--input',
    `input_ids=${dir}/ids.npy`,
    '--out',
    `${dir}/a.npy`,
  ]);
  assertEquals(named.code, 0, named.err.join('\n'));
  assertEquals(JSON.parse(named.out).options.input, 'input_ids');
  assert(named.err[0].startsWith(`glassbox explain: wrote ${dir}/a.npy: saliency of 'input_ids'`));
  const plain = await cli([...args, '--input', `${dir}/ids.npy`, '--out', `${dir}/b.npy`]);
  assertEquals(plain.code, 0, plain.err.join('\n'));
  assertArrayEquals(
    readNpy(await Deno.readFile(`${dir}/a.npy`)).data as Float32Array,
    readNpy(await Deno.readFile(`${dir}/b.npy`)).data as Float32Array,
  );
  const wrong = await cli([...args, '--input', `ids=${dir}/ids.npy`, '--out', `${dir}/c.npy`]);
  assertEquals(wrong.code, 2);
  assert(wrong.err[0].includes("the model has no input 'ids' (inputs: input_ids)"), wrong.err[0]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test(
  'cli explain: a model with two inputs takes one --input each, explains the first',
  async () => {
    const dir = await Deno.makeTempDir();
    const model = `${dir}/mul.onnx`;
    await Deno.writeFile(
      model,
      buildModel({
        nodes: [{ op: 'Mul', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [{ name: 'a', shape: [1, 3] }, { name: 'b', shape: [1, 3] }],
        outputs: [{ name: 'y', shape: [1, 3] }],
      }),
    );
    await Deno.writeFile(`${dir}/a.npy`, writeNpy(new Float32Array([1, 2, 3]), [1, 3]));
    await Deno.writeFile(`${dir}/b.npy`, writeNpy(new Float32Array([4, 5, 6]), [1, 3]));
    const base = [
      'explain',
      model,
      '--method',
      'gradient',
      '--target',
      '1',
      '--out',
      `${dir}/g.npy`,
    ];
    // ∂(a·b)₁/∂a = b₁ at position 1; the inputs by name in any order, or in the model's order.
    for (
      const inputs of [
        ['--input', `b=${dir}/b.npy`, '--input', `a=${dir}/a.npy`],
        ['--input', `${dir}/a.npy`, '--input', `${dir}/b.npy`],
      ]
    ) {
      const r = await cli([...base, ...inputs]);
      assertEquals(r.code, 0, r.err.join('\n'));
      assertArrayEquals(readNpy(await Deno.readFile(`${dir}/g.npy`)).data as Float32Array, [
        0,
        5,
        0,
      ]);
    }
    const cases: [string[], string][] = [
      [['--input', `a=${dir}/a.npy`], "missing --input for the model's input 'b' (inputs: a, b)"],
      [
        ['--input', `a=${dir}/a.npy`, '--input', `a=${dir}/b.npy`],
        "--input 'a' given more than once",
      ],
      [
        ['--input', `${dir}/a.npy`, '--input', `${dir}/b.npy`, '--input', `${dir}/b.npy`],
        'more --input files than the model has inputs (a, b)',
      ],
    ];
    for (const [inputs, message] of cases) {
      for (const command of [base, ['run', model, '--out', `${dir}/y.npy`]]) {
        const r = await cli([...command, ...inputs]);
        assertEquals(r.code, 2, `${command[0]} ${inputs.join(' ')}`);
        assert(r.err.length === 1 && r.err[0].includes(message), `${command[0]}: ${r.err}`);
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
  { ignore },
);
