/**
 * Helpers for the component browser tests and the component bench: mounting, pixel read-back
 * and synthetic model structures.
 *
 * @module
 */

import type { ModelStructure, NodeStructure } from '../src/onnx/structure.ts';

/** Mounts `el` in a fixed-size box on the page and waits for its first update. */
export async function mount<T extends HTMLElement & { updateComplete: Promise<boolean> }>(
  el: T,
  width = 200,
  height = 150,
): Promise<T> {
  el.style.width = `${width}px`;
  el.style.height = `${height}px`;
  el.style.display = 'block';
  document.body.append(el);
  await el.updateComplete;
  await el.updateComplete;
  return el;
}

/** The RGBA of the canvas pixel at CSS (x, y) (device pixel ratio applied) of `el`'s canvas. */
export function pixel(el: Element, x: number, y: number): [number, number, number, number] {
  const canvas = el.shadowRoot!.querySelector('canvas')!;
  const dpr = canvas.width / canvas.clientWidth;
  const probe = document.createElement('canvas');
  probe.width = canvas.width;
  probe.height = canvas.height;
  const ctx = probe.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(canvas, 0, 0);
  const d = ctx.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data;
  return [d[0], d[1], d[2], d[3]];
}

/** Whether two colors agree within `tol` per channel (RGB). */
export function near(a: ArrayLike<number>, b: ArrayLike<number>, tol = 3): boolean {
  return Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol &&
    Math.abs(a[2] - b[2]) <= tol;
}

/** Resolves after `n` animation frames. */
export function frames(n = 2): Promise<void> {
  return new Promise((resolve) => {
    const step = () => (--n <= 0 ? resolve() : requestAnimationFrame(step));
    requestAnimationFrame(step);
  });
}

/** Collects the next event `name` fired by `target`. */
export function nextEvent<T>(target: EventTarget, name: string): Promise<CustomEvent<T>> {
  return new Promise((resolve) =>
    target.addEventListener(name, (e) => resolve(e as CustomEvent<T>), { once: true })
  );
}

function node(
  name: string,
  op: string,
  inputs: string[],
  outputs: string[],
  params = 0,
): NodeStructure {
  const shapes: Record<string, number[] | null> = {};
  for (const t of [...inputs, ...outputs]) shapes[t] = [1, 16, 64];
  return { name, op, attributes: {}, inputs, outputs, shapes, params, flops: 1000, folded: false };
}

/**
 * A transformer-like structure: an embedding, `layers` identical blocks named `/layers.N/…`
 * (12 nodes each, with residual edges), and a head — 12·layers + 3 nodes.
 */
export function transformerStructure(layers: number): ModelStructure {
  const nodes: NodeStructure[] = [node('/embed/Gather', 'Gather', ['ids'], ['h0'], 4096)];
  let h = 'h0';
  for (let l = 0; l < layers; l++) {
    const p = `/layers.${l}`;
    const t = (s: string) => `${p}/${s}`;
    nodes.push(
      node(t('ln1/LayerNormalization'), 'LayerNormalization', [h], [t('a')], 128),
      node(t('attn/q/MatMul'), 'MatMul', [t('a')], [t('q')], 4096),
      node(t('attn/k/MatMul'), 'MatMul', [t('a')], [t('k')], 4096),
      node(t('attn/v/MatMul'), 'MatMul', [t('a')], [t('v')], 4096),
      node(t('attn/scores/MatMul'), 'MatMul', [t('q'), t('k')], [t('s')]),
      node(t('attn/Softmax'), 'Softmax', [t('s')], [t('p')]),
      node(t('attn/ctx/MatMul'), 'MatMul', [t('p'), t('v')], [t('c')]),
      node(t('attn/Add'), 'Add', [h, t('c')], [t('r1')]),
      node(t('ln2/LayerNormalization'), 'LayerNormalization', [t('r1')], [t('b')], 128),
      node(t('mlp/fc1/MatMul'), 'MatMul', [t('b')], [t('f')], 16384),
      node(t('mlp/Gelu'), 'Gelu', [t('f')], [t('g')]),
      node(t('mlp/Add'), 'Add', [t('r1'), t('g')], [t(`out`)], 16384),
    );
    h = t('out');
  }
  nodes.push(
    node('/head/LayerNormalization', 'LayerNormalization', [h], ['hn'], 128),
    node('/head/MatMul', 'MatMul', ['hn'], ['logits'], 65536),
  );
  const params = nodes.reduce((s, n) => s + n.params, 0);
  return {
    inputs: [{ name: 'ids', dtype: 'int64', shape: [1, 16], planned: [1, 16] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 16, 1024] }],
    nodes,
    totals: { params, flops: nodes.length * 1000, nodes: nodes.length, gpuNodes: nodes.length },
    opset: 17,
    producer: 'synthetic',
    weights: { stored: [], dequantized: [], externalFiles: [], notes: [] },
  };
}

/** A small conv net: Conv → Relu → MaxPool → Conv → Relu → Flatten → Gemm (7 nodes). */
export function convStructure(): ModelStructure {
  const nodes = [
    node('conv1', 'Conv', ['x'], ['c1'], 80),
    node('relu1', 'Relu', ['c1'], ['r1']),
    node('pool', 'MaxPool', ['r1'], ['p1']),
    node('conv2', 'Conv', ['p1'], ['c2'], 1168),
    node('relu2', 'Relu', ['c2'], ['r2']),
    node('flatten', 'Flatten', ['r2'], ['f']),
    node('fc', 'Gemm', ['f'], ['y'], 7850),
  ];
  nodes[0].shapes = { x: [1, 1, 28, 28], c1: [1, 8, 28, 28] };
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 28, 28], planned: [1, 1, 28, 28] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 10] }],
    nodes,
    totals: { params: 9098, flops: 7000, nodes: 7, gpuNodes: 7 },
    opset: 17,
    producer: 'synthetic',
    weights: { stored: [], dequantized: [], externalFiles: [], notes: [] },
  };
}
