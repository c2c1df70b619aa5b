/**
 * Saliency sections: six attribution methods side by side on one test image, with the
 * deletion/insertion curves of the integrated-gradients map.
 *
 * @module
 */

import type { GlassSaliency, SaliencyMap } from '../../components/mod.ts';
import { deletionInsertion, explain, type ExplainOptions } from '../../src/mod.ts';
import type { JobContext } from '../explorer/scheduler.ts';
import type { Defaults, Section } from './section.ts';
import { stage } from './section.ts';
import { fetchNpy, glass, h, image, model, percent, select } from './dom.ts';

/** The methods shown, with the adapter's sizes. */
export function saliencyMethods(d: Defaults): { label: string; options: ExplainOptions }[] {
  return [
    { label: 'Gradient', options: { method: 'gradient' } },
    {
      label: `Integrated gradients (${d.igSteps} steps)`,
      options: { method: 'integrated-gradients', steps: d.igSteps },
    },
    {
      label: `SmoothGrad (${d.smoothSamples} samples)`,
      options: { method: 'smoothgrad', samples: d.smoothSamples },
    },
    { label: 'Grad-CAM (upsampled)', options: { method: 'grad-cam', upsample: true } },
    { label: 'Occlusion 4×4', options: { method: 'occlusion', window: 4, stride: 2 } },
    { label: 'LRP-ε', options: { method: 'lrp' } },
  ];
}

/** A saliency section for an image classifier of 28×28 inputs. */
export function saliencySection(
  id: string,
  title: string,
  path: string,
  data: string,
  labels: string,
  classes: string[],
  examples: number[],
): Section {
  return {
    id,
    title,
    intro: 'The same test image explained by six attribution methods (red: evidence for the ' +
      'predicted class, blue: against), and the deletion/insertion curves of the integrated-' +
      'gradients map: delete the most important pixels first and the probability should fall ' +
      'fast; insert them into a black image and it should rise fast.',
    async run(context) {
      const { engine, body, status, defaults } = context;
      const m = await model(engine, path);
      const y = (await fetchNpy(labels)).data as BigInt64Array;
      const methods = saliencyMethods(defaults);
      const el = glass<GlassSaliency>('glass-saliency', '');
      el.label = `${title}: attribution maps`;
      const caption = h('p', { class: 'caption' });
      const show = async (i: number, job: JobContext) => {
        const input = await image(data, i);
        const maps: SaliencyMap[] = [];
        let ig: Float32Array | null = null;
        let predicted = 0;
        let probability = 0;
        const stages = methods.length + 1;
        for (const [k, { label, options }] of methods.entries()) {
          status(`Explaining example ${i}: ${label} (${k + 1}/${methods.length})…`);
          job.progress(k, stages);
          const e = await explain(m, input, {
            ...options,
            signal: job.signal,
            onProgress: stage(job, k, stages),
          });
          const map = await e.attribution.readFloat32();
          e.attribution.destroy();
          predicted = e.predicted[0];
          probability = e.probabilities[0][predicted];
          if (options.method === 'integrated-gradients') ig = map;
          maps.push({ label, data: map, shape: [28, 28] });
        }
        status('Deletion and insertion curves…');
        const curves = await deletionInsertion(m, input, ig!, { steps: 20, signal: job.signal });
        job.signal.throwIfAborted();
        el.image = { data: input.data, shape: [28, 28] };
        el.maps = maps;
        el.curves = { deletion: curves.deletion, insertion: curves.insertion };
        caption.textContent = `Example ${i}: true class ${classes[Number(y[i])]}, predicted ` +
          `${classes[predicted]} (${percent(probability)}). Integrated gradients: deletion AUC ` +
          `${curves.deletion.auc.toFixed(3)}, insertion AUC ${curves.insertion.auc.toFixed(3)}.`;
        status('');
      };
      const picker = select(
        'Example',
        examples.map((i) => [String(i), `#${i} (${classes[Number(y[i])]})`]),
        (v) => context.submit(`${title}: example ${v}`, (job) => show(Number(v), job)),
      );
      body.append(h('div', { class: 'controls' }, picker), el, caption);
      await show(examples[0], context);
    },
  };
}
