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
import { decodeTensor } from './parse.ts';

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

test('decodeTensor: external data, unsupported types and size mismatches are rejected', () => {
  assertThrows(
    () =>
      decodeTensor(
        create(TensorProtoSchema, {
          name: 'w',
          dims: [4n],
          dataType: TensorProto_DataType.FLOAT,
          dataLocation: TensorProto_DataLocation.EXTERNAL,
          externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: 'w.bin' })],
        }),
      ),
    ModelFormatError,
    "outside the model file ('w.bin')",
  );
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
