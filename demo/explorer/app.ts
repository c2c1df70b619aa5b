/**
 * The explorer's shell: creates the {@linkcode Session} and lays out every panel — open a model,
 * its overview, the graph as navigator with the node panel, the input, predictions, explanations
 * and the global view — with the page's job list. `demo/main.ts` mounts it on the explorer page;
 * tests and benchmarks mount it into their own page.
 *
 * @module
 */

import '../../components/mod.ts';
import { createEngine, describeAdapter, type Engine } from '../../src/mod.ts';
import { mountOpen, type OpenOptions } from './open.ts';
import { mountOverview } from './overview.ts';
import { mountNavigator } from './navigator.ts';
import { mountNodePanel } from './node_panel.ts';
import { mountInputs } from './inputs.ts';
import { mountPredictions } from './predictions.ts';
import { mountExplain } from './explain_panel.ts';
import { mountGlobal } from './global_panel.ts';
import { mountJobs } from './jobs.ts';
import { bindUrlState, readUrlState, setViewState } from './url_state.ts';
import { Session } from './session.ts';
import { installStyle } from './style.ts';

/** Options of {@linkcode mountExplorer}. */
export interface ExplorerOptions {
  /** The engine to use; default a new one (`null`: run without WebGPU, structure only). */
  engine?: Engine | null;
  /** Where the bundled example models are served (default `/models/`). */
  modelBase?: string;
  /** Read and write the view state in the page's URL (default true). */
  url?: boolean;
}

/** A mounted explorer. */
export interface Explorer {
  readonly session: Session;
  /** The panels' hosts by id (`open`, `overview`, `graph`, `node`, `input`, `predict`, ...). */
  readonly panels: Readonly<Record<string, HTMLElement>>;
}

function section(id: string, title: string, className = 'gx-card'): HTMLElement {
  const el = document.createElement('section');
  el.id = `gx-${id}`;
  el.className = className;
  el.setAttribute('aria-label', title);
  if (title) {
    const h = document.createElement('h2');
    h.textContent = title;
    el.append(h);
  }
  return el;
}

/** Lays the explorer out in `root` and mounts every panel on one session. */
export async function mountExplorer(
  root: HTMLElement,
  options: ExplorerOptions = {},
): Promise<Explorer> {
  installStyle(root.ownerDocument);
  let engine = options.engine;
  let problem = '';
  if (engine === undefined) {
    try {
      engine = await createEngine();
    } catch (error) {
      engine = null;
      problem = error instanceof Error ? error.message : String(error);
    }
  } else if (engine === null) problem = 'No WebGPU engine was given.';
  const session = new Session(engine, problem);

  root.classList.add('gx-app');
  const head = document.createElement('header');
  head.className = 'gx-bar';
  const title = document.createElement('h1');
  title.textContent = 'glassbox explorer';
  const adapter = document.createElement('span');
  adapter.className = 'gx-muted';
  adapter.id = 'gx-adapter';
  if (engine) {
    adapter.textContent = `GPU: ${describeAdapter(engine.info)}` +
      (engine.info.isFallbackAdapter
        ? ' — a software adapter: correct but slow, so the methods start with fewer steps and ' +
          'samples (16; 50 on a GPU).'
        : '');
  } else {
    adapter.className = 'gx-bad';
    adapter.textContent = `No WebGPU here, so nothing can be computed; structure and weights ` +
      `still show. ${problem}`;
  }
  const links = document.createElement('span');
  links.className = 'gx-muted';
  links.innerHTML =
    '<a href="/demo/gallery.html">gallery</a> · <a href="/demo/selfcheck.html">self-check</a>';
  head.append(title, adapter, links);

  const panels: Record<string, HTMLElement> = {
    open: section('open', ''),
    overview: section('overview', 'Overview'),
    graph: section('graph', 'Graph'),
    node: section('node', 'Node'),
    input: section('input', 'Input'),
    predict: section('predict', 'Prediction'),
    explain: section('explain', 'Explanations'),
    global: section('global', 'Global view'),
    jobs: section('jobs', '', 'gx-jobs'),
  };
  const workbench = document.createElement('div');
  workbench.className = 'gx-grid';
  workbench.append(panels.graph, panels.node);
  const inputRow = document.createElement('div');
  inputRow.className = 'gx-grid2';
  inputRow.append(panels.input, panels.predict);
  root.append(
    head,
    panels.open,
    panels.overview,
    workbench,
    inputRow,
    panels.explain,
    panels.global,
    panels.jobs,
  );
  // Panels that only make sense with a model stay hidden until one is open.
  const modelPanels = ['overview', 'graph', 'node', 'input', 'predict', 'explain', 'global'];
  const showPanels = () => {
    for (const id of modelPanels) panels[id].hidden = !session.opened;
  };
  session.addEventListener('model', showPanels);
  showPanels();

  const openOptions: OpenOptions = { modelBase: options.modelBase ?? '/models/' };
  // A shared link's view state (methods and their options) is there before the panels read it.
  if (options.url !== false) {
    for (const [key, value] of Object.entries(readUrlState(location.search).view)) {
      setViewState(key, value);
    }
  }
  mountOpen(panels.open, session, openOptions);
  mountOverview(panels.overview, session);
  mountNavigator(panels.graph, session);
  mountNodePanel(panels.node, session);
  mountInputs(panels.input, session);
  mountPredictions(panels.predict, session);
  mountExplain(panels.explain, session);
  mountGlobal(panels.global, session);
  mountJobs(panels.jobs, session.queue);
  if (options.url !== false) await bindUrlState(session, openOptions);
  return { session, panels };
}
