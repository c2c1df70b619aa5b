import { assertArrayEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers } from '../../test/random.ts';
import { ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { stackRows, takeRows, takeRowsReference } from './rows.ts';

const getEngine = sharedEngine();

// Bit copies: exact, f32 and i32; runs at the start, middle and end, padded both ways, rows of
// one element and of 65, and empty trailing dimensions.
testGpu('takeRows: runs and padding against the CPU reference (exact)', getEngine, async (e) => {
  const cases: [number[], number, number, number][] = [
    [[5, 3], 0, 5, 5],
    [[5, 3], 1, 2, 2],
    [[5, 3], 4, 1, 3],
    [[7, 65], 2, 3, 8],
    [[4], 3, 1, 1],
    [[3, 2, 2], 1, 2, 4],
  ];
  for (const [shape, start, count, rows] of cases) {
    for (const dtype of ['f32', 'i32'] as const) {
      for (const pad of ['repeat', 'zero'] as const) {
        const data = integers(sizeOf(shape), shape.length + start, -1000, 1000);
        using x = tensor(e, data, shape, { dtype });
        using y = takeRows(e, x, start, count, { rows, pad });
        const what = `${dtype} [${shape}] rows ${start}+${count}→${rows} ${pad}`;
        assertArrayEquals(y.shape, [rows, ...shape.slice(1)], what);
        const got = Array.from(await y.read());
        assertArrayEquals(
          got,
          Array.from(takeRowsReference(data, shape, start, count, rows, pad)),
          what,
        );
      }
    }
  }
});

testGpu('stackRows: keeps the leading rows of each part in order (exact)', getEngine, async (e) => {
  using a = tensor(e, [1, 2, 3, 4, 5, 6], [3, 2]);
  using b = tensor(e, [7, 8, 9, 10], [2, 2]);
  using c = tensor(e, [11, 12], [1, 2]);
  using y = stackRows(e, [{ tensor: a }, { tensor: b, rows: 1 }, { tensor: c, rows: 0 }]);
  assertArrayEquals(y.shape, [4, 2]);
  assertArrayEquals(Array.from(await y.read()), [1, 2, 3, 4, 5, 6, 7, 8]);
  // A round trip: takeRows in chunks of 2 (the last padded), stacked back without the padding.
  const data = integers(5 * 3, 7, -9, 9);
  using x = tensor(e, data, [5, 3], { dtype: 'i32' });
  const parts = [0, 2, 4].map((s) => takeRows(e, x, s, Math.min(2, 5 - s), { rows: 2 }));
  using z = stackRows(e, parts.map((t, i) => ({ tensor: t, rows: i === 2 ? 1 : 2 })));
  for (const t of parts) t.destroy();
  assertArrayEquals(Array.from(await z.read()), Array.from(data));
});

testGpu(
  'takeRows/stackRows: out-of-range rows and mismatched parts are refused',
  getEngine,
  async (e) => {
    using x = tensor(e, [1, 2, 3, 4], [2, 2]);
    using s = tensor(e, [1], []);
    using w = tensor(e, [1, 2, 3], [1, 3]);
    assertThrows(() => takeRows(e, x, 1, 2), ShapeError, 'out of range');
    assertThrows(() => takeRows(e, x, 0, 2, { rows: 1 }), ShapeError, 'out of range');
    assertThrows(() => takeRows(e, s, 0, 1), ShapeError, 'scalar');
    assertThrows(() => stackRows(e, [{ tensor: x }, { tensor: w }]), ShapeError, 'does not match');
    assertThrows(() => stackRows(e, [{ tensor: x, rows: 3 }]), ShapeError, '3 rows');
    // Nothing was recorded for the refused calls: the queue drains.
    await e.device.queue.onSubmittedWorkDone();
  },
);
