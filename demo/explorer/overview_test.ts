// Unit tests of the overview's pure parts (demo/explorer/overview.ts): the weight-health rule on
// both sides of its thresholds, operator counts and parameter counts from the parsed graph.
import { assert, assertEquals } from '../../test/assert.ts';
import { parseOnnx } from '../../src/mod.ts';
import { buildModel } from '../../test/onnx_builder.ts';
import {
  DEAD_RATIO,
  EXPLODING_RATIO,
  type HealthInput,
  operatorCounts,
  parameterCount,
  weightHealth,
} from './overview.ts';

/** A weight of `count` values whose RMS is `rms`. */
function w(name: string, rms: number, shape = [4, 4], extra: Partial<HealthInput> = {}) {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    shape,
    count,
    nan: 0,
    posInf: 0,
    negInf: 0,
    std: rms,
    l2: rms * Math.sqrt(count),
    ...extra,
  };
}

const kinds = (stats: HealthInput[]) =>
  weightHealth(stats).map((f) => `${f.name}:${f.kind}`).join(' ');

Deno.test('weightHealth: healthy weights of similar scale give no findings (control)', () => {
  assertEquals(kinds([w('a', 0.1), w('b', 0.2), w('c', 0.05), w('d', 0.3)]), '');
});

Deno.test('weightHealth: exploding is above 10× the median RMS of its peers, not at it', () => {
  const peers = [w('a', 0.1), w('b', 0.1), w('c', 0.1)];
  assertEquals(kinds([...peers, w('big', 0.1 * EXPLODING_RATIO * 1.01)]), 'big:exploding');
  assertEquals(kinds([...peers, w('edge', 0.1 * EXPLODING_RATIO * 0.99)]), '');
  const message = weightHealth([...peers, w('big', 5)])[0].message;
  assert(/big is 50× larger than usual/.test(message), message);
});

Deno.test('weightHealth: vectors are compared with vectors, matrices with matrices', () => {
  // Biases of 5 next to matrices of 0.1: not an outlier among vectors.
  const stats = [
    w('m1', 0.1),
    w('m2', 0.1),
    w('m3', 0.1),
    w('b1', 5, [4]),
    w('b2', 4, [4]),
    w('b3', 6, [4]),
  ];
  assertEquals(kinds(stats), '');
  // Fewer than 3 peers say nothing about "usual".
  assertEquals(kinds([w('m1', 0.1), w('m2', 100)]), '');
});

Deno.test('weightHealth: dead is all zeros or below 1e-6 of the median; scalars are never dead', () => {
  const peers = [w('a', 1), w('b', 1), w('c', 1)];
  assertEquals(kinds([...peers, w('zero', 0)]), 'zero:dead');
  assertEquals(kinds([...peers, w('tiny', DEAD_RATIO * 0.5)]), 'tiny:dead');
  assertEquals(kinds([...peers, w('small', DEAD_RATIO * 2)]), '');
  assertEquals(kinds([...peers, w('scalar', 0, [1])]), '');
  assertEquals(weightHealth([w('zero', 0)])[0].message, 'zero is all zeros.');
});

Deno.test('weightHealth: NaN and Inf counts are reported, and such tensors are not ranked', () => {
  const stats = [
    w('a', 1),
    w('b', 1),
    w('c', 1),
    w('bad', 1e9, [4, 4], { nan: 2, posInf: 1 }),
  ];
  const f = weightHealth(stats);
  assertEquals(f.map((x) => `${x.name}:${x.kind}`).join(), 'bad:non-finite');
  assertEquals(f[0].message, 'bad has 2 NaN, 1 +Inf of its 16 values.');
});

Deno.test('overview: operator counts and parameters from the parsed graph', () => {
  const ir = parseOnnx(buildModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'w1', dims: [4, 5], float: Array(20).fill(0.5) },
      { name: 'w2', dims: [5, 3], float: Array(15).fill(0.5) },
      { name: 'shape', dims: [2], int64: [1, 3] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['z'] },
      { op: 'Reshape', inputs: ['z', 'shape'], outputs: ['y'] },
    ],
  }));
  assertEquals(
    operatorCounts({ ir }).map(([op, n]) => `${op} ${n}`).join(', '),
    'MatMul 2, Relu 1, Reshape 1',
  );
  // Float initializers only: the int64 shape is not a parameter.
  assertEquals(parameterCount({ ir, structure: null }), 35);
});
