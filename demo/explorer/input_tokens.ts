/**
 * Token-id inputs: vocabularies (the bundled models' `text_vocab.json`, a Hugging Face
 * `tokenizer.json` word-level/WordPiece vocabulary, a plain `{token: id}` object or an array of
 * token strings), tokenization of typed text the way the bundled text model was trained (lower
 * case, `[a-z0-9]+` words, unknown words to `[UNK]`, padded with `[PAD]`), raw ids, and the range
 * check of ids against the model's embedding table. The pure parts are tested in
 * `input_tokens_test.ts`; {@linkcode mountTokenInput} is the editor.
 *
 * @module
 */

import type { ModelIR } from '../../src/mod.ts';
import { el } from './dom.ts';

/** A vocabulary: token strings by id, and how text is split. */
export interface Vocabulary {
  /** Token strings by id (holes are `''`). */
  tokens: string[];
  /** Id by token string. */
  index: Map<string, number>;
  /** Id of padding. */
  padId: number;
  /** Id of unknown words. */
  unkId: number;
  /** Lower-case the text first. */
  lowercase: boolean;
  /** What a word is (global, unicode). */
  pattern: RegExp;
  /** Ids per example the vocabulary was made for, if it says. */
  seqLen?: number;
  /** Class names, if the vocabulary file carries them (the bundled one does). */
  classes?: string[];
}

/** The result of {@linkcode tokenize}. */
export interface Tokenized {
  /** `length` ids: the words' ids then padding. */
  ids: number[];
  /** The token string of each id (padding included). */
  tokens: string[];
  /** Words kept (before padding). */
  count: number;
  /** Words not in the vocabulary (mapped to the unknown id). */
  unknown: number;
  /** Words cut off beyond `length`. */
  truncated: number;
}

const find = (tokens: string[], names: string[]) => {
  const i = tokens.findIndex((t) => names.includes(t));
  return i >= 0 ? i : undefined;
};

/**
 * Parses a vocabulary file's text (see the module doc for the formats). Throws an Error naming
 * what is wrong.
 */
export function parseVocabulary(text: string): Vocabulary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The vocabulary is not valid JSON: ${(error as Error).message}`);
  }
  let tokens: string[];
  let meta: Record<string, unknown> = {};
  if (Array.isArray(value)) tokens = value.map(String);
  else if (value && typeof value === 'object') {
    meta = value as Record<string, unknown>;
    const model = meta.model as Record<string, unknown> | undefined;
    const vocab = Array.isArray(meta.tokens)
      ? meta.tokens
      : model && typeof model.vocab === 'object'
      ? model.vocab
      : meta.vocab ?? meta;
    if (Array.isArray(vocab)) tokens = vocab.map(String);
    else {
      tokens = [];
      for (const [t, id] of Object.entries(vocab as Record<string, unknown>)) {
        if (!Number.isInteger(id) || (id as number) < 0) {
          throw new Error(
            `The vocabulary maps '${t}' to ${JSON.stringify(id)}, not a token id: give an ` +
              'array of tokens, {"tokens": [...]}, or {token: id}.',
          );
        }
        tokens[id as number] = t;
      }
      tokens = Array.from(tokens, (t) => t ?? '');
    }
  } else throw new Error('The vocabulary must be a JSON array or object.');
  if (tokens.length === 0) throw new Error('The vocabulary has no tokens.');
  const index = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (t !== '' && !index.has(t)) index.set(t, i);
  });
  const normalizer = meta.normalizer as Record<string, unknown> | null | undefined;
  const lowercase = typeof meta.lowercase === 'boolean'
    ? meta.lowercase
    : normalizer?.lowercase === true || index.has('the') && !index.has('The');
  let pattern: RegExp;
  const source = typeof meta.token_regex === 'string' ? meta.token_regex : '[\\p{L}\\p{N}]+|[^\\s]';
  try {
    pattern = new RegExp(source, 'gu');
  } catch (error) {
    throw new Error(
      `The vocabulary's token_regex is not a valid pattern: ${(error as Error).message}`,
    );
  }
  const padId = Number.isInteger(meta.pad_id)
    ? meta.pad_id as number
    : find(tokens, ['[PAD]', '<pad>', '<PAD>']) ?? 0;
  const unkId = Number.isInteger(meta.unk_id)
    ? meta.unk_id as number
    : find(tokens, ['[UNK]', '<unk>', '<UNK>']) ?? padId;
  return {
    tokens,
    index,
    padId,
    unkId,
    lowercase,
    pattern,
    seqLen: Number.isInteger(meta.seq_len) ? meta.seq_len as number : undefined,
    classes: Array.isArray(meta.classes) ? meta.classes.map(String) : undefined,
  };
}

/** Splits text into words with the vocabulary's pattern and maps them to `length` ids. */
export function tokenize(text: string, vocab: Vocabulary, length: number): Tokenized {
  const source = vocab.lowercase ? text.toLowerCase() : text;
  const words = source.match(new RegExp(vocab.pattern.source, 'gu')) ?? [];
  const kept = words.slice(0, length);
  let unknown = 0;
  const ids = kept.map((w) => {
    const id = vocab.index.get(w);
    if (id === undefined) unknown++;
    return id ?? vocab.unkId;
  });
  const count = ids.length;
  while (ids.length < length) ids.push(vocab.padId);
  return {
    ids,
    tokens: ids.map((id, i) => i < count && id === vocab.unkId ? kept[i] : vocab.tokens[id]),
    count,
    unknown,
    truncated: words.length - kept.length,
  };
}

/**
 * Parses ids separated by commas, spaces or new lines ("12, 7 301"). Throws an Error naming the
 * first entry that is not a non-negative integer.
 */
export function parseIds(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p)) {
      throw new Error(`Token id ${i + 1} ('${p}') is not a non-negative integer.`);
    }
    return Number(p);
  });
}

/** A sentence about the first id at or beyond `size` (null when all are in range). */
export function idsOutOfRange(ids: readonly number[], size: number): string | null {
  const i = ids.findIndex((id) => id < 0 || id >= size);
  if (i < 0) return null;
  return `Token id ${ids[i]} (position ${i + 1}) is out of range: the model's embedding table ` +
    `has ${size} rows (ids 0..${size - 1}).`;
}

/**
 * Rows of the embedding table that `input` indexes (a Gather from an initializer, directly or
 * through a Cast), or null when the graph does not say.
 */
export function embeddingRows(ir: ModelIR, input: string): number | null {
  const names = new Set([input]);
  for (const n of ir.graph.nodes) {
    if (n.op === 'Cast' && names.has(n.inputs[0])) names.add(n.outputs[0]);
  }
  for (const n of ir.graph.nodes) {
    if (n.op !== 'Gather' || !names.has(n.inputs[1])) continue;
    const axis = Number(n.attributes.axis ?? 0);
    const table = ir.graph.initializers.get(n.inputs[0]);
    if (table && axis === 0) return table.shape[0];
  }
  return null;
}

/** The count of tokens to show: trailing padding dropped. */
export function shownTokenCount(tokens: readonly string[], pad = '[PAD]'): number {
  let n = tokens.length;
  while (n > 1 && (tokens[n - 1] === pad || tokens[n - 1] === '<pad>')) n--;
  return n;
}

// ---------------------------------------------------------------------------------------------
// The editor.

/** What the token editor reports. */
export interface TokenEdit {
  ids: number[];
  tokens: string[];
  summary: string;
}

/** The mounted token editor. */
export interface TokenEditor {
  readonly textarea: HTMLTextAreaElement;
  readonly vocabInput: HTMLInputElement;
  readonly modeSelect: HTMLSelectElement;
  /** Sets the vocabulary (from the example or a file). */
  setVocabulary(vocab: Vocabulary | null, name: string): void;
  /** Sets the text and reports it at once (not debounced). */
  setText(text: string): void;
  /** Shows an error sentence (empty clears it). */
  showError(message: string): void;
  destroy(): void;
}

/**
 * Mounts the token editor: a text box (text through the vocabulary, or raw ids), a vocabulary
 * file input and the mode. Every keystroke reports, debounced by `debounceMs`; bad ids and ids
 * beyond `rows` (the embedding table) are reported as errors and not sent.
 */
export function mountTokenInput(
  host: HTMLElement,
  options: {
    length: number;
    rows: number | null;
    mode: 'text' | 'ids';
    onEdit: (edit: TokenEdit) => void;
    onMode: (mode: 'text' | 'ids') => void;
    onVocabularyText?: (text: string, name: string) => void;
    debounceMs?: number;
  },
): TokenEditor {
  const { length } = options;
  let vocab: Vocabulary | null = null;
  let vocabName = '';
  const textarea = el('textarea', {
    rows: '4',
    'aria-label': 'Text or token ids',
    spellcheck: 'false',
  });
  const error = el('p', { class: 'error', role: 'alert' });
  const status = el('p', { class: 'status' });
  const showError = (m: string) => {
    error.textContent = m;
    error.hidden = !m;
  };
  showError('');
  const modeSelect = el(
    'select',
    { 'aria-label': 'Input as' },
    el('option', { value: 'text' }, 'text (through the vocabulary)'),
    el('option', { value: 'ids' }, 'token ids'),
  );
  modeSelect.value = options.mode;
  const vocabInput = el('input', {
    type: 'file',
    accept: '.json,application/json',
    'aria-label': 'Vocabulary file',
  });
  const vocabStatus = el('span', { class: 'muted' });
  const describeVocab = () => {
    vocabStatus.textContent = vocab
      ? `vocabulary ${vocabName}: ${vocab.tokens.length} tokens`
      : 'no vocabulary: type ids, or give a vocabulary JSON';
  };
  describeVocab();

  const emit = () => {
    const text = textarea.value;
    try {
      let ids: number[], tokens: string[], what: string;
      if (modeSelect.value === 'ids') {
        const given = parseIds(text);
        if (given.length > length) {
          throw new Error(`The model reads ${length} ids; ${given.length} were given.`);
        }
        ids = [...given];
        const pad = vocab?.padId ?? 0;
        while (ids.length < length) ids.push(pad);
        tokens = ids.map((id) => vocab?.tokens[id] ?? String(id));
        what = `${given.length} token ids`;
      } else {
        if (!vocab) {
          throw new Error('Typing text needs a vocabulary: give a vocabulary JSON, or type ids.');
        }
        const t = tokenize(text, vocab, length);
        ids = t.ids;
        tokens = t.tokens;
        what = `${t.count} tokens` + (t.unknown ? `, ${t.unknown} unknown` : '') +
          (t.truncated ? `, ${t.truncated} beyond ${length} cut off` : '');
      }
      const size = options.rows ?? vocab?.tokens.length ?? null;
      const bad = size === null ? null : idsOutOfRange(ids, size);
      if (bad) throw new Error(bad);
      showError('');
      status.textContent = what;
      options.onEdit({ ids, tokens, summary: `${what}, 1×${length}` });
    } catch (e) {
      showError((e as Error).message);
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  textarea.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(emit, options.debounceMs ?? 150);
  });
  modeSelect.addEventListener('change', () => {
    options.onMode(modeSelect.value as 'text' | 'ids');
    emit();
  });
  vocabInput.addEventListener('change', async () => {
    const f = vocabInput.files?.[0];
    if (!f) return;
    try {
      const text = await f.text();
      vocab = parseVocabulary(text);
      vocabName = f.name;
      describeVocab();
      options.onVocabularyText?.(text, f.name);
      emit();
    } catch (e) {
      showError(`Cannot use ${f.name} as a vocabulary: ${(e as Error).message}`);
    }
  });
  host.append(
    el('div', { class: 'row' }, el('label', {}, 'Input as ', modeSelect)),
    textarea,
    status,
    el('div', { class: 'row' }, el('label', {}, 'Vocabulary ', vocabInput), vocabStatus),
    error,
  );
  return {
    textarea,
    vocabInput,
    modeSelect,
    setVocabulary(v, name) {
      vocab = v;
      vocabName = name;
      describeVocab();
    },
    setText(text) {
      textarea.value = text;
      clearTimeout(timer);
      emit();
    },
    showError,
    destroy() {
      clearTimeout(timer);
    },
  };
}
