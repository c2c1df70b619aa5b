// Recurrent layers (ONNX RNN / GRU / LSTM): the f64 backward reference against central finite
// differences of the f64 forward reference, then the GPU forward and backward against those
// references, over the cells and their variants (directions, sequence lengths, initial states,
// peepholes, input_forget, clip, linear_before_reset, every activation ONNX lists).
//
// Tolerances. GPU vs f64 on the same f32 inputs: each step adds dot products of I + H ≤ 9 terms
// of size ≤ 1 (f32 error ≤ 9·u ≈ 5e-7 each) and a few activations (≤ 32u each); over T = 5 steps
// with gates that contract (|∂h_t/∂h_{t−1}| ≲ 1), the forward's absolute error stays below
// T·(9 + 64)·u ≈ 2e-5. Backward values are sums over T·B steps of products of forward values
// with gradients of size ≤ 10: atol 1e-4 plus rtol 1e-4. Finite differences (f64, central,
// ε = 1e-6) have truncation error ε²·|f'''| ≈ 1e-12 and rounding 1e-16/ε = 1e-10: 1e-6 relative
// to the gradient's scale leaves room for both.
import { assert, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { type Tensor, tensor } from '../tensor.ts';
import {
  activation,
  type ActivationName,
  GATES,
  recurrent,
  type RecurrentData,
  type RecurrentOptions,
  recurrentReference,
} from './recurrent.ts';
import { recurrentBackward, recurrentBackwardReference } from './recurrent_backward.ts';

const getEngine = sharedEngine();
// Every dispatch past 8 workgroups per dimension folds into 2-D/3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 8 });

interface Case {
  name: string;
  options: RecurrentOptions;
  T: number;
  B: number;
  I: number;
  H: number;
  bias?: boolean;
  lens?: number[];
  initial?: boolean;
  peepholes?: boolean;
  /** Range of W and R (default ±0.7); small for wide layers, to keep gates unsaturated. */
  weightScale?: number;
}

const CASES: Case[] = [
  { name: 'rnn forward', options: { cell: 'rnn' }, T: 5, B: 2, I: 3, H: 4, bias: true },
  {
    name: 'rnn reverse, initial_h, relu',
    options: { cell: 'rnn', direction: 'reverse', activations: [[activation('Relu')]] },
    T: 4,
    B: 1,
    I: 2,
    H: 3,
    bias: true,
    initial: true,
  },
  {
    name: 'rnn bidirectional, lengths, softsign / scaled tanh',
    options: {
      cell: 'rnn',
      direction: 'bidirectional',
      activations: [[activation('Softsign')], [activation('ScaledTanh', 0.8, 1.3)]],
    },
    T: 5,
    B: 3,
    I: 2,
    H: 4,
    bias: true,
    lens: [5, 2, 0],
    initial: true,
  },
  { name: 'gru defaults', options: { cell: 'gru' }, T: 4, B: 2, I: 3, H: 4 },
  {
    name: 'gru linear_before_reset, bias, initial_h',
    options: { cell: 'gru', linearBeforeReset: true },
    T: 5,
    B: 2,
    I: 3,
    H: 4,
    bias: true,
    initial: true,
  },
  {
    name: 'gru bidirectional, lengths, clip',
    options: { cell: 'gru', direction: 'bidirectional', clip: 0.9 },
    T: 5,
    B: 2,
    I: 3,
    H: 3,
    bias: true,
    lens: [3, 5],
    initial: true,
  },
  {
    name: 'gru bidirectional linear_before_reset, lengths',
    options: { cell: 'gru', direction: 'bidirectional', linearBeforeReset: true },
    T: 4,
    B: 2,
    I: 2,
    H: 3,
    bias: true,
    lens: [2, 4],
    initial: true,
  },
  { name: 'lstm defaults', options: { cell: 'lstm' }, T: 5, B: 2, I: 3, H: 4, bias: true },
  {
    name: 'lstm peepholes, initial states, lengths',
    options: { cell: 'lstm' },
    T: 5,
    B: 3,
    I: 3,
    H: 3,
    bias: true,
    lens: [5, 3, 1],
    initial: true,
    peepholes: true,
  },
  {
    name: 'lstm bidirectional, input_forget, clip, peepholes',
    options: { cell: 'lstm', direction: 'bidirectional', inputForget: true, clip: 1.1 },
    T: 4,
    B: 2,
    I: 2,
    H: 3,
    bias: true,
    initial: true,
    peepholes: true,
  },
  {
    name: 'lstm reverse, affine / elu / softplus',
    options: {
      cell: 'lstm',
      direction: 'reverse',
      activations: [[
        activation('HardSigmoid', 0.3, 0.45),
        activation('Elu', 0.7),
        activation('Softplus'),
      ]],
    },
    T: 4,
    B: 2,
    I: 3,
    H: 3,
    bias: true,
    initial: true,
  },
  {
    name: 'gru leaky relu / thresholded relu / affine',
    options: {
      cell: 'gru',
      direction: 'bidirectional',
      activations: [
        [activation('Sigmoid'), activation('LeakyRelu', 0.2)],
        [activation('Affine', 0.4, 0.3), activation('ThresholdedRelu', 0.1)],
      ],
    },
    T: 4,
    B: 2,
    I: 2,
    H: 3,
    bias: true,
    initial: true,
  },
];

function dataFor(c: Case, seed: number): RecurrentData {
  const D = c.options.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[c.options.cell];
  const { T, B, I, H } = c;
  return {
    x: uniform(T * B * I, seed, -1, 1),
    xShape: [T, B, I],
    w: uniform(D * G * H * I, seed + 1, -(c.weightScale ?? 0.7), c.weightScale ?? 0.7),
    r: uniform(D * G * H * H, seed + 2, -(c.weightScale ?? 0.7), c.weightScale ?? 0.7),
    hiddenSize: H,
    bias: c.bias ? uniform(D * 2 * G * H, seed + 3, -0.5, 0.5) : undefined,
    sequenceLens: c.lens,
    initialH: c.initial ? uniform(D * B * H, seed + 4, -0.8, 0.8) : undefined,
    initialC: c.initial && c.options.cell === 'lstm'
      ? uniform(D * B * H, seed + 5, -0.8, 0.8)
      : undefined,
    peepholes: c.peepholes ? uniform(D * 3 * H, seed + 6, -0.5, 0.5) : undefined,
  };
}

/** Output gradient weights: L = Σ gy·y + Σ gyH·yH + Σ gyC·yC. */
function gradsFor(c: Case, seed: number) {
  const D = c.options.direction === 'bidirectional' ? 2 : 1;
  const n = D * c.B * c.H;
  return {
    y: uniform(c.T * n, seed + 7, -1, 1),
    yH: uniform(n, seed + 8, -1, 1),
    yC: c.options.cell === 'lstm' ? uniform(n, seed + 9, -1, 1) : undefined,
  };
}

function objective(data: RecurrentData, c: Case, g: ReturnType<typeof gradsFor>): number {
  const out = recurrentReference(data, c.options);
  let s = 0;
  out.y.forEach((v, i) => (s += v * g.y[i]));
  out.yH.forEach((v, i) => (s += v * g.yH[i]));
  if (g.yC) out.yC.forEach((v, i) => (s += v * g.yC![i]));
  return s;
}

const DIFFERENTIABLE = ['x', 'w', 'r', 'bias', 'initialH', 'initialC', 'peepholes'] as const;

for (const [index, c] of CASES.entries()) {
  test(`recurrent reference ${c.name}: backward matches finite differences`, () => {
    const data = dataFor(c, 100 + index * 10);
    const g = gradsFor(c, 100 + index * 10);
    const analytic = recurrentBackwardReference(data, g, c.options);
    const eps = 1e-6;
    for (const name of DIFFERENTIABLE) {
      const values = data[name];
      if (!values) continue;
      const base = Float64Array.from(values);
      const numeric = new Float64Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const plus = Float64Array.from(base);
        const minus = Float64Array.from(base);
        plus[i] += eps;
        minus[i] -= eps;
        numeric[i] = (objective({ ...data, [name]: plus }, c, g) -
          objective({ ...data, [name]: minus }, c, g)) / (2 * eps);
      }
      const scale = Math.max(1, ...numeric.map(Math.abs));
      assertClose(analytic[name], numeric, { atol: 1e-6 * scale }, `${c.name} d${name}`);
    }
  });
}

function upload(engine: Engine, data: RecurrentData, c: Case) {
  const D = c.options.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[c.options.cell];
  const { T, B, I, H } = c;
  const f = (v: ArrayLike<number> | undefined, shape: number[]) =>
    v ? tensor(engine, Float32Array.from(v), shape) : undefined;
  return {
    x: f(data.x, [T, B, I])!,
    w: f(data.w, [D, G * H, I])!,
    r: f(data.r, [D, G * H, H])!,
    bias: f(data.bias, [D, 2 * G * H]),
    sequenceLens: data.sequenceLens
      ? tensor(engine, Int32Array.from(data.sequenceLens), [B])
      : undefined,
    initialH: f(data.initialH, [D, B, H]),
    initialC: f(data.initialC, [D, B, H]),
    peepholes: f(data.peepholes, [D, 3 * H]),
  };
}

function destroyAll(o: Record<string, Tensor | undefined>): void {
  for (const t of Object.values(o)) t?.destroy();
}

const FORWARD = { atol: 2e-5, rtol: 1e-5 };
const BACKWARD = { atol: 1e-4, rtol: 1e-4 };

async function checkGpu(engine: Engine, c: Case, seed: number): Promise<void> {
  const data = dataFor(c, seed);
  const g = gradsFor(c, seed);
  const inputs = upload(engine, data, c);
  const D = c.options.direction === 'bidirectional' ? 2 : 1;
  try {
    const want = recurrentReference(data, c.options);
    const got = recurrent(engine, inputs, c.options);
    try {
      assertClose(await got.y.read(), want.y, FORWARD, `${c.name} Y`);
      assertClose(await got.yH.read(), want.yH, FORWARD, `${c.name} Y_h`);
      if (c.options.cell === 'lstm') {
        assertClose(await got.yC!.read(), want.yC, FORWARD, `${c.name} Y_c`);
      } else assert(got.yC === undefined, 'only an LSTM has Y_c');
    } finally {
      destroyAll({ ...got });
    }
    const n = [D, c.B, c.H];
    using gy = tensor(engine, g.y, [c.T, ...n]);
    using gyH = tensor(engine, g.yH, n);
    using gyC = g.yC ? tensor(engine, g.yC, n) : undefined;
    const wantGrads = recurrentBackwardReference(data, g, c.options);
    const grads = recurrentBackward(engine, inputs, { y: gy, yH: gyH, yC: gyC }, c.options);
    try {
      for (const name of DIFFERENTIABLE) {
        const t = grads[name];
        if (c.options.cell !== 'lstm' && (name === 'initialC' || name === 'peepholes')) {
          assert(t === undefined, `${c.name}: no gradient of ${name} for a ${c.options.cell}`);
          continue;
        }
        assert(t !== undefined, `${c.name}: gradient of ${name} missing`);
        assertClose(await t.read(), wantGrads[name], BACKWARD, `${c.name} d${name}`);
      }
    } finally {
      destroyAll({ ...grads });
    }
  } finally {
    destroyAll(inputs);
  }
}

for (const [index, c] of CASES.entries()) {
  testGpu(
    `recurrent ${c.name}: GPU forward and backward against f64`,
    getEngine,
    (engine) => checkGpu(engine, c, 100 + index * 10),
  );
}

testGpu(
  'recurrent: folded dispatches (D·B·H = 600 units, an 8×2 grid) cover every unit',
  getFolding,
  (e) =>
    checkGpu(e, {
      name: 'lstm folded',
      options: { cell: 'lstm', direction: 'bidirectional' },
      T: 3,
      B: 5,
      I: 2,
      H: 60,
      bias: true,
      lens: [3, 1, 2, 0, 3],
      initial: true,
      weightScale: 0.15,
    }, 7),
);

testGpu(
  'recurrent: only some output gradients, only some input gradients',
  getEngine,
  async (e) => {
    const c = CASES[8]; // LSTM with peepholes and lengths
    const data = dataFor(c, 55);
    const g = gradsFor(c, 55);
    const inputs = upload(e, data, c);
    try {
      using gyC = tensor(e, g.yC!, [1, c.B, c.H]);
      const want = recurrentBackwardReference(data, { yC: g.yC }, c.options);
      const grads = recurrentBackward(e, inputs, { yC: gyC }, c.options, {
        x: true,
        initialC: true,
      });
      try {
        assert(grads.w === undefined && grads.r === undefined, 'unrequested gradients computed');
        assertClose(await grads.x!.read(), want.x, BACKWARD, 'dx from Y_c alone');
        assertClose(await grads.initialC!.read(), want.initialC, BACKWARD, 'dc0 from Y_c alone');
      } finally {
        destroyAll({ ...grads });
      }
    } finally {
      destroyAll(inputs);
    }
  },
);

testGpu('recurrent: bad shapes and options are named', getEngine, async (engine) => {
  using x = tensor(engine, new Float32Array(12), [2, 2, 3]);
  using w = tensor(engine, new Float32Array(48), [1, 16, 3]);
  using r = tensor(engine, new Float32Array(64), [1, 16, 4]);
  using bad = tensor(engine, new Float32Array(10), [1, 10]);
  assertThrows(() => recurrent(engine, { x, w, r }, { cell: 'gru' }), ShapeError, 'R must be');
  assertThrows(
    () => recurrent(engine, { x, w, r, bias: bad }, { cell: 'lstm' }),
    ShapeError,
    'bias must be [1, 32]',
  );
  assertThrows(
    () => recurrent(engine, { x, w, r }, { cell: 'lstm', clip: -1 }),
    ArgumentError,
    'clip must be positive',
  );
  assertThrows(
    () =>
      recurrent(engine, { x, w, r }, {
        cell: 'lstm',
        activations: [[activation('Tanh')]],
      }),
    ArgumentError,
    'takes 3 activation(s)',
  );
  assertThrows(
    () => activation('Gelu' as ActivationName),
    ArgumentError,
    "unknown activation 'Gelu'",
  );
  await engine.sync();
});
