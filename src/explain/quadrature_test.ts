import { assert, assertClose, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { ArgumentError, LimitExceededError } from '../gpu/errors.ts';
import { MAX_STEPS } from './limits.ts';
import { gaussLegendre, INTEGRATION_RULES, quadrature } from './quadrature.ts';

test('quadrature: every rule has weights summing to 1 and points in [0, 1]', () => {
  for (const rule of INTEGRATION_RULES) {
    for (const n of [2, 3, 7, 50, 256]) {
      const { alphas, weights } = quadrature(rule, n);
      const total = weights.reduce((a, b) => a + b, 0);
      assert(Math.abs(total - 1) < 1e-12, `${rule} ${n}: weights sum to ${total}`);
      assert(alphas.every((a) => a >= 0 && a <= 1), `${rule} ${n}: a point leaves [0, 1]`);
    }
  }
});

test('quadrature: Riemann points as Captum places them', () => {
  assertClose(quadrature('riemann_left', 4).alphas, [0, 0.25, 0.5, 0.75], { atol: 0 });
  assertClose(quadrature('riemann_right', 4).alphas, [0.25, 0.5, 0.75, 1], { atol: 0 });
  assertClose(quadrature('riemann_middle', 4).alphas, [0.125, 0.375, 0.625, 0.875], { atol: 0 });
  const t = quadrature('riemann_trapezoid', 5);
  assertClose(t.alphas, [0, 0.25, 0.5, 0.75, 1], { atol: 0 });
  assertClose(t.weights, [0.125, 0.25, 0.25, 0.25, 0.125], { atol: 1e-15 });
});

test("quadrature: Captum's trapezoid weights sum to (n − 1)/n; the other rules ignore them", () => {
  for (const n of [2, 5, 16]) {
    const exact = quadrature('riemann_trapezoid', n);
    const captum = quadrature('riemann_trapezoid', n, { trapezoidWeights: 'captum' });
    assertClose(captum.alphas, exact.alphas, { atol: 0 });
    const total = captum.weights.reduce((a, b) => a + b, 0);
    assert(Math.abs(total - (n - 1) / n) < 1e-15, `n=${n}: Captum's weights sum to ${total}`);
    // Captum's step_sizes: [1/n] * n with the first and last halved.
    assertClose(
      captum.weights,
      Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 0.5 : 1) / n),
      { atol: 1e-16 },
    );
  }
  for (const rule of INTEGRATION_RULES.filter((r) => r !== 'riemann_trapezoid')) {
    const a = quadrature(rule, 6);
    const b = quadrature(rule, 6, { trapezoidWeights: 'captum' });
    assertClose(b.weights, a.weights, { atol: 0 }, rule);
  }
  assertThrows(
    () => quadrature('riemann_trapezoid', 4, { trapezoidWeights: 'half' as 'exact' }),
    ArgumentError,
    'trapezoidWeights',
  );
});

test('Gauss–Legendre: the known 3-point rule, and exactness up to degree 2n − 1', () => {
  const g3 = gaussLegendre(3);
  assertClose(g3.nodes, [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)], { atol: 1e-15 });
  assertClose(g3.weights, [5 / 9, 8 / 9, 5 / 9], { atol: 1e-15 });
  for (const n of [1, 2, 5, 20, 64]) {
    const { alphas, weights } = quadrature('gausslegendre', n);
    for (const degree of [0, 1, 2 * n - 1]) {
      let s = 0;
      alphas.forEach((a, i) => (s += weights[i] * a ** degree));
      assert(Math.abs(s - 1 / (degree + 1)) < 1e-12, `n=${n}: ∫x^${degree} = ${s}`);
    }
  }
});

test('quadrature rejects unknown rules and too few steps', () => {
  assertThrows(
    () => quadrature('simpson' as unknown as 'gausslegendre', 4),
    ArgumentError,
    'unknown rule',
  );
  assertThrows(() => quadrature('riemann_trapezoid', 1), ArgumentError, 'steps');
  assertThrows(() => quadrature('gausslegendre', 0), ArgumentError, 'steps');
  assertThrows(() => quadrature('gausslegendre', 2.5), ArgumentError, 'steps');
});

test('Gauss–Legendre: large n against 40-digit references (mpmath)', () => {
  // [n, i, node, weight]: Newton in 40-digit arithmetic (mpmath 1.3, mp.dps = 40).
  const cases: [number, number, number, number][] = [
    [64, 0, -0.99930504173577213946, 0.0017832807216964329473],
    [64, 5, -0.96100879965205371892, 0.013463047896718642598],
    [100, 0, -0.99971372677344123368, 0.00073463449050567173041],
    [1000, 0, -0.99999711129807551057, 7.4133384164320715175e-6],
    [1000, 1, -0.99998477963291741832, 0.000017256769773739230118],
    [1000, 2, -0.99996259414836015327, 0.000027114606565205856986],
    [1000, 10, -0.99943022112360811401, 0.00010597210009901709716],
    [1000, 100, -0.9503748765069748906, 0.0009768819084270615021],
    [1000, 500, 0.001570010480083193829, 0.003140018380182867787],
  ];
  for (const [n, i, node, weight] of cases) {
    const { nodes, weights } = gaussLegendre(n);
    assertClose([nodes[i], nodes[n - 1 - i]], [node, -node], { atol: 4e-16 }, `n=${n} node ${i}`);
    // A node's ulp error is amplified by 1/(1 − x²) in its weight: ~2·10⁵ at n = 1000's first.
    assertClose([weights[i]], [weight], { rtol: 1e-10 }, `n=${n} weight ${i}`);
  }
});

test('quadrature: steps up to MAX_STEPS; more is a LimitExceededError naming the limit', () => {
  const { alphas, weights } = quadrature('gausslegendre', MAX_STEPS);
  const total = weights.reduce((a, b) => a + b, 0);
  assert(Math.abs(total - 1) < 1e-12, `weights sum to ${total}`);
  for (let i = 1; i < MAX_STEPS; i++) assert(alphas[i] > alphas[i - 1], `nodes ascend at ${i}`);
  let second = 0;
  alphas.forEach((a, i) => (second += weights[i] * a * a));
  assert(Math.abs(second - 1 / 3) < 1e-12, `∫x² = ${second}`);
  for (const rule of INTEGRATION_RULES) {
    assertThrows(
      () => quadrature(rule, MAX_STEPS + 1),
      LimitExceededError,
      `steps ${MAX_STEPS + 1} exceeds the limit of ${MAX_STEPS}`,
    );
  }
  assertThrows(() => quadrature('gausslegendre', NaN), ArgumentError, 'got NaN');
  assertThrows(() => quadrature('gausslegendre', 1e6), LimitExceededError, 'steps');
});
