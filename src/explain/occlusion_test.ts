import { assertClose, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { LimitExceededError } from '../gpu/errors.ts';
import { MAX_WINDOWS } from './limits.ts';
import { forEachCovered, planOcclusion } from './occlusion.ts';

test('planOcclusion: cover counts equal a window-by-window count', () => {
  const cases: [number[], number | number[], number | number[], 'clip' | 'skip'][] = [
    [[1, 3, 7, 5], 2, 1, 'clip'],
    [[1, 1, 9, 6], [3, 2], [2, 3], 'clip'],
    [[1, 1, 9, 6], [3, 2], [2, 3], 'skip'],
    [[1, 2, 4, 5, 3], [2, 3, 1], [1, 2, 2], 'clip'],
    [[1, 11], 4, 3, 'skip'],
  ];
  for (const [rowShape, window, stride, border] of cases) {
    const plan = planOcclusion(rowShape, { window, stride, border });
    const brute = new Float64Array(plan.counts.length);
    for (const s of plan.starts) forEachCovered(plan, s, (o) => brute[o]++);
    assertClose(plan.counts, brute, { atol: 0 }, `[${rowShape}] ${border}`);
  }
});

test('planOcclusion: more than MAX_WINDOWS windows is a LimitExceededError', () => {
  const side = Math.ceil(Math.sqrt(MAX_WINDOWS)) + 1;
  planOcclusion([1, 1, side - 2, side - 2], { window: 1 }); // (side − 2)² ≤ MAX_WINDOWS
  assertThrows(
    () => planOcclusion([1, 1, side, side], { window: 1 }),
    LimitExceededError,
    `${side * side} windows per example, over the limit of ${MAX_WINDOWS}`,
  );
});
