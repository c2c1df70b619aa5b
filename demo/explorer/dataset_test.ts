// Unit tests of the explorer's dataset readers (demo/explorer/dataset.ts): folder grouping, label
// parsing, .npy inputs checked against the model's input, RGBA → CHW, and readDataset on .npy
// files (images need a browser: test/explorer_global_test.ts).
import { deepStrictEqual } from 'node:assert/strict';
import { assert, assertEquals, assertRejects, assertThrows } from '../../test/assert.ts';
import { writeNpy } from '../../src/io/npy.ts';
import {
  checkDataset,
  type Dataset,
  DatasetError,
  groupByFolder,
  imageGeometry,
  inputsFromNpy,
  inputSpec,
  labelsFromNpy,
  parseLabels,
  readDataset,
  rgbaToChw,
  takeFirst,
} from './dataset.ts';

const SPEC = { name: 'input', shape: [1, 2, 2], dtype: 'float32' };

Deno.test('groupByFolder: the parent folder is the label, in natural order', () => {
  const g = groupByFolder([
    'digits/10/a.png',
    'digits/2/b.PNG',
    'digits/2/a.jpg',
    'digits/10/.DS_Store',
    'digits/readme.txt',
    'digits/2/._a.png',
  ]);
  deepStrictEqual(g.classNames, ['2', '10']);
  deepStrictEqual(g.images, [
    { path: 'digits/2/a.jpg', label: 0 },
    { path: 'digits/2/b.PNG', label: 0 },
    { path: 'digits/10/a.png', label: 1 },
  ]);
  deepStrictEqual(g.skipped, ['digits/10/.DS_Store', 'digits/readme.txt', 'digits/2/._a.png']);
});

Deno.test('groupByFolder: folders named like the model classes take their indices', () => {
  const known = ['zero', 'one', 'two'];
  const g = groupByFolder(['d/two/x.png', 'd/zero/y.png'], known);
  deepStrictEqual(g.classNames, known);
  deepStrictEqual(g.images.map((i) => i.label), [0, 2]);
  // One folder that is not a class: sorted folder names instead.
  const h = groupByFolder(['d/two/x.png', 'd/three/y.png'], known);
  deepStrictEqual(h.classNames, ['three', 'two']);
});

Deno.test('groupByFolder: one folder has no labels; no image is an error', () => {
  const g = groupByFolder(['imgs/b.png', 'imgs/a.png']);
  assertEquals(g.classNames, null);
  deepStrictEqual(g.images, [{ path: 'imgs/a.png', label: -1 }, { path: 'imgs/b.png', label: -1 }]);
  assertThrows(() => groupByFolder(['a/notes.txt', 'a/x.npy']), DatasetError, 'none of the 2');
});

Deno.test('parseLabels: lines, one line of values, JSON indices and names', () => {
  deepStrictEqual([...parseLabels('3\n1\r\n0\n').labels], [3, 1, 0]);
  deepStrictEqual([...parseLabels('3, 1 0;2').labels], [3, 1, 0, 2]);
  deepStrictEqual([...parseLabels('[2, 0, 1]').labels], [2, 0, 1]);
  deepStrictEqual([...parseLabels('{"labels": [1, 1]}').labels], [1, 1]);
  const named = parseLabels('["cat", "dog", "cat"]');
  deepStrictEqual(named.classNames, ['cat', 'dog']);
  deepStrictEqual([...named.labels], [0, 1, 0]);
  const known = parseLabels('dog\ncat', 'y.txt', ['dog', 'bird', 'cat']);
  deepStrictEqual([...known.labels], [0, 2]);
  deepStrictEqual(known.classNames, ['dog', 'bird', 'cat']);
  assertEquals(parseLabels('1.0\n2').classNames, null);
});

Deno.test('parseLabels: errors name the file and the bad label', () => {
  assertThrows(() => parseLabels('  ', 'y.txt'), DatasetError, 'y.txt: it is empty');
  assertThrows(() => parseLabels('[1, [2]]', 'y.json'), DatasetError, 'JSON array');
  assertThrows(() => parseLabels('[1, 2', 'y.json'), DatasetError, 'invalid JSON');
  assertThrows(() => parseLabels('[1, -2]'), DatasetError, 'label 1 is -2');
  assertThrows(() => parseLabels('1\n2.5'), DatasetError, 'label 1 is 2.5');
});

Deno.test('labelsFromNpy: [n], [n, 1], one-hot rows; fractions rejected', () => {
  const y = labelsFromNpy({ dtype: 'int64', shape: [3], data: new BigInt64Array([2n, 0n, 1n]) });
  deepStrictEqual([...y], [2, 0, 1]);
  deepStrictEqual(
    [...labelsFromNpy({ dtype: 'int32', shape: [2, 1], data: new Int32Array([4, 5]) })],
    [4, 5],
  );
  const hot = new Float32Array([0, 1, 0, 1, 0, 0]);
  deepStrictEqual([...labelsFromNpy({ dtype: 'float32', shape: [2, 3], data: hot })], [1, 0]);
  assertThrows(
    () => labelsFromNpy({ dtype: 'float32', shape: [2], data: new Float32Array([1, 0.5]) }),
    DatasetError,
    'label 1 is 0.5',
  );
  assertThrows(
    () => labelsFromNpy({ dtype: 'int32', shape: [1, 1, 1], data: new Int32Array(1) }, 'y.npy'),
    DatasetError,
    'y.npy: shape (1,1,1)',
  );
});

Deno.test('inputSpec: drops the batch axis; needs fixed per-example dimensions', () => {
  deepStrictEqual(inputSpec({ name: 'x', shape: ['N', 1, 28, 28], dtype: 'float32' }), {
    name: 'x',
    shape: [1, 28, 28],
    dtype: 'float32',
  });
  assertThrows(() => inputSpec({ name: 'x', shape: [1, 'seq'] }), DatasetError, "'x'");
  assertThrows(() => inputSpec({ name: 'x', shape: [4] }), DatasetError, 'no batch axis');
});

Deno.test('inputsFromNpy: reshapes examples of the right size; uint8 scaled; mismatch named', () => {
  const x = inputsFromNpy(
    { dtype: 'float32', shape: [2, 4], data: new Float32Array(8).fill(0.5) },
    SPEC,
  );
  deepStrictEqual(x.shape, [2, 1, 2, 2]);
  const u = inputsFromNpy({
    dtype: 'uint8',
    shape: [1, 2, 2],
    data: new Uint8Array([0, 255, 51, 0]),
  }, SPEC);
  deepStrictEqual([...(u.data as Float32Array)], [0, 1, 0.2, 0].map(Math.fround));
  const e = assertThrows(
    () =>
      inputsFromNpy({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10) }, SPEC, 'x.npy'),
    DatasetError,
    'x.npy: each example has shape [5] (5 values)',
  );
  assert(e.message.includes("'input' takes [1,2,2] (4 values)"), e.message);
  // Token ids stay integers; fractional ids are refused.
  const tokens = { name: 'ids', shape: [3], dtype: 'int64' };
  const ids = inputsFromNpy({ dtype: 'int64', shape: [1, 3], data: new BigInt64Array(3) }, tokens);
  assert(ids.data instanceof BigInt64Array);
  assertThrows(
    () =>
      inputsFromNpy(
        { dtype: 'float32', shape: [1, 3], data: new Float32Array([1, 2.5, 0]) },
        tokens,
      ),
    DatasetError,
    'value 1 is 2.5',
  );
});

Deno.test('checkDataset: too few examples, label count and class range', () => {
  const ds = (
    count: number,
    labels: number[] | null,
    classNames: string[] | null = null,
  ): Dataset => ({
    inputs: { data: new Float32Array(count * 4), shape: [count, 1, 2, 2] },
    labels: labels ? Int32Array.from(labels) : null,
    classNames,
    count,
    summary: '',
  });
  checkDataset(ds(8, null));
  checkDataset(ds(8, [0, 1, 0, 1, 0, 1, 0, 1], ['a', 'b']));
  assertThrows(() => checkDataset(ds(7, null)), DatasetError, 'has 7 examples');
  assertThrows(() => checkDataset(ds(9, [0, 1])), DatasetError, '9 inputs but 2 labels');
  assertThrows(
    () => checkDataset(ds(8, [0, 1, 2, 0, 0, 0, 0, 0], ['a', 'b'])),
    DatasetError,
    'Label 2 is class 2',
  );
  const first = takeFirst(ds(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 3);
  deepStrictEqual(first.inputs.shape, [3, 1, 2, 2]);
  deepStrictEqual([...first.labels!], [0, 1, 2]);
});

Deno.test('rgbaToChw: luminance or RGB planes, mean and std per channel', () => {
  // Two pixels: pure red, white.
  const rgba = [255, 0, 0, 255, 255, 255, 255, 255];
  const gray = rgbaToChw(rgba, 2, 1, 1);
  assert(Math.abs(gray[0] - 0.299) < 1e-6 && Math.abs(gray[1] - 1) < 1e-6, `${gray}`);
  const rgb = rgbaToChw(rgba, 2, 1, 3, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] });
  deepStrictEqual([...rgb], [1, 1, -2, 2, -0.5, 0.5]);
  const dst = new Float32Array(2);
  assert(rgbaToChw(rgba, 2, 1, 1, { mean: [1] }, dst) === dst);
  assertThrows(() => rgbaToChw(rgba, 2, 1, 2), DatasetError, '2 channels');
  deepStrictEqual(imageGeometry({ name: 'x', shape: [3, 8, 6], dtype: 'float32' }), {
    channels: 3,
    height: 8,
    width: 6,
  });
  assertThrows(
    () => imageGeometry({ name: 'x', shape: [64], dtype: 'int64' }),
    DatasetError,
    '[64]',
  );
});

const npyFile = (path: string, data: Float32Array | Int32Array, shape: number[]) => ({
  path,
  file: new Blob([writeNpy(data, shape)]),
});

Deno.test('readDataset: .npy inputs with .npy, text or JSON labels', async () => {
  const x = npyFile('x.npy', new Float32Array(40).map((_, i) => i / 40), [10, 2, 2]);
  const y = npyFile('y.npy', Int32Array.from({ length: 10 }, (_, i) => i % 3), [10]);
  const ds = await readDataset([y, x], SPEC);
  assertEquals(ds.count, 10);
  deepStrictEqual(ds.inputs.shape, [10, 1, 2, 2]);
  deepStrictEqual([...ds.labels!], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  assertEquals(ds.summary, '10 examples from x.npy, labels from y.npy');
  const txt = { path: 'labels.txt', file: new Blob(['cat\ndog\n'.repeat(5)]) };
  const named = await readDataset([x, txt], SPEC);
  deepStrictEqual(named.classNames, ['cat', 'dog']);
  const unlabeled = await readDataset([x], SPEC);
  assertEquals(unlabeled.labels, null);
});

Deno.test('readDataset: count, shape and label mismatches are clear errors', async () => {
  const x = npyFile('x.npy', new Float32Array(40), [10, 4]);
  const short = npyFile('y.npy', new Int32Array(9), [9]);
  await assertRejects(readDataset([x, short], SPEC), DatasetError, '10 inputs but 9 labels');
  const wrong = npyFile('x.npy', new Float32Array(50), [10, 5]);
  await assertRejects(readDataset([wrong], SPEC), DatasetError, 'each example has shape [5]');
  const few = npyFile('x.npy', new Float32Array(12), [3, 4]);
  await assertRejects(readDataset([few], SPEC), DatasetError, 'has 3 examples');
  await assertRejects(readDataset([], SPEC), DatasetError, 'no files');
  const junk = { path: 'x.npy', file: new Blob(['not numpy']) };
  await assertRejects(readDataset([junk], SPEC), DatasetError, 'Cannot read x.npy');
  const other = { path: 'notes.md', file: new Blob(['#']) };
  await assertRejects(readDataset([other], SPEC), DatasetError, 'expected images or .npy');
  const two = [x, npyFile('a.npy', new Int32Array(10), [10]), {
    path: 'b.txt',
    file: new Blob(['1']),
  }];
  await assertRejects(readDataset(two, SPEC), DatasetError, 'which file holds the labels');
});
