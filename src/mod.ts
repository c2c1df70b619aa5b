/**
 * glassbox: explain and visualize neural networks on the GPU, in any web page or in Deno.
 *
 * The engine core: acquire a WebGPU device ({@linkcode createEngine}), move data in and out as
 * {@linkcode Tensor}s, and run the kernels every later layer builds on — elementwise functions
 * with broadcasting, batched matmul, reductions, softmax and transpose. Each kernel has an f64
 * CPU reference (`*Reference`) that the tests compare it with. On top: ONNX models
 * ({@linkcode loadModel}, {@linkcode run}), reverse mode ({@linkcode backward}), attributions
 * ({@linkcode explain}) with their evaluation ({@linkcode deletionInsertion},
 * {@linkcode sanityCheck}), statistics and projections.
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
export {
  type BufferRange,
  createEngine,
  type DispatchSpec,
  Engine,
  type EngineOptions,
  type PoolStats,
} from './gpu/engine.ts';
export {
  ArgumentError,
  DestroyedError,
  DeviceLostError,
  GlassboxError,
  GpuOutOfMemoryError,
  GpuValidationError,
  IndexError,
  IntegerOverflowError,
  LimitExceededError,
  ShapeError,
  WebGpuUnavailableError,
} from './gpu/errors.ts';
export { cachedPipelineCount, getPipeline, type PipelineKey } from './gpu/pipeline_cache.ts';
export {
  type DType,
  empty,
  type EmptyOptions,
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
  ceil,
  celu,
  clip,
  type ClipOptions,
  cos,
  elu,
  erf64,
  exp,
  floor,
  gelu,
  hardSigmoid,
  hardSwish,
  isInf,
  isNan,
  leakyRelu,
  log,
  mish,
  neg,
  reciprocal,
  relu,
  round,
  selu,
  sigmoid,
  sign,
  sin,
  softplus,
  softsign,
  sqrt,
  tanh,
  thresholdedRelu,
  unary,
  UNARY_OPS,
  UNARY_PARAMETERS,
  type UnaryOp,
  type UnaryOptions,
  unaryParameters,
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
  logSumExp,
  max,
  mean,
  min,
  prod,
  reduce,
  REDUCE_OPS,
  type ReduceOp,
  type ReduceOptions,
  reduceReference,
  sum,
} from './ops/reduce.ts';
export { mod, type ModOptions, modReference } from './ops/mod.ts';
export {
  topK,
  topKBackward,
  type TopKBackwardOptions,
  topKBackwardReference,
  type TopKOptions,
  topKReference,
} from './ops/topk.ts';
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
  type PlanPoolOptions,
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
export {
  compare,
  COMPARE_OPS,
  type CompareOp,
  type CompareOptions,
  compareReference,
  equal,
  greater,
  greaterOrEqual,
  less,
  lessOrEqual,
  logical,
  LOGICAL_OPS,
  logicalAnd,
  logicalNot,
  type LogicalOp,
  logicalOr,
  logicalReference,
  logicalXor,
} from './ops/compare.ts';
export { where, type WhereOptions, whereOutputShape, whereReference } from './ops/where.ts';
export {
  gather,
  type GatherOptions,
  gatherOutputShape,
  gatherReference,
  validateGatherIndices,
} from './ops/gather.ts';
export { concat, type ConcatOptions, concatOutputShape, concatReference } from './ops/concat.ts';
export {
  split,
  type SplitOptions,
  splitOutputShapes,
  splitReference,
  splitSizes,
} from './ops/split.ts';
export {
  planSlice,
  slice,
  type SliceOptions,
  sliceOutputShape,
  type SlicePlan,
  sliceReference,
} from './ops/slice.ts';
export { expand, type ExpandOptions, expandOutputShape, expandReference } from './ops/expand.ts';
export { type CopyView, stridedCopy, stridedCopyReference } from './ops/strided_copy.ts';
export {
  pad,
  PAD_MODES,
  padBackward,
  type PadBackwardOptions,
  padBackwardReference,
  type PadMode,
  type PadOptions,
  padOutputShape,
  padReference,
} from './ops/pad.ts';
export {
  gatherElements,
  type GatherElementsOptions,
  gatherElementsReference,
  SCATTER_REDUCTIONS,
  scatterElements,
  type ScatterElementsOptions,
  scatterElementsReference,
  type ScatterReduction,
} from './ops/gather_elements.ts';
export {
  gatherND,
  type GatherNdOptions,
  gatherNdReference,
  scatterND,
  type ScatterNdOptions,
  scatterNdReference,
} from './ops/gather_nd.ts';
export { oneHot, type OneHotOptions, oneHotReference } from './ops/one_hot.ts';
export { cumSum, cumSumBackward, type CumSumOptions, cumSumReference } from './ops/cum_sum.ts';
export { einsum, einsumBackward, einsumOutputShape, einsumReference } from './ops/einsum.ts';
export { cast, type CastOptions, castReference, type CastTarget } from './ops/cast.ts';
export {
  layerNormalization,
  layerNormalizationReference,
  type LayerNormOptions,
  type LayerNormReferenceInputs,
  planLayerNorm,
} from './ops/layer_norm.ts';
export { SHADERS } from './shaders.ts';
export {
  type InputData,
  loadModel,
  type LoadModelOptions,
  Model,
  run,
  type RunOptions,
  type RunResult,
} from './onnx/model.ts';
export { type ExternalData, parseOnnx, type ParseOptions } from './onnx/parse.ts';
export { ONNX_OPERATORS, supportedOperators } from './onnx/registry.ts';
export {
  type ModelStructure,
  modelStructure,
  type NodeStructure,
  type StoredType,
  type WeightStorage,
} from './onnx/structure.ts';
export { ModelFormatError, NodeError, UnsupportedOperatorError } from './graph/errors.ts';
export type {
  AttributeValue,
  CpuSequence,
  CpuTensor,
  CpuValue,
  ElementType,
  Graph,
  ModelIR,
  Node,
  ValueInfo,
} from './graph/ir.ts';
export type {
  BackwardContext,
  BackwardRule,
  GpuContext,
  OpContext,
  OperatorDef,
  TensorInfo,
} from './graph/operator.ts';
export {
  backward,
  type BackwardOptions,
  type BackwardResult,
  type ValueLookup,
} from './grad/backward.ts';
export {
  type Completeness,
  explain,
  type ExplainOptions,
  type Explanation,
  type Method,
  METHODS,
} from './explain/explain.ts';
export type { CamInterpolation, CamMethod, GradCamOptions } from './explain/grad_cam.ts';
export type { GradientMethod } from './explain/gradient.ts';
export type { NoiseMethod, SmoothGradOptions } from './explain/smoothgrad.ts';
export type { IntegratedGradientsOptions } from './explain/integrated_gradients.ts';
export type { OcclusionBorder, OcclusionOptions } from './explain/occlusion.ts';
export {
  INTEGRATION_RULES,
  type IntegrationRule,
  type Quadrature,
  quadrature,
  type QuadratureOptions,
  type TrapezoidWeights,
} from './explain/quadrature.ts';
export {
  type Baseline,
  baselineFor,
  type BaselineOptions,
  gaussianBlur,
} from './explain/baseline.ts';
export {
  GUIDED_BACKPROP_RULES,
  type LrpGraph,
  type LrpOptions,
  type LrpRule,
  lrpRules,
} from './explain/rules.ts';
export { type BatchInfo, freeBatchReason } from './graph/batch.ts';
export { type RowPart, stackRows, takeRows, type TakeRowsOptions } from './ops/rows.ts';
export {
  type Curve,
  deletionInsertion,
  type DeletionOptions,
  type DeletionResult,
  maxSensitivity,
  type SensitivityOptions,
  type SensitivityResult,
  spearman,
  trapezoid,
} from './explain/metrics.ts';
export {
  type ParameterLayer,
  parameterLayers,
  sanityCheck,
  type SanityResult,
  type SanityStep,
} from './explain/sanity.ts';
export { smoothGradNoise } from './explain/smoothgrad.ts';
export { unaryBackward, unaryBackwardReference } from './ops/unary_backward.ts';
export {
  softmaxBackward,
  type SoftmaxBackwardOptions,
  softmaxBackwardReference,
} from './ops/softmax_backward.ts';
export {
  layerNormalizationBackward,
  layerNormalizationBackwardReference,
  type LayerNormBackwardOptions,
  type LayerNormBackwardReferenceInputs,
  type LayerNormGradients,
} from './ops/layer_norm_backward.ts';
export {
  convBackwardBias,
  convBackwardData,
  type ConvBackwardDataOptions,
  convBackwardDataReference,
  type ConvBackwardDataReferenceOptions,
  convBackwardWeight,
  type ConvBackwardWeightOptions,
  convBackwardWeightReference,
  type ConvBackwardWeightReferenceOptions,
} from './ops/conv_backward.ts';
export {
  averagePoolBackward,
  type AveragePoolBackwardOptions,
  globalAveragePoolBackward,
  type GlobalAveragePoolBackwardOptions,
  globalMaxPoolBackward,
  maxPoolBackward,
} from './ops/pool_backward.ts';
export {
  gatherBackward,
  type GatherBackwardOptions,
  gatherBackwardReference,
} from './ops/gather_backward.ts';
export { resizeBilinear, resizeBilinearReference } from './ops/resize_bilinear.ts';
export type { Plan, PlanStep } from './graph/plan.ts';
export { type NpyArray, type NpyDType, NpyFormatError, readNpy, writeNpy } from './io/npy.ts';
export {
  type Histogram,
  histogramParameters,
  histogramQuantile,
  type Moments,
  type TensorStatistics,
  tensorStats,
  tensorStatsBatch,
  type TensorStatsOptions,
  tensorStatsReference,
} from './stats/tensor_stats.ts';
export {
  type ModelStatsOptions,
  modelWeightStats,
  type WeightStatistics,
} from './stats/model_stats.ts';
export { captureActivations, type CaptureOptions } from './stats/capture.ts';
export {
  knn,
  KNN_MAX_K,
  type KnnMetric,
  type KnnOptions,
  knnReference,
  type KnnReferenceOptions,
  type KnnResult,
} from './stats/knn.ts';
export {
  type EigenResult,
  matrixWithSpectrum,
  qr,
  type QrResult,
  seededGaussian,
  type SpectrumMatrix,
  svd,
  type SvdResult,
  symmetricEigen,
  type SymmetricEigenOptions,
} from './stats/linalg.ts';
export {
  effectiveRank,
  frobeniusNorm,
  MAX_FULL_SPECTRUM_SIDE,
  type SingularTriplets,
  singularValues,
  singularValuesReference,
  spectralNorm,
  stableRank,
  stableRankReference,
  topSingularValues,
  type TopSingularValuesOptions,
} from './stats/spectrum.ts';
export {
  MAX_PCA_FEATURES,
  pca,
  type PcaOptions,
  pcaReference,
  type PcaReferenceResult,
  type PcaResult,
} from './stats/pca.ts';
export {
  fitAB,
  type FuzzyGraph,
  fuzzyGraph,
  umap,
  UMAP_MAX_DIMS,
  type UmapOptions,
  type UmapResult,
} from './stats/umap.ts';
export {
  perplexityRow,
  tsne,
  TSNE_EXACT_MAX_N,
  TSNE_MAX_K,
  type TsneAffinities,
  tsneAffinities,
  tsneExactAffinities,
  tsneGradientReference,
  type TsneMethod,
  type TsneOptions,
  type TsneResult,
  type TsneState,
  tsneStepReference,
} from './stats/tsne.ts';
export {
  neighbourPreservation,
  trustworthiness,
  type TrustworthinessOptions,
  trustworthinessReference,
} from './stats/trustworthiness.ts';
export {
  createHead,
  type DenseWeights,
  type EpochReport,
  Head,
  type HeadOptions,
  initDense,
  lossGradient,
  type LossKind,
  type LossOptions,
  lossReference,
  Optimizer,
  type OptimizerKind,
  type OptimizerOptions,
  seededRandom,
  shuffledIndices,
  trainHead,
  type TrainOptions,
  type TrainResult,
} from './global/train.ts';
export {
  distill,
  type DistillOptions,
  featureName,
  type Fidelity,
  fidelityOf,
  type Surrogate,
  SURROGATE_KINDS,
  type SurrogateKind,
} from './global/surrogate.ts';
export {
  exportDenseOnnx,
  type ExportOptions,
  exportTreeOnnx,
  type TreeNode,
  treeParts,
} from './global/onnx_export.ts';
export { fitTree, predictTree, type TreeOptions, treeRules } from './global/tree.ts';
export {
  controlLabels,
  defaultProbeLayers,
  type LayerProbe,
  poolFeatures,
  probeLayers,
  type ProbeOptions,
  type ProbeReport,
  randomizedOnnx,
} from './global/probe.ts';
export { taskLabels, type TaskName, TASKS } from './global/tasks.ts';
export {
  incompleteBeta,
  tcav,
  type TcavOptions,
  type TcavResult,
  welchTTest,
} from './global/tcav.ts';
