/**
 * The model overview: inputs and outputs, operator counts, parameters and FLOPs, how the weights
 * are stored, what cannot run and why, and the weights' health (non-finite values, dead and
 * exploding tensors) from the engine's batched weight statistics.
 *
 * @module
 */

import { modelWeightStats, type WeightStatistics } from '../../src/mod.ts';
import { elementCount, isFloat } from '../../src/graph/ir.ts';
import type { OpenedModel, Session } from './session.ts';
import { formatBytes } from './open.ts';
import { formatEta } from './scheduler.ts';
import { el as h } from './dom.ts';

/** The statistics the health rule reads (a subset of `WeightStatistics`). */
export type HealthInput = Pick<
  WeightStatistics,
  'name' | 'shape' | 'count' | 'nan' | 'posInf' | 'negInf' | 'std' | 'l2'
>;

/** One finding of {@linkcode weightHealth}. */
export interface HealthFinding {
  /** Initializer name. */
  name: string;
  /** `non-finite`: NaN or ±Inf values; `dead`: all (near) zero; `exploding`: far larger. */
  kind: 'non-finite' | 'dead' | 'exploding';
  /** One sentence for people. */
  message: string;
}

/** How many times the median RMS of its peers a tensor's RMS must exceed to be `exploding`. */
export const EXPLODING_RATIO = 10;
/** Below this fraction of the median RMS of its peers (or exactly 0) a tensor is `dead`. */
export const DEAD_RATIO = 1e-6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The weight-health rule. Each tensor's scale is its RMS (‖w‖₂/√n, so that sizes compare); it is
 * compared with the median RMS of its *peers*: matrices and filters (rank ≥ 2) with each other,
 * vectors (biases, normalization parameters, rank ≤ 1) with each other — their scales differ by
 * design. The median ignores the outliers themselves (robust).
 *
 * - `non-finite`: any NaN or ±Inf.
 * - `dead`: RMS exactly 0, or below {@linkcode DEAD_RATIO} × the peers' median (a tensor that
 *   passes nothing on). Single-element tensors are never dead (a zero scalar is common).
 * - `exploding`: RMS above {@linkcode EXPLODING_RATIO} × the peers' median, with at least 3
 *   peers (fewer say nothing about "usual").
 */
export function weightHealth(stats: readonly HealthInput[]): HealthFinding[] {
  const findings: HealthFinding[] = [];
  const rms = (s: HealthInput) => s.count > 0 ? s.l2 / Math.sqrt(s.count) : 0;
  const groups = new Map<string, HealthInput[]>();
  for (const s of stats) {
    const bad = s.nan + s.posInf + s.negInf;
    if (bad > 0) {
      const parts = [
        s.nan ? `${s.nan} NaN` : '',
        s.posInf ? `${s.posInf} +Inf` : '',
        s.negInf ? `${s.negInf} −Inf` : '',
      ].filter(Boolean);
      findings.push({
        name: s.name,
        kind: 'non-finite',
        message: `${s.name} has ${parts.join(', ')} of its ${s.count} values.`,
      });
      continue;
    }
    const group = s.shape.length >= 2 ? 'matrices' : 'vectors';
    groups.set(group, [...groups.get(group) ?? [], s]);
  }
  for (const [group, members] of groups) {
    const scales = members.map(rms).filter((r) => r > 0 && Number.isFinite(r));
    const typical = scales.length ? median(scales) : 0;
    for (const s of members) {
      const r = rms(s);
      if (s.count > 1 && (r === 0 || (typical > 0 && r < DEAD_RATIO * typical))) {
        findings.push({
          name: s.name,
          kind: 'dead',
          message: r === 0
            ? `${s.name} is all zeros.`
            : `${s.name} is almost all zeros (RMS ${r.toPrecision(2)}, the median of the ` +
              `model's ${group} is ${typical.toPrecision(2)}).`,
        });
      } else if (members.length >= 3 && typical > 0 && r > EXPLODING_RATIO * typical) {
        findings.push({
          name: s.name,
          kind: 'exploding',
          message: `${s.name} is ${(r / typical).toFixed(0)}× larger than usual (RMS ` +
            `${r.toPrecision(3)}, the median of the model's ${group} is ${
              typical.toPrecision(3)
            }).`,
        });
      }
    }
  }
  return findings;
}

/** "1.2 M", "34 k", "512". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toLocaleString('en');
}

/** Operator type → node count, most used first (ties by name). */
export function operatorCounts(opened: Pick<OpenedModel, 'ir'>): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of opened.ir.graph.nodes) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op}` : n.op;
    counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** Parameters: the structure's total, or every float initializer's elements without one. */
export function parameterCount(opened: Pick<OpenedModel, 'ir' | 'structure'>): number {
  if (opened.structure) return opened.structure.totals.params;
  let n = 0;
  for (const t of opened.ir.graph.initializers.values()) {
    if (isFloat(t.dtype)) n += elementCount(t.shape);
  }
  return n;
}

const CSS = `
.glass-overview { display: grid; gap: 10px; }
.glass-overview h3 { margin: 8px 0 2px; font-size: 1rem; }
.glass-overview table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.glass-overview th, .glass-overview td { text-align: left; padding: 1px 10px 1px 0; }
.glass-overview td.n { text-align: right; }
.glass-overview > table { justify-self: start; min-width: 20rem; }
.glass-overview p, .glass-overview ul { margin: 0; }
.glass-overview dl.size { display: flex; flex-wrap: wrap; gap: 2px 24px; margin: 0; }
.glass-overview dl.size div { display: flex; gap: 6px; }
.glass-overview dl.size dt { opacity: 0.7; }
.glass-overview dl.size dd { margin: 0; font-variant-numeric: tabular-nums; }
.glass-overview .problems li { color: #b00020; }
.glass-overview .finding-exploding, .glass-overview .finding-non-finite { color: #b00020; }
.glass-overview .finding-dead { color: #8a5a00; }
.glass-overview [hidden] { display: none !important; }
`;

function table(head: string[], rows: (string | number)[][], numeric: number[] = []) {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          {},
          ...r.map((c, i) => h('td', numeric.includes(i) ? { class: 'n' } : {}, String(c))),
        )
      ),
    ),
  );
}

const shapeText = (shape: readonly (number | string | null)[] | null | undefined) =>
  shape ? `[${shape.map((d) => d ?? '?').join('×')}]` : 'unknown';

/**
 * Mounts the overview in `host`; it redraws on every `model` event and runs the weight
 * statistics as a queue job (key `overview-weights`).
 */
export function mountOverview(host: HTMLElement, session: Session): { destroy(): void } {
  const root = h('section', { class: 'glass-overview', 'aria-label': 'Model overview' });
  host.append(h('style', {}, CSS), root);
  const render = () => {
    root.replaceChildren();
    const opened = session.opened;
    if (!opened) {
      root.append(h('p', {}, 'No model is open.'));
      return;
    }
    const { ir, structure } = opened;
    root.append(
      h(
        'p',
        { class: 'summary' },
        `${opened.name}: ${formatBytes(opened.bytes.length)}, ONNX opset ${ir.opset}` +
          (ir.producer ? `, made by ${ir.producer}` : '') + '.',
      ),
    );
    // Inputs and outputs.
    const planned = new Map(structure?.inputs.map((i) => [i.name, i.planned]) ?? []);
    const outShapes = new Map(structure?.outputs.map((o) => [o.name, o.shape]) ?? []);
    root.append(
      h('h3', {}, 'Inputs and outputs'),
      table(['', 'name', 'type', 'declared shape', 'planned shape'], [
        ...ir.graph.inputs.map((v) => [
          'input',
          v.name,
          v.dtype ?? '?',
          shapeText(v.shape),
          planned.has(v.name) ? shapeText(planned.get(v.name)!) : '—',
        ]),
        ...ir.graph.outputs.map((v) => [
          'output',
          v.name,
          v.dtype ?? '?',
          shapeText(v.shape),
          outShapes.get(v.name) ? shapeText(outShapes.get(v.name)!) : '—',
        ]),
      ]),
    );
    // Size.
    const params = parameterCount(opened);
    const size = h('dl', { class: 'size' });
    const item = (k: string, v: string, cls: string) =>
      size.append(h('div', { class: cls }, h('dt', {}, k), h('dd', {}, v)));
    item('Parameters', `${params.toLocaleString('en')} (${formatCount(params)})`, 'params');
    item('Nodes', `${ir.graph.nodes.length}`, 'nodes');
    if (structure) {
      const shapes = structure.inputs.map((i) => shapeText(i.planned)).join(', ');
      const batch = structure.inputs[0]?.planned[0] ?? 1;
      const per = batch > 1 ? structure.totals.flops / batch : structure.totals.flops;
      item(
        'FLOPs per example',
        `${formatCount(per)} (${structure.totals.flops.toLocaleString('en')} for inputs ` +
          `${shapes})`,
        'flops',
      );
    } else {
      item('FLOPs per example', 'unknown: the model was not planned', 'flops');
    }
    root.append(h('h3', {}, 'Size'), size);
    // Operators.
    const ops = operatorCounts(opened);
    root.append(
      h('h3', {}, `Operators (${ops.length} types)`),
      table(['operator', 'nodes'], ops, [1]),
    );
    // Weight storage.
    const notes = structure?.weights.notes ?? [];
    const stored = new Map<string, number>();
    for (const t of ir.graph.initializers.values()) {
      stored.set(t.dtype, (stored.get(t.dtype) ?? 0) + 1);
    }
    root.append(
      h('h3', {}, 'Weight storage'),
      h(
        'ul',
        { class: 'storage' },
        h(
          'li',
          {},
          stored.size
            ? `Initializers: ${
              [...stored].map(([d, n]) => `${n} ${d} tensor${n === 1 ? '' : 's'}`).join(', ')
            }.`
            : 'The file has no initializers.',
        ),
        ...notes.map((n) => h('li', {}, `${n[0].toUpperCase()}${n.slice(1)}.`)),
      ),
    );
    // Problems.
    root.append(
      h('h3', {}, 'What cannot run, and why'),
      opened.problems.length
        ? h('ul', { class: 'problems' }, ...opened.problems.map((p) => h('li', {}, p)))
        : h('p', { class: 'problems' }, 'Nothing: every operator runs here.'),
    );
    // Weight health.
    const health = h('div', { class: 'health', 'aria-live': 'polite' });
    root.append(h('h3', {}, 'Weight health'), health);
    runHealth(opened, health);
  };

  const runHealth = (opened: OpenedModel, out: HTMLElement) => {
    const model = opened.model;
    if (!session.engine) {
      out.append(h(
        'p',
        {},
        'Weight statistics need WebGPU, which this page does not have' +
          (session.engineProblem ? ` (${session.engineProblem.replace(/\.$/, '')})` : '') + '.',
      ));
      return;
    }
    if (!model) {
      out.append(h('p', {}, 'Weight statistics need a model that runs here; this one does not.'));
      return;
    }
    const names = [...opened.ir.graph.initializers]
      .filter(([, t]) => isFloat(t.dtype) && t.data.length > 0).map(([n]) => n);
    if (names.length === 0) {
      out.append(h('p', {}, 'The model has no float weights.'));
      return;
    }
    const bar = h('progress', { max: '1', 'aria-label': 'Computing weight statistics' });
    const label = h('span', {}, `Statistics of ${names.length} weight tensors…`);
    out.append(bar, ' ', label);
    const job = session.queue.submit(
      `Weight statistics of ${names.length} tensors`,
      async ({ signal, progress }) => {
        const all: WeightStatistics[] = [];
        const chunk = 16;
        for (let i = 0; i < names.length; i += chunk) {
          signal.throwIfAborted();
          all.push(...await modelWeightStats(model, { names: names.slice(i, i + chunk) }));
          progress(Math.min(names.length, i + chunk), names.length);
        }
        return all;
      },
      { key: 'overview-weights' },
    );
    const onChange = () => {
      if (job.fraction > 0) bar.value = job.fraction;
      label.textContent = `Statistics of ${names.length} weight tensors… ${formatEta(job.eta)}`;
    };
    session.queue.addEventListener('change', onChange);
    job.promise.then((stats) => {
      if (session.opened !== opened) return;
      out.replaceChildren(healthReport(stats));
    }, (error) => {
      if (session.opened !== opened || (error as Error)?.name === 'AbortError') return;
      out.replaceChildren(h(
        'p',
        { role: 'alert' },
        `Weight statistics failed: ${(error as Error).message ?? error}`,
      ));
    }).finally(() => session.queue.removeEventListener('change', onChange));
  };

  session.addEventListener('model', render);
  render();
  return {
    destroy() {
      session.removeEventListener('model', render);
      root.remove();
    },
  };
}

function healthReport(stats: WeightStatistics[]): HTMLElement {
  const findings = weightHealth(stats);
  const nonFinite = stats.reduce((a, s) => a + s.nan + s.posInf + s.negInf, 0);
  const box = h('div', {});
  box.append(h(
    'p',
    { class: 'health-summary' },
    `${stats.length} weight tensors checked: ` +
      (findings.length === 0
        ? 'all values finite, none dead, none far larger than the rest.'
        : `${findings.length} worth a look` +
          (nonFinite ? ` (${nonFinite} non-finite values in all)` : '') + '.'),
  ));
  if (findings.length) {
    box.append(h(
      'ul',
      { class: 'findings' },
      ...findings.map((f) =>
        h('li', { class: `finding-${f.kind}`, 'data-name': f.name }, f.message)
      ),
    ));
  }
  const num = (x: number) => Number.isFinite(x) ? x.toPrecision(3) : String(x);
  box.append(h(
    'details',
    {},
    h('summary', {}, 'Every weight tensor'),
    table(
      ['name', 'shape', 'mean', 'std', 'RMS', 'min', 'max', 'NaN', 'Inf'],
      stats.map((s) => [
        s.name,
        shapeText(s.shape),
        num(s.mean),
        num(s.std),
        num(s.count ? s.l2 / Math.sqrt(s.count) : 0),
        num(s.min),
        num(s.max),
        s.nan,
        s.posInf + s.negInf,
      ]),
      [2, 3, 4, 5, 6, 7, 8],
    ),
  ));
  return box;
}
