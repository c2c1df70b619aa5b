import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { NpyFormatError, readNpy, writeNpy } from './npy.ts';

/**
 * `.npy` bytes with `header` as the header text (padded and ended as numpy does unless `raw`),
 * `lengthField` in place of the header's length when given, and `dataBytes` zero bytes of data.
 */
function npy(
  header: string,
  dataBytes: number,
  { lengthField, major = 1, raw = false }: { lengthField?: number; major?: number; raw?: boolean } =
    {},
): Uint8Array {
  const preamble = major === 1 ? 10 : 12;
  const text = raw
    ? header
    : header.padEnd(Math.ceil((preamble + header.length + 1) / 64) * 64 - preamble - 1) + '\n';
  const out = new Uint8Array(preamble + text.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  const length = lengthField ?? text.length;
  if (major === 1) view.setUint16(8, length, true);
  else view.setUint32(8, length, true);
  out.set(new TextEncoder().encode(text), preamble);
  return out;
}

const dict = (shape: string, descr = '<f4') =>
  `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }`;

test('readNpy: reads what writeNpy writes, format 2 and scalars too', () => {
  const a = readNpy(writeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
  assertArrayEquals(a.shape, [2, 3]);
  assertArrayEquals(a.data as Float32Array, [1, 2, 3, 4, 5, 6]);
  assertArrayEquals(readNpy(npy(dict('2,'), 8, { major: 2 })).shape, [2]);
  assertArrayEquals(readNpy(npy(dict(''), 4)).shape, []);
  assertArrayEquals(readNpy(npy(dict('0, 5'), 0)).shape, [0, 5]);
  // Python 2's numpy wrote long integers with an L.
  assertArrayEquals(readNpy(npy(dict('2L, 1L'), 8)).shape, [2, 1]);
});

test('readNpy: refuses bad shapes, sizes and header lengths, reporting the numbers read', () => {
  const header = dict('2, 3');
  const good = npy(header, 24);
  const length = good.length - 10 - 24; // the padded header: 118 bytes
  assertEquals(readNpy(good).shape.length, 2);
  const cases: [string, Uint8Array, RegExp][] = [
    ['negative dimension', npy(dict('-1, 3'), 12), /shape \(-1, 3\) has the dimension '-1'/],
    ['fractional dimension', npy(dict('2.5,'), 8), /shape \(2\.5,\) has the dimension '2\.5'/],
    ['word as dimension', npy(dict('n, 3'), 12), /dimension 'n'/],
    [
      'dimension past 2^53',
      npy(dict('0, 99999999999999999999'), 0),
      /dimension '99999999999999999999'; dimensions are integers from 0 to 2\^53/,
    ],
    [
      'product past 2^53, exact in the message',
      npy(dict('4294967296, 4294967296'), 16),
      /needs 73786976294838206464 bytes of data, the file has 16 after its 128-byte/,
    ],
    [
      'too few data bytes',
      npy(header, 20),
      /shape \(2, 3\) of <f4 needs 24 bytes of data, the file has 20 after its 128-byte preamble and header/,
    ],
    ['too many data bytes', npy(header, 28), /needs 24 bytes of data, the file has 28 after/],
    [
      'length field too short',
      npy(header, 24, { lengthField: length - 10 }),
      new RegExp(
        `length field says ${
          length - 10
        } bytes, the header \\(to its newline\\) is ${length} \\(file of ${good.length} bytes, header from byte 10\\)`,
      ),
    ],
    [
      'length field too long',
      npy(header, 24, { lengthField: length + 8 }),
      new RegExp(
        `length field says ${length + 8} bytes, the header \\(to its newline\\) is ${length} `,
      ),
    ],
    [
      'length field past the end of the file',
      npy(header, 24, { lengthField: 60000 }),
      new RegExp(`length field says 60000 bytes, the header \\(to its newline\\) is ${length} `),
    ],
    [
      'format 2 length field wrong',
      npy(header, 24, { major: 2, lengthField: 1 << 20 }),
      /length field says 1048576 bytes, the header \(to its newline\) is 116 \(.*from byte 12\)/,
    ],
    [
      'header without its closing brace',
      npy("{'descr': '<f4', 'shape': (2,", 0, { raw: true }),
      /length field says 29 bytes, and no '}' ends the header in the 29 bytes after the 10-byte/,
    ],
    ['format version 4', npy(header, 24, { major: 4 }), /format version 4\.0/],
    [
      'preamble cut short',
      npy(header, 24, { major: 2 }).slice(0, 11),
      /11 bytes, shorter than the 12-byte preamble/,
    ],
    ['no magic', new Uint8Array(20), /magic string/],
  ];
  for (const [name, bytes, message] of cases) {
    const error = assertThrows(() => readNpy(bytes), NpyFormatError);
    assert(message.test(error.message), `${name}: ${error.message}`);
  }
});
