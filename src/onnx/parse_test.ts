import { create } from '@bufbuild/protobuf';
import {
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
} from 'onnx-buf';
import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { ModelFormatError } from '../graph/errors.ts';
import { float16FromBits } from '../ops/round_float.ts';
import { loadBytes } from '../../test/files.ts';
import { buildTypedModel } from '../../test/quant_models.ts';
import { decodeTensor, externalDataFiles, MissingExternalDataError, parseOnnx } from './parse.ts';

test('decodeTensor: raw little-endian data of each supported type', () => {
  const cases: [TensorProto_DataType, number[], number[]][] = [
    [TensorProto_DataType.FLOAT, [0, 0, 0xc0, 0x3f], [1.5]],
    [TensorProto_DataType.DOUBLE, [0, 0, 0, 0, 0, 0, 0xf8, 0x3f], [1.5]],
    [TensorProto_DataType.FLOAT16, [0x00, 0x3e], [1.5]],
    [TensorProto_DataType.INT64, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [-2]],
    [TensorProto_DataType.INT32, [0xff, 0xff, 0xff, 0x7f], [2147483647]],
    [TensorProto_DataType.INT8, [0x80], [-128]],
    [TensorProto_DataType.UINT8, [0xff], [255]],
    [TensorProto_DataType.BOOL, [2], [1]],
  ];
  for (const [dataType, bytes, values] of cases) {
    const t = decodeTensor(
      create(TensorProtoSchema, {
        name: 't',
        dims: [1n],
        dataType,
        rawData: new Uint8Array(bytes),
      }),
    );
    assertArrayEquals(t.data, values, `type ${TensorProto_DataType[dataType]}`);
  }
});

test('decodeTensor: typed fields (float_data, int64_data, int32_data)', () => {
  const f = decodeTensor(
    create(TensorProtoSchema, {
      dims: [2n],
      dataType: TensorProto_DataType.FLOAT,
      floatData: [1, 2],
    }),
  );
  assertEquals(f.dtype, 'float32');
  assertArrayEquals(f.data, [1, 2]);
  const i = decodeTensor(
    create(TensorProtoSchema, {
      dims: [2, 1].map(BigInt),
      dataType: TensorProto_DataType.INT64,
      int64Data: [5n, -7n],
    }),
  );
  assertArrayEquals(i.shape, [2, 1]);
  assertArrayEquals(i.data, [5, -7]);
  const b = decodeTensor(
    create(TensorProtoSchema, {
      dims: [3n],
      dataType: TensorProto_DataType.BOOL,
      int32Data: [1, 0, 1],
    }),
  );
  assertArrayEquals(b.data, [1, 0, 1]);
});

test('decodeTensor: unsupported types and size mismatches are rejected', () => {
  assertThrows(
    () =>
      decodeTensor(
        create(TensorProtoSchema, { name: 's', dims: [1n], dataType: TensorProto_DataType.STRING }),
      ),
    ModelFormatError,
    'element type STRING is not supported',
  );
  assertThrows(
    () =>
      decodeTensor(
        create(TensorProtoSchema, {
          name: 'r',
          dims: [3n],
          dataType: TensorProto_DataType.FLOAT,
          rawData: new Uint8Array(8),
        }),
      ),
    ModelFormatError,
    'raw data has 8 bytes, shape [3] of float32 needs 12',
  );
  assertThrows(
    () =>
      decodeTensor(
        create(TensorProtoSchema, { name: 'n', dims: [-1n], dataType: TensorProto_DataType.FLOAT }),
      ),
    ModelFormatError,
    'not a valid size',
  );
});

test('decodeTensor: float16 and bfloat16 upcast exactly, from raw data and int32_data', () => {
  const halves = [0x3c00, 0x0001, 0x7bff, 0xfc00, 0xb555]; // 1, 2^-24, 65504, −Inf, −0.3333…
  const raw = new Uint8Array(halves.flatMap((h) => [h & 0xff, h >> 8]));
  const want = halves.map(float16FromBits);
  for (const t of [{ rawData: raw }, { int32Data: halves }]) {
    const d = decodeTensor(
      create(TensorProtoSchema, { dims: [5n], dataType: TensorProto_DataType.FLOAT16, ...t }),
    );
    assertEquals(d.dtype, 'float16');
    assertArrayEquals(d.data, want);
  }
  assertEquals(want[1], 2 ** -24);
  const b = decodeTensor(
    create(TensorProtoSchema, {
      dims: [3n],
      dataType: TensorProto_DataType.BFLOAT16,
      rawData: new Uint8Array([0xc0, 0x3f, 0x00, 0xc0, 0xf5, 0x3e]),
    }),
  );
  assertEquals(b.dtype, 'bfloat16');
  assertArrayEquals(b.data, [1.5, -2, 0.478515625]);
  // onnx ≤ 1.13's test data writes bfloat16 as UINT16 bit patterns.
  const bits = create(TensorProtoSchema, {
    dims: [1n],
    dataType: TensorProto_DataType.UINT16,
    rawData: new Uint8Array([0xc0, 0x3f]),
  });
  assertArrayEquals(decodeTensor(bits).data, [0x3fc0]);
  const declared = decodeTensor(bits, 't', { declared: 'bfloat16' });
  assertEquals(declared.dtype, 'bfloat16');
  assertArrayEquals(declared.data, [1.5]);
});

/** An external FLOAT tensor of 4 values at `offset` in `location`. */
function external(location: string, offset?: number, length?: number) {
  const entries = [
    create(StringStringEntryProtoSchema, { key: 'location', value: location }),
    ...(offset === undefined
      ? []
      : [create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) })]),
    ...(length === undefined
      ? []
      : [create(StringStringEntryProtoSchema, { key: 'length', value: String(length) })]),
  ];
  return create(TensorProtoSchema, {
    name: 'w',
    dims: [4n],
    dataType: TensorProto_DataType.FLOAT,
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: entries,
  });
}

test('decodeTensor: external data from the given side file, offset and length', () => {
  const file = new Uint8Array(24);
  new DataView(file.buffer).setFloat32(8, 1.5, true);
  new DataView(file.buffer).setFloat32(20, -2, true);
  const t = decodeTensor(external('w.bin', 8, 16), 'w', { externalData: { 'w.bin': file } });
  assertArrayEquals(t.data, [1.5, 0, 0, -2]);
  // Without a length, the rest of the file.
  assertArrayEquals(
    decodeTensor(external('w.bin', 8), 'w', { externalData: { 'w.bin': file } }).data,
    [1.5, 0, 0, -2],
  );
  const e = assertThrows(
    () => decodeTensor(external('w.bin', 8, 16)),
    MissingExternalDataError,
    "'w.bin'",
  ) as MissingExternalDataError;
  assertArrayEquals(e.files as unknown as number[], ['w.bin'] as unknown as number[]);
  assertThrows(
    () => decodeTensor(external('w.bin', 16, 16), 'w', { externalData: { 'w.bin': file } }),
    ModelFormatError,
    'runs past the end',
  );
  assertThrows(
    () => decodeTensor(external('w.bin', 0, 12), 'w', { externalData: { 'w.bin': file } }),
    ModelFormatError,
    'raw data has 12 bytes',
  );
  for (const location of ['/etc/passwd', '../w.bin', 'a/../../w.bin', 'C:\\w.bin']) {
    assertThrows(
      () => decodeTensor(external(location, 0, 16), 'w', { externalData: { [location]: file } }),
      ModelFormatError,
      "inside the model's folder",
    );
  }
});

test('parseOnnx: a model with external data names every missing side file at once', async () => {
  const { bytes, files } = buildTypedModel({
    nodes: [
      { op: 'Add', inputs: ['x', 'a'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'b'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', shape: [3] }],
    outputs: [{ name: 'y', shape: [3] }],
    initializers: [
      { name: 'a', type: 'float32', dims: [3], values: [1, 2, 3], external: 'a.bin' },
      { name: 'b', type: 'float16', dims: [3], values: [0.5, 2, -1], external: 'b.bin' },
    ],
  });
  assertArrayEquals(
    externalDataFiles(bytes) as unknown as number[],
    ['a.bin', 'b.bin'] as unknown as number[],
  );
  const e = assertThrows(() => parseOnnx(bytes), MissingExternalDataError, "'a.bin', 'b.bin'");
  assertEquals((e as MissingExternalDataError).files.join(), 'a.bin,b.bin');
  assertThrows(
    () => parseOnnx(bytes, { externalData: { 'a.bin': files['a.bin'] } }),
    MissingExternalDataError,
    "1 side file that was not given: 'b.bin'",
  );
  const ir = parseOnnx(bytes, { externalData: files });
  assertArrayEquals(ir.graph.initializers.get('a')!.data, [1, 2, 3]);
  assertEquals(ir.graph.initializers.get('b')!.dtype, 'float16');
  assertArrayEquals(ir.graph.initializers.get('b')!.data, [0.5, 2, -1]);
  assertEquals(ir.externalData!.join(), 'a.bin,b.bin');
  // The fixture onnx's save_model(..., save_as_external_data=True) wrote.
  const fixture = await loadBytes('test/fixtures/external/model.onnx');
  assertEquals(externalDataFiles(fixture).join(), 'weights.bin');
  const saved = parseOnnx(fixture, {
    externalData: { 'weights.bin': await loadBytes('test/fixtures/external/weights.bin') },
  });
  assertArrayEquals(
    saved.graph.initializers.get('W')!.data,
    Array.from({ length: 12 }, (_, k) => (Math.floor(k / 3) - (k % 3)) / 8),
  );
  assertArrayEquals(saved.graph.initializers.get('b16')!.data, [0.5, -0.25, 1]);
});
