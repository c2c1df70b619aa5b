/**
 * Global explanations of the digit CNN: a distilled linear surrogate and layer probes for
 * parity. On a software adapter the probes section shows the report computed at dev time (the
 * same JSON the README's table comes from) and offers the live run.
 *
 * @module
 */

import type { GlassProbes, GlassSurrogate } from '../../components/mod.ts';
import {
  distill,
  loadModel,
  probeLayers,
  type ProbeReport,
  randomizedOnnx,
  taskLabels,
} from '../../src/mod.ts';
import type { JobContext } from '../explorer/scheduler.ts';
import type { Section } from './section.ts';
import { stage } from './section.ts';
import { DIGITS, fetchBytes, fetchJson, fetchNpy, glass, h, MNIST, model, percent } from './dom.ts';

async function heldOut(n: number) {
  const x = await fetchNpy('/test/fixtures/train/mnist_heldout_x.npy');
  const y = await fetchNpy('/test/fixtures/train/mnist_heldout_y.npy');
  const bytes = x.data as Uint8Array;
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = bytes[i] / 255;
  const labels = Array.from(y.data as ArrayLike<number | bigint>, Number).slice(0, n);
  return { input: { data, shape: [n, 1, 28, 28] }, labels };
}

export const surrogateSection: Section = {
  id: 'surrogate',
  title: 'A linear surrogate of the digit CNN',
  intro: 'A multinomial logistic model distilled from the CNN’s outputs (not the labels) on ' +
    '500 held-out digits, trained on the GPU in this page. Its per-class weights are templates ' +
    'to look at; fidelity is its agreement with the CNN on the digits it did not train on.',
  async run(context) {
    const { engine, body, status } = context;
    const m = await model(engine, MNIST);
    const { input, labels } = await heldOut(500);
    const teacher = stage(context, 0, 2), fit = stage(context, 1, 2);
    const s = await distill(m, input, {
      kind: 'linear',
      labels,
      signal: context.signal,
      onProgress: (phase, done, total) => {
        (phase === 'teacher' ? teacher : fit)(done, total);
        status(`${phase === 'teacher' ? 'Teacher outputs' : 'Training'}: ${done} / ${total}`);
      },
    });
    const el = glass<GlassSurrogate>('glass-surrogate', '');
    el.label = 'Linear surrogate of the digit CNN';
    el.surrogate = s;
    el.classNames = DIGITS;
    body.append(el);
    status(
      `Fidelity ${percent(s.fidelity.agreement)} on ${s.fidelity.count} held-out digits ` +
        `(trained in ${(s.timeMs / 1000).toFixed(1)} s).`,
    );
  },
};

/** Where the probe report made at dev time lives (see `demo/data/README.md`). */
export const PRECOMPUTED_PROBES = '/demo/data/probes_mnist_parity.json';

/** Phases of `probeLayers` in the order they run (for one progress fraction). */
const PROBE_PHASES = ['capture', 'capture random model', 'probe'];

export const probesSection: Section = {
  id: 'probes',
  title: 'Probes: where does the digit CNN know parity?',
  intro:
    'A linear probe per layer trained to tell odd digits from even ones — a task the CNN was ' +
    'never trained for — on 500 held-out digits, with a control task (random labels per digit ' +
    'class, as Hewitt & Liang recommend) and the same probe on a randomly initialized copy of ' +
    'the CNN.',
  async run(context) {
    const { engine, body, status } = context;
    const el = glass<GlassProbes>('glass-probes', 'height: 420px');
    el.label = 'Parity probe accuracy by layer of the digit CNN';
    const live = async (job: JobContext) => {
      const m = await model(engine, MNIST);
      const random = loadModel(engine, randomizedOnnx(await fetchBytes(MNIST), 0));
      try {
        const { input, labels } = await heldOut(500);
        const report = await probeLayers(m, input, taskLabels('parity', { classes: labels }), {
          classes: labels,
          randomModel: random,
          signal: job.signal,
          onProgress: (phase, done, total) => {
            const k = Math.max(0, PROBE_PHASES.indexOf(phase));
            stage(job, k, PROBE_PHASES.length)(done, total);
            status(`Training probes (${phase}): ${done} / ${total}`);
          },
        });
        el.report = report;
        status(`Probed ${report.layers.length} layers in ${(report.timeMs / 1000).toFixed(1)} s.`);
      } finally {
        random.destroy();
      }
    };
    body.append(el);
    // 21 probes (task, control task, random model) × 7 layers take minutes on a software
    // adapter: there the page shows the report computed at dev time, and offers the live run.
    if (engine.info.isFallbackAdapter) {
      const report = await fetchJson<ProbeReport & { adapter?: string }>(PRECOMPUTED_PROBES);
      el.report = report;
      const button = h('button', { type: 'button' }, 'Run live (minutes here)');
      button.addEventListener('click', () => {
        button.disabled = true;
        const job = context.submit('Parity probes, live', live, { priority: 'normal' });
        job.promise.catch(() => (button.disabled = false));
      });
      body.prepend(h('div', { class: 'controls' }, button));
      status(
        `This adapter (${engine.adapterName}) is a software one, so this chart is the report ` +
          `precomputed at dev time with \`glassbox probe\` (${
            report.adapter ?? 'unknown adapter'
          }, ` +
          `${(report.timeMs / 1000).toFixed(0)} s) from ` +
          `\`${PRECOMPUTED_PROBES}\`.`,
      );
      return;
    }
    await live(context);
  },
};
