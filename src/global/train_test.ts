import { assert, assertClose, assertEquals, assertRejects } from '../../test/assert.ts';
import { loadBytes } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  createHead,
  type DenseWeights,
  lossGradient,
  type LossKind,
  lossReference,
  Optimizer,
  type OptimizerOptions,
  trainHead,
} from './train.ts';

const getEngine = sharedEngine();

interface Case {
  sizes: number[];
  loss: LossKind;
  temperature: number;
  optimizer: OptimizerOptions;
  init: DenseWeights[];
  batches: { x: number[]; targets: number[] }[];
  after: { w: number[]; b: number[] }[][];
  losses: number[];
}

const toWeights = (ws: { w: ArrayLike<number>; b: ArrayLike<number> }[]): DenseWeights[] =>
  ws.map((l) => ({ w: Float32Array.from(l.w), b: Float32Array.from(l.b) }));

testGpu(
  'training steps match PyTorch (3 steps × 18 cases: losses × optimizers × depth)',
  getEngine,
  async (engine) => {
    const fixture = JSON.parse(new TextDecoder().decode(
      await loadBytes('test/fixtures/train/steps.json'),
    )) as { batch: number; cases: Case[] };
    let worst = 0;
    for (const c of fixture.cases) {
      const name = `[${c.sizes}] ${c.loss} ${c.optimizer.kind}`;
      using head = createHead(engine, c.sizes, { weights: toWeights(c.init) });
      const optimizer = new Optimizer(engine, head.params, c.optimizer);
      const rows = fixture.batch;
      const cols = c.sizes[c.sizes.length - 1];
      using losses = tensor(engine, new Float32Array(rows), [rows]);
      using index = tensor(engine, Int32Array.from({ length: rows }, (_, i) => i), [rows], {
        dtype: 'i32',
      });
      for (let s = 0; s < c.batches.length; s++) {
        const b = c.batches[s];
        using x = tensor(engine, Float32Array.from(b.x), [rows, c.sizes[0]]);
        const tShape = c.loss === 'cross-entropy' ? [rows] : [rows, cols];
        using t = tensor(engine, Float32Array.from(b.targets), tShape);
        const grads = head.gradients(x, (z) =>
          lossGradient(engine, z, t, index, losses, {
            loss: c.loss,
            temperature: c.temperature,
          }));
        optimizer.update(head.params, grads);
        for (const g of grads) g.destroy();
        const got = await head.read();
        for (let l = 0; l < got.length; l++) {
          worst = Math.max(
            worst,
            assertClose(got[l].w, c.after[s][l].w, { atol: 1e-4 }, `${name} step ${s + 1} w${l}`),
            assertClose(got[l].b, c.after[s][l].b, { atol: 1e-4 }, `${name} step ${s + 1} b${l}`),
          );
        }
        const rowLosses = await losses.readFloat32();
        const mean = rowLosses.reduce((a, v) => a + v, 0) / rows;
        assertClose([mean], [c.losses[s]], { atol: 1e-4 }, `${name} step ${s + 1} loss`);
      }
      optimizer.destroy();
    }
    console.log(`train vs PyTorch: worst error ${(worst * 1e-4).toExponential(2)} (atol 1e-4)`);
  },
);

testGpu(
  'loss kernel matches its f64 reference (rows 1, 63, 64, 65; 7 columns)',
  getEngine,
  async (engine) => {
    const cols = 7;
    for (const rows of [1, 63, 64, 65]) {
      for (const loss of ['cross-entropy', 'kl', 'mse'] as const) {
        const z = uniform(rows * cols, rows, -6, 6);
        const t = loss === 'cross-entropy'
          ? Float32Array.from({ length: rows }, (_, i) => (i * 5) % cols)
          : uniform(rows * cols, rows + 1, -4, 4);
        const T = loss === 'kl' ? 3 : 1;
        using zt = tensor(engine, z, [rows, cols]);
        using tt = tensor(engine, t, loss === 'cross-entropy' ? [rows] : [rows, cols]);
        using idx = tensor(engine, Int32Array.from({ length: rows }, (_, i) => rows - 1 - i), [
          rows,
        ], { dtype: 'i32' });
        using out = tensor(engine, new Float32Array(rows), [rows]);
        using dz = lossGradient(engine, zt, tt, idx, out, { loss, temperature: T });
        const ref = lossReference(z, t, rows, cols, { loss, temperature: T });
        // f32 softmax and logs over 7 terms with |z| ≤ 6: a few ulp of values ≤ ~10.
        assertClose(await dz.read(), ref.grad, { atol: 1e-6, rtol: 1e-5 }, `${loss} ${rows} grad`);
        const perRow = await out.read();
        const expected = Array.from({ length: rows }, (_, i) => ref.losses[rows - 1 - i]);
        assertClose(perRow, expected, { atol: 1e-5, rtol: 1e-5 }, `${loss} ${rows} loss`);
      }
    }
  },
);

testGpu(
  'trainHead: a linear and an MLP head learn a separable task; seeded runs repeat',
  getEngine,
  async (engine) => {
    const n = 300;
    const d = 6;
    const xs = uniform(n * d, 11);
    // Class = sign pattern of two fixed directions: linearly separable (4 classes).
    const labels = Array.from({ length: n }, (_, i) => {
      const r = xs.subarray(i * d, i * d + d);
      return (r[0] + r[1] > 0 ? 1 : 0) + (r[2] - r[3] > 0 ? 2 : 0);
    });
    using x = tensor(engine, xs, [n, d]);
    const epochs: number[] = [];
    const a = await trainHead(engine, x, labels, {
      outputs: 4,
      epochs: 40,
      optimizer: { kind: 'adam', learningRate: 0.05 },
      validationFraction: 0.2,
      patience: 50,
      onEpoch: (r) => epochs.push(r.epoch),
    });
    const last = a.history[a.history.length - 1];
    assert(last.validationAccuracy > 0.9, `linear validation accuracy ${last.validationAccuracy}`);
    assertEquals(epochs.length, 40);
    const b = await trainHead(engine, x, labels, {
      outputs: 4,
      epochs: 40,
      optimizer: { kind: 'adam', learningRate: 0.05 },
      validationFraction: 0.2,
      patience: 50,
    });
    assertClose((await b.head.read())[0].w, (await a.head.read())[0].w, { atol: 0 }, 'seeded');
    a.head.destroy();
    b.head.destroy();
    const mlp = await trainHead(engine, x, labels, {
      outputs: 4,
      hidden: [16],
      epochs: 40,
      optimizer: { kind: 'sgd', learningRate: 0.1, momentum: 0.9 },
      validationFraction: 0.2,
    });
    const best = mlp.history[mlp.bestEpoch - 1];
    assert(best.validationAccuracy > 0.85, `mlp validation accuracy ${best.validationAccuracy}`);
    mlp.head.destroy();
  },
);

testGpu('trainHead: early stopping, cancellation and bad input', getEngine, async (engine) => {
  const n = 64;
  using x = tensor(engine, uniform(n * 3, 5), [n, 3]);
  // Random labels: validation loss stops improving quickly.
  const labels = Array.from({ length: n }, (_, i) => (i * 7919) % 3);
  const r = await trainHead(engine, x, labels, {
    epochs: 200,
    validationFraction: 0.25,
    patience: 3,
    optimizer: { learningRate: 0.1 },
  });
  assert(r.stoppedEarly, 'early stop');
  assertEquals(r.history.length, r.bestEpoch + 3);
  r.head.destroy();
  const controller = new AbortController();
  controller.abort(new Error('stop now'));
  await assertRejects(
    () => trainHead(engine, x, labels, { signal: controller.signal }),
    Error,
    'stop now',
  );
  await assertRejects(() => trainHead(engine, x, [0, 1]), ArgumentError, '64 rows but 2');
  await assertRejects(
    () => trainHead(engine, x, labels, { optimizer: { learningRate: -1 } }),
    ArgumentError,
    'learningRate',
  );
});
