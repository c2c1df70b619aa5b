/**
 * Fixed-batch copies of a model, as `torch.onnx.export` writes them by default: every graph
 * input's leading dimension fixed at 1. With `bake`, the first output also goes through a
 * `Reshape` to the constant `[1, -1]` — a graph that bakes its batch in, as `x.view(1, -1)`
 * or a folded `x.size(0)` does — so that glassbox must run larger batches in chunks.
 *
 * @module
 */

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  type ValueInfoProto,
} from 'onnx-buf';

/** Options of {@linkcode fixedBatchCopy}. */
export interface FixedBatchOptions {
  /** Also bake the batch into the graph (a Reshape of the first output to `[1, -1]`). */
  bake?: boolean;
}

function fixLeading(v: ValueInfoProto): void {
  const type = v.type?.value;
  if (type?.case !== 'tensorType') return;
  const dims = type.value.shape?.dim ?? [];
  if (dims.length > 0) {
    dims[0] = create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: 1n } });
  }
}

/** The model with every input's leading dimension fixed at 1. */
export function fixedBatchCopy(bytes: Uint8Array, options: FixedBatchOptions = {}): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph!;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  for (const input of graph.input) {
    if (initializers.has(input.name)) continue;
    fixLeading(input);
  }
  if (options.bake) {
    const out = graph.output[0];
    const inner = `${out.name}__unbaked`;
    for (const node of graph.node) {
      node.output = node.output.map((o) => (o === out.name ? inner : o));
    }
    const shapeName = `${out.name}__baked_shape`;
    graph.initializer.push(create(TensorProtoSchema, {
      name: shapeName,
      dims: [2n],
      dataType: TensorProto_DataType.INT64,
      int64Data: [1n, -1n],
    }));
    graph.node.push(create(NodeProtoSchema, {
      name: 'baked_batch_reshape',
      opType: 'Reshape',
      input: [inner, shapeName],
      output: [out.name],
    }));
    fixLeading(out);
  }
  return toBinary(ModelProtoSchema, model);
}
