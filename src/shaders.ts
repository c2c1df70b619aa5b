/**
 * Every WGSL shader of the engine, by path under `shaders/`. The WGSL check (`npm run
 * check:wgsl`, and the Chromium shader test) compiles each of these and fails on any diagnostic;
 * it also fails when a file under `shaders/` is missing here.
 *
 * @module
 */

import batchNorm from '../shaders/nn/batch_norm.wgsl' with { type: 'text' };
import binary from '../shaders/nn/binary.wgsl' with { type: 'text' };
import binaryOverflow from '../shaders/nn/binary_overflow.wgsl' with { type: 'text' };
import cast from '../shaders/nn/cast.wgsl' with { type: 'text' };
import conv from '../shaders/nn/conv.wgsl' with { type: 'text' };
import cumSum from '../shaders/nn/cum_sum.wgsl' with { type: 'text' };
import convBackwardData from '../shaders/nn/conv_backward_data.wgsl' with { type: 'text' };
import convBackwardWeight from '../shaders/nn/conv_backward_weight.wgsl' with { type: 'text' };
import convTranspose from '../shaders/nn/conv_transpose.wgsl' with { type: 'text' };
import gather from '../shaders/nn/gather.wgsl' with { type: 'text' };
import gatherBackward from '../shaders/nn/gather_backward.wgsl' with { type: 'text' };
import gatherElements from '../shaders/nn/gather_elements.wgsl' with { type: 'text' };
import gatherNd from '../shaders/nn/gather_nd.wgsl' with { type: 'text' };
import indexCheck from '../shaders/nn/index_check.wgsl' with { type: 'text' };
import layerNorm from '../shaders/nn/layer_norm.wgsl' with { type: 'text' };
import layerNormBackward from '../shaders/nn/layer_norm_backward.wgsl' with { type: 'text' };
import lpNorm from '../shaders/nn/lp_norm.wgsl' with { type: 'text' };
import lrn from '../shaders/nn/lrn.wgsl' with { type: 'text' };
import matmul from '../shaders/nn/matmul.wgsl' with { type: 'text' };
import matmulVec4 from '../shaders/nn/matmul_vec4.wgsl' with { type: 'text' };
import modShader from '../shaders/nn/mod.wgsl' with { type: 'text' };
import oneHot from '../shaders/nn/one_hot.wgsl' with { type: 'text' };
import pad from '../shaders/nn/pad.wgsl' with { type: 'text' };
import padBackward from '../shaders/nn/pad_backward.wgsl' with { type: 'text' };
import pool from '../shaders/nn/pool.wgsl' with { type: 'text' };
import poolBackward from '../shaders/nn/pool_backward.wgsl' with { type: 'text' };
import recurrent from '../shaders/nn/recurrent.wgsl' with { type: 'text' };
import recurrentBackward from '../shaders/nn/recurrent_backward.wgsl' with { type: 'text' };
import reduce from '../shaders/nn/reduce.wgsl' with { type: 'text' };
import resize from '../shaders/nn/resize.wgsl' with { type: 'text' };
import roundFloat from '../shaders/nn/round_float.wgsl' with { type: 'text' };
import scatterElements from '../shaders/nn/scatter_elements.wgsl' with { type: 'text' };
import scatterNd from '../shaders/nn/scatter_nd.wgsl' with { type: 'text' };
import softmax from '../shaders/nn/softmax.wgsl' with { type: 'text' };
import softmaxBackward from '../shaders/nn/softmax_backward.wgsl' with { type: 'text' };
import stridedCopy from '../shaders/nn/strided_copy.wgsl' with { type: 'text' };
import topk from '../shaders/nn/topk.wgsl' with { type: 'text' };
import topkBackward from '../shaders/nn/topk_backward.wgsl' with { type: 'text' };
import transpose from '../shaders/nn/transpose.wgsl' with { type: 'text' };
import unary from '../shaders/nn/unary.wgsl' with { type: 'text' };
import unaryBackward from '../shaders/nn/unary_backward.wgsl' with { type: 'text' };
import where from '../shaders/nn/where.wgsl' with { type: 'text' };

import resizeBilinear from '../shaders/attr/resize_bilinear.wgsl' with { type: 'text' };
import histogram from '../shaders/stats/histogram.wgsl' with { type: 'text' };
import knn from '../shaders/stats/knn.wgsl' with { type: 'text' };
import moments from '../shaders/stats/moments.wgsl' with { type: 'text' };
import tsneFft from '../shaders/stats/tsne_fft.wgsl' with { type: 'text' };
import tsneGradient from '../shaders/stats/tsne_gradient.wgsl' with { type: 'text' };
import tsneGrid from '../shaders/stats/tsne_grid.wgsl' with { type: 'text' };
import tsneReduce from '../shaders/stats/tsne_reduce.wgsl' with { type: 'text' };
import tsneUpdate from '../shaders/stats/tsne_update.wgsl' with { type: 'text' };
import umapSgd from '../shaders/stats/umap_sgd.wgsl' with { type: 'text' };
import trainLoss from '../shaders/train/loss.wgsl' with { type: 'text' };
import trainOptimizer from '../shaders/train/optimizer.wgsl' with { type: 'text' };

/** WGSL sources keyed by their path under `shaders/`. */
export const SHADERS: Readonly<Record<string, string>> = Object.freeze({
  'attr/resize_bilinear.wgsl': resizeBilinear,
  'stats/histogram.wgsl': histogram,
  'stats/knn.wgsl': knn,
  'stats/moments.wgsl': moments,
  'stats/tsne_fft.wgsl': tsneFft,
  'stats/tsne_gradient.wgsl': tsneGradient,
  'stats/tsne_grid.wgsl': tsneGrid,
  'stats/tsne_reduce.wgsl': tsneReduce,
  'stats/tsne_update.wgsl': tsneUpdate,
  'stats/umap_sgd.wgsl': umapSgd,
  'nn/batch_norm.wgsl': batchNorm,
  'nn/binary.wgsl': binary,
  'nn/binary_overflow.wgsl': binaryOverflow,
  'nn/cast.wgsl': cast,
  'nn/conv.wgsl': conv,
  'nn/cum_sum.wgsl': cumSum,
  'nn/conv_backward_data.wgsl': convBackwardData,
  'nn/conv_backward_weight.wgsl': convBackwardWeight,
  'nn/conv_transpose.wgsl': convTranspose,
  'nn/gather.wgsl': gather,
  'nn/gather_backward.wgsl': gatherBackward,
  'nn/gather_elements.wgsl': gatherElements,
  'nn/gather_nd.wgsl': gatherNd,
  'nn/index_check.wgsl': indexCheck,
  'nn/layer_norm.wgsl': layerNorm,
  'nn/layer_norm_backward.wgsl': layerNormBackward,
  'nn/lp_norm.wgsl': lpNorm,
  'nn/lrn.wgsl': lrn,
  'nn/matmul.wgsl': matmul,
  'nn/matmul_vec4.wgsl': matmulVec4,
  'nn/mod.wgsl': modShader,
  'nn/one_hot.wgsl': oneHot,
  'nn/pad.wgsl': pad,
  'nn/pad_backward.wgsl': padBackward,
  'nn/pool.wgsl': pool,
  'nn/pool_backward.wgsl': poolBackward,
  'nn/recurrent.wgsl': recurrent,
  'nn/recurrent_backward.wgsl': recurrentBackward,
  'nn/reduce.wgsl': reduce,
  'nn/resize.wgsl': resize,
  'nn/round_float.wgsl': roundFloat,
  'nn/scatter_elements.wgsl': scatterElements,
  'nn/scatter_nd.wgsl': scatterNd,
  'nn/softmax.wgsl': softmax,
  'nn/softmax_backward.wgsl': softmaxBackward,
  'nn/strided_copy.wgsl': stridedCopy,
  'nn/topk.wgsl': topk,
  'nn/topk_backward.wgsl': topkBackward,
  'nn/transpose.wgsl': transpose,
  'nn/unary.wgsl': unary,
  'nn/unary_backward.wgsl': unaryBackward,
  'nn/where.wgsl': where,
  'train/loss.wgsl': trainLoss,
  'train/optimizer.wgsl': trainOptimizer,
});
