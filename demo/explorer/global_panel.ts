/**
 * The explorer's global view: on a dataset the user drops or picks (a folder of images labeled by
 * subfolder, `.npy` inputs and labels, or a bundled example's 200 test samples), distill a
 * surrogate of the opened model (`distill`, shown in `<glass-surrogate>`) and train linear probes
 * on its layers (`probeLayers`, shown in `<glass-probes>`). Both run on the session's queue as
 * background jobs (keys `global-surrogate` and `global-probes`) with progress and a cancel
 * button; each view has PNG / SVG / Data export buttons.
 *
 * The host fires `explorer-dataset` (detail: the {@linkcode Dataset}, or `{error}`) when a
 * dataset was read or refused.
 *
 * @module
 */

import '../../components/surrogate.ts';
import '../../components/probes.ts';
import type { GlassSurrogate } from '../../components/surrogate.ts';
import type { GlassProbes } from '../../components/probes.ts';
import {
  defaultProbeLayers,
  distill,
  type Model,
  probeLayers,
  type ProbeReport,
  type Surrogate,
  SURROGATE_KINDS,
  type SurrogateKind,
} from '../../src/mod.ts';
import type { Job } from './scheduler.ts';
import type { Session } from './session.ts';
import {
  type Dataset,
  DatasetError,
  type DatasetFile,
  filesFromDataTransfer,
  filesFromInput,
  type InputSpec,
  inputSpec,
  readDataset,
  takeFirst,
} from './dataset.ts';
import { mountExportButtons } from './export.ts';
import { make as el } from './dom.ts';

/** Options of {@linkcode mountGlobal}. */
export interface GlobalOptions {
  /** Where the bundled examples' files are served (default `/models/`). */
  modelBase?: string;
}

/** The mounted global view. */
export interface GlobalPanel {
  /** The dataset in use, or null. */
  readonly dataset: Dataset | null;
  /** The surrogate view. */
  readonly surrogateView: GlassSurrogate;
  /** The probes view. */
  readonly probesView: GlassProbes;
  /** Reads files as a drop or the file pickers do (errors are shown and rethrown). */
  loadFiles(files: readonly DatasetFile[]): Promise<Dataset>;
  /** Loads the bundled example's test samples (errors are shown and rethrown). */
  loadSamples(): Promise<Dataset>;
  /** Starts distilling with the form's settings (as the Distill button); null when it cannot. */
  runSurrogate(): Job<Surrogate> | null;
  /** Starts the probes with the form's settings (as the button); null when it cannot. */
  runProbes(): Job<ProbeReport> | null;
  /** Removes the view and its listeners; cancels its jobs. */
  destroy(): void;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function numbers(text: string): number[] | undefined {
  const v = text.split(/[\s,;]+/).filter((s) => s).map(Number);
  return v.length && v.every(Number.isFinite) ? v : undefined;
}

/** Builds the global view inside `host`; see the module doc. */
export function mountGlobal(
  host: HTMLElement,
  session: Session,
  options: GlobalOptions = {},
): GlobalPanel {
  const modelBase = options.modelBase ?? '/models/';
  const root = el('div', { className: 'gx-global' });
  host.append(root);

  // --- dataset ---
  const drop = el('div', { className: 'gx-drop', tabIndex: 0 });
  drop.setAttribute('aria-label', 'Dataset: drop a folder of images or .npy files here');
  const samples = el('button', { type: 'button', textContent: 'Use the bundled test samples' });
  samples.dataset.action = 'samples';
  const folder = el('input', { type: 'file', multiple: true });
  folder.webkitdirectory = true;
  folder.setAttribute('aria-label', 'Choose a folder of images (one subfolder per class)');
  const picker = el('input', {
    type: 'file',
    multiple: true,
    accept: '.npy,.txt,.csv,.json,image/*',
  });
  picker.setAttribute('aria-label', 'Choose .npy inputs and a labels file');
  const mean = el('input', { name: 'mean', placeholder: '0', size: 10 });
  const std = el('input', { name: 'std', placeholder: '1', size: 10 });
  const limit = el('input', { type: 'number', name: 'limit', min: '8', value: '1000' });
  limit.style.width = '6em';
  const datasetStatus = el('p', { className: 'gx-dataset-status gx-muted' });
  datasetStatus.setAttribute('role', 'status');
  drop.append(
    el(
      'p',
      {},
      'Drop a folder of images (one subfolder per class) or a .npy of inputs with a .npy, .txt ' +
        'or .json of labels here, or: ',
      samples,
    ),
    el(
      'p',
      {},
      el('label', {}, 'Folder ', folder),
      ' ',
      el('label', {}, 'Files ', picker),
    ),
    el(
      'p',
      { className: 'gx-muted' },
      'Images are resized to the model input and scaled to [0, 1], then ',
      el('label', {}, '− mean ', mean),
      ' ',
      el('label', {}, '÷ std ', std),
      ' (one value or one per channel). ',
      el('label', {}, 'Use at most ', limit, ' examples.'),
    ),
    datasetStatus,
  );
  drop.style.cssText = 'border: 2px dashed var(--gx-line); border-radius: 8px; padding: 0 0.8rem;';

  // --- surrogate ---
  const kind = el('select', { name: 'kind' });
  for (const k of SURROGATE_KINDS) kind.append(el('option', { value: k, textContent: k }));
  const sEpochs = el('input', { type: 'number', name: 'epochs', min: '1', value: '40' });
  sEpochs.style.width = '5em';
  const sRun = el('button', { type: 'button', textContent: 'Distill' });
  const sCancel = el('button', { type: 'button', textContent: 'Cancel', hidden: true });
  const sProgress = el('progress', { max: 1, value: 0, hidden: true });
  const sStatus = el('p', { className: 'gx-surrogate-status gx-muted' });
  sStatus.setAttribute('role', 'status');
  const surrogateView = document.createElement('glass-surrogate') as GlassSurrogate;
  surrogateView.hidden = true;
  const sExport = el('div');
  const surrogateBox = el(
    'div',
    { className: 'gx-surrogate' },
    el('h3', { textContent: 'Surrogate' }),
    el(
      'p',
      { className: 'gx-muted' },
      'An interpretable model fitted to the model’s outputs (not the labels); fidelity is its ' +
        'agreement with the model on held-out examples.',
    ),
    el(
      'p',
      {},
      el('label', {}, 'Kind ', kind),
      ' ',
      el('label', {}, 'Epochs ', sEpochs),
      ' ',
      sRun,
      ' ',
      sCancel,
      ' ',
      sProgress,
    ),
    sStatus,
    surrogateView,
    sExport,
  );

  // --- probes ---
  const layersBox = el('fieldset', { className: 'gx-layers' });
  layersBox.style.cssText = 'max-height: 10rem; overflow: auto; border: 1px solid var(--gx-line);';
  layersBox.append(el('legend', { textContent: 'Layers' }));
  const pEpochs = el('input', {
    type: 'number',
    name: 'probe-epochs',
    min: '1',
    placeholder: 'auto',
  });
  pEpochs.style.width = '5em';
  const pRun = el('button', { type: 'button', textContent: 'Train probes' });
  const pCancel = el('button', { type: 'button', textContent: 'Cancel', hidden: true });
  const pProgress = el('progress', { max: 1, value: 0, hidden: true });
  const pStatus = el('p', { className: 'gx-probes-status gx-muted' });
  pStatus.setAttribute('role', 'status');
  const probesView = document.createElement('glass-probes') as GlassProbes;
  probesView.hidden = true;
  probesView.style.height = '360px';
  const pExport = el('div');
  const probesBox = el(
    'div',
    { className: 'gx-probes' },
    el('h3', { textContent: 'Probes' }),
    el(
      'p',
      { className: 'gx-muted' },
      'A linear probe per layer predicts the dataset’s labels from the layer’s activations; the ' +
        'control task (random labels per class) shows how much a probe learns by itself.',
    ),
    layersBox,
    el('p', {}, el('label', {}, 'Epochs ', pEpochs), ' ', pRun, ' ', pCancel, ' ', pProgress),
    pStatus,
    probesView,
    pExport,
  );
  const message = el('p', { className: 'gx-empty' });
  const views = el('div', { className: 'gx-grid2' }, surrogateBox, probesBox);
  root.append(message, drop, views);
  mountExportButtons(sExport, surrogateView, 'surrogate');
  mountExportButtons(pExport, probesView, 'probes');

  let dataset: Dataset | null = null;
  let spec: InputSpec | null = null;
  let loading: AbortController | null = null;
  let sJob: Job<Surrogate> | null = null;
  let pJob: Job<ProbeReport> | null = null;

  const model = (): Model | null => session.opened?.model ?? null;
  const knownLabels = () => session.labels;

  const showDatasetError = (e: unknown) => {
    datasetStatus.textContent = (e as Error).message ?? String(e);
    datasetStatus.setAttribute('role', 'alert');
    datasetStatus.className = 'gx-dataset-status gx-bad';
    host.dispatchEvent(
      new CustomEvent('explorer-dataset', { detail: { error: (e as Error).message } }),
    );
  };

  const refresh = () => {
    const m = model();
    const ready = Boolean(m && spec && dataset && session.engine);
    sRun.disabled = !ready || (sJob !== null);
    pRun.disabled = !ready || !dataset?.labels || pJob !== null;
    pRun.title = dataset && !dataset.labels ? 'Probes need labels' : '';
  };

  const setLayers = (m: Model | null) => {
    layersBox.replaceChildren(el('legend', { textContent: 'Layers' }));
    if (!m) return;
    let names: string[];
    try {
      names = defaultProbeLayers(m);
    } catch {
      names = [];
    }
    for (const name of names) {
      const box = el('input', { type: 'checkbox', value: name, checked: true });
      layersBox.append(el('label', { className: 'gx-layer' }, box, ` ${name} `));
    }
  };

  const reset = () => {
    loading?.abort();
    dataset = null;
    spec = null;
    sJob = pJob = null;
    surrogateView.hidden = probesView.hidden = true;
    surrogateView.surrogate = null;
    probesView.report = null;
    sStatus.textContent = pStatus.textContent = '';
    sProgress.hidden =
      pProgress.hidden =
      sCancel.hidden =
      pCancel.hidden =
        true;
    datasetStatus.textContent = '';
    datasetStatus.setAttribute('role', 'status');
    datasetStatus.className = 'gx-dataset-status gx-muted';
    const opened = session.opened;
    const m = model();
    samples.hidden = !opened?.example?.samples;
    drop.hidden = views.hidden = !m;
    message.textContent = '';
    if (!opened) message.textContent = 'Open a model to see its global view.';
    else if (!m) {
      message.textContent = 'The global view needs a model that runs here: ' +
        (opened.problems.join(' ') || 'it cannot run.');
    } else if (!session.engine) {
      message.textContent = `The global view needs WebGPU: ${session.engineProblem}`;
    } else {
      try {
        if (m.inputs.length !== 1) {
          throw new DatasetError(
            `the model has ${m.inputs.length} inputs; surrogates and probes take models with one`,
          );
        }
        spec = inputSpec(m.inputs[0]);
      } catch (e) {
        message.textContent = `The global view cannot use this model: ${(e as Error).message}`;
        drop.hidden = views.hidden = true;
      }
    }
    setLayers(m);
    refresh();
  };

  const accept = (ds: Dataset): Dataset => {
    const max = Math.floor(Number(limit.value));
    const used = max >= 8 ? takeFirst(ds, max) : ds;
    // Bare class indices of a model with known class names (the bundled samples) take those names.
    const names = session.labels;
    if (!used.classNames && used.labels && names && used.labels.every((l) => l < names.length)) {
      used.classNames = [...names];
    }
    dataset = used;
    datasetStatus.className = 'gx-dataset-status gx-ok';
    datasetStatus.setAttribute('role', 'status');
    const classes = used.classNames
      ? `; classes: ${used.classNames.slice(0, 12).join(', ')}${
        used.classNames.length > 12 ? ', …' : ''
      }`
      : '';
    datasetStatus.textContent = `Dataset: ${used.summary}${classes}.`;
    host.dispatchEvent(new CustomEvent('explorer-dataset', { detail: used }));
    refresh();
    return used;
  };

  const loadFiles = async (files: readonly DatasetFile[]): Promise<Dataset> => {
    loading?.abort();
    const controller = loading = new AbortController();
    try {
      if (!spec) throw new DatasetError('Open a model that runs here before choosing a dataset');
      datasetStatus.className = 'gx-dataset-status gx-muted';
      datasetStatus.textContent = `Reading ${files.length} files…`;
      const ds = await readDataset(files, spec, {
        knownLabels: knownLabels(),
        mean: numbers(mean.value),
        std: numbers(std.value),
        signal: controller.signal,
        onProgress: (done, total) => {
          datasetStatus.textContent = `Reading images: ${done} / ${total}`;
        },
      });
      controller.signal.throwIfAborted();
      return accept(ds);
    } catch (e) {
      if (!controller.signal.aborted) showDatasetError(e);
      throw e;
    }
  };

  const loadSamples = async (): Promise<Dataset> => {
    const ex = session.opened?.example;
    let files: DatasetFile[];
    try {
      if (!ex?.samples) throw new DatasetError('This model has no bundled test samples');
      datasetStatus.className = 'gx-dataset-status gx-muted';
      datasetStatus.textContent = 'Fetching the test samples…';
      const base = new URL(modelBase, location.href);
      const fetchFile = async (path: string): Promise<DatasetFile> => {
        const url = new URL(path, base);
        const r = await fetch(url);
        if (!r.ok) throw new DatasetError(`Cannot fetch ${url.pathname}: HTTP ${r.status}`);
        return { path: path.split('/').pop()!, file: await r.blob() };
      };
      files = await Promise.all([fetchFile(ex.samples.inputs), fetchFile(ex.samples.labels)]);
    } catch (e) {
      showDatasetError(e);
      throw e;
    }
    return await loadFiles(files);
  };

  const track = (
    job: Job<unknown>,
    progress: HTMLProgressElement,
    cancel: HTMLButtonElement,
  ) => {
    progress.hidden = cancel.hidden = false;
    progress.value = 0;
    const onChange = () => {
      progress.value = job.fraction;
      if (job.state !== 'queued' && job.state !== 'running') {
        session.queue.removeEventListener('change', onChange);
        progress.hidden = cancel.hidden = true;
      }
    };
    session.queue.addEventListener('change', onChange);
    cancel.onclick = () => job.cancel('cancelled by the user');
  };

  const failed = (status: HTMLElement, what: string, e: unknown) => {
    const cancelled = (e as Error)?.name === 'AbortError';
    // Its own class (gx-surrogate-status, gx-probes-status) stays: only the tone changes.
    status.classList.remove('gx-muted', 'gx-ok', 'gx-bad');
    status.classList.add(cancelled ? 'gx-muted' : 'gx-bad');
    status.setAttribute('role', cancelled ? 'status' : 'alert');
    status.textContent = cancelled
      ? `${what} cancelled.`
      : `${what} failed: ${(e as Error).message}`;
  };

  const runSurrogate = (): Job<Surrogate> | null => {
    const m = model();
    const ds = dataset;
    if (!m || !ds || !session.engine) return null;
    const k = kind.value as SurrogateKind;
    const epochs = Math.max(1, Math.floor(Number(sEpochs.value)) || 40);
    const labels = ds.labels ?? undefined;
    const job = session.queue.submit(
      `Distill a ${k} surrogate (${ds.count} examples)`,
      async ({ signal, progress }) =>
        await distill(m, ds.inputs, {
          kind: k,
          epochs,
          labels,
          signal,
          // The teacher pass is about a third of the time of a dense fit on software adapters.
          onProgress: (phase, done, total) =>
            progress(phase === 'teacher' ? (done / total) * 0.3 : 0.3 + (done / total) * 0.7, 1),
        }),
      { priority: 'background', key: 'global-surrogate' },
    );
    sJob = job;
    sStatus.className = 'gx-surrogate-status gx-muted';
    sStatus.setAttribute('role', 'status');
    sStatus.textContent = `Distilling a ${k} surrogate on ${ds.count} examples…`;
    track(job, sProgress, sCancel);
    refresh();
    job.promise.then((s) => {
      if (sJob !== job) return;
      surrogateView.classNames = session.labels?.length === s.classes ? session.labels : null;
      surrogateView.surrogate = s;
      surrogateView.hidden = false;
      const acc = s.accuracy
        ? `; accuracy on the labels ${pct(s.accuracy.surrogate)} (model ${pct(s.accuracy.model)})`
        : '';
      sStatus.textContent = `Fidelity ${pct(s.fidelity.agreement)} on ${s.fidelity.count} ` +
        `held-out examples (KL ${s.fidelity.kl.toFixed(3)} nats)${acc}; ` +
        `${(s.timeMs / 1000).toFixed(1)} s.`;
      sStatus.dataset.agreement = String(s.fidelity.agreement);
    }, (e) => {
      if (sJob === job) failed(sStatus, 'Distillation', e);
    }).finally(() => {
      if (sJob === job) sJob = null;
      refresh();
    });
    return job;
  };

  const runProbes = (): Job<ProbeReport> | null => {
    const m = model();
    const ds = dataset;
    if (!m || !ds || !session.engine) return null;
    if (!ds.labels) {
      pStatus.className = 'gx-bad';
      pStatus.setAttribute('role', 'alert');
      pStatus.textContent = 'Probes need labels: drop a folder with one subfolder per class, or ' +
        'add a labels file.';
      return null;
    }
    const layers = [...layersBox.querySelectorAll<HTMLInputElement>('input:checked')].map((b) =>
      b.value
    );
    if (layers.length === 0) {
      pStatus.className = 'gx-bad';
      pStatus.setAttribute('role', 'alert');
      pStatus.textContent = 'Choose at least one layer to probe.';
      return null;
    }
    const epochs = Math.floor(Number(pEpochs.value)) || undefined;
    const labels = ds.labels;
    const tokenIds = /int/.test(spec?.dtype ?? '')
      ? ds.inputs.data as ArrayLike<number>
      : undefined;
    const job = session.queue.submit(
      `Probe ${layers.length} layers (${ds.count} examples)`,
      async ({ signal, progress }) =>
        await probeLayers(m, ds.inputs, labels, {
          layers,
          epochs,
          tokenIds,
          signal,
          // Capture is one pass; the probes take the rest.
          onProgress: (phase, done, total) =>
            progress(
              phase === 'probe' ? 0.2 + (done / total) * 0.8 : (done / total) * 0.2,
              1,
            ),
        }),
      { priority: 'background', key: 'global-probes' },
    );
    pJob = job;
    pStatus.className = 'gx-probes-status gx-muted';
    pStatus.setAttribute('role', 'status');
    pStatus.textContent = `Training probes on ${layers.length} layers…`;
    track(job, pProgress, pCancel);
    refresh();
    job.promise.then((r) => {
      if (pJob !== job) return;
      probesView.report = r;
      probesView.hidden = false;
      const best = r.layers.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
      pStatus.textContent = `Best layer ${best.layer}: ${pct(best.accuracy)} held-out accuracy ` +
        `(control ${pct(best.controlAccuracy)}, majority ${pct(r.task.majority)}); ` +
        `${(r.timeMs / 1000).toFixed(1)} s.`;
    }, (e) => {
      if (pJob === job) failed(pStatus, 'Probing', e);
    }).finally(() => {
      if (pJob === job) pJob = null;
      refresh();
    });
    return job;
  };

  // --- wiring ---
  const ignore = () => {};
  samples.addEventListener('click', () => void loadSamples().catch(ignore));
  folder.addEventListener('change', () => {
    if (folder.files?.length) void loadFiles(filesFromInput(folder.files)).catch(ignore);
  });
  picker.addEventListener('change', () => {
    if (picker.files?.length) void loadFiles(filesFromInput(picker.files)).catch(ignore);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.style.borderColor = 'var(--gx-accent)';
  });
  drop.addEventListener('dragleave', () => (drop.style.borderColor = ''));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.style.borderColor = '';
    if (!e.dataTransfer) return;
    void filesFromDataTransfer(e.dataTransfer).then(loadFiles).catch(ignore);
  });
  sRun.addEventListener('click', () => void runSurrogate());
  pRun.addEventListener('click', () => void runProbes());
  const onModel = () => reset();
  const onLabels = () => {
    const s = surrogateView.surrogate;
    if (s) surrogateView.classNames = session.labels?.length === s.classes ? session.labels : null;
  };
  session.addEventListener('model', onModel);
  session.addEventListener('labels', onLabels);
  reset();

  return {
    get dataset() {
      return dataset;
    },
    surrogateView,
    probesView,
    loadFiles,
    loadSamples,
    runSurrogate,
    runProbes,
    destroy() {
      session.removeEventListener('model', onModel);
      session.removeEventListener('labels', onLabels);
      loading?.abort();
      sJob?.cancel('the view was closed');
      pJob?.cancel('the view was closed');
      root.remove();
    },
  };
}
