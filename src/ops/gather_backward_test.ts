import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { gatherOutputShape, gatherReference } from './gather.ts';
import { gatherBackward, gatherBackwardReference } from './gather_backward.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// [data shape, indices shape, axis]: an embedding lookup with repeats, the ONNX backend
// geometries, scalar indices, sizes around the workgroup, more indices than one dispatch's span.
const CASES: [number[], number[], number][] = [
  [[50, 16], [3, 7], 0], // embedding [V, D] by tokens [B, T]
  [[5, 4, 3, 2], [3], 0],
  [[5, 4, 3, 2], [6], 1],
  [[3, 3], [1, 2], 1],
  [[4, 65], [], 0],
  [[4, 63], [2], -1],
  [[2, 3, 64], [2, 2], -2],
  [[65], [7], 0],
  [[10, 2], [5000], 0], // two dispatches (spans of 4096 index positions) that accumulate
];

// Repeated indices add up to `terms` values of dy: |error| ≤ (terms + 1)·u·Σ|dy| in any order.
async function check(engine: Engine, dataShape: number[], indicesShape: number[], axis: number) {
  const len = dataShape.at(axis)!;
  // In-range indices, negative ones included, with repeats (more positions than rows, often).
  const idx = Int32Array.from(integers(sizeOf(indicesShape), 17, -len, len));
  const dyShape = gatherOutputShape(dataShape, indicesShape, axis);
  const dy = uniform(sizeOf(dyShape), 18);
  using ti = tensor(engine, idx, indicesShape);
  using tdy = tensor(engine, dy, dyShape);
  using dx = gatherBackward(engine, tdy, ti, { axis, dataShape });
  const ref = gatherBackwardReference(dy, idx, indicesShape, { axis, dataShape });
  const label = `${dataShape} by ${indicesShape} axis ${axis}`;
  assertArrayEquals(dx.shape, dataShape, `${label} shape`);
  const terms = sizeOf(indicesShape) + 1;
  const bound = ref.magnitude.map((m) => (terms + 1) * u * m);
  assertClose(await dx.read(), ref.data, { atol: 1e-30, bound }, label);
}

testGpu(
  'gatherBackward reference: equals central differences of gatherReference',
  getEngine,
  () => {
    // The loss Σ dy ⊙ gather(data) is linear in data: central differences are exact up to f64
    // rounding.
    for (const [dataShape, indicesShape, axis] of CASES.slice(0, 8)) {
      const len = dataShape.at(axis)!;
      const idx = Int32Array.from(integers(sizeOf(indicesShape), 19, -len, len));
      const data = Float64Array.from(uniform(sizeOf(dataShape), 20));
      const dy = Float64Array.from(
        uniform(sizeOf(gatherOutputShape(dataShape, indicesShape, axis)), 21),
      );
      const loss = () => {
        const y = gatherReference(data, dataShape, idx, indicesShape, { axis }).data;
        let s = 0;
        for (let i = 0; i < y.length; i++) s += dy[i] * y[i];
        return s;
      };
      const fd = new Float64Array(data.length);
      const h = 1e-3;
      for (let i = 0; i < data.length; i++) {
        const keep = data[i];
        data[i] = keep + h;
        const up = loss();
        data[i] = keep - h;
        const down = loss();
        data[i] = keep;
        fd[i] = (up - down) / (2 * h);
      }
      const ref = gatherBackwardReference(dy, idx, indicesShape, { axis, dataShape });
      assertClose(ref.data, fd, { atol: 1e-8 }, `${dataShape} by ${indicesShape} axis ${axis}`);
    }
    return Promise.resolve();
  },
);

testGpu(
  'gatherBackward: embedding with repeats, axes, scalar indices, long index lists',
  getEngine,
  async (engine) => {
    for (const [dataShape, indicesShape, axis] of CASES) {
      await check(engine, dataShape, indicesShape, axis);
    }
  },
);

testGpu(
  'gatherBackward: repeated and negative indices, exact small case',
  getEngine,
  async (engine) => {
    // data [4, 2]; indices [[0, -1], [3, 0]]: row 0 twice, row 3 twice (−1 wraps to 3), rows 1 and
    // 2 never (they get exactly 0).
    using idx = tensor(engine, Int32Array.from([0, -1, 3, 0]), [2, 2]);
    using dy = tensor(engine, [1, 2, 10, 20, 100, 200, 1000, 2000], [2, 2, 2]);
    // A dirty pooled buffer of d(data)'s size: every element must be written.
    tensor(engine, new Float32Array(8).fill(7), [8]).destroy();
    using dx = gatherBackward(engine, dy, idx, { axis: 0, dataShape: [4, 2] });
    assertArrayEquals(await dx.read(), [1001, 2002, 0, 0, 0, 0, 110, 220]);
  },
);

testGpu(
  'gatherBackward: folded dispatch (4 workgroups per dimension)',
  getFolding,
  async (engine) => {
    await check(engine, [50, 16], [3, 7], 0);
  },
);

testGpu(
  'gatherBackward: errors before anything is recorded; empty cases',
  getEngine,
  async (engine) => {
    using idx = tensor(engine, Int32Array.from([0, 1]), [2]);
    using dy = tensor(engine, new Float32Array(6), [2, 3]);
    using fidx = tensor(engine, [0, 1], [2]);
    const before = engine.dispatchCount;
    assertThrows(
      () => gatherBackward(engine, dy, idx, { axis: 0, dataShape: [5, 4] }),
      ShapeError,
      'must be the gather output shape [2, 4]',
    );
    assertThrows(
      () => gatherBackward(engine, dy, fidx, { axis: 0, dataShape: [5, 3] }),
      ArgumentError,
      'i32',
    );
    assertThrows(
      () => gatherBackward(engine, dy, idx, { axis: 2, dataShape: [5, 3] }),
      ArgumentError,
      'axis',
    );
    assertArrayEquals([engine.dispatchCount], [before]);
    // No index positions: d(data) is all zeros.
    using none = tensor(engine, new Int32Array(0), [0]);
    using dyNone = tensor(engine, new Float32Array(0), [0, 3]);
    using zeros = gatherBackward(engine, dyNone, none, { axis: 0, dataShape: [4, 3] });
    assertArrayEquals(await zeros.read(), new Float32Array(12));
  },
);
