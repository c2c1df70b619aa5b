/**
 * glassbox: explain and visualize neural networks on the GPU, in any web page or in Deno.
 *
 * The engine core: acquire a WebGPU device ({@linkcode createEngine}), move data in and out as
 * {@linkcode Tensor}s, and run the kernels every later layer builds on — elementwise functions
 * with broadcasting, batched matmul, reductions, softmax and transpose. Each kernel has an f64
 * CPU reference (`*Reference`) that the tests compare it with.
 *
 * @example
 * ```ts ignore
 * import { createEngine, matmul, softmax, tensor } from './mod.ts';
 *
 * using engine = await createEngine();
 * using x = tensor(engine, [1, 2, 3, 4], [2, 2]);
 * using w = tensor(engine, [0.5, -1, 2, 0], [2, 2]);
 * using logits = matmul(engine, x, w);
 * using p = softmax(engine, logits);
 * console.log(await p.read());
 * ```
 *
 * @module
 */

export {
  type AcquiredDevice,
  type AdapterSummary,
  describeAdapter,
  requestDevice,
  type RequestDeviceOptions,
  summarizeAdapter,
} from './gpu/device.ts';
export { foldWorkgroups, type Grid } from './gpu/dispatch.ts';
export { createEngine, type DispatchSpec, Engine, type EngineOptions } from './gpu/engine.ts';
export {
  ArgumentError,
  DestroyedError,
  DeviceLostError,
  GlassboxError,
  GpuOutOfMemoryError,
  GpuValidationError,
  LimitExceededError,
  ShapeError,
  WebGpuUnavailableError,
} from './gpu/errors.ts';
export { cachedPipelineCount, getPipeline, type PipelineKey } from './gpu/pipeline_cache.ts';
export {
  type DType,
  empty,
  formatShape,
  sizeOf,
  stridesOf,
  Tensor,
  tensor,
  type TensorData,
  type TensorOptions,
} from './tensor.ts';
export {
  abs,
  erf64,
  exp,
  gelu,
  log,
  neg,
  relu,
  sigmoid,
  sqrt,
  tanh,
  unary,
  UNARY_OPS,
  type UnaryOp,
  type UnaryOptions,
  unaryReference,
} from './ops/unary.ts';
export {
  add,
  binary,
  BINARY_OPS,
  type BinaryOp,
  type BinaryOptions,
  binaryReference,
  div,
  maximum,
  minimum,
  mul,
  pow,
  sub,
} from './ops/binary.ts';
export {
  matmul,
  type MatmulOptions,
  type MatmulPlan,
  matmulReference,
  planMatmul,
} from './ops/matmul.ts';
export {
  argmax,
  argmin,
  max,
  mean,
  min,
  reduce,
  REDUCE_OPS,
  type ReduceOp,
  type ReduceOptions,
  reduceReference,
  sum,
} from './ops/reduce.ts';
export { logSoftmax, softmax, type SoftmaxOptions, softmaxReference } from './ops/softmax.ts';
export { transpose, type TransposeOptions, transposeReference } from './ops/transpose.ts';
export {
  type AutoPad,
  conv,
  type ConvAttributes,
  type ConvOptions,
  convOutputShape,
  type ConvPlan,
  convReference,
  type ConvReferenceOptions,
  planConv,
  type ReferenceResult,
  type WindowAttributes,
  type WindowAxis,
} from './ops/conv.ts';
export {
  convTranspose,
  type ConvTransposeAttributes,
  type ConvTransposeOptions,
  convTransposeOutputShape,
  convTransposeReference,
  type ConvTransposeReferenceOptions,
  planConvTranspose,
} from './ops/conv_transpose.ts';
export {
  averagePool,
  type AveragePoolAttributes,
  type AveragePoolOptions,
  averagePoolReference,
  globalAveragePool,
  globalAveragePoolReference,
  globalMaxPool,
  globalMaxPoolReference,
  type GlobalPoolOptions,
  globalPoolOutputShape,
  maxPool,
  type MaxPoolOptions,
  maxPoolReference,
  planPool,
  type PoolAttributes,
  poolOutputShape,
  type PoolPlan,
} from './ops/pool.ts';
export {
  batchNormalization,
  type BatchNormalizationOptions,
  batchNormalizationOutputShape,
  batchNormalizationReference,
} from './ops/batch_norm.ts';
export { SHADERS } from './shaders.ts';
