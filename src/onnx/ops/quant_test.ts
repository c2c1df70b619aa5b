// The quantization operators: the GPU path (inputs at run time) against the f64 CPU fold (the
// same inputs as initializers), the straight-through/linear gradients against hand-computed
// ones, and two quantized models (QDQ and dynamic) explained by every method, the gradient
// checked against the dequantized float model's. Integer outputs must match exactly; float
// outputs within the stated bounds.
import { assert, assertArrayEquals, assertClose, assertThrows } from '../../../test/assert.ts';
import { sharedEngine, testGpu } from '../../../test/harness.ts';
import {
  buildTypedModel,
  DYNAMIC,
  dynamicModel,
  pseudoInt,
  QDQ,
  qdqModel,
  type QNodeSpec,
  type QValueSpec,
  type TensorSpec,
} from '../../../test/quant_models.ts';
import { uniform } from '../../../test/random.ts';
import type { Engine } from '../../gpu/engine.ts';
import { NodeError } from '../../graph/errors.ts';
import { backward } from '../../grad/backward.ts';
import { explain, METHODS } from '../../explain/explain.ts';
import { convBackwardDataReference } from '../../ops/conv_backward.ts';
import { convReference } from '../../ops/conv.ts';
import { tensor } from '../../tensor.ts';
import { loadModel, run } from '../model.ts';

const getEngine = sharedEngine();

interface OpCase {
  nodes: QNodeSpec[];
  tensors: TensorSpec[];
  outputs: QValueSpec[];
  opset?: number;
}

/** Runs a case twice: inputs at run time (GPU) and as initializers (folded on the CPU). */
async function gpuAndCpu(
  engine: Engine,
  c: OpCase,
): Promise<{ gpu: Float32Array[] | Int32Array[]; cpu: Float32Array[] | Int32Array[] }> {
  const read = async (
    bytes: Uint8Array,
    inputs: Record<string, { data: Float64Array; shape: number[] }>,
  ) => {
    using model = loadModel(engine, bytes);
    const { outputs } = run(model, inputs);
    try {
      return await Promise.all(c.outputs.map((o) => outputs[o.name].read()));
    } finally {
      for (const t of Object.values(outputs)) t.destroy();
    }
  };
  const runtime = buildTypedModel({
    nodes: c.nodes,
    inputs: c.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.dims })),
    outputs: c.outputs,
    opset: c.opset,
  });
  const folded = buildTypedModel({
    nodes: c.nodes,
    inputs: [],
    outputs: c.outputs,
    initializers: c.tensors,
    opset: c.opset,
  });
  const inputs = Object.fromEntries(
    c.tensors.map((t) => [t.name, { data: Float64Array.from(t.values), shape: t.dims }]),
  );
  const gpu = await read(runtime.bytes, inputs);
  const cpu = await read(folded.bytes, {});
  return { gpu: gpu as Float32Array[], cpu: cpu as Float32Array[] };
}

const ints = (n: number, seed: number, lo: number, hi: number) =>
  Array.from({ length: n }, (_, i) => pseudoInt(i, seed, lo, hi));

/** x values whose quotients by power-of-two scales include exact ties (k + ½) and clipping. */
function tiesAndRange(n: number): number[] {
  return Array.from(
    { length: n },
    (_, i) => (i % 7 === 0 ? (i - 20) * 0.25 + 0.125 : (i - n / 2) * 0.37),
  );
}

testGpu(
  'QuantizeLinear: per tensor, per axis and per block, GPU = CPU fold (exact)',
  getEngine,
  async (e) => {
    const x = tiesAndRange(2 * 3 * 5);
    const cases: [string, OpCase][] = [
      ['per tensor uint8', {
        nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }],
        tensors: [
          { name: 'x', type: 'float32', dims: [2, 3, 5], values: x },
          { name: 's', type: 'float32', dims: [], values: [0.25] },
          { name: 'z', type: 'uint8', dims: [], values: [100] },
        ],
        outputs: [{ name: 'y', type: 'uint8', shape: [2, 3, 5] }],
        opset: 10,
      }],
      ['per axis int8', {
        nodes: [{
          op: 'QuantizeLinear',
          inputs: ['x', 's', 'z'],
          outputs: ['y'],
          ints: { axis: 1 },
        }],
        tensors: [
          { name: 'x', type: 'float32', dims: [2, 3, 5], values: x },
          { name: 's', type: 'float32', dims: [3], values: [0.125, 0.5, 0.0625] },
          { name: 'z', type: 'int8', dims: [3], values: [-3, 0, 7] },
        ],
        outputs: [{ name: 'y', type: 'int8', shape: [2, 3, 5] }],
      }],
      ['no zero point (uint8)', {
        nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'] }],
        tensors: [
          { name: 'x', type: 'float32', dims: [2, 3, 5], values: x },
          { name: 's', type: 'float32', dims: [1], values: [0.03] },
        ],
        outputs: [{ name: 'y', type: 'uint8', shape: [2, 3, 5] }],
      }],
      ['per block (opset 21, a partial last block)', {
        nodes: [{
          op: 'QuantizeLinear',
          inputs: ['x', 's', 'z'],
          outputs: ['y'],
          ints: { axis: 2, block_size: 2 },
        }],
        tensors: [
          { name: 'x', type: 'float32', dims: [2, 3, 5], values: x },
          {
            name: 's',
            type: 'float32',
            dims: [2, 3, 3],
            values: ints(18, 4, 1, 8).map((v) => v / 16),
          },
          { name: 'z', type: 'int8', dims: [2, 3, 3], values: ints(18, 5, -5, 5) },
        ],
        outputs: [{ name: 'y', type: 'int8', shape: [2, 3, 5] }],
        opset: 21,
      }],
    ];
    for (const [name, c] of cases) {
      const { gpu, cpu } = await gpuAndCpu(e, c);
      assertArrayEquals(gpu[0], cpu[0], name);
    }
  },
);

testGpu(
  'DequantizeLinear: per tensor, per axis, per block, int32, GPU = CPU fold',
  getEngine,
  async (e) => {
    const cases: [string, OpCase][] = [
      ['per axis uint8', {
        nodes: [{
          op: 'DequantizeLinear',
          inputs: ['x', 's', 'z'],
          outputs: ['y'],
          ints: { axis: -1 },
        }],
        tensors: [
          { name: 'x', type: 'uint8', dims: [3, 4], values: ints(12, 6, 0, 255) },
          { name: 's', type: 'float32', dims: [4], values: [0.1, 0.02, 0.3, 1e-3] },
          { name: 'z', type: 'uint8', dims: [4], values: [128, 0, 255, 7] },
        ],
        outputs: [{ name: 'y', shape: [3, 4] }],
      }],
      ['int32 without zero point', {
        nodes: [{ op: 'DequantizeLinear', inputs: ['x', 's'], outputs: ['y'] }],
        tensors: [
          { name: 'x', type: 'int32', dims: [5], values: [-100000, -1, 0, 3, 2000000] },
          { name: 's', type: 'float32', dims: [], values: [0.0007] },
        ],
        outputs: [{ name: 'y', shape: [5] }],
        opset: 10,
      }],
      ['per block int8', {
        nodes: [{
          op: 'DequantizeLinear',
          inputs: ['x', 's', 'z'],
          outputs: ['y'],
          ints: { axis: 0, block_size: 3 },
        }],
        tensors: [
          { name: 'x', type: 'int8', dims: [7, 2], values: ints(14, 7, -128, 127) },
          { name: 's', type: 'float32', dims: [3, 2], values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] },
          { name: 'z', type: 'int8', dims: [3, 2], values: [1, -1, 2, -2, 3, -3] },
        ],
        outputs: [{ name: 'y', shape: [7, 2] }],
        opset: 21,
      }],
    ];
    for (const [name, c] of cases) {
      const { gpu, cpu } = await gpuAndCpu(e, c);
      // (x − z)·s is one f32 rounding of an exact product on both sides: equal.
      assertArrayEquals(gpu[0], cpu[0], name);
    }
  },
);

testGpu(
  'DynamicQuantizeLinear: GPU = CPU fold; an all-zero input gets scale 1',
  getEngine,
  async (e) => {
    for (const values of [Array.from(uniform(40, 9, -3, 5)), new Array(6).fill(0), [1, 2, 3.5]]) {
      const n = values.length;
      const { gpu, cpu } = await gpuAndCpu(e, {
        nodes: [{ op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['y', 's', 'z'] }],
        tensors: [{ name: 'x', type: 'float32', dims: [n], values }],
        outputs: [
          { name: 'y', type: 'uint8', shape: [n] },
          { name: 's', shape: [] },
          { name: 'z', type: 'uint8', shape: [] },
        ],
        opset: 11,
      });
      // The scale is (max − min)/255 in f32: the GPU's division may differ by an ulp (WGSL
      // allows 2.5), which can move a rounding only at an exact halfway point (none here).
      assertClose(gpu[1], cpu[1], { rtol: 2 ** -21 }, 'scale');
      assertArrayEquals(gpu[2], cpu[2], 'zero point');
      assertArrayEquals(gpu[0], cpu[0], 'y');
      if (values.every((v) => v === 0)) assertArrayEquals(cpu[1], [1], 'all-zero scale');
    }
  },
);

testGpu(
  'MatMulInteger and QLinearMatMul: per-row/per-column parameters, batched, exact',
  getEngine,
  async (e) => {
    const a = { name: 'a', type: 'uint8' as const, dims: [2, 3, 5], values: ints(30, 10, 0, 255) };
    const b = { name: 'b', type: 'int8' as const, dims: [5, 4], values: ints(20, 11, -128, 127) };
    const mm = await gpuAndCpu(e, {
      nodes: [{ op: 'MatMulInteger', inputs: ['a', 'b', 'az', 'bz'], outputs: ['y'] }],
      tensors: [
        a,
        b,
        { name: 'az', type: 'uint8', dims: [3], values: [128, 0, 3] },
        { name: 'bz', type: 'int8', dims: [4], values: [0, -5, 5, 1] },
      ],
      outputs: [{ name: 'y', type: 'int32', shape: [2, 3, 4] }],
      opset: 10,
    });
    assertArrayEquals(mm.gpu[0], mm.cpu[0], 'MatMulInteger');
    const q = await gpuAndCpu(e, {
      nodes: [{
        op: 'QLinearMatMul',
        inputs: ['a', 'sa', 'az', 'b', 'sb', 'bz', 'sy', 'yz'],
        outputs: ['y'],
      }],
      tensors: [
        a,
        { name: 'sa', type: 'float32', dims: [3], values: [0.01, 0.02, 0.015] },
        { name: 'az', type: 'uint8', dims: [3], values: [128, 120, 130] },
        b,
        { name: 'sb', type: 'float32', dims: [4], values: [0.005, 0.004, 0.003, 0.002] },
        { name: 'bz', type: 'int8', dims: [], values: [0] },
        { name: 'sy', type: 'float32', dims: [], values: [0.05] },
        { name: 'yz', type: 'int8', dims: [], values: [-10] },
      ],
      outputs: [{ name: 'y', type: 'int8', shape: [2, 3, 4] }],
      opset: 10,
    });
    // acc·(sA·sB/sY) is rounded once in f32 on both sides; its rounding to an integer can differ
    // only within an ulp of a halfway point: allow one step, and require most to be exact.
    assertClose(q.gpu[0], q.cpu[0], { atol: 1 }, 'QLinearMatMul');
    const exact = q.gpu[0].filter((v, i) => v === q.cpu[0][i]).length;
    assert(exact >= q.gpu[0].length - 1, `${exact} of ${q.gpu[0].length} exact`);
  },
);

testGpu(
  'ConvInteger and QLinearConv: per-channel weights, padding, stride, bias',
  getEngine,
  async (e) => {
    const x = {
      name: 'x',
      type: 'uint8' as const,
      dims: [1, 2, 5, 5],
      values: ints(50, 12, 0, 255),
    };
    const w = {
      name: 'w',
      type: 'int8' as const,
      dims: [3, 2, 3, 3],
      values: ints(54, 13, -128, 127),
    };
    const attributes = { pads: [1, 0, 1, 2], strides: [1, 2] };
    const ci = await gpuAndCpu(e, {
      nodes: [{
        op: 'ConvInteger',
        inputs: ['x', 'w', 'xz', 'wz'],
        outputs: ['y'],
        ints: attributes,
      }],
      tensors: [
        x,
        w,
        { name: 'xz', type: 'uint8', dims: [], values: [128] },
        { name: 'wz', type: 'int8', dims: [3], values: [0, 2, -2] },
      ],
      outputs: [{ name: 'y', type: 'int32', shape: [1, 3, 5, 3] }],
      opset: 10,
    });
    assertArrayEquals(ci.gpu[0], ci.cpu[0], 'ConvInteger');
    const qc = await gpuAndCpu(e, {
      nodes: [{
        op: 'QLinearConv',
        inputs: ['x', 'sx', 'xz', 'w', 'sw', 'wz', 'sy', 'yz', 'bias'],
        outputs: ['y'],
        ints: attributes,
      }],
      tensors: [
        x,
        { name: 'sx', type: 'float32', dims: [], values: [0.02] },
        { name: 'xz', type: 'uint8', dims: [], values: [128] },
        w,
        { name: 'sw', type: 'float32', dims: [3], values: [0.003, 0.001, 0.002] },
        { name: 'wz', type: 'int8', dims: [3], values: [0, 0, 0] },
        { name: 'sy', type: 'float32', dims: [], values: [0.25] },
        { name: 'yz', type: 'uint8', dims: [], values: [120] },
        { name: 'bias', type: 'int32', dims: [3], values: [1000, -2000, 0] },
      ],
      outputs: [{ name: 'y', type: 'uint8', shape: [1, 3, 5, 3] }],
      opset: 10,
    });
    assertClose(qc.gpu[0], qc.cpu[0], { atol: 1 }, 'QLinearConv');
    const exact = qc.gpu[0].filter((v, i) => v === qc.cpu[0][i]).length;
    assert(exact >= qc.gpu[0].length - 1, `${exact} of ${qc.gpu[0].length} exact`);
  },
);

testGpu(
  'quantization: attribute values and shapes it cannot use are typed errors',
  getEngine,
  async (e) => {
    const model = (node: QNodeSpec, sDims: number[], opset: number, zDims = sDims) =>
      buildTypedModel({
        nodes: [node],
        inputs: [{ name: 'x', shape: [2, 4] }],
        outputs: [{ name: 'y', type: 'int8', shape: [2, 4] }],
        initializers: [
          {
            name: 's',
            type: 'float32',
            dims: sDims,
            values: new Array(sDims.reduce((a, b) => a * b, 1)).fill(0.1),
          },
          {
            name: 'z',
            type: 'int8',
            dims: zDims,
            values: new Array(zDims.reduce((a, b) => a * b, 1)).fill(0),
          },
        ],
        opset,
      }).bytes;
    const q = (ints: Record<string, number> = {}): QNodeSpec => ({
      op: 'QuantizeLinear',
      name: 'quant',
      inputs: ['x', 's', 'z'],
      outputs: ['y'],
      ints,
    });
    assertThrows(
      () => loadModel(e, model(q({ axis: 0, block_size: 3 }), [2, 4], 21)),
      NodeError,
      "QuantizeLinear node 'quant': block_size 3 on axis 0 of [2,4] needs a scale of shape [1,4]",
    );
    assertThrows(
      () => loadModel(e, model(q(), [4], 10)),
      NodeError,
      'per-axis scales need opset 13',
    );
    assertThrows(
      () => loadModel(e, model(q({ axis: 1 }), [4], 13, [2])),
      NodeError,
      'zero point [2] and scale [4] differ',
    );
    assertThrows(
      () => loadModel(e, model(q({ axis: 0 }), [4], 13)),
      NodeError,
      'does not match axis 0',
    );
    await Promise.resolve();
  },
);

// ─── Gradients ───────────────────────────────────────────────────────────────────────────────

testGpu(
  'QuantizeLinear→DequantizeLinear backward: identity inside the range, 0 where it clips',
  getEngine,
  async (e) => {
    // uint8 with scale 0.5 and zero point 10 represents [−5, 122.5]; x spans beyond both ends.
    const x = Array.from({ length: 12 }, (_, i) => -9 + i * 13.3);
    const { bytes } = buildTypedModel({
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
        { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [12] }],
      outputs: [{ name: 'y', shape: [12] }],
      initializers: [
        { name: 's', type: 'float32', dims: [], values: [0.5] },
        { name: 'z', type: 'uint8', dims: [], values: [10] },
      ],
    });
    using model = loadModel(e, bytes);
    const g = Array.from({ length: 12 }, (_, i) => 1 + i);
    const { grads, values } = backward(model, { x: { data: new Float32Array(x), shape: [12] } }, {
      wrt: ['x', 's'],
      seed: () => ({ y: tensor(e, g, [12]) }),
    });
    try {
      const gx = await grads.x.read();
      const inside = x.map((v) => Math.round(v / 0.5) + 10).map((q) => q >= 0 && q <= 255);
      assertArrayEquals(gx, g.map((v, i) => (inside[i] ? v : 0)), 'dx');
      // d y/ds: through DequantizeLinear (q − z) and through QuantizeLinear's straight-through
      // s·(−x/s²), on the elements that did not clip; plus (q − z) alone where they did.
      const y = await values.y.read();
      let want = 0;
      x.forEach((v, i) => {
        const q = y[i] / 0.5; // (q − z)
        want += g[i] * (q - (inside[i] ? v / 0.5 : 0));
      });
      assertClose(await grads.s.read(), [want], { rtol: 1e-5, atol: 1e-4 }, 'ds');
    } finally {
      for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
    }
  },
);

testGpu(
  'DequantizeLinear backward: dx = g·s and ds = Σ g·(x − z) per axis',
  getEngine,
  async (e) => {
    const { bytes } = buildTypedModel({
      nodes: [
        { op: 'Cast', inputs: ['xf'], outputs: ['xi'], ints: { to: 3 } },
        { op: 'DequantizeLinear', inputs: ['xi', 's', 'z'], outputs: ['y'], ints: { axis: 0 } },
      ],
      inputs: [{ name: 'xf', shape: [2, 3] }],
      outputs: [{ name: 'y', shape: [2, 3] }],
      initializers: [
        { name: 's', type: 'float32', dims: [2], values: [0.5, 0.25] },
        { name: 'z', type: 'int8', dims: [2], values: [1, -2] },
      ],
    });
    using model = loadModel(e, bytes);
    const xv = [3, -4, 7, 0, 9, -1];
    const g = [1, 2, 3, 4, 5, 6];
    const { grads, values } = backward(
      model,
      { xf: { data: new Float32Array(xv), shape: [2, 3] } },
      {
        wrt: ['s'],
        seed: () => ({ y: tensor(e, g, [2, 3]) }),
      },
    );
    try {
      const want = [0, 1].map((r) =>
        [0, 1, 2].reduce((a, c) => a + g[3 * r + c] * (xv[3 * r + c] - [1, -2][r]), 0)
      );
      assertArrayEquals(await grads.s.read(), want);
    } finally {
      for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
    }
  },
);

/** Central differences of `f` at `x` (f64). */
function finiteDifferences(f: (x: number[]) => number, x: number[], h = 1e-4): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

testGpu(
  "QLinearConv and QLinearMatMul backward: the dequantized float model's gradient",
  getEngine,
  async (e) => {
    // x → Q(uint8) → QLinearConv(int8 W, per channel) → QLinearMatMul → DQ: the straight-through
    // gradient is that of conv(x, W·sw) followed by a matmul with the dequantized B.
    const w = ints(18, 21, -60, 60);
    const sw = [0.01, 0.02];
    const bq = ints(18 * 2, 22, -50, 50); // B [18, 2] after flattening [1, 2, 3, 3]
    const { bytes } = buildTypedModel({
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'sx', 'zx'], outputs: ['xq'] },
        {
          op: 'QLinearConv',
          inputs: ['xq', 'sx', 'zx', 'w', 'sw', 'zw', 'sc', 'zc'],
          outputs: ['c'],
        },
        { op: 'Flatten', inputs: ['c'], outputs: ['cf'] },
        {
          op: 'QLinearMatMul',
          inputs: ['cf', 'sc', 'zc', 'b', 'sb', 'zb', 'sy', 'zy'],
          outputs: ['yq'],
        },
        { op: 'DequantizeLinear', inputs: ['yq', 'sy', 'zy'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
      outputs: [{ name: 'y', shape: [1, 2] }],
      initializers: [
        { name: 'sx', type: 'float32', dims: [], values: [1 / 64] },
        { name: 'zx', type: 'uint8', dims: [], values: [128] },
        { name: 'w', type: 'int8', dims: [2, 1, 3, 3], values: w },
        { name: 'sw', type: 'float32', dims: [2], values: sw },
        { name: 'zw', type: 'int8', dims: [2], values: [0, 0] },
        { name: 'sc', type: 'float32', dims: [], values: [1 / 16] },
        { name: 'zc', type: 'uint8', dims: [], values: [128] },
        { name: 'b', type: 'int8', dims: [18, 2], values: bq },
        { name: 'sb', type: 'float32', dims: [], values: [0.01] },
        { name: 'zb', type: 'int8', dims: [], values: [0] },
        { name: 'sy', type: 'float32', dims: [], values: [1 / 4] },
        { name: 'zy', type: 'uint8', dims: [], values: [128] },
      ],
      opset: 13,
    });
    using model = loadModel(e, bytes);
    const x = Array.from(uniform(25, 23, -1, 1));
    const seed = [0.7, -1.3];
    const { grads, values } = backward(model, {
      x: { data: new Float32Array(x), shape: [1, 1, 5, 5] },
    }, {
      wrt: ['x'],
      seed: () => ({ y: tensor(e, seed, [1, 2]) }),
    });
    try {
      // The float equivalent: conv (no padding) → [1, 2, 3, 3] → flatten → · B·sb.
      const wd = w.map((v, i) => v * sw[Math.floor(i / 9)]);
      const gc = Array.from(
        { length: 18 },
        (_, k) => seed[0] * bq[2 * k] * 0.01 + seed[1] * bq[2 * k + 1] * 0.01,
      );
      const want = convBackwardDataReference(gc, [1, 2, 3, 3], wd, [2, 1, 3, 3], {
        xShape: [1, 1, 5, 5],
      });
      // The forward stays inside the representable ranges (checked: no clipping) so no mask.
      const c = convReference(x, [1, 1, 5, 5], wd, [2, 1, 3, 3]).data;
      assert(c.every((v) => Math.abs(v) < 7.9), 'the conv output must not clip');
      const y = await values.y.read();
      assert(y.every((v) => Math.abs(v) < 31.7), `the output must not clip: ${y}`);
      assertClose(await grads.x.read(), want.data, { rtol: 1e-4, atol: 1e-6 });
    } finally {
      for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
    }
  },
);

testGpu(
  "ConvInteger backward: the dequantized convolution's gradient (dynamic quantization)",
  getEngine,
  async (e) => {
    // x → DynamicQuantizeLinear → ConvInteger(x_q, int8 W with per-channel zero points) →
    // Cast → Mul(x_scale·w_scale): straight-through, d/dx = conv's data gradient with
    // W_deq = (W − w_zero)·w_scale.
    const w = ints(2 * 2 * 2 * 2, 31, -100, 100);
    const wz = [3, -4];
    const ws = 0.01;
    const { bytes } = buildTypedModel({
      nodes: [
        { op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['xq', 'xs', 'xz'] },
        {
          op: 'ConvInteger',
          inputs: ['xq', 'w', 'xz', 'wz'],
          outputs: ['acc'],
          ints: { pads: [1, 0, 1, 0] },
        },
        { op: 'Cast', inputs: ['acc'], outputs: ['accf'], ints: { to: 1 } },
        { op: 'Mul', inputs: ['xs', 'ws'], outputs: ['scale'] },
        { op: 'Mul', inputs: ['accf', 'scale'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
      outputs: [{ name: 'y', shape: [1, 2, 4, 2] }],
      initializers: [
        { name: 'w', type: 'int8', dims: [2, 2, 2, 2], values: w },
        { name: 'wz', type: 'int8', dims: [2], values: wz },
        { name: 'ws', type: 'float32', dims: [], values: [ws] },
      ],
      opset: 13,
    });
    using model = loadModel(e, bytes);
    const x = Array.from(uniform(18, 32, -1, 2));
    const g = Array.from(uniform(16, 33, -1, 1));
    const { grads, values } = backward(model, {
      x: { data: new Float32Array(x), shape: [1, 2, 3, 3] },
    }, {
      wrt: ['x'],
      seed: () => ({ y: tensor(e, g, [1, 2, 4, 2]) }),
    });
    try {
      const wd = w.map((v, i) => (v - wz[Math.floor(i / 8)]) * ws);
      const want = convBackwardDataReference(g, [1, 2, 4, 2], wd, [2, 2, 2, 2], {
        xShape: [1, 2, 3, 3],
        pads: [1, 0, 1, 0],
      });
      assertClose(await grads.x.read(), want.data, { rtol: 1e-5, atol: 1e-6 });
    } finally {
      for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
    }
  },
);

// ─── Quantized models explained ─────────────────────────────────────────────────────────────

/** The QDQ model's float equivalent (dequantized weights, float activations), in f64. */
function qdqFloat(x: number[]): number[] {
  const w1 = QDQ.w1.map((v, i) => v * QDQ.w1Scale[Math.floor(i / 9)]);
  const conv = convReference(x, [1, 1, 5, 5], w1, [2, 1, 3, 3], {
    pads: [1, 1, 1, 1],
    bias: QDQ.b1,
  });
  const a = Array.from(conv.data, (v) => Math.max(v, 0));
  return [0, 1, 2].map((t) =>
    a.reduce((s, v, k) => s + v * (QDQ.w2[3 * k + t] - QDQ.w2Zero) * QDQ.w2Scale, QDQ.b2[t])
  );
}

testGpu(
  "QDQ model: gradient = the dequantized float model's (finite differences)",
  getEngine,
  async (e) => {
    using model = loadModel(e, qdqModel());
    // Inputs on the input grid (multiples of 1/64 inside its range), so Q→DQ leaves them as they
    // are and the float model sees the same values; the activations stay below 255/32.
    const x = Array.from(uniform(25, 31, -1.5, 1.5), (v) => Math.round(v * 64) / 64);
    const input = { data: new Float32Array(x), shape: [1, 1, 5, 5] };
    const { outputs } = run(model, { x: input });
    const logits = await outputs.logits.read();
    outputs.logits.destroy();
    // The forward agrees with the float model up to the activation rounding (≤ 1/64 per
    // activation, times Σ|w2|).
    assertClose(logits, qdqFloat(x), { atol: 50 * 120 * 0.01 / 64 });
    for (const target of [0, 2]) {
      const result = await explain(model, input, { method: 'gradient', target });
      const got = await result.attribution.read();
      result.attribution.destroy();
      const want = finiteDifferences((v) => qdqFloat(v)[target], x);
      // f32 GPU against f64 central differences of a piecewise-linear function (exact away from
      // ReLU kinks, and no activation sits within h of zero here).
      assertClose(got, want, { rtol: 1e-4, atol: 1e-5 }, `target ${target}`);
    }
  },
);

testGpu(
  "dynamic quantized model: gradient = the dequantized weights' column",
  getEngine,
  async (e) => {
    using model = loadModel(e, dynamicModel());
    const x = Array.from(uniform(8, 41, -2, 3));
    const input = { data: new Float32Array(x), shape: [1, 8] };
    const { outputs } = run(model, { x: input });
    const y = await outputs.y.read();
    outputs.y.destroy();
    const wd = DYNAMIC.w.map((v) => v * DYNAMIC.wScale);
    const exactY = [0, 1, 2, 3].map((t) =>
      x.reduce((s, v, k) => s + v * wd[4 * k + t], DYNAMIC.bias[t])
    );
    // Input quantization: |error| ≤ scale/2 per element, scale = range/255.
    const scale = (Math.max(0, ...x) - Math.min(0, ...x)) / 255;
    assertClose(y, exactY, {
      atol: (scale / 2) * wd.reduce((a, v) => a + Math.abs(v), 0) / 4 + 1e-3,
    });
    for (const target of [1, 3]) {
      const result = await explain(model, input, { method: 'gradient', target });
      const got = await result.attribution.read();
      result.attribution.destroy();
      assertClose(
        got,
        x.map((_, k) => wd[4 * k + target]),
        { rtol: 1e-6, atol: 1e-7 },
        `target ${target}`,
      );
    }
  },
);

testGpu(
  'quantized models: every explanation method runs and gives finite maps',
  getEngine,
  async (e) => {
    const models = [
      {
        name: 'QDQ',
        bytes: qdqModel(),
        input: { data: uniform(25, 51, -1, 1), shape: [1, 1, 5, 5] },
      },
      {
        name: 'dynamic',
        bytes: dynamicModel(),
        input: { data: uniform(8, 52, -1, 1), shape: [1, 8] },
      },
    ];
    for (const m of models) {
      using model = loadModel(e, m.bytes);
      for (const method of METHODS) {
        // A dense layer has no spatial activation for the CAM methods.
        if (m.name === 'dynamic' && (method === 'grad-cam' || method === 'hires-cam')) continue;
        // One point per forward: dynamic quantization shares one scale across a batch.
        const result = await explain(model, m.input, {
          method,
          steps: 8,
          samples: 4,
          window: 2,
          batchSize: 1,
        });
        const a = await result.attribution.read();
        result.attribution.destroy();
        assert(a.length > 0 && a.every(Number.isFinite), `${m.name} ${method}: non-finite map`);
        // Grad-CAM is a ReLU of a weighted channel sum: all zeros is a valid answer there.
        if (method !== 'grad-cam') assert(a.some((v) => v !== 0), `${m.name} ${method}: all zeros`);
      }
    }
  },
);
