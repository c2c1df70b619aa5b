// TCAV examples on the shipped CNNs: a concept (images of some classes) against 10 random sets
// of held-out images, at pool2 and relu3, with the Welch t-test of src/global/tcav.ts.
//
//   npx deno run --allow-read --allow-env bench/tcav_examples.ts
import { createEngine } from '../src/gpu/engine.ts';
import { loadModel } from '../src/onnx/model.ts';
import { readNpy } from '../src/io/npy.ts';
import { seededRandom, shuffledIndices } from '../src/global/train.ts';
import { tcav } from '../src/global/tcav.ts';

using engine = await createEngine();
const cases = [
  {
    model: 'mnist',
    concept: [0, 6],
    target: 8,
    label: 'closed loops (images of 0 and 6) → class 8',
  },
  {
    model: 'mnist',
    concept: [0, 6],
    target: 1,
    label: 'closed loops (images of 0 and 6) → class 1',
  },
  { model: 'fashion', concept: [5], target: 7, label: 'sandals (5) → class sneaker (7)' },
  { model: 'fashion', concept: [5], target: 1, label: 'sandals (5) → class trouser (1)' },
];
for (const c of cases) {
  using model = loadModel(engine, await Deno.readFile(`models/${c.model}_cnn.onnx`));
  const xa = readNpy(await Deno.readFile(`test/fixtures/train/${c.model}_heldout_x.npy`));
  const ya = Array.from(
    readNpy(await Deno.readFile(`test/fixtures/train/${c.model}_heldout_y.npy`))
      .data as BigInt64Array,
    Number,
  );
  const u8 = xa.data as Uint8Array;
  const pick = (rows: number[]) => {
    const data = new Float32Array(rows.length * 784);
    rows.forEach((r, i) => {
      for (let j = 0; j < 784; j++) data[i * 784 + j] = u8[r * 784 + j] / 255;
    });
    return { data, shape: [rows.length, 1, 28, 28] };
  };
  const rnd = seededRandom(1);
  const order = Array.from(shuffledIndices(ya.length, rnd));
  const conceptRows = order.filter((i) => c.concept.includes(ya[i])).slice(0, 50);
  const inputRows = order.filter((i) => ya[i] === c.target).slice(0, 50);
  const pool = order.filter((i) => !c.concept.includes(ya[i]) && ya[i] !== c.target);
  const randomSets = Array.from({ length: 10 }, (_, k) => pick(pool.slice(k * 50, k * 50 + 50)));
  for (const layer of ['/pool2/MaxPool_output_0', '/relu3/Relu_output_0']) {
    const t0 = performance.now();
    const r = await tcav(
      model,
      { concept: pick(conceptRows), inputs: pick(inputRows), randomSets },
      { layer, target: c.target },
    );
    console.log(JSON.stringify({
      model: c.model,
      concept: c.label,
      layer,
      mean: +r.mean.toFixed(3),
      randomMean: +r.randomMean.toFixed(3),
      pValue: Number(r.pValue.toPrecision(3)),
      significant: r.significant,
      scores: r.scores.map((v) => +v.toFixed(2)),
      randomScores: r.randomScores.map((v) => +v.toFixed(2)),
      cavAccuracy: +(r.cavAccuracy.reduce((a, v) => a + v, 0) / r.cavAccuracy.length).toFixed(3),
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }));
  }
}
