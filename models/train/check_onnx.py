#!/usr/bin/env python3
"""Check the exported models without onnxruntime (not packaged for Debian): validate each graph with
onnx.checker, print its op histogram, reject ops outside the runtime's supported set, then execute
the graph with a tiny op-by-op interpreter (numpy + torch.nn.functional, written from the ONNX spec)
on models/data/*_test_* and compare with the saved PyTorch logits.

  /usr/bin/python3 models/train/check_onnx.py
"""
import os
import sys
from collections import Counter

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F

MODELS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
DATA_DIR = os.path.join(MODELS_DIR, 'data')
ALLOWED_OPS = set('''Conv ConvTranspose Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Erf Neg Abs Relu
LeakyRelu Sigmoid Tanh HardSigmoid HardSwish Clip Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool
ReduceMean ReduceSum ReduceMax BatchNormalization LayerNormalization Flatten Reshape Transpose Concat Split
Slice Squeeze Unsqueeze Gather Where Equal Expand Cast Identity Dropout Constant Shape ConstantOfShape'''.split())
ONNX_TO_NP = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_graph(model, feeds):
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    env[''] = None
    T = lambda a: torch.from_numpy(np.array(a, copy=True))
    for node in model.graph.node:
        a = attrs(node)
        x = [env[i] for i in node.input]
        op = node.op_type
        if op == 'Constant':
            y = numpy_helper.to_array(a['value'])
        elif op == 'Conv':
            assert a.get('group', 1) == 1 and set(a.get('dilations', [1, 1])) == {1}
            p = a.get('pads', [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3]
            y = F.conv2d(T(x[0]), T(x[1]), T(x[2]) if len(x) > 2 else None,
                         stride=a.get('strides', [1, 1]), padding=p[:2]).numpy()
        elif op == 'MaxPool':
            p = a.get('pads', [0, 0, 0, 0])
            y = F.max_pool2d(T(x[0]), a['kernel_shape'], a.get('strides', [1, 1]), p[:2]).numpy()
        elif op == 'Relu':
            y = np.maximum(x[0], 0)
        elif op == 'Flatten':
            ax = a.get('axis', 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
        elif op == 'Gemm':
            A = x[0].T if a.get('transA', 0) else x[0]
            B = x[1].T if a.get('transB', 0) else x[1]
            y = a.get('alpha', 1.0) * (A @ B) + (a.get('beta', 1.0) * x[2] if len(x) > 2 else 0)
        elif op == 'MatMul':
            y = np.matmul(x[0], x[1])
        elif op in ('Add', 'Sub', 'Mul', 'Div', 'Equal'):
            y = {'Add': np.add, 'Sub': np.subtract, 'Mul': np.multiply, 'Div': np.divide, 'Equal': np.equal}[op](x[0], x[1])
        elif op == 'Cast':
            y = x[0].astype(ONNX_TO_NP[a['to']])
        elif op == 'Unsqueeze':
            y = x[0]
            for ax in sorted(int(v) % (x[0].ndim + len(x[1])) for v in x[1]):
                y = np.expand_dims(y, ax)
        elif op == 'Gather':
            y = np.take(x[0], x[1], axis=a.get('axis', 0))
        elif op == 'Reshape':
            shape = [d if d != 0 else x[0].shape[i] for i, d in enumerate(x[1].tolist())]
            y = x[0].reshape(shape)
        elif op == 'Transpose':
            y = np.transpose(x[0], a.get('perm'))
        elif op == 'Softmax':
            ax = a.get('axis', -1)
            e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == 'Erf':
            y = torch.erf(T(x[0])).numpy()
        elif op == 'LayerNormalization':
            ax = a.get('axis', -1)
            axes = tuple(range(ax % x[0].ndim, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            y = (x[0] - mu) / np.sqrt(var + a.get('epsilon', 1e-5)) * x[1] + (x[2] if len(x) > 2 else 0)
        elif op == 'ReduceSum':
            axes = tuple(x[1].tolist()) if len(x) > 1 and x[1] is not None else None
            y = x[0].sum(axis=axes, keepdims=bool(a.get('keepdims', 1)))
        elif op == 'Clip':
            y = x[0]
            if len(x) > 1 and x[1] is not None:
                y = np.maximum(y, x[1])
            if len(x) > 2 and x[2] is not None:
                y = np.minimum(y, x[2])
        else:
            raise NotImplementedError(op)
        y = np.asarray(y)
        if y.dtype == np.float64 and op != 'Cast':
            y = y.astype(np.float32)
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}


CASES = [
    ('mnist_cnn.onnx', 'input', 'mnist_test_x.npy', 'mnist_test_y.npy', 'mnist_test_logits_torch.npy'),
    ('fashion_cnn.onnx', 'input', 'fashion_test_x.npy', 'fashion_test_y.npy', 'fashion_test_logits_torch.npy'),
    ('text_transformer.onnx', 'input_ids', 'text_test_ids.npy', 'text_test_y.npy', 'text_test_logits_torch.npy'),
]


def main():
    ok = True
    for fname, in_name, xf, yf, lf in CASES:
        path = os.path.join(MODELS_DIR, fname)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        ops = Counter(n.op_type for n in m.graph.node)
        bad = set(ops) - ALLOWED_OPS
        x, y, ref = (np.load(os.path.join(DATA_DIR, f)) for f in (xf, yf, lf))
        out = run_graph(m, {in_name: x})['logits']
        diff = float(np.abs(out - ref).max())
        acc = float((out.argmax(1) == y).mean())
        n_params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
        print(f'{fname}: {os.path.getsize(path)} bytes, {n_params} initializer values, opset '
              f'{m.opset_import[0].version}\n  ops {dict(sorted(ops.items()))}\n'
              f'  max |onnx - torch| = {diff:.2e}; accuracy on {len(y)} saved examples {acc:.4f}')
        if bad or diff > 1e-3:
            print('  FAIL', bad or '')
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
