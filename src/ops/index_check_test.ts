// The runtime index check (src/ops/index_check.ts, shaders/nn/index_check.wgsl) and the deferred
// reporting it rides on (src/ops/deferred_check.ts): for each gather and scatter, indices on
// both sides of both ends of the valid range [−len, len − 1], as GPU tensors; the readback after
// an index out of range rejects with IndexError naming the caller, the index, where it is and
// the valid range, and returns the data otherwise. Exact (integer comparisons).
import { assert, assertArrayEquals, assertEquals, assertRejects } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { IndexError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { pendingChecks, resolveChecks } from './deferred_check.ts';
import { gather, gatherReference } from './gather.ts';
import { gatherElements, scatterElements } from './gather_elements.ts';
import { gatherND, scatterND } from './gather_nd.ts';
import { checkIndices, validateIndexValues } from './index_check.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 2 });

testGpu('index check: Gather, both sides of both ends of the range', getEngine, async (e) => {
  const len = 5;
  const data = uniform(len * 3, 1);
  using d = tensor(e, data, [len, 3]);
  // The control case: both ends of the range, negative and not.
  const valid = [-len, -1, 0, len - 1];
  using ok = tensor(e, new Int32Array(valid));
  using y = gather(e, d, ok);
  assertArrayEquals(await y.read(), gatherReference(data, [len, 3], valid, [4]).data);
  assertEquals(pendingChecks(e), 0, 'the readback resolved the check');
  for (const bad of [len, -len - 1, 2147483647, -2147483648]) {
    using i = tensor(e, new Int32Array([0, 1, bad, 2]), [2, 2]);
    using z = gather(e, d, i, { caller: "Gather node 'g'", indicesName: 'ids' });
    const error = await assertRejects(() => z.read(), IndexError);
    assertEquals(
      error.message,
      `Cannot run Gather node 'g': index ${bad} at ids[1, 0] (indices [2, 2]) is out of range ` +
        `for axis 0 of data [5, 3] (valid: -5..4)`,
    );
    // Reported once: the next readback returns the (clamped) data.
    assertEquals((await z.read()).length, 12);
  }
});

testGpu('index check: GatherElements, ScatterElements on their axis', getEngine, async (e) => {
  using d = tensor(e, uniform(12, 2), [3, 4]);
  using u = tensor(e, uniform(6, 3), [3, 2]);
  // Axis 1 has length 4: valid −4..3.
  for (const [bad, fails] of [[4, true], [-5, true], [-4, false], [3, false]] as const) {
    using i = tensor(e, new Int32Array([0, 1, 2, 0, bad, 1]), [3, 2]);
    using g = gatherElements(e, d, i, { axis: 1 });
    using s = scatterElements(e, d, i, u, { axis: 1 });
    if (!fails) {
      await g.read();
      await s.read();
      continue;
    }
    // One readback reports the first failing check in recording order: the gather's.
    await assertRejects(() => s.read(), IndexError, `gatherElements: index ${bad} at`);
    using s2 = scatterElements(e, d, i, u, { axis: 1 });
    await assertRejects(() => s2.read(), IndexError, 'for axis 1 of data [3, 4] (valid: -4..3)');
  }
});

testGpu('index check: GatherND, ScatterND per tuple position', getEngine, async (e) => {
  using d = tensor(e, uniform(2 * 3 * 4, 4), [2, 3, 4]);
  // Tuples of 2 into dimensions of 2 and 3: position 1 may reach 2, not 3.
  using ok = tensor(e, new Int32Array([1, 2, -2, -3, 0, 0]), [3, 2]);
  using y = gatherND(e, d, ok);
  assertEquals((await y.read()).length, 12);
  using bad = tensor(e, new Int32Array([1, 2, 0, 3, 0, 0]), [3, 2]);
  using z = gatherND(e, d, bad, { indicesName: 'tuples' });
  await assertRejects(
    () => z.read(),
    IndexError,
    'index 3 at tuples[1, 1] (indices [3, 2]) is out of range for dimension 1 of data ' +
      '[2, 3, 4] (position 1 of the index tuples) (valid: -3..2)',
  );
  // batch_dims 1: data [2, 3, 4], indices [2, 1, 1] index dimension 1.
  using b = tensor(e, new Int32Array([2, -4]), [2, 1, 1]);
  using w = gatherND(e, d, b, { batchDims: 1 });
  await assertRejects(() => w.read(), IndexError, 'index -4 at');
  using u = tensor(e, uniform(12, 5), [3, 4]);
  using s = scatterND(e, d, bad, u);
  await assertRejects(() => s.read(), IndexError, 'scatterND: index 3');
});

testGpu('index check: the first failure in recording order is reported', getEngine, async (e) => {
  using d = tensor(e, uniform(8, 6), [8]);
  using fine = tensor(e, new Int32Array([7, -8]));
  using first = tensor(e, new Int32Array([0, 9]));
  using second = tensor(e, new Int32Array([-9, 0]));
  const outs = [
    gather(e, d, fine, { caller: 'a' }),
    gather(e, d, first, { caller: 'b' }),
    gather(e, d, second, { caller: 'c' }),
  ];
  try {
    assertEquals(pendingChecks(e), 3);
    // Any readback reports it, whichever tensor it reads.
    await assertRejects(() => outs[0].read(), IndexError, 'Cannot run b: index 9');
    assertEquals(pendingChecks(e), 0);
    await outs[2].read();
    // Engine.sync and resolveChecks report too.
    outs.push(gather(e, d, second, { caller: 'sync' }));
    await assertRejects(() => e.sync(), IndexError, 'Cannot run sync: index -9');
    outs.push(gather(e, d, first, { caller: 'resolve' }));
    await assertRejects(() => resolveChecks(e), IndexError, 'Cannot run resolve: index 9');
    await resolveChecks(e);
  } finally {
    for (const t of outs) t.destroy();
  }
});

testGpu('index check: sizes around the workgroup, folded dispatch', getFolding, async (e) => {
  for (const n of [1, 63, 64, 65, 300]) {
    const idx = Int32Array.from(integers(n, n, -10, 10));
    using i = tensor(e, idx);
    checkIndices(e, i, [{ length: 10, what: 'ten' }], { caller: 'check' });
    await resolveChecks(e);
    // The last element out of range: every workgroup's tail is looked at.
    idx[n - 1] = 10;
    using j = tensor(e, idx);
    checkIndices(e, j, [{ length: 10, what: 'ten' }], { caller: 'check' });
    const error = await assertRejects(() => resolveChecks(e), IndexError, 'index 10 at');
    assert(error.message.includes(`[${n - 1}]`), error.message);
  }
});

testGpu('index check: host values, numbers and bigints', getEngine, async () => {
  const ranges = [{ length: 4, what: 'axis 0 of data [4]' }];
  const where = { caller: "Gather node 'g'", indicesName: 'ids' };
  validateIndexValues([-4, 3, 0], [3], ranges, where);
  validateIndexValues(new BigInt64Array([-4n, 3n]), [2], ranges, where);
  for (const bad of [4, -5, 1.5]) {
    await assertRejects(
      () => Promise.resolve().then(() => validateIndexValues([0, bad], [1, 2], ranges, where)),
      IndexError,
      `Cannot run Gather node 'g': index ${bad} at ids[0, 1] (indices [1, 2]) is out of range ` +
        'for axis 0 of data [4] (valid: -4..3)',
    );
  }
  await assertRejects(
    () =>
      Promise.resolve().then(() =>
        validateIndexValues(new BigInt64Array([2n ** 40n]), [1], ranges, where)
      ),
    IndexError,
    'index 1099511627776 at ids[0]',
  );
  // Tuples: element i against ranges[i % 2].
  const tuples = [{ length: 2, what: 'd0' }, { length: 3, what: 'd1' }];
  validateIndexValues([1, 2, -2, -3], [2, 2], tuples, where);
  await assertRejects(
    () => Promise.resolve().then(() => validateIndexValues([1, 2, 2, 0], [2, 2], tuples, where)),
    IndexError,
    'index 2 at ids[1, 0] (indices [2, 2]) is out of range for d0 (valid: -2..1)',
  );
});
