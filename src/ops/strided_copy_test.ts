import { assertArrayEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { type CopyView, stridedCopy, stridedCopyReference } from './strided_copy.ts';

const getEngine = sharedEngine();

// Views the operators do not make on their own: a transposed, reversed source written into
// every other element of a larger destination, which keeps its other elements.
testGpu('stridedCopy: negative and strided views on both sides (exact)', getEngine, async (e) => {
  const src = Int32Array.from(integers(12, 1, -100, 100)); // [3, 4]
  const dst = new Int32Array(30).fill(7);
  const views: CopyView[] = [
    // Transpose [3, 4] → [4, 3], reversing both axes, into dst rows of stride 6, step 2.
    { shape: [4, 3], srcBase: 11, srcStrides: [-1, -4], dstBase: 1, dstStrides: [6, 2] },
    // Broadcast one source row three times.
    { shape: [3, 4], srcBase: 4, srcStrides: [0, 1] },
    // A scalar copy.
    { shape: [], srcBase: 5, dstBase: 29 },
  ];
  for (const view of views) {
    using s = tensor(e, src, [3, 4]);
    using d = tensor(e, dst, [30]);
    stridedCopy(e, s, d, view, 'test');
    const ref = stridedCopyReference(src, Int32Array.from(dst), view);
    assertArrayEquals(await d.read(), ref, JSON.stringify(view));
  }
});

testGpu(
  'stridedCopy: views outside a tensor and mixed dtypes are refused',
  getEngine,
  async (e) => {
    using s = tensor(e, [1, 2, 3, 4], [4]);
    using d = tensor(e, [0, 0, 0, 0], [4]);
    using i = tensor(e, new Int32Array(4));
    assertThrows(
      () => stridedCopy(e, s, d, { shape: [4], srcBase: 1 }, 'test'),
      ShapeError,
      'reaches source offsets 1..4 of 4',
    );
    assertThrows(
      () => stridedCopy(e, s, d, { shape: [2], srcStrides: [-1] }, 'test'),
      ShapeError,
      'source offsets -1..0',
    );
    assertThrows(
      () => stridedCopy(e, s, d, { shape: [2], dstStrides: [4] }, 'test'),
      ShapeError,
      'destination offsets 0..4 of 4',
    );
    assertThrows(() => stridedCopy(e, s, i, { shape: [4] }, 'test'), ArgumentError, 'f32 but');
    assertArrayEquals(await d.read(), [0, 0, 0, 0], 'nothing was written');
  },
);
