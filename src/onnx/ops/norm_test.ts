// The normalization and resampling operators through the ONNX loader: forward and reverse mode
// against PyTorch float64 (test/fixtures/norm/reference.json, written by
// test/fixtures/make_norm_reference.py: GroupNormalization at opsets 18 and 21,
// LpNormalization, LRN and Resize, which have no ONNX 1.12 node cases or whose backward the node
// cases do not cover), plan-time folding against the GPU, Resize's opset-18 axes and
// keep_aspect_ratio_policy, Upsample-7, and the typed errors.
//
// Tolerance: relative L2 ≤ 1e-5. One f32 operator (u = 6e-8) on inputs of magnitude ~1: the
// per-element errors derived in the kernels' tests are a few u to a few tens of u (sums over
// at most ~70 terms), so the relative L2 error is ~1e-6 at most; 1e-5 leaves a margin without
// admitting a wrong formula (a wrong window, coordinate or sign changes the result by > 1e-2).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, AttributeProtoSchema, ModelProtoSchema } from 'onnx-buf';
import { assert, assertArrayEquals, assertThrows, relativeL2 } from '../../../test/assert.ts';
import { loadBytes } from '../../../test/files.ts';
import { sharedEngine, testGpu } from '../../../test/harness.ts';
import { buildModel, type NodeSpec } from '../../../test/onnx_builder.ts';
import { uniform } from '../../../test/random.ts';
import { backward } from '../../grad/backward.ts';
import { NodeError } from '../../graph/errors.ts';
import { resizeReference } from '../../ops/resize.ts';
import { sizeOf, tensor } from '../../tensor.ts';
import { loadModel, run } from '../model.ts';

const getEngine = sharedEngine();

const TOLERANCE = 1e-5;

interface Case {
  name: string;
  op: string;
  opset: number;
  shape: number[];
  sizes?: number[];
  attrs: Record<string, number | string>;
  x: number[];
  scale?: number[];
  bias?: number[];
  dy: number[];
  y: number[];
  dx: number[];
  dscale?: number[];
  dbias?: number[];
}

const fixture = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/fixtures/norm/reference.json')),
) as { cases: Case[] };

/**
 * Adds string and float-list attributes to node `index` of a built model (test/onnx_builder.ts
 * writes integers, floats and tensors only).
 */
function withAttributes(
  bytes: Uint8Array,
  index: number,
  extra: { strings?: Record<string, string>; floatLists?: Record<string, number[]> },
): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const node = model.graph!.node[index];
  for (const [name, s] of Object.entries(extra.strings ?? {})) {
    node.attribute.push(create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(s),
    }));
  }
  for (const [name, floats] of Object.entries(extra.floatLists ?? {})) {
    node.attribute.push(create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.FLOATS,
      floats,
    }));
  }
  return toBinary(ModelProtoSchema, model);
}

/** A one-node model of a fixture case: x a graph input (or an initializer, to fold it). */
function caseModel(c: Case, foldX = false): Uint8Array {
  const ints: Record<string, number> = {};
  const floats: Record<string, number> = {};
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.attrs)) {
    if (typeof v === 'string') strings[k] = v;
    else if (['num_groups', 'p', 'axis', 'size'].includes(k)) ints[k] = v;
    else floats[k] = v;
  }
  const initializers: { name: string; dims: number[]; float?: number[]; int64?: number[] }[] = [];
  let inputs = ['x'];
  if (c.scale && c.bias) {
    initializers.push({ name: 'scale', dims: [c.scale.length], float: c.scale });
    initializers.push({ name: 'bias', dims: [c.bias.length], float: c.bias });
    inputs = ['x', 'scale', 'bias'];
  }
  if (c.op === 'Resize') {
    initializers.push({ name: 'sizes', dims: [c.sizes!.length], int64: c.sizes });
    inputs = ['x', '', '', 'sizes'];
  }
  if (foldX) initializers.push({ name: 'x', dims: c.shape, float: c.x });
  const node: NodeSpec = { op: c.op, name: `${c.op}_node`, inputs, outputs: ['y'], ints, floats };
  const bytes = buildModel({
    nodes: [node],
    inputs: foldX ? [] : [{ name: 'x', shape: c.shape }],
    outputs: [{ name: 'y', shape: c.sizes ?? c.shape }],
    initializers,
    opset: c.opset,
  });
  return withAttributes(bytes, 0, { strings });
}

for (const c of fixture.cases) {
  testGpu(
    `${c.op} ${c.name}: forward and gradients match PyTorch float64`,
    getEngine,
    async (e) => {
      using model = loadModel(e, caseModel(c));
      const wrt = c.scale ? ['x', 'scale', 'bias'] : ['x'];
      const result = backward(model, { x: { data: Float32Array.from(c.x), shape: c.shape } }, {
        wrt,
        seed: (value) => ({ y: tensor(e, c.dy, value('y').shape) }),
      });
      try {
        const y = result.values.y;
        assertArrayEquals(y.shape, c.sizes ?? c.shape, 'output shape');
        const report: string[] = [];
        const check = (what: string, got: ArrayLike<number>, want: number[]) => {
          const err = relativeL2(got, want);
          report.push(`${what} ${err.toExponential(1)}`);
          assert(err <= TOLERANCE, `${c.name}: ${what} differs from PyTorch by ${err} (rel. L2)`);
        };
        check('y', await y.read(), c.y);
        check('dx', await result.grads.x.read(), c.dx);
        if (c.dscale) check('dscale', await result.grads.scale.read(), c.dscale);
        if (c.dbias) check('dbias', await result.grads.bias.read(), c.dbias);
        console.log(`${c.name}: ${report.join(', ')}`);
      } finally {
        for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) {
          t.destroy();
        }
      }
    },
  );
}

testGpu(
  'norm operators fold on the CPU at plan time like the GPU computes',
  getEngine,
  async (e) => {
    for (const c of fixture.cases) {
      using folded = loadModel(e, caseModel(c, true));
      using live = loadModel(e, caseModel(c));
      const a = run(folded, {}).outputs.y;
      const b = run(live, { x: { data: Float32Array.from(c.x), shape: c.shape } }).outputs.y;
      try {
        const err = relativeL2(await a.read(), await b.read());
        assert(err <= TOLERANCE, `${c.name}: the folded output differs by ${err}`);
        assert(relativeL2(await a.read(), c.y) <= 1e-7, `${c.name}: folded value vs PyTorch`);
      } finally {
        a.destroy();
        b.destroy();
      }
    }
  },
);

/** A Resize model of opset 18+ (axes, keep_aspect_ratio_policy) on x [1, 1, 4, 6]. */
function resize18(
  sizes: number[],
  extra: Record<string, string>,
  ints: Record<string, number | number[]> = {},
  opset = 18,
) {
  return withAttributes(
    buildModel({
      nodes: [{
        op: 'Resize',
        name: 'resize18',
        inputs: ['x', '', '', 'sizes'],
        outputs: ['y'],
        ints,
      }],
      inputs: [{ name: 'x', shape: [1, 1, 4, 6] }],
      outputs: [{ name: 'y', shape: [1, 1, 'h', 'w'] }],
      initializers: [{ name: 'sizes', dims: [sizes.length], int64: sizes }],
      opset,
    }),
    0,
    { strings: extra },
  );
}

testGpu(
  'Resize-18/19: axes, keep_aspect_ratio_policy, half_pixel_symmetric',
  getEngine,
  async (e) => {
    const data = uniform(24, 3, -1, 1);
    const x = { data, shape: [1, 1, 4, 6] };
    // [sizes over axes [2, 3], policy, expected output, common scale (undefined: stretch)]
    const cases: [number[], string, number[], number | undefined][] = [
      [[5, 9], 'not_larger', [1, 1, 5, 8], 1.25],
      [[5, 9], 'not_smaller', [1, 1, 6, 9], 1.5],
      [[5, 9], 'stretch', [1, 1, 5, 9], undefined],
    ];
    for (const [sizes, policy, want, common] of cases) {
      using model = loadModel(
        e,
        resize18(sizes, { mode: 'linear', keep_aspect_ratio_policy: policy }, { axes: [2, 3] }),
      );
      const y = run(model, { x }).outputs.y;
      try {
        assertArrayEquals(y.shape, want, policy);
        const ref = resizeReference(data, x.shape, {
          sizes: want,
          scales: common ? [1, 1, common, common] : [1, 1, 5 / 4, 9 / 6],
          mode: 'linear',
        });
        assert(relativeL2(await y.read(), ref.data) <= TOLERANCE, policy);
      } finally {
        y.destroy();
      }
    }
    // half_pixel_symmetric (opset 19) on a non-integer scale.
    using sym = loadModel(
      e,
      resize18(
        [1, 1, 7, 4],
        { mode: 'cubic', coordinate_transformation_mode: 'half_pixel_symmetric' },
        {},
        19,
      ),
    );
    const y = run(sym, { x }).outputs.y;
    try {
      const ref = resizeReference(data, x.shape, {
        sizes: [1, 1, 7, 4],
        mode: 'cubic',
        coordinateTransformationMode: 'half_pixel_symmetric',
      });
      assert(relativeL2(await y.read(), ref.data) <= TOLERANCE, 'half_pixel_symmetric');
    } finally {
      y.destroy();
    }
  },
);

testGpu('Upsample-7 (scales attribute, linear) and Resize-10', getEngine, async (e) => {
  const data = uniform(12, 4, -1, 1);
  const x = { data, shape: [1, 1, 3, 4] };
  const upsample = withAttributes(
    buildModel({
      nodes: [{ op: 'Upsample', name: 'up', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: x.shape }],
      outputs: [{ name: 'y', shape: [1, 1, 6, 12] }],
      opset: 7,
    }),
    0,
    { strings: { mode: 'linear' }, floatLists: { scales: [1, 1, 2, 3] } },
  );
  const resize10 = withAttributes(
    buildModel({
      nodes: [{ op: 'Resize', name: 'r10', inputs: ['x', 'scales'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: x.shape }],
      outputs: [{ name: 'y', shape: [1, 1, 6, 12] }],
      initializers: [{ name: 'scales', dims: [4], float: [1, 1, 2, 3] }],
      opset: 10,
    }),
    0,
    { strings: { mode: 'linear' } },
  );
  const ref = resizeReference(data, x.shape, {
    sizes: [1, 1, 6, 12],
    mode: 'linear',
    coordinateTransformationMode: 'asymmetric',
  });
  for (const bytes of [upsample, resize10]) {
    using model = loadModel(e, bytes);
    const y = run(model, { x }).outputs.y;
    try {
      assertArrayEquals(y.shape, [1, 1, 6, 12]);
      assert(relativeL2(await y.read(), ref.data) <= TOLERANCE, 'asymmetric linear');
    } finally {
      y.destroy();
    }
  }
});

testGpu('norm operators: typed errors name the node', getEngine, async (e) => {
  const fail = (bytes: Uint8Array, shape: number[], includes: string) =>
    assertThrows(
      () => {
        using model = loadModel(e, bytes);
        const out = run(model, { x: { data: new Float32Array(sizeOf(shape)), shape } });
        for (const t of Object.values(out.outputs)) t.destroy();
      },
      NodeError,
      includes,
    );
  fail(
    resize18([8, 12], { mode: 'linear' }, { antialias: 1, axes: [2, 3] }),
    [1, 1, 4, 6],
    "Resize node 'resize18': antialias = 1 is not supported",
  );
  const base = fixture.cases.find((c) => c.name === 'group_norm_2_groups')!;
  const stash = buildModel({
    nodes: [{
      op: 'GroupNormalization',
      name: 'gn',
      inputs: ['x', 'scale', 'bias'],
      outputs: ['y'],
      ints: { num_groups: 2, stash_type: 11 },
    }],
    inputs: [{ name: 'x', shape: base.shape }],
    outputs: [{ name: 'y', shape: base.shape }],
    initializers: [
      { name: 'scale', dims: [4], float: base.scale },
      { name: 'bias', dims: [4], float: base.bias },
    ],
    opset: 21,
  });
  fail(stash, base.shape, "GroupNormalization node 'gn': stash_type 11");
  const opset18 = buildModel({
    nodes: [{
      op: 'GroupNormalization',
      name: 'gn18',
      inputs: ['x', 'scale', 'bias'],
      outputs: ['y'],
      ints: { num_groups: 2 },
    }],
    inputs: [{ name: 'x', shape: base.shape }],
    outputs: [{ name: 'y', shape: base.shape }],
    initializers: [
      { name: 'scale', dims: [4], float: base.scale },
      { name: 'bias', dims: [4], float: base.bias },
    ],
    opset: 18,
  });
  fail(opset18, base.shape, 'one value per group at opset 18');
  const lp = buildModel({
    nodes: [{ op: 'LpNormalization', name: 'lp', inputs: ['x'], outputs: ['y'], ints: { p: 3 } }],
    inputs: [{ name: 'x', shape: [2, 3] }],
    outputs: [{ name: 'y', shape: [2, 3] }],
  });
  fail(lp, [2, 3], "LpNormalization node 'lp': p must be 1 or 2");
  const both = buildModel({
    nodes: [{ op: 'Resize', name: 'both', inputs: ['x', '', 'scales', 'sizes'], outputs: ['y'] }],
    inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
    outputs: [{ name: 'y', shape: [1, 1, 4, 4] }],
    initializers: [
      { name: 'scales', dims: [4], float: [1, 1, 2, 2] },
      { name: 'sizes', dims: [4], int64: [1, 1, 4, 4] },
    ],
    opset: 13,
  });
  fail(both, [1, 1, 2, 2], 'only one of scales and sizes');
  await Promise.resolve();
});
