/**
 * Reading and writing numpy `.npy` files (format versions 1–3, C order, little-endian): the
 * exchange format of the CLI and of the PyTorch-generated test fixtures.
 *
 * @module
 */

import { GlassboxError } from '../gpu/errors.ts';

/** A `.npy` file could not be read. */
export class NpyFormatError extends GlassboxError {}

/** Element types glassbox reads from `.npy`. */
export type NpyDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** An array read from a `.npy` file. */
export interface NpyArray {
  /** Element type as stored. */
  dtype: NpyDType;
  /** Dimensions. */
  shape: number[];
  /** Elements, row-major: float32 as `Float32Array`, int32 as `Int32Array`, int64 as
   * `BigInt64Array`, float64 as `Float64Array`, uint8/bool as `Uint8Array`. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

const DESCR: Record<string, { dtype: NpyDType; bytes: number }> = {
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '<i8': { dtype: 'int64', bytes: 8 },
  '<i4': { dtype: 'int32', bytes: 4 },
  '|u1': { dtype: 'uint8', bytes: 1 },
  '|b1': { dtype: 'bool', bytes: 1 },
};

/**
 * Parses `.npy` bytes.
 *
 * @throws {NpyFormatError} for a bad magic string or format version, a header length field that
 *   disagrees with the header, an unsupported dtype, Fortran order, a dimension that is not an
 *   integer ≥ 0, or a data length that does not match the shape.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) {
    throw new NpyFormatError('Cannot read .npy: missing the \\x93NUMPY magic string');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new NpyFormatError(`Cannot read .npy: format version ${major}.${bytes[7]} (1 to 3 read)`);
  }
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) {
    throw new NpyFormatError(
      `Cannot read .npy: ${bytes.length} bytes, shorter than the ${headerStart}-byte preamble of ` +
        `format ${major}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  // The header is the dictionary, padded with spaces and ended by a newline: its real length
  // runs from the preamble to the newline after the dictionary's closing brace.
  const brace = bytes.indexOf(0x7d, headerStart); // }
  let end = brace < 0 ? bytes.length : brace + 1;
  while (end < bytes.length && bytes[end] === 0x20) end++;
  if (end < bytes.length && bytes[end] === 0x0a) end++;
  const actualLength = end - headerStart;
  if (brace < 0) {
    throw new NpyFormatError(
      `Cannot read .npy: the header length field says ${headerLength} bytes, and no '}' ends ` +
        `the header in the ${actualLength} bytes after the ${headerStart}-byte preamble`,
    );
  }
  if (headerLength !== actualLength) {
    throw new NpyFormatError(
      `Cannot read .npy: the header length field says ${headerLength} bytes, the header ` +
        `(to its newline) is ${actualLength} (file of ${bytes.length} bytes, header from byte ` +
        `${headerStart})`,
    );
  }
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new NpyFormatError(`Cannot read .npy: unreadable header ${JSON.stringify(header)}`);
  }
  const kind = DESCR[descr];
  if (!kind) {
    throw new NpyFormatError(
      `Cannot read .npy: dtype '${descr}' is not supported (${Object.keys(DESCR).join(', ')})`,
    );
  }
  if (fortran === 'True') {
    throw new NpyFormatError('Cannot read .npy: Fortran order is not supported; save C order');
  }
  const dims = shapeText.split(',').map((s) => s.trim());
  // `(3,)` ends with an empty part; `()` is a scalar.
  if (dims.length > 0 && dims[dims.length - 1] === '') dims.pop();
  const bad = dims.find((d) => !/^\d+L?$/.test(d) || !Number.isSafeInteger(parseInt(d, 10)));
  if (bad !== undefined) {
    throw new NpyFormatError(
      `Cannot read .npy: shape (${shapeText}) has the dimension '${bad}'; dimensions are ` +
        'integers from 0 to 2^53 − 1',
    );
  }
  const shape = dims.map((d) => parseInt(d, 10));
  const start = headerStart + headerLength;
  const have = bytes.length - start;
  // Exact (bigint): a product of large dimensions is not one in floating point.
  const need = shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(kind.bytes);
  if (BigInt(have) !== need) {
    throw new NpyFormatError(
      `Cannot read .npy: shape (${shape.join(', ')}) of ${descr} needs ${need} bytes of data, ` +
        `the file has ${have} after its ${start}-byte preamble and header`,
    );
  }
  const count = Number(need) / kind.bytes;
  const body = bytes.slice(start, start + count * kind.bytes).buffer;
  const data = {
    float32: () => new Float32Array(body),
    float64: () => new Float64Array(body),
    int64: () => new BigInt64Array(body),
    int32: () => new Int32Array(body),
    uint8: () => new Uint8Array(body),
    bool: () => new Uint8Array(body),
  }[kind.dtype]();
  return { dtype: kind.dtype, shape, data };
}

/** Serializes a float32 or int64/int32 array as `.npy` (version 1.0). */
export function writeNpy(
  data: Float32Array | Int32Array | BigInt64Array,
  shape: readonly number[],
): Uint8Array<ArrayBuffer> {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Int32Array ? '<i4' : '<i8';
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  // Pad so that the data starts at a multiple of 64 bytes, ending the header with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
