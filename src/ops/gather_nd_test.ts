// gatherND / scatterND against their f64 references (batch dimensions included), and the
// backward relations the ONNX operators use, checked on the references by central differences.
// Gathers and reduction none/max/min are exact; add/mul: see gather_elements_test.ts.
import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import type { ScatterReduction } from './gather_elements.ts';
import { gatherND, gatherNdReference, planNd, scatterND, scatterNdReference } from './gather_nd.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// [data shape, indices shape, batch dims]: whole-element tuples, slice tuples, batched, the
// ONNX examples' geometries, slices around the workgroup size, more tuples than positions.
const CASES: [number[], number[], number][] = [
  [[2, 2], [2, 2], 0],
  [[2, 2], [2, 1], 0],
  [[2, 2, 2], [2, 1, 1], 1],
  [[4, 3, 65], [5, 2], 0],
  [[3, 5, 63], [3, 4, 1], 1],
  [[6, 4], [70, 2], 0],
  [[2, 3, 4], [7, 0], 0],
];

/** Index tuples in range (negative ones included) for data and indices shapes. */
function tuples(dataShape: number[], indicesShape: number[], batchDims: number, seed: number) {
  const q = indicesShape.at(-1)!;
  const n = sizeOf(indicesShape);
  const out = new Int32Array(n);
  for (let r = 0; r < q; r++) {
    const dim = dataShape[batchDims + r];
    const column = integers(n / q, seed + r, -dim, dim);
    for (let t = 0; t < n / q; t++) out[t * q + r] = column[t];
  }
  return out;
}

testGpu('gatherND: matches the reference exactly, lastWriter too', getEngine, async (e) => {
  for (const engine of [e, await getFolding()]) {
    for (const [dataShape, indicesShape, batchDims] of CASES) {
      const data = uniform(sizeOf(dataShape), 1);
      const idx = tuples(dataShape, indicesShape, batchDims, 2);
      using td = tensor(engine, data, dataShape);
      using ti = tensor(engine, idx, indicesShape);
      for (const lastWriter of [false, true]) {
        using out = gatherND(engine, td, ti, { batchDims, lastWriter });
        const want = gatherNdReference(data, dataShape, idx, indicesShape, {
          batchDims,
          lastWriter,
        });
        assertArrayEquals(out.shape, want.shape, 'shape');
        assertArrayEquals(await out.read(), Float32Array.from(want.data), `${dataShape}`);
      }
    }
  }
});

const REDUCTIONS: ScatterReduction[] = ['none', 'add', 'mul', 'max', 'min'];

testGpu('scatterND: every reduction matches the reference', getEngine, async (e) => {
  for (const [dataShape, indicesShape, batchDims] of CASES) {
    const plan = planNd('test', dataShape, indicesShape, batchDims);
    const data = uniform(sizeOf(dataShape), 3, 0.5, 1.5);
    const updates = uniform(sizeOf(plan.sliceShape), 4, 0.5, 1.5);
    const idx = tuples(dataShape, indicesShape, batchDims, 5);
    using td = tensor(e, data, dataShape);
    using ti = tensor(e, idx, indicesShape);
    using tu = tensor(e, updates, plan.sliceShape);
    for (const reduction of REDUCTIONS) {
      using out = scatterND(e, td, ti, tu, { reduction, batchDims });
      const want = scatterNdReference(data, dataShape, idx, indicesShape, updates, {
        reduction,
        batchDims,
      });
      const terms = plan.count + 1;
      const tol = reduction === 'add' || reduction === 'mul'
        ? { rtol: terms * u * 4, atol: 1e-30 }
        : { atol: 0 };
      assertClose(await out.read(), want, tol, `${reduction} ${dataShape} by ${indicesShape}`);
    }
  }
});

testGpu('scatterND: i32 data, many tuples split into spans', getEngine, async (e) => {
  const dataShape = [5, 3];
  const indicesShape = [2100, 1]; // three spans of 1024 tuples, accumulating
  const data = Int32Array.from(integers(15, 6, -5, 5));
  const updates = Int32Array.from(integers(6300, 7, -5, 5));
  const idx = tuples(dataShape, indicesShape, 0, 8);
  using td = tensor(e, data, dataShape);
  using ti = tensor(e, idx, indicesShape);
  using tu = tensor(e, updates, [2100, 3]);
  for (const reduction of ['none', 'add', 'max', 'min'] as const) {
    using out = scatterND(e, td, ti, tu, { reduction });
    const want = scatterNdReference(data, dataShape, idx, indicesShape, updates, { reduction });
    assertArrayEquals(await out.read(), Int32Array.from(want), `i32 ${reduction}`);
  }
});

testGpu('backward relations: equal central differences of the references', getEngine, () => {
  // GatherND's gradient is a scatter-add into zeros (same batch dims); ScatterND's (none) is dy
  // with the written slices zeroed (data) and dy gathered at the last writes (updates); (add)
  // is dy and dy gathered. Each loss is linear: differences exact up to rounding.
  for (const [dataShape, indicesShape, batchDims] of CASES.slice(0, 6)) {
    const plan = planNd('test', dataShape, indicesShape, batchDims);
    const data = uniform(sizeOf(dataShape), 11);
    const updates = uniform(sizeOf(plan.sliceShape), 12);
    const idx = tuples(dataShape, indicesShape, batchDims, 13);
    const dyOut = uniform(sizeOf(plan.sliceShape), 14);
    const dyData = uniform(sizeOf(dataShape), 15);
    const label = `${dataShape} by ${indicesShape}`;
    assertClose(
      scatterNdReference(new Float64Array(data.length), dataShape, idx, indicesShape, dyOut, {
        reduction: 'add',
        batchDims,
      }),
      finiteDifferenceGradient(
        (p) => gatherNdReference(p, dataShape, idx, indicesShape, { batchDims }).data,
        data,
        dyOut,
      ),
      { atol: 1e-9 },
      `gather ${label}`,
    );
    if (batchDims > 0) continue; // ScatterND has no batch dimensions
    for (const reduction of ['none', 'add'] as const) {
      const scatter = (d: ArrayLike<number>, up: ArrayLike<number>) =>
        scatterNdReference(d, dataShape, idx, indicesShape, up, { reduction });
      const dData = reduction === 'add'
        ? Float64Array.from(dyData)
        : scatter(dyData, new Float64Array(updates.length));
      assertClose(
        dData,
        finiteDifferenceGradient((p) => scatter(p, updates), data, dyData),
        { atol: 1e-9 },
        `scatter ${reduction} d data ${label}`,
      );
      assertClose(
        gatherNdReference(dyData, dataShape, idx, indicesShape, {
          lastWriter: reduction === 'none',
        }).data,
        finiteDifferenceGradient((p) => scatter(data, p), updates, dyData),
        { atol: 1e-9 },
        `scatter ${reduction} d updates ${label}`,
      );
    }
  }
  return Promise.resolve();
});

testGpu('gatherND / scatterND: typed errors', getEngine, (e) => {
  using data = tensor(e, uniform(6, 16), [2, 3]);
  using long = tensor(e, new Int32Array(3), [1, 3]);
  assertThrows(() => gatherND(e, data, long), ShapeError, 'too long');
  using odd = tensor(e, new Int32Array(3), [3, 1]);
  assertThrows(() => gatherND(e, data, odd, { batchDims: 1 }), ShapeError, 'batch dimension 0');
  using idx = tensor(e, new Int32Array(2), [2, 1]);
  using updates = tensor(e, uniform(2, 17), [2]);
  assertThrows(() => scatterND(e, data, idx, updates), ShapeError, 'must be [2, 3]');
  assertThrows(
    () => gatherNdReference([1, 2, 3, 4, 5, 6], [2, 3], [0, 3], [1, 2]),
    ArgumentError,
    'position 1 of the index tuples',
  );
  return Promise.resolve();
});
