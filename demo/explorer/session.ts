/**
 * The explorer's state: the engine, the work queue, the opened model, the current input, class
 * labels and the selected node. Panels read it and listen for its events; nothing else is shared
 * between panels.
 *
 * Events (plain `Event`s; read the new state from the session): `model` (another model was opened
 * or the model was closed), `input` (the input changed: a new `version`), `labels`, `select` (the
 * selected node), `state` (something that belongs in the shareable URL changed).
 *
 * @module
 */

import type {
  Engine,
  InputData,
  Model,
  ModelIR,
  ModelStructure,
  NodeStructure,
} from '../../src/mod.ts';
import type { ExampleModel } from '../../models/index.d.ts';
import { WorkQueue } from './scheduler.ts';

/** A model file the explorer opened. */
export interface OpenedModel {
  /** File name, or the last part of the URL. */
  name: string;
  /** Where it came from: a URL (shareable) or a local file (not shareable). */
  url?: string;
  /** The bundled example it is, if any. */
  example?: ExampleModel;
  /** The file's bytes. */
  bytes: Uint8Array;
  /** The parsed graph: always present (a file that does not parse is never opened). */
  ir: ModelIR;
  /** The runnable model, or null when it cannot run here (see `problems`). */
  model: Model | null;
  /**
   * Its structure at the default input shapes (nodes, shapes, parameters, FLOPs), or null when
   * the model cannot be planned (then the graph is drawn from `ir`).
   */
  structure: ModelStructure | null;
  /** Why it cannot run (one sentence each: unsupported operators, failed planning, ...). */
  problems: string[];
}

/** The current input of the opened model. */
export interface ExplorerInput {
  /** Feeds for `run`/`explain`, one per model input that has to be given. */
  feeds: Record<string, InputData>;
  /** Which model input is the explained one (images, token ids). */
  explained: string;
  /** Increases on every edit; a result for another version is stale and is not shown. */
  version: number;
  /** For image inputs: the image as the model sees it (after resize/crop), for overlays. */
  image?: { width: number; height: number; rgba: Uint8ClampedArray };
  /** For token inputs: the token strings, one per id. */
  tokens?: string[];
  /** One line for people ("digit drawn on the pad, 1×1×28×28"). */
  summary: string;
}

/** The explorer's state; see the module doc for its events. */
export class Session extends EventTarget {
  /** Null when the page has no WebGPU (then only structure and weights statistics show). */
  readonly engine: Engine | null;
  /** Why there is no engine, when there is none. */
  readonly engineProblem: string;
  /** All GPU work of the page goes through it. */
  readonly queue: WorkQueue = new WorkQueue();
  #opened: OpenedModel | null = null;
  #input: ExplorerInput | null = null;
  #labels: string[] | null = null;
  #selected: string | null = null;
  #version = 0;

  constructor(engine: Engine | null, engineProblem = '') {
    super();
    this.engine = engine;
    this.engineProblem = engineProblem;
  }

  get opened(): OpenedModel | null {
    return this.#opened;
  }

  get input(): ExplorerInput | null {
    return this.#input;
  }

  /** Class names of the model's output, if known (from a labels file or the example). */
  get labels(): string[] | null {
    return this.#labels;
  }

  /** The selected node's name. */
  get selected(): string | null {
    return this.#selected;
  }

  /** The selected node's structure, when the model has one. */
  get selectedNode(): NodeStructure | null {
    const name = this.#selected;
    return this.#opened?.structure?.nodes.find((n) => n.name === name) ?? null;
  }

  /** Replaces the opened model (the old one's GPU memory is released, its jobs cancelled). */
  setModel(opened: OpenedModel | null): void {
    this.queue.cancelAll('another model was opened');
    this.#opened?.model?.destroy();
    this.#opened = opened;
    this.#input = null;
    this.#selected = null;
    this.#labels = opened?.example?.labels ? [...opened.example.labels] : null;
    this.#fire('model');
    this.#fire('labels');
    this.#fire('select');
    this.#fire('state');
  }

  /** Sets the input; `version` is assigned here. Returns the stored input. */
  setInput(input: Omit<ExplorerInput, 'version'> | null): ExplorerInput | null {
    this.#input = input ? { ...input, version: ++this.#version } : null;
    this.#fire('input');
    return this.#input;
  }

  /** Whether `version` is still the current input's. */
  isCurrent(version: number): boolean {
    return this.#input?.version === version;
  }

  setLabels(labels: string[] | null): void {
    this.#labels = labels;
    this.#fire('labels');
  }

  select(node: string | null): void {
    if (node === this.#selected) return;
    this.#selected = node;
    this.#fire('select');
    this.#fire('state');
  }

  /** Tells listeners that shareable state (method, options, ...) changed. */
  stateChanged(): void {
    this.#fire('state');
  }

  #fire(type: string): void {
    this.dispatchEvent(new Event(type));
  }
}
