import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  histogramQuantile,
  tensorStats,
  tensorStatsBatch,
  type TensorStatsOptions,
  tensorStatsReference,
} from './tensor_stats.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

// Counts, min, max, max|x| and the histogram are exact. Mean and variance are within 1e-5
// relative (the bound; Welford per lane + Chan's combination keep them near
// (len/64 + 12)·u). l1 and l2 are f32 sums per span: within (spanLen + 2)·u relative.
async function check(engine: Engine, data: Float32Array, options: TensorStatsOptions = {}) {
  using x = tensor(engine, data, [data.length]);
  const got = await tensorStats(engine, x, options);
  const want = tensorStatsReference(data, options);
  const what = `n=${data.length} ${JSON.stringify(options)}`;
  for (const key of ['count', 'finite', 'nan', 'posInf', 'negInf', 'min', 'max', 'linf'] as const) {
    assertEquals(got[key], want[key], `${key} ${what}`);
  }
  for (const key of ['mean', 'variance'] as const) {
    if (Number.isNaN(want[key])) assert(Number.isNaN(got[key]), `${key} NaN ${what}`);
    else {
      assert(
        relative(got[key], want[key]) <= 1e-5 || Math.abs(got[key] - want[key]) < 1e-12,
        `${key} ${got[key]} vs ${want[key]} ${what}`,
      );
    }
  }
  const span = Math.min(1 << 20, Math.max(4096, Math.ceil(data.length / 1024)));
  for (const key of ['l1', 'l2'] as const) {
    assert(
      relative(got[key], want[key]) <= (span + 2) * u || got[key] === want[key],
      `${key} ${got[key]} vs ${want[key]} ${what}`,
    );
  }
  assertEquals(got.sparsity, want.sparsity, `sparsity ${what}`);
  assertEquals(got.histogram.lo, want.histogram.lo, `histogram lo ${what}`);
  assertEquals(got.histogram.hi, want.histogram.hi, `histogram hi ${what}`);
  assertArrayEquals(got.histogram.counts, want.histogram.counts, `histogram ${what}`);
  assertEquals(got.histogram.below, want.histogram.below, `below ${what}`);
  assertEquals(got.histogram.above, want.histogram.above, `above ${what}`);
  return got;
}

testGpu('tensorStats: sizes 1, 63, 64, 65, 1000, 4097 against f64', getEngine, async (engine) => {
  for (const n of [1, 63, 64, 65, 1000, 4097]) await check(engine, uniform(n, n, -1, 3));
});

testGpu(
  'tensorStats: 1M values — mean and variance within 1e-5, exact histogram',
  getEngine,
  async (engine) => {
    const data = uniform(1 << 20, 99, 0.5, 2.5);
    const s = await check(engine, data, { bins: 100 });
    assertEquals(s.histogram.counts.reduce((a, b) => a + b, 0), 1 << 20);
  },
  { timeout: 300_000 },
);

testGpu(
  'tensorStats: NaN and ±Inf are counted by bit pattern and left out',
  getEngine,
  async (engine) => {
    const data = uniform(3000, 5, -2, 2);
    for (let i = 0; i < 3000; i += 97) data[i] = NaN;
    data[10] = Infinity;
    data[11] = -Infinity;
    data[2999] = Infinity;
    const s = await check(engine, data, { bins: 17 });
    assertEquals(s.posInf, 2);
    assertEquals(s.negInf, 1);
    assertEquals(s.nan, 31);
    assert(Number.isFinite(s.mean) && Number.isFinite(s.l2), 'moments stay finite');
  },
);

testGpu(
  'tensorStats: explicit range, sparsity, constant and all-NaN tensors',
  getEngine,
  async (engine) => {
    const data = uniform(2000, 8, -3, 3);
    for (let i = 0; i < 2000; i += 3) data[i] = 0;
    const s = await check(engine, data, { range: [-1, 1], bins: 8, epsilon: 0 });
    assert(
      s.histogram.below > 0 && s.histogram.above > 0,
      'values outside the range are counted apart',
    );
    assert(Math.abs(s.sparsity - 667 / 2000) < 1e-12, `sparsity ${s.sparsity}`);
    await check(engine, new Float32Array(100).fill(0.25), { bins: 4 });
    const nan = await check(engine, new Float32Array(50).fill(NaN));
    assertEquals(nan.finite, 0);
    await check(engine, uniform(500, 3), { bins: 4096, epsilon: 0.1 });
  },
);

testGpu(
  'tensorStats: per-channel moments and a batch of tensors in one call',
  getEngine,
  async (engine) => {
    const shapes = [[8, 3, 3, 3], [5, 1000], [1, 7], [3, 6000]];
    const datas = shapes.map((s, i) =>
      uniform(s.reduce((a, b) => a * b, 1), 40 + i, -1 + i, 2 + i)
    );
    const xs = datas.map((d, i) => tensor(engine, d, shapes[i]));
    const stats = await tensorStatsBatch(engine, xs, { perChannel: true, bins: 20 });
    stats.forEach((got, i) => {
      const want = tensorStatsReference(datas[i], {
        perChannel: true,
        channels: shapes[i][0],
        bins: 20,
      });
      assertArrayEquals(got.histogram.counts, want.histogram.counts, `histogram of tensor ${i}`);
      assertEquals(got.channels!.length, shapes[i][0]);
      got.channels!.forEach((c, k) => {
        const w = want.channels![k];
        assertEquals(c.min, w.min, `min of channel ${k}`);
        assertEquals(c.max, w.max, `max of channel ${k}`);
        assertEquals(c.finite, w.finite, `count of channel ${k}`);
        assert(relative(c.mean, w.mean) <= 1e-5, `mean of channel ${k}: ${c.mean} vs ${w.mean}`);
        assert(relative(c.variance, w.variance) <= 1e-5, `variance of channel ${k}`);
      });
    });
    for (const x of xs) x.destroy();
  },
);

testGpu('tensorStats: folded dispatch', getFolding, async (engine) => {
  await check(engine, uniform(30_000, 4, -5, 5), { bins: 33 });
});

testGpu('histogramQuantile: within one bin of the exact quantile', getEngine, async (engine) => {
  const data = uniform(100_000, 12, 0, 10);
  using x = tensor(engine, data, [data.length]);
  const s = await tensorStats(engine, x, { bins: 200 });
  const sorted = Float64Array.from(data).sort();
  const width = (s.histogram.hi - s.histogram.lo) / 200;
  for (const q of [0, 0.01, 0.25, 0.5, 0.9, 1]) {
    const exact = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const est = histogramQuantile(s.histogram, q);
    assert(Math.abs(est - exact) <= width, `q=${q}: ${est} vs ${exact} (bin ${width})`);
  }
  assertThrows(() => histogramQuantile(s.histogram, 2), ArgumentError, 'q must be in [0, 1]');
});

testGpu('tensorStats: bad options are rejected before the GPU', getEngine, async (engine) => {
  using x = tensor(engine, [1, 2, 3]);
  for (
    const options of [{ bins: 0 }, { bins: 5000 }, { range: [1, 1] as const }, { epsilon: -1 }]
  ) {
    let threw = false;
    try {
      await tensorStats(engine, x, options);
    } catch (error) {
      threw = error instanceof ArgumentError;
    }
    assert(threw, `rejects ${JSON.stringify(options)}`);
  }
});
