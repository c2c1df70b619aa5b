import { assert, assertArrayEquals, assertEquals } from '../../test/assert.ts';
import { loadBytes } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { loadModel } from '../onnx/model.ts';
import { modelWeightStats } from './model_stats.ts';
import { tensorStatsReference } from './tensor_stats.ts';

const getEngine = sharedEngine();

testGpu(
  'modelWeightStats: every weight of the MNIST CNN in one batch, against f64',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const stats = await modelWeightStats(model, { bins: 32, perChannel: true });
    assertEquals(stats.length, 8);
    assertEquals(stats.reduce((a, s) => a + s.count, 0), 52138);
    for (const s of stats) {
      const init = model.ir.graph.initializers.get(s.name)!;
      const want = tensorStatsReference(init.data, {
        bins: 32,
        perChannel: true,
        channels: init.shape[0],
      });
      assertArrayEquals(s.shape, init.shape);
      assertArrayEquals(s.histogram.counts, want.histogram.counts, `${s.name} histogram`);
      assertEquals(s.min, want.min);
      assertEquals(s.max, want.max);
      assert(
        Math.abs(s.mean - want.mean) <= 1e-5 * Math.max(Math.abs(want.mean), want.std),
        `${s.name} mean`,
      );
      assert(Math.abs(s.variance - want.variance) <= 1e-5 * want.variance, `${s.name} variance`);
      assertEquals(s.channels!.length, init.shape[0]);
    }
  },
);
