import { assert, assertArrayEquals, assertClose, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { cli } from '../../test/cli.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;

test('cli run: writes the output as float32 .npy, matching PyTorch', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const n = 8;
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy((x.data as Float32Array).slice(0, n * 784), [n, 1, 28, 28]));
  const r = await cli(['run', 'models/mnist_cnn.onnx', '--input', input, '--out', `${dir}/y.npy`]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const y = readNpy(await Deno.readFile(`${dir}/y.npy`));
  assertEquals(y.dtype, 'float32');
  assertArrayEquals(y.shape, [n, 10]);
  const torch = readNpy(await Deno.readFile('models/data/mnist_test_logits_torch.npy'));
  assertClose(y.data as Float32Array, (torch.data as Float32Array).slice(0, n * 10), {
    atol: 1e-4,
    rtol: 1e-4,
  });
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli run: int64 token ids by input name', async () => {
  const dir = await Deno.makeTempDir();
  const ids = readNpy(await Deno.readFile('models/data/text_test_ids.npy'));
  const input = `${dir}/ids.npy`;
  await Deno.writeFile(input, writeNpy((ids.data as BigInt64Array).slice(0, 2 * 64), [2, 64]));
  const vocab = JSON.parse(await Deno.readTextFile('models/text_vocab.json'));
  const r = await cli([
    'run',
    'models/text_transformer.onnx',
    '--input',
    `input_ids=${input}`,
    '--out',
    `${dir}/y.npy`,
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const y = readNpy(await Deno.readFile(`${dir}/y.npy`));
  assertArrayEquals(y.shape, [2, vocab.classes.length]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli graph: prints the structure as JSON', async () => {
  const r = await cli(['graph', 'models/mnist_cnn.onnx']);
  assertEquals(r.code, 0, r.err.join('\n'));
  const g = JSON.parse(r.out);
  assert(Array.isArray(g.inputs) && Array.isArray(g.outputs) && Array.isArray(g.nodes));
  assertEquals(g.totals.params, 52138);
  for (const node of g.nodes) {
    for (const key of ['name', 'op', 'inputs', 'outputs', 'shapes', 'params', 'flops']) {
      assert(key in node, `node has ${key}`);
    }
  }
}, { ignore });

test('cli stats: every weight as JSON, or one tensor as a table', async () => {
  const r = await cli(['stats', 'models/mnist_cnn.onnx', '--bins', '10', '--json']);
  assertEquals(r.code, 0, r.err.join('\n'));
  const s = JSON.parse(r.out);
  assertEquals(s.totals.params, 52138);
  assertEquals(s.tensors[0].histogram.counts.length, 10);
  const t = await cli(['stats', 'models/mnist_cnn.onnx', '--tensor', 'fc1.weight']);
  assertEquals(t.code, 0, t.err.join('\n'));
  assert(t.out.includes('fc1.weight') && !t.out.includes('conv1.weight'), t.out);
}, { ignore });

test('cli project: PCA of the MNIST test digits', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'pca',
    '--dims',
    '3',
    '--out',
    `${dir}/p.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const p = readNpy(await Deno.readFile(`${dir}/p.npy`));
  assertArrayEquals(p.shape, [200, 3]);
  const info = JSON.parse(r.out);
  assertEquals(info.explainedVarianceRatio.length, 3);
  assert(info.explainedVarianceRatio[0] >= info.explainedVarianceRatio[1], 'sorted');
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli project: UMAP with its trustworthiness', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'umap',
    '--iterations',
    '100',
    '--neighbors',
    '10',
    '--out',
    `${dir}/u.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/u.npy`)).shape, [200, 2]);
  const info = JSON.parse(r.out);
  assert(info.trustworthiness > 0.8, `trustworthiness ${info.trustworthiness}`);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli project: t-SNE with its trustworthiness', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'tsne',
    '--iterations',
    '1000',
    '--perplexity',
    '20',
    '--out',
    `${dir}/t.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/t.npy`)).shape, [200, 2]);
  const info = JSON.parse(r.out);
  assert(info.trustworthiness > 0.8, `trustworthiness ${info.trustworthiness}`);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli: bad input exits non-zero with one clear line', async () => {
  const cases: [string[], number, string][] = [
    [[], 2, 'missing command'],
    [['frobnicate'], 2, "unknown command 'frobnicate'"],
    [['run', 'models/mnist_cnn.onnx', '--out', '/tmp/x.npy'], 2, 'missing --input'],
    [['graph', 'no/such/model.onnx'], 1, "Cannot read model 'no/such/model.onnx'"],
    [['graph', 'README.md'], 1, 'ModelFormatError'],
    [['stats', 'models/mnist_cnn.onnx', '--tensor', 'nope'], 1, "no initializer 'nope'"],
    [['stats', 'models/mnist_cnn.onnx', '--bins', 'x'], 2, '--bins wants a positive integer'],
    [['project', 'x.npy', '--method', 'isomap', '--out', 'y.npy'], 2, "unknown --method 'isomap'"],
    [
      ['project', 'x.npy', '--method', 'umap', '--perplexity', '5', '--out', 'y.npy'],
      2,
      '--perplexity is for tsne',
    ],
    [
      ['run', 'models/mnist_cnn.onnx', '--input', 'README.md', '--out', '/tmp/y.npy'],
      1,
      'NpyFormatError',
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = await cli(args);
    assertEquals(r.code, code, `exit code of ${args.join(' ')}`);
    assertEquals(r.err.length, 1, `one line on stderr for ${args.join(' ')}: ${r.err}`);
    assert(r.err[0].includes(message), `"${r.err[0]}" should mention "${message}"`);
    assert(!r.err[0].includes('\n'), 'a single line, no stack trace');
  }
}, { ignore });
