// gatherElements / scatterElements against their f64 references, and the backward relations
// the ONNX operators use (checked on the references by central differences). Gathers and
// reduction none/max/min are exact; add sums up to `terms` f32 values in the reference's order:
// |error| ≤ terms·u·Σ|terms| (u = 2⁻²⁴); mul of values in [0.5, 1.5) over ≤ 4 terms is within
// 4·u relative.
import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  gatherElements,
  gatherElementsReference,
  scatterElements,
  scatterElementsReference,
  type ScatterReduction,
} from './gather_elements.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// [data shape, indices shape, axis]: the ONNX examples' geometry, indices smaller than data off
// the axis, longer than data along it (repeats), sizes around the workgroup, rank 4.
const CASES: [number[], number[], number][] = [
  [[3, 3], [2, 3], 0],
  [[3, 3], [3, 2], 1],
  [[4, 5], [7, 3], 0],
  [[2, 65], [2, 63], 1],
  [[64], [130], 0],
  [[2, 3, 4, 5], [2, 2, 6, 3], -2],
];

function indicesFor(dataShape: number[], indicesShape: number[], axis: number, seed: number) {
  const len = dataShape.at(axis)!;
  return Int32Array.from(integers(sizeOf(indicesShape), seed, -len, len));
}

testGpu('gatherElements: matches the reference exactly, lastWriter too', getEngine, async (e) => {
  for (const engine of [e, await getFolding()]) {
    for (const [dataShape, indicesShape, axis] of CASES) {
      const data = uniform(sizeOf(dataShape), 1);
      const idx = indicesFor(dataShape, indicesShape, axis, 2);
      using td = tensor(engine, data, dataShape);
      using ti = tensor(engine, idx, indicesShape);
      for (const lastWriter of [false, true]) {
        using out = gatherElements(engine, td, ti, { axis, lastWriter });
        const want = gatherElementsReference(data, dataShape, idx, indicesShape, {
          axis,
          lastWriter,
        });
        assertArrayEquals(out.shape, indicesShape);
        assertArrayEquals(await out.read(), Float32Array.from(want), `${dataShape} ${axis}`);
      }
    }
  }
  using ints = tensor(e, new Int32Array([1, 2, 3, 4]), [2, 2]);
  using ti = tensor(e, new Int32Array([1, 0, -1, 0]), [2, 2]);
  using got = gatherElements(e, ints, ti, { axis: 1 });
  assertArrayEquals(await got.read(), [2, 1, 4, 3], 'i32 data');
});

const REDUCTIONS: ScatterReduction[] = ['none', 'add', 'mul', 'max', 'min'];

testGpu('scatterElements: every reduction matches the reference', getEngine, async (e) => {
  for (const [dataShape, indicesShape, axis] of CASES) {
    const data = uniform(sizeOf(dataShape), 3, 0.5, 1.5);
    const updates = uniform(sizeOf(indicesShape), 4, 0.5, 1.5);
    const idx = indicesFor(dataShape, indicesShape, axis, 5);
    using td = tensor(e, data, dataShape);
    using ti = tensor(e, idx, indicesShape);
    using tu = tensor(e, updates, indicesShape);
    for (const reduction of REDUCTIONS) {
      using out = scatterElements(e, td, ti, tu, { axis, reduction });
      const want = scatterElementsReference(data, dataShape, idx, indicesShape, updates, {
        axis,
        reduction,
      });
      const terms = indicesShape.at(axis)! + 1;
      const tol = reduction === 'add' || reduction === 'mul'
        ? { rtol: terms * u * 4, atol: 1e-30 }
        : { atol: 0 };
      assertClose(await out.read(), want, tol, `${reduction} ${dataShape} axis ${axis}`);
    }
  }
});

testGpu('scatterElements: i32 data, long axes split into spans', getEngine, async (e) => {
  const dataShape = [3, 2];
  const indicesShape = [5000, 2]; // two spans of 4096 axis positions, accumulating
  const data = Int32Array.from(integers(6, 6, -5, 5));
  const updates = Int32Array.from(integers(10000, 7, -5, 5));
  const idx = indicesFor(dataShape, indicesShape, 0, 8);
  using td = tensor(e, data, dataShape);
  using ti = tensor(e, idx, indicesShape);
  using tu = tensor(e, updates, indicesShape);
  for (const reduction of ['none', 'add', 'max', 'min'] as const) {
    using out = scatterElements(e, td, ti, tu, { axis: 0, reduction });
    const want = scatterElementsReference(data, dataShape, idx, indicesShape, updates, {
      axis: 0,
      reduction,
    });
    assertArrayEquals(await out.read(), Int32Array.from(want), `i32 ${reduction}`);
  }
  const fdata = uniform(6, 9);
  const fupdates = uniform(10000, 10);
  using fd = tensor(e, fdata, dataShape);
  using fu = tensor(e, fupdates, indicesShape);
  using sum = scatterElements(e, fd, ti, fu, { axis: 0, reduction: 'add' });
  const want = scatterElementsReference(fdata, dataShape, idx, indicesShape, fupdates, {
    axis: 0,
    reduction: 'add',
  });
  assertClose(await sum.read(), want, { atol: 5001 * u * 5001 }, 'f32 add over two spans');
});

testGpu('backward relations: equal central differences of the references', getEngine, () => {
  // GatherElements' gradient is a scatter-add into zeros; ScatterElements' (none) is dy with the
  // written positions zeroed (data) and dy gathered at the last writes (updates); (add) is dy
  // (data) and dy gathered (updates). Each loss is linear: differences exact up to rounding.
  for (const [dataShape, indicesShape, axis] of CASES.slice(0, 5)) {
    const data = uniform(sizeOf(dataShape), 11);
    const updates = uniform(sizeOf(indicesShape), 12);
    const idx = indicesFor(dataShape, indicesShape, axis, 13);
    const dyOut = uniform(sizeOf(indicesShape), 14);
    const dyData = uniform(sizeOf(dataShape), 15);
    const label = `${dataShape} by ${indicesShape} axis ${axis}`;
    const zerosData = new Float64Array(data.length);
    const zerosUpdates = new Float64Array(updates.length);
    assertClose(
      scatterElementsReference(zerosData, dataShape, idx, indicesShape, dyOut, {
        axis,
        reduction: 'add',
      }),
      finiteDifferenceGradient(
        (p) => gatherElementsReference(p, dataShape, idx, indicesShape, { axis }),
        data,
        dyOut,
      ),
      { atol: 1e-9 },
      `gather ${label}`,
    );
    for (const reduction of ['none', 'add'] as const) {
      const scatter = (d: ArrayLike<number>, up: ArrayLike<number>) =>
        scatterElementsReference(d, dataShape, idx, indicesShape, up, { axis, reduction });
      const dData = reduction === 'add' ? Float64Array.from(dyData) : scatter(dyData, zerosUpdates);
      assertClose(
        dData,
        finiteDifferenceGradient((p) => scatter(p, updates), data, dyData),
        { atol: 1e-9 },
        `scatter ${reduction} d data ${label}`,
      );
      assertClose(
        gatherElementsReference(dyData, dataShape, idx, indicesShape, {
          axis,
          lastWriter: reduction === 'none',
        }),
        finiteDifferenceGradient((p) => scatter(data, p), updates, dyData),
        { atol: 1e-9 },
        `scatter ${reduction} d updates ${label}`,
      );
    }
  }
  return Promise.resolve();
});

testGpu('gatherElements / scatterElements: typed errors', getEngine, (e) => {
  using data = tensor(e, uniform(6, 16), [2, 3]);
  using bad = tensor(e, new Int32Array([0, 1, 2]), [3]);
  assertThrows(() => gatherElements(e, data, bad), ShapeError, 'same rank');
  using wide = tensor(e, new Int32Array(8), [2, 4]);
  assertThrows(() => gatherElements(e, data, wide, { axis: 0 }), ShapeError, 'exceed data');
  using idx = tensor(e, new Int32Array(4), [2, 2]);
  using updates = tensor(e, uniform(3, 17), [3, 1]);
  assertThrows(() => scatterElements(e, data, idx, updates), ShapeError, "indices' shape");
  using ints = tensor(e, new Int32Array(4), [2, 2]);
  assertThrows(() => scatterElements(e, data, idx, ints), ArgumentError, 'f32');
  assertThrows(
    () => gatherElementsReference([1, 2], [2], [2], [1]),
    ArgumentError,
    'index 2 (element 0 of indices) is out of range',
  );
  return Promise.resolve();
});
