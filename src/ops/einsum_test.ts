// einsum / einsumBackward against the f64 reference (a loop over every label combination).
// Forward tolerance: the composition rounds each product and partial sum in f32; a result
// summing `terms` products of n operands is within (terms + n)·u·Σ|products| (u = 2⁻²⁴) of the
// exact value for any order; allow twice that. Backward: compared with central differences of
// the reference (exact up to f64 rounding: the loss is linear in each element) by relative L2
// ≤ 1e-5 — the gradients are einsums of ≤ 200 terms, whose f32 error is ≤ 200·u ≈ 1.2e-5
// relative per element in the worst case and ~1e-7 in L2 here; a wrong label or a missed
// diagonal changes the result by O(1).
import {
  assert,
  assertArrayEquals,
  assertClose,
  assertThrows,
  relativeL2,
} from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { einsum, einsumBackward, einsumOutputShape, einsumReference } from './einsum.ts';

const getEngine = sharedEngine();

const u = 2 ** -24;

// [equation, operand shapes]: the ONNX node cases, traces and diagonals, implicit outputs,
// three operands, broadcast ellipses, outer products, sizes around the workgroup.
const CASES: [string, number[][]][] = [
  ['ij,jk->ik', [[65, 3], [3, 63]]],
  ['bij, bjk -> bik', [[3, 2, 5], [3, 5, 4]]],
  ['i,i', [[64], [64]]],
  ['ij->i', [[3, 65]]],
  ['ij->ji', [[4, 5]]],
  ['...ii ->...i', [[3, 5, 5]]],
  ['ii', [[6, 6]]],
  ['iij->ji', [[3, 3, 4]]],
  ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]],
  ['bn,anm,bm->ba', [[2, 3], [4, 3, 5], [2, 5]]],
  ['...ij,...jk', [[2, 1, 3, 4], [5, 4, 2]]],
  ['i,j->ij', [[3], [4]]],
  ['ab,ab->', [[3, 4], [3, 4]]],
  ['ijk->', [[2, 3, 4]]],
  ['ij,i->j', [[5, 3], [5]]],
];

testGpu(
  'einsum: matches einsumReference within 2·(terms + n)·u·Σ|products|',
  getEngine,
  async (e) => {
    for (const [equation, shapes] of CASES) {
      const data = shapes.map((s, i) => uniform(sizeOf(s), 10 + i));
      const operands = data.map((d, i) => tensor(e, d, shapes[i]));
      try {
        using y = einsum(e, equation, operands);
        const ref = einsumReference(equation, data.map((d, i) => ({ data: d, shape: shapes[i] })));
        assertArrayEquals(y.shape, ref.shape, `${equation} shape`);
        assertArrayEquals(y.shape, einsumOutputShape(equation, shapes), `${equation} shape`);
        const k = 2 * (ref.terms + shapes.length) * u;
        assertClose(await y.read(), ref.data, {
          atol: 1e-30,
          bound: ref.magnitude.map((m) => k * m),
        }, equation);
      } finally {
        for (const t of operands) t.destroy();
      }
    }
  },
);

testGpu('einsumBackward: matches central differences of einsumReference', getEngine, async (e) => {
  for (const [equation, shapes] of CASES) {
    const data = shapes.map((s, i) => Float64Array.from(uniform(sizeOf(s), 20 + i)));
    const outShape = einsumOutputShape(equation, shapes);
    const dy = uniform(sizeOf(outShape), 30);
    const operands = data.map((d, i) => tensor(e, Float32Array.from(d), shapes[i]));
    using tdy = tensor(e, dy, outShape);
    const grads = einsumBackward(e, equation, operands, tdy);
    try {
      for (let i = 0; i < shapes.length; i++) {
        const fd = finiteDifferenceGradient(
          (p) =>
            einsumReference(
              equation,
              data.map((d, j) => ({ data: j === i ? p : d, shape: shapes[j] })),
            ).data,
          data[i],
          dy,
          1e-3,
        );
        const g = grads[i]!;
        assertArrayEquals(g.shape, shapes[i], `${equation} d operand ${i} shape`);
        const err = relativeL2(await g.read(), fd);
        assert(err <= 1e-5, `${equation}: d operand ${i} differs by ${err} (rel. L2)`);
      }
    } finally {
      for (const t of [...operands, ...grads]) t?.destroy();
    }
  }
});

testGpu('einsumBackward: only the operands asked for', getEngine, (e) => {
  using a = tensor(e, uniform(6, 1), [2, 3]);
  using b = tensor(e, uniform(12, 2), [3, 4]);
  using dy = tensor(e, uniform(8, 3), [2, 4]);
  const [da, db] = einsumBackward(e, 'ij,jk->ik', [a, b], dy, [false, true]);
  assert(da === undefined, 'no gradient for operand 0');
  assertArrayEquals(db!.shape, [3, 4]);
  db!.destroy();
  return Promise.resolve();
});

testGpu('einsum: malformed equations and shapes are typed errors', getEngine, (e) => {
  using a = tensor(e, uniform(6, 1), [2, 3]);
  assertThrows(() => einsum(e, 'ij,jk->ik', [a]), ArgumentError, '2 input term(s) for 1');
  assertThrows(() => einsum(e, 'ijk->i', [a]), ShapeError, 'does not fit');
  assertThrows(() => einsum(e, 'ij->k', [a]), ArgumentError, "output label 'k'");
  assertThrows(() => einsum(e, 'i2->i', [a]), ArgumentError, "unexpected character '2'");
  assertThrows(() => einsum(e, 'ii->i', [a]), ShapeError, "label 'i' has size 2 and 3");
  assertThrows(() => einsum(e, '......->', [a]), ArgumentError, 'two ellipses');
  return Promise.resolve();
});
