// `npm run bench:browser` (with the other bench files): frame times of the regl components in
// headless Chromium — <glass-projector> at 1,000,000 points and <glass-graph> at 10,000 nodes
// (plus <glass-weights> at 4096×4096). Without a GPU Chromium's WebGL is software (SwiftShader):
// the figures are labeled with the renderer and are not GPU speed claims.
import '../components/projector.ts';
import '../components/graph.ts';
import '../components/weights.ts';
import type { GlassProjector } from '../components/projector.ts';
import type { GlassGraph } from '../components/graph.ts';
import type { GlassWeights } from '../components/weights.ts';
import { mount, transformerStructure } from '../test/components_fixtures.ts';
import { test } from '../test/harness.ts';
import { quantile } from './harness.ts';

const SAMPLES = 15;

/** One frame, synchronized: draw, then read one pixel back (waits for the GPU process). */
function frame(el: { redraw(): void; regl: { read(o: object): unknown } | null }): number {
  const t = performance.now();
  el.redraw();
  el.regl!.read({ x: 0, y: 0, width: 1, height: 1 });
  return performance.now() - t;
}

function stats(times: number[]): string {
  return `median ${quantile(times, 0.5).toFixed(1)} ms, p95 ${quantile(times, 0.95).toFixed(1)} ms`;
}

function renderer(el: { regl: { _gl: WebGLRenderingContext } | null }): string {
  const gl = el.regl!._gl;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const software = /swiftshader|llvmpipe|software/i.test(String(name));
  return `${name}${software ? ' (software WebGL: not a GPU speed claim)' : ''}`;
}

function clusters(n: number, classes: number): { positions: Float32Array; labels: Int32Array } {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const positions = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const a = (2 * Math.PI * c) / classes;
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-12));
    const t = 2 * Math.PI * rand();
    positions[2 * i] = 5 * Math.cos(a) + r * Math.cos(t);
    positions[2 * i + 1] = 5 * Math.sin(a) + r * Math.sin(t);
    labels[i] = c;
  }
  return { positions, labels };
}

test(
  'components: projector 1M points, graph 10k nodes, weights 4096² (Chromium WebGL)',
  async () => {
    const lines: string[] = [];

    // Projector: 1,000,000 points in 10 classes, 800×600.
    const N = 1_000_000;
    const { positions, labels } = clusters(N, 10);
    const p = document.createElement('glass-projector') as GlassProjector;
    p.labels = labels;
    p.positions = positions;
    let t = performance.now();
    await mount(p, 800, 600);
    const first = frame(p);
    const setup = performance.now() - t;
    lines.push(`WebGL renderer: ${renderer(p as never)}`);
    const pan: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      (p as unknown as { view: { cx: number } }).view!.cx += 0.01;
      pan.push(frame(p));
    }
    // Interactive pans: the cached picture moves (one quad); the points are redrawn at rest.
    const frameEl = p.shadowRoot!.querySelector('.frame')!;
    const quick: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      t = performance.now();
      const key = i % 2 ? 'ArrowLeft' : 'ArrowRight';
      frameEl.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
      await new Promise((resolve) => requestAnimationFrame(resolve));
      p.regl!.read({ x: 0, y: 0, width: 1, height: 1 });
      quick.push(performance.now() - t);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const moved = positions.slice();
    const stream: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      for (let j = 0; j < moved.length; j += 2) moved[j] += 0.001;
      t = performance.now();
      p.setPositions(moved);
      frame(p);
      stream.push(performance.now() - t);
    }
    const picks: number[] = [];
    p.pick(400, 300); // builds the grid index
    for (let i = 0; i < SAMPLES; i++) {
      t = performance.now();
      p.pick(300 + i * 10, 300);
      picks.push(performance.now() - t);
    }
    t = performance.now();
    p.selected = 7;
    await p.updateComplete;
    frame(p);
    const select = performance.now() - t;
    lines.push(
      `projector 1M points: mount + upload + first frame ${setup.toFixed(0)} ms (frame ${
        first.toFixed(0)
      } ms); full frame (at rest) ${stats(pan)}; interactive pan (cached picture, incl. the wait ` +
        `for the animation frame) ${stats(quick)}; setPositions + frame ${stats(stream)} ` +
        `(buffer allocations ${p.bufferAllocations}); pick ${stats(picks)}; select + kNN + frame ` +
        `${select.toFixed(0)} ms`,
    );
    p.remove();

    // Graph: 10,000 nodes (transformer-like, 833 blocks of 12), uncollapsed and collapsed.
    const s = transformerStructure(833);
    const g = document.createElement('glass-graph') as GlassGraph;
    g.collapse = false;
    g.structure = s;
    t = performance.now();
    await mount(g, 800, 600);
    await g.layoutComplete;
    const gFirst = frame(g);
    const gSetup = performance.now() - t;
    const gPan: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      g.view!.cy += 5;
      gPan.push(frame(g));
    }
    // Zoomed out to the whole graph (every node on screen).
    const whole = g.view!;
    whole.scale = 600 / 20000;
    const gAll: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      whole.cy = 10000 + i;
      gAll.push(frame(g));
    }
    lines.push(
      `graph ${g.visibleNodes.length} nodes uncollapsed: layout ${g.layoutMs.toFixed(0)} ms ` +
        `(layered), mount + layout + first frame ${gSetup.toFixed(0)} ms (frame ${
          gFirst.toFixed(0)
        } ms); pan frame ${stats(gPan)}; whole graph on screen ${stats(gAll)}`,
    );
    g.collapse = true;
    t = performance.now();
    await g.layoutComplete;
    const cSetup = performance.now() - t;
    const cPan: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      g.view!.cy += 5;
      cPan.push(frame(g));
    }
    lines.push(
      `graph collapsed to ${g.visibleNodes.length} nodes (833 repeated blocks): dagre in ` +
        `segments ${g.layoutMs.toFixed(0)} ms (relayout ${cSetup.toFixed(0)} ms); pan frame ${
          stats(cPan)
        }`,
    );
    g.remove();

    // Weights: a 4096×4096 matrix.
    const n = 4096;
    const data = new Float32Array(n * n);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
    const w = document.createElement('glass-weights') as GlassWeights;
    w.data = data;
    w.shape = [n, n];
    t = performance.now();
    await mount(w, 600, 600);
    frame(w);
    const wSetup = performance.now() - t;
    const wPan: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      w.view!.scale = 0.15 * (1 + i / SAMPLES);
      wPan.push(frame(w));
    }
    lines.push(
      `weights 4096×4096: mount + texture upload + first frame ${
        wSetup.toFixed(0)
      } ms; zoom frame ${stats(wPan)}`,
    );
    w.remove();
    console.log(lines.join('\n'));
  },
  { timeout: 900_000 },
);
