/**
 * The explorer page (placeholder until the components' gallery): acquires a device, runs each
 * engine kernel on seeded data and shows its largest deviation from the f64 CPU reference.
 *
 * @module
 */

import {
  createEngine,
  matmul,
  matmulReference,
  reduce,
  reduceReference,
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
