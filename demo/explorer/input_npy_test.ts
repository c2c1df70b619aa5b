// Unit tests of .npy feeds (pure).
import { assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { readNpy, writeNpy } from '../../src/mod.ts';
import { npyExamples, npyToFeed, tensorImage } from './input_npy.ts';

const IMAGE = { name: 'input', dtype: 'float32', shape: ['batch', 1, 2, 2] };
const IDS = { name: 'input_ids', dtype: 'int64', shape: ['batch', 3] };

Deno.test('npyToFeed: one row of a batch, or an array without the batch axis', () => {
  const a = readNpy(writeNpy(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 1, 2, 2]));
  assertEquals(npyExamples(a, IMAGE), 2);
  const f = npyToFeed(a, IMAGE, 1);
  assertEquals(f.shape.join(), '1,1,2,2');
  assertClose(f.data as Float32Array, [5, 6, 7, 8], { atol: 0 });
  const single = readNpy(writeNpy(Float32Array.from([1, 2, 3, 4]), [1, 2, 2]));
  assertEquals(npyExamples(single, IMAGE), 1);
  assertEquals(npyToFeed(single, IMAGE).shape.join(), '1,1,2,2');
  assertThrows(() => npyToFeed(a, IMAGE, 2), Error, 'Example 2 does not exist: the array holds 2');
});

Deno.test('npyToFeed: shapes and types that do not fit are refused with a sentence', () => {
  const wrong = readNpy(writeNpy(new Float32Array(9), [1, 1, 3, 3]));
  assertThrows(() => npyToFeed(wrong, IMAGE), Error, 'dimension 2 must be 2, got 3');
  const rank = readNpy(writeNpy(new Float32Array(4), [4]));
  assertThrows(() => npyToFeed(rank, IMAGE), Error, 'needs rank 4 (or 3 without the batch axis)');
  const ints = readNpy(writeNpy(BigInt64Array.from([1n, 2n, 3n]), [1, 3]));
  assertThrows(() => npyToFeed(ints, { ...IMAGE, shape: ['b', 3] }), Error, 'save it as float32');
  const floats = readNpy(writeNpy(new Float32Array(3), [1, 3]));
  assertThrows(() => npyToFeed(floats, IDS), Error, 'save it as int64 or int32');
  const ids = npyToFeed(ints, IDS);
  assertEquals(ids.data instanceof BigInt64Array, true);
  assertEquals(Array.from(ids.data as BigInt64Array, Number).join(), '1,2,3');
});

Deno.test('tensorImage: [0, 1] keeps its range, others are stretched; NHWC read per pixel', () => {
  const a = tensorImage([0, 0.5, 1, 0.25], [1, 1, 2, 2], 'nchw');
  assertEquals([a.width, a.height].join(), '2,2');
  assertEquals(Array.from(a.rgba.slice(0, 8)).join(), '0,0,0,255,128,128,128,255');
  const b = tensorImage([-1, 0, 1, 2, 3, 4], [1, 1, 2, 3], 'nhwc');
  // min −1 → 0, max 4 → 255; pixel 1 is (2, 3, 4) → 153, 204, 255.
  assertEquals(Array.from(b.rgba.slice(4, 8)).join(), '153,204,255,255');
});
