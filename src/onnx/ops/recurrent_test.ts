// The ONNX recurrent operators through the loader, for what neither the ONNX node cases nor the
// PyTorch exports cover: layout 1 (batch first) forward and backward with every optional input
// (B, sequence_lens, initial_h, initial_c, P) and every output's gradient, the activations
// attribute with activation_alpha / activation_beta consumed in order, clip and
// linear_before_reset 0, plan-time folding on the CPU, and the typed errors that name the node.
// References: the f64 CPU references of src/ops/recurrent.ts (themselves checked against finite
// differences and PyTorch).
//
// Tolerance: relative L2 ≤ 1e-5 forward and 1e-4 backward: f32 over 4 steps of dot products of
// ≤ 7 terms (errors ~1e-7 per step) and sums over T·B products for the weight gradients.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, AttributeProtoSchema, ModelProtoSchema } from 'onnx-buf';
import { assert, assertThrows, relativeL2 } from '../../../test/assert.ts';
import { sharedEngine, testGpu } from '../../../test/harness.ts';
import { buildModel } from '../../../test/onnx_builder.ts';
import { uniform } from '../../../test/random.ts';
import { backward } from '../../grad/backward.ts';
import { NodeError } from '../../graph/errors.ts';
import { activation, recurrentReference } from '../../ops/recurrent.ts';
import { recurrentBackwardReference } from '../../ops/recurrent_backward.ts';
import { transposeReference } from '../../ops/transpose.ts';
import { tensor } from '../../tensor.ts';
import { loadModel, run } from '../model.ts';

const getEngine = sharedEngine();

/** Adds string, string-list and float-list attributes to node 0 of a built model. */
function withAttributes(
  bytes: Uint8Array,
  extra: {
    strings?: Record<string, string>;
    lists?: Record<string, string[]>;
    floats?: Record<string, number[]>;
  },
): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const node = model.graph!.node[0];
  const enc = new TextEncoder();
  for (const [name, s] of Object.entries(extra.strings ?? {})) {
    node.attribute.push(
      create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.STRING,
        s: enc.encode(s),
      }),
    );
  }
  for (const [name, list] of Object.entries(extra.lists ?? {})) {
    node.attribute.push(create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRINGS,
      strings: list.map((s) => enc.encode(s)),
    }));
  }
  for (const [name, floats] of Object.entries(extra.floats ?? {})) {
    node.attribute.push(
      create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats }),
    );
  }
  return toBinary(ModelProtoSchema, model);
}

const T = 4, B = 2, I = 3, H = 3, D = 2;
const swap = (data: ArrayLike<number>, shape: number[], perm: number[]) =>
  transposeReference(data, shape, perm).data;

testGpu(
  'LSTM layout 1, bidirectional, every optional input: forward and backward',
  getEngine,
  async (engine) => {
    const G = 4;
    const x = uniform(B * T * I, 1); // [B, T, I]
    const w = uniform(D * G * H * I, 2, -0.7, 0.7);
    const r = uniform(D * G * H * H, 3, -0.7, 0.7);
    const b = uniform(D * 2 * G * H, 4, -0.5, 0.5);
    const h0 = uniform(B * D * H, 5); // [B, D, H]
    const c0 = uniform(B * D * H, 6);
    const p = uniform(D * 3 * H, 7, -0.5, 0.5);
    const lens = [4, 2];
    const bytes = withAttributes(
      buildModel({
        opset: 14,
        nodes: [{
          op: 'LSTM',
          name: 'lstm_bf',
          inputs: ['x', 'w', 'r', 'b', 'lens', 'h0', 'c0', 'p'],
          outputs: ['y', 'yh', 'yc'],
          ints: { hidden_size: H, layout: 1 },
        }],
        inputs: [
          { name: 'x', shape: [B, T, I] },
          { name: 'w', shape: [D, G * H, I] },
          { name: 'r', shape: [D, G * H, H] },
          { name: 'b', shape: [D, 2 * G * H] },
          { name: 'lens', type: 6, shape: [B] },
          { name: 'h0', shape: [B, D, H] },
          { name: 'c0', shape: [B, D, H] },
          { name: 'p', shape: [D, 3 * H] },
        ],
        outputs: [
          { name: 'y', shape: [B, T, D, H] },
          { name: 'yh', shape: [B, D, H] },
          { name: 'yc', shape: [B, D, H] },
        ],
      }),
      { strings: { direction: 'bidirectional' } },
    );
    using model = loadModel(engine, bytes);
    const options = { cell: 'lstm' as const, direction: 'bidirectional' as const };
    const data = {
      x: swap(x, [B, T, I], [1, 0, 2]),
      xShape: [T, B, I],
      w,
      r,
      hiddenSize: H,
      bias: b,
      sequenceLens: lens,
      initialH: swap(h0, [B, D, H], [1, 0, 2]),
      initialC: swap(c0, [B, D, H], [1, 0, 2]),
      peepholes: p,
    };
    const want = recurrentReference(data, options);
    const gy = uniform(B * T * D * H, 8); // [B, T, D, H]
    const gyh = uniform(B * D * H, 9);
    const gyc = uniform(B * D * H, 10);
    const wantGrads = recurrentBackwardReference(data, {
      y: swap(gy, [B, T, D, H], [1, 2, 0, 3]),
      yH: swap(gyh, [B, D, H], [1, 0, 2]),
      yC: swap(gyc, [B, D, H], [1, 0, 2]),
    }, options);
    const feeds = {
      x: { data: x, shape: [B, T, I] },
      w: { data: w, shape: [D, G * H, I] },
      r: { data: r, shape: [D, G * H, H] },
      b: { data: b, shape: [D, 2 * G * H] },
      lens: { data: Int32Array.from(lens), shape: [B] },
      h0: { data: h0, shape: [B, D, H] },
      c0: { data: c0, shape: [B, D, H] },
      p: { data: p, shape: [D, 3 * H] },
    };
    const result = backward(model, feeds, {
      wrt: ['x', 'w', 'r', 'b', 'h0', 'c0', 'p'],
      seed: () => ({
        y: tensor(engine, gy, [B, T, D, H]),
        yh: tensor(engine, gyh, [B, D, H]),
        yc: tensor(engine, gyc, [B, D, H]),
      }),
    });
    try {
      const expect = {
        y: swap(want.y, [T, D, B, H], [2, 0, 1, 3]),
        yh: swap(want.yH, [D, B, H], [1, 0, 2]),
        yc: swap(want.yC, [D, B, H], [1, 0, 2]),
      };
      for (const [name, ref] of Object.entries(expect)) {
        const err = relativeL2(await result.values[name].read(), ref);
        assert(err < 1e-5, `${name} differs by ${err}`);
      }
      const grads = {
        x: swap(wantGrads.x, [T, B, I], [1, 0, 2]),
        w: wantGrads.w,
        r: wantGrads.r,
        b: wantGrads.bias,
        h0: swap(wantGrads.initialH, [D, B, H], [1, 0, 2]),
        c0: swap(wantGrads.initialC, [D, B, H], [1, 0, 2]),
        p: wantGrads.peepholes,
      };
      for (const [name, ref] of Object.entries(grads)) {
        const err = relativeL2(await result.grads[name].read(), ref);
        assert(err < 1e-4, `d${name} differs by ${err}`);
      }
    } finally {
      for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) {
        t
          .destroy();
      }
    }
  },
);

function gruModel(extra: Parameters<typeof withAttributes>[1], ints: Record<string, number> = {}) {
  const G = 3;
  return withAttributes(
    buildModel({
      nodes: [{
        op: 'GRU',
        name: 'gru_node',
        inputs: ['x', 'w', 'r', 'b'],
        outputs: ['y', 'yh'],
        ints: { hidden_size: H, ...ints },
        floats: { clip: 1.5 },
      }],
      inputs: [{ name: 'x', shape: [T, B, I] }],
      outputs: [{ name: 'y', shape: [T, D, B, H] }, { name: 'yh', shape: [D, B, H] }],
      initializers: [
        {
          name: 'w',
          dims: [D, G * H, I],
          float: Array.from(uniform(D * G * H * I, 12, -0.8, 0.8)),
        },
        {
          name: 'r',
          dims: [D, G * H, H],
          float: Array.from(uniform(D * G * H * H, 13, -0.8, 0.8)),
        },
        {
          name: 'b',
          dims: [D, 2 * G * H],
          float: Array.from(uniform(D * 2 * G * H, 14, -0.5, 0.5)),
        },
      ],
    }),
    { strings: { direction: 'bidirectional' }, ...extra },
  );
}

testGpu(
  'GRU activations with alpha/beta consumed in order, clip, linear_before_reset 0',
  getEngine,
  async (engine) => {
    const bytes = gruModel({
      lists: { activations: ['HardSigmoid', 'affine', 'LeakyRelu', 'Tanh'] },
      floats: { activation_alpha: [0.3, 0.5, 0.05], activation_beta: [0.4, 0.1] },
    });
    using model = loadModel(engine, bytes);
    const x = uniform(T * B * I, 11);
    const { outputs } = run(model, { x: { data: x, shape: [T, B, I] } });
    try {
      const want = recurrentReference({
        x,
        xShape: [T, B, I],
        w: uniform(D * 3 * H * I, 12, -0.8, 0.8),
        r: uniform(D * 3 * H * H, 13, -0.8, 0.8),
        bias: uniform(D * 6 * H, 14, -0.5, 0.5),
        hiddenSize: H,
      }, {
        cell: 'gru',
        direction: 'bidirectional',
        clip: 1.5,
        activations: [
          [activation('HardSigmoid', 0.3, 0.4), activation('Affine', 0.5, 0.1)],
          [activation('LeakyRelu', 0.05), activation('Tanh')],
        ],
      });
      const err = relativeL2(await outputs.y.read(), want.y);
      assert(err < 1e-5, `Y differs by ${err}`);
      assert(relativeL2(await outputs.yh.read(), want.yH) < 1e-5, 'Y_h differs');
    } finally {
      for (const t of Object.values(outputs)) t.destroy();
    }
  },
);

testGpu(
  'RNN with every input known folds on the CPU and agrees with the GPU',
  getEngine,
  async (engine) => {
    const w = Array.from(uniform(H * I, 21, -0.8, 0.8));
    const r = Array.from(uniform(H * H, 22, -0.8, 0.8));
    const x = Array.from(uniform(T * B * I, 23));
    const spec = (folded: boolean) =>
      buildModel({
        nodes: [
          {
            op: 'RNN',
            name: 'rnn_node',
            inputs: ['x', 'w', 'r'],
            outputs: ['y', 'yh'],
            ints: { hidden_size: H },
          },
          { op: 'Add', inputs: ['yh', 'z'], outputs: ['out'] },
        ],
        inputs: [
          { name: 'z', shape: [1, B, H] },
          ...(folded ? [] : [{ name: 'x', shape: [T, B, I] }]),
        ],
        outputs: [{ name: 'out', shape: [1, B, H] }],
        initializers: [
          { name: 'w', dims: [1, H, I], float: w },
          { name: 'r', dims: [1, H, H], float: r },
          ...(folded ? [{ name: 'x', dims: [T, B, I], float: x }] : []),
        ],
      });
    const z = { data: new Float32Array(B * H), shape: [1, B, H] };
    using folded = loadModel(engine, spec(true));
    using gpu = loadModel(engine, spec(false));
    const plan = folded.plan(new Map([['z', { dtype: 'float32' as const, shape: [1, B, H] }]]));
    assert(plan.steps.every((s) => s.node.op !== 'RNN'), 'the RNN node was not folded');
    const a = run(folded, { z });
    const b = run(gpu, { z, x: { data: Float32Array.from(x), shape: [T, B, I] } });
    try {
      const err = relativeL2(await a.outputs.out.read(), await b.outputs.out.read());
      assert(err < 1e-5, `folded and GPU results differ by ${err}`);
    } finally {
      for (const t of [...Object.values(a.outputs), ...Object.values(b.outputs)]) t.destroy();
    }
  },
);

testGpu(
  'recurrent attributes it cannot honour are errors naming the node',
  getEngine,
  async (engine) => {
    assertThrows(
      () =>
        loadModel(
          engine,
          gruModel({ lists: { activations: ['Sigmoid', 'Gelu', 'Sigmoid', 'Tanh'] } }),
        ),
      NodeError,
      "GRU node 'gru_node': activation 'Gelu' is not supported",
    );
    assertThrows(
      () => loadModel(engine, gruModel({ lists: { activations: ['Sigmoid', 'Tanh', 'Relu'] } })),
      NodeError,
      "'activations' lists 3 functions; a bidirectional GRU takes 4",
    );
    assertThrows(
      () => loadModel(engine, gruModel({ strings: { direction: 'sideways' } })),
      NodeError,
      "direction 'sideways'",
    );
    await engine.sync();
  },
);
