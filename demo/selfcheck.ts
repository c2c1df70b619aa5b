/**
 * The engine self-check page (/demo/selfcheck.html): acquires a device, runs each bundled model
 * on its test set and each engine kernel on seeded data, and shows its largest deviation from
 * the f64 CPU reference.
 *
 * @module
 */

import {
  createEngine,
  type Engine,
  loadModel,
  matmul,
  matmulReference,
  modelStructure,
  modelWeightStats,
  readNpy,
  reduce,
  reduceReference,
  run,
  softmax,
  softmaxReference,
  type Tensor,
  tensor,
  transpose,
  transposeReference,
  unary,
  unaryReference,
} from '../src/mod.ts';
import { uniform } from '../test/random.ts';
import { MODELS } from '../models/index.js';

interface Row {
  kernel: string;
  shape: string;
  run(): Tensor;
  reference(): ArrayLike<number>;
  tolerance: number;
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`Cannot fetch ${path}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function element(tag: string, text = '', className = ''): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  if (className) e.className = className;
  return e;
}

function table(headers: string[], rows: string[][]): HTMLTableElement {
  const t = document.createElement('table');
  const head = t.createTHead().insertRow();
  for (const h of headers) head.append(element('th', h));
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.append(element('td', c));
  }
  return t;
}

/** Runs one bundled model on its test set and shows accuracy, structure and weights. */
async function showModel(
  engine: Engine,
  name: string,
  file: string,
  inputs: string,
  labels: string,
): Promise<void> {
  const host = document.getElementById('models')!;
  const section = element('section');
  section.append(element('h3', name));
  host.append(section);
  try {
    using model = loadModel(engine, await fetchBytes(`/models/${file}`));
    const x = readNpy(await fetchBytes(`/models/${inputs}`));
    const y = readNpy(await fetchBytes(`/models/${labels}`));
    const start = performance.now();
    const { outputs } = run(model, {
      [model.inputs[0].name]: { data: x.data as Float32Array | BigInt64Array, shape: x.shape },
    });
    const logits = outputs[model.outputs[0].name];
    const scores = await logits.readFloat32();
    const ms = performance.now() - start;
    logits.destroy();
    const classes = logits.shape[1];
    let correct = 0;
    for (let i = 0; i < logits.shape[0]; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) {
        if (scores[i * classes + k] > scores[i * classes + best]) best = k;
      }
      if (BigInt(best) === (y.data as BigInt64Array)[i]) correct++;
    }
    const s = modelStructure(model);
    section.append(element(
      'p',
      `${correct} / ${logits.shape[0]} test examples right (${
        (100 * correct / logits.shape[0]).toFixed(1)
      }%), batch of ${logits.shape[0]} in ${
        ms.toFixed(0)
      } ms; ${s.totals.params.toLocaleString()} ` +
        `parameters, ${(s.totals.flops / 1e6).toFixed(2)} MFLOPs per example.` +
        (s.weights.notes.length > 0 ? ` Weights: ${s.weights.notes.join('; ')}.` : ''),
    ));
    section.append(table(
      ['node', 'op', 'output shape', 'params', 'FLOPs'],
      s.nodes.map((n) => [
        n.name,
        n.op,
        `[${n.shapes[n.outputs[0]]?.join(', ') ?? '?'}]`,
        String(n.params),
        String(n.flops),
      ]),
    ));
    const weights = await modelWeightStats(model, { bins: 16 });
    section.append(table(
      ['weight', 'shape', 'mean', 'std', 'min', 'max'],
      weights.map((w) => [
        w.name,
        `[${w.shape.join(', ')}]`,
        w.mean.toPrecision(3),
        w.std.toPrecision(3),
        w.min.toPrecision(3),
        w.max.toPrecision(3),
      ]),
    ));
  } catch (error) {
    section.append(element('p', String(error), 'bad'));
  }
}

async function main(): Promise<void> {
  const adapterLine = document.getElementById('adapter')!;
  const body = document.getElementById('results')!;
  let engine;
  try {
    engine = await createEngine();
  } catch (error) {
    adapterLine.textContent = String(error);
    adapterLine.className = 'bad';
    return;
  }
  adapterLine.textContent = `Adapter: ${engine.adapterName}`;
  // The one-click examples are what the glassbox-models package lists.
  for (const m of MODELS) {
    await showModel(engine, m.title, m.file, m.samples.inputs, m.samples.labels);
  }
  const a = uniform(256 * 384, 1);
  const b = uniform(384 * 128, 2);
  const ta = tensor(engine, a, [256, 384]);
  const tb = tensor(engine, b, [384, 128]);
  const rows: Row[] = [
    {
      kernel: 'matmul',
      shape: '256×384 · 384×128',
      run: () => matmul(engine, ta, tb),
      reference: () => matmulReference(a, [256, 384], b, [384, 128]).data,
      tolerance: 1e-4,
    },
    {
      kernel: 'gelu',
      shape: '256×384',
      run: () => unary(engine, 'gelu', ta),
      reference: () => unaryReference('gelu', a),
      tolerance: 1e-6,
    },
    {
      kernel: 'softmax',
      shape: '256×384, rows',
      run: () => softmax(engine, ta),
      reference: () => softmaxReference(a, [256, 384]),
      tolerance: 1e-6,
    },
    {
      kernel: 'sum',
      shape: '256×384, axis 0',
      run: () => reduce(engine, 'sum', ta, { axis: 0 }),
      reference: () => reduceReference('sum', a, [256, 384], { axis: 0 }).data,
      tolerance: 1e-4,
    },
    {
      kernel: 'argmax',
      shape: '256×384, axis 1',
      run: () => reduce(engine, 'argmax', ta, { axis: 1 }),
      reference: () => reduceReference('argmax', a, [256, 384], { axis: 1 }).data,
      tolerance: 0,
    },
    {
      kernel: 'transpose',
      shape: '256×384',
      run: () => transpose(engine, ta),
      reference: () => transposeReference(a, [256, 384]).data,
      tolerance: 0,
    },
  ];
  for (const row of rows) {
    const start = performance.now();
    const out = row.run();
    const data = await out.read();
    const ms = performance.now() - start;
    out.destroy();
    const error = maxError(data, row.reference());
    const tr = document.createElement('tr');
    const ok = error <= row.tolerance;
    for (
      const text of [
        row.kernel,
        row.shape,
        error.toExponential(2),
        String(row.tolerance),
        ms.toFixed(1),
        ok ? 'ok' : 'MISMATCH',
      ]
    ) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.lastElementChild!.className = ok ? 'ok' : 'bad';
    body.append(tr);
  }
  ta.destroy();
  tb.destroy();
}

main();
