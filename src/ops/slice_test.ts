import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, mulberry32, uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, stridesOf, tensor } from '../tensor.ts';
import { slice, type SliceOptions, sliceOutputShape, sliceReference } from './slice.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

/**
 * An independent oracle: the index list of each axis built by stepping from the clamped start
 * while short of the clamped end (the ONNX spec's words, not the ceil formula of planSlice).
 */
function oracle(x: ArrayLike<number>, shape: number[], o: SliceOptions) {
  const lists = shape.map((len) => Array.from({ length: len }, (_, i) => i));
  const axes = o.axes ?? o.starts.map((_, i) => i);
  axes.forEach((a, i) => {
    const axis = a < 0 ? a + shape.length : a;
    const len = shape[axis];
    const step = o.steps?.[i] ?? 1;
    let start = o.starts[i] < 0 ? o.starts[i] + len : o.starts[i];
    let end = o.ends[i] < 0 ? o.ends[i] + len : o.ends[i];
    const [lo, hi, elo, ehi] = step > 0 ? [0, len, 0, len] : [0, len - 1, -1, len - 1];
    start = Math.min(Math.max(start, lo), hi);
    end = Math.min(Math.max(end, elo), ehi);
    const list: number[] = [];
    for (let j = start; step > 0 ? j < end : j > end; j += step) list.push(j);
    lists[axis] = len === 0 ? [] : list;
  });
  const outShape = lists.map((l) => l.length);
  const strides = stridesOf(shape);
  const data: number[] = [];
  const walk = (d: number, offset: number) => {
    if (d === shape.length) {
      data.push(x[offset]);
      return;
    }
    for (const j of lists[d]) walk(d + 1, offset + j * strides[d]);
  };
  if (sizeOf(outShape) > 0) walk(0, 0);
  return { data, shape: outShape };
}

// The ONNX backend test cases (onnx/backend/test/case/node/slice.py), with their numpy results'
// shapes, then edge cases.
const X = [20, 10, 5];
const CASES: [number[], SliceOptions, number[]][] = [
  [X, { starts: [0, 0], ends: [3, 10], axes: [0, 1], steps: [1, 1] }, [3, 10, 5]],
  [X, { starts: [0, 0, 3], ends: [20, 10, 4] }, [20, 10, 1]],
  [X, { starts: [0, 0, 3], ends: [20, 10, 4], axes: [0, 1, 2] }, [20, 10, 1]],
  [X, { starts: [0, 0, 3], ends: [20, 10, 4], axes: [0, -2, -1] }, [20, 10, 1]],
  [X, { starts: [1], ends: [1000], axes: [1], steps: [1] }, [20, 9, 5]],
  [X, { starts: [0], ends: [-1], axes: [1], steps: [1] }, [20, 9, 5]],
  [X, { starts: [20, 10, 4], ends: [0, 0, 1], axes: [0, 1, 2], steps: [-1, -3, -2] }, [
    19,
    3,
    2,
  ]],
  [X, { starts: [1000], ends: [1000], axes: [1], steps: [1] }, [20, 0, 5]],
  [X, { starts: [-9.2e18], ends: [9.2e18], axes: [2] }, X], // int64 extremes
  [X, { starts: [-1], ends: [-Infinity], axes: [0], steps: [-1] }, X], // reversal
  [X, { starts: [3], ends: [3], axes: [0] }, [0, 10, 5]], // start == end: empty
  [X, { starts: [5], ends: [2], axes: [0] }, [0, 10, 5]], // end before start: empty
  [[1], { starts: [0], ends: [1] }, [1]],
  [[65], { starts: [1], ends: [65] }, [64]],
  [[65], { starts: [-2], ends: [-66], steps: [-1] }, [64]],
  [[130], { starts: [0], ends: [130], steps: [2] }, [65]],
  [[63, 5], { starts: [62, 4], ends: [-64, -6], steps: [-1, -2] }, [63, 3]],
  [[3, 0, 4], { starts: [0, 0], ends: [2, 5], axes: [0, 1] }, [2, 0, 4]],
  [[2, 3, 4, 5], { starts: [-1, 1], ends: [0, 5], axes: [-1, 0], steps: [-2, 7] }, [1, 3, 4, 2]],
  [[], { starts: [], ends: [] }, []],
];

testGpu('slice: ONNX cases and edges against the oracle (exact)', getEngine, async (engine) => {
  for (const [shape, options, expected] of CASES) {
    const data = uniform(sizeOf(shape), shape.length + 1);
    const ref = oracle(data, shape, options);
    const what = `${shape} ${JSON.stringify(options)}`;
    assertArrayEquals(sliceOutputShape(shape, options), expected, `shape of ${what}`);
    assertArrayEquals(ref.shape, expected, `oracle shape of ${what}`);
    assertArrayEquals(sliceReference(data, shape, options).data, ref.data, `reference ${what}`);
    using x = tensor(engine, data, shape);
    using y = slice(engine, x, options);
    assertArrayEquals(y.shape, expected, what);
    assertArrayEquals(await y.read(), ref.data, what);
  }
});

testGpu('slice: random starts/ends/steps on f32 and i32 (exact)', getEngine, async (engine) => {
  const next = mulberry32(99);
  const pick = (lo: number, hi: number) => lo + Math.floor((hi - lo) * next());
  for (let t = 0; t < 24; t++) {
    const rank = pick(1, 5);
    const shape = Array.from({ length: rank }, () => pick(1, 7));
    const axes = [...shape.keys()].filter(() => next() < 0.7).map((a) =>
      next() < 0.5 ? a - rank : a
    );
    const len = (i: number) => shape[axes[i] < 0 ? axes[i] + rank : axes[i]];
    const options: SliceOptions = {
      starts: axes.map((_, i) => pick(-len(i) - 2, len(i) + 2)),
      ends: axes.map((_, i) => pick(-len(i) - 2, len(i) + 2)),
      axes,
      steps: axes.map(() => (next() < 0.5 ? -1 : 1) * pick(1, 4)),
    };
    const dtype = t % 2 ? 'i32' : 'f32';
    const data = integers(sizeOf(shape), t, -1e6, 1e6);
    using x = tensor(engine, data, shape, { dtype });
    using y = slice(engine, x, options);
    const ref = oracle(data, shape, options);
    const what = `${shape} ${JSON.stringify(options)}`;
    assertEquals(y.dtype, dtype, what);
    assertArrayEquals(y.shape, ref.shape, what);
    assertArrayEquals(await y.read(), ref.data, what);
  }
});

testGpu('slice: ONNX clamping with negative steps keeps index 0', getEngine, async (engine) => {
  // A start before the axis is clamped to 0 (not to −1 as Python would): one element remains.
  using x = tensor(engine, [10, 11, 12, 13, 14]);
  using y = slice(engine, x, { starts: [-100], ends: [-100], steps: [-1] });
  assertArrayEquals(await y.read(), [10]);
  using z = slice(engine, x, { starts: [100], ends: [-100], steps: [-2] });
  assertArrayEquals(await z.read(), [14, 12, 10]);
});

testGpu('slice: folded dispatch', getFolding, async (engine) => {
  const shape = [40, 80];
  const options = { starts: [-1, 2], ends: [-Infinity, 77], steps: [-1, 1] };
  const data = uniform(sizeOf(shape), 4);
  using x = tensor(engine, data, shape);
  using y = slice(engine, x, options); // 40·75 elements, 47 workgroups: a 4×4×3 grid
  assertArrayEquals(await y.read(), oracle(data, shape, options).data);
});

testGpu('slice: rejects malformed options, naming them', getEngine, async (engine) => {
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  const bad: [Partial<SliceOptions>, string][] = [
    [{ starts: [0], ends: [1], steps: [0] }, 'steps [0] contain a zero'],
    [{ starts: [0, 0], ends: [1, 1], axes: [1, -1] }, 'repeat axis 1'],
    [{ starts: [0], ends: [1, 2] }, 'must have one length'],
    [{ starts: [0], ends: [1], axes: [2] }, 'axis 2 is out of range'],
    [{ starts: [0.5], ends: [1] }, 'starts [0.5] must be integers'],
    [{ starts: [0], ends: [1], steps: [Infinity] }, 'steps [Infinity] must be integers'],
  ];
  for (const [options, message] of bad) {
    assertThrows(
      () => slice(engine, x, options as SliceOptions),
      ArgumentError,
      message,
    );
  }
  assertThrows(
    () => sliceOutputShape([2, 3], { starts: [0], ends: [1], steps: [0] }),
    ArgumentError,
  );
  await Promise.resolve();
});
