/**
 * The explorer's shareable view state, kept in the page's URL:
 * `?model=URL&node=NAME&method=...&options={...}`.
 *
 * - `model` is the address the model was read from (absent for a local file: it cannot be
 *   shared), `node` the selected node; both come from the {@linkcode Session}.
 * - Every other key is *view state* that panels own: the explain panel stores `method` and
 *   `options` (JSON) with {@linkcode setViewState}, then calls `session.stateChanged()`; the URL
 *   is rewritten (`history.replaceState`, no new history entry) on the session's `state` event.
 * - Keys this module does not manage (someone else's query parameters) are left as they are.
 *
 * The view state is one store per page (module level), as a page has one URL.
 *
 * @example
 * ```ts ignore
 * import { bindUrlState, getViewState, setViewState } from './url_state.ts';
 * await bindUrlState(session); // opens ?model=, selects ?node=, writes the URL on `state`
 * setViewState('method', 'integrated-gradients');
 * setViewState('options', JSON.stringify({ steps: 32 }));
 * session.stateChanged();
 * getViewState('method'); // 'integrated-gradients'
 * ```
 *
 * @module
 */

import type { Session } from './session.ts';
import { type OpenOptions, openUrl } from './open.ts';

/** The state a URL carries. */
export interface UrlState {
  /** Address of the model (`?model=`), or null. */
  model: string | null;
  /** Selected node (`?node=`), or null. */
  node: string | null;
  /** Attribution method (`?method=`), or null. */
  method: string | null;
  /** `?options=` parsed as a JSON object; null when absent or not a JSON object. */
  options: Record<string, unknown> | null;
  /** Every view-state key (all but `model` and `node`) with its raw value, `method` included. */
  view: Record<string, string>;
}

/** The keys the session owns; all others are view state. */
const SESSION_KEYS = ['model', 'node'];

const store = new Map<string, string>();
/** Keys that were set (to a value or to null) since the last write: they are written out. */
const touched = new Set<string>();

/** Parses a query string (`?a=b`, with or without the `?`) into a {@linkcode UrlState}. */
export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const view: Record<string, string> = {};
  for (const [key, value] of params) if (!SESSION_KEYS.includes(key)) view[key] = value;
  let options: Record<string, unknown> | null = null;
  const raw = params.get('options');
  if (raw !== null) {
    try {
      const parsed = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) options = parsed;
    } catch {
      // Not JSON: left out of `options`, still in `view` for whoever owns it.
    }
  }
  return {
    model: params.get('model') || null,
    node: params.get('node') || null,
    method: params.get('method') || null,
    options,
    view,
  };
}

/**
 * The query string (with its `?`, or '' when empty) of `state` on top of `base` (another query
 * string whose other keys are kept). `view` keys with an empty value are removed.
 */
export function formatUrlState(
  state: { model?: string | null; node?: string | null; view?: Record<string, string | null> },
  base = '',
): string {
  const params = new URLSearchParams(base);
  const put = (key: string, value: string | null | undefined) => {
    if (value) params.set(key, value);
    else params.delete(key);
  };
  put('model', state.model);
  put('node', state.node);
  for (const [key, value] of Object.entries(state.view ?? {})) {
    if (SESSION_KEYS.includes(key)) {
      throw new Error(`'${key}' is kept by the session, not as view state.`);
    }
    put(key, value);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * Sets a view-state key (null removes it). Call `session.stateChanged()` after to write the URL.
 *
 * @throws {Error} for `model` and `node`, which the session keeps.
 */
export function setViewState(key: string, value: string | null): void {
  if (SESSION_KEYS.includes(key)) {
    throw new Error(`'${key}' is kept by the session, not as view state.`);
  }
  if (value === null || value === '') store.delete(key);
  else store.set(key, value);
  touched.add(key);
}

/** A view-state key's value, or null. */
export function getViewState(key: string): string | null {
  return store.get(key) ?? null;
}

/** Clears the view-state store (for tests and a fresh page). */
export function clearViewState(): void {
  for (const key of store.keys()) touched.add(key);
  store.clear();
}

/**
 * Rewrites the page URL from the session (model address, selected node), the view-state store
 * and `extra` (more view keys; null removes one), with `history.replaceState`. Returns the new
 * query string.
 */
export function writeUrlState(
  session: Session,
  extra: Record<string, string | null> = {},
): string {
  const view: Record<string, string | null> = {};
  for (const key of touched) view[key] = store.get(key) ?? null;
  for (const [key, value] of store) view[key] = value;
  Object.assign(view, extra);
  const search = formatUrlState(
    { model: session.opened?.url ?? null, node: session.selected, view },
    location.search,
  );
  touched.clear();
  if (search !== location.search) {
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  }
  return search;
}

/**
 * Binds the page's URL to `session`: loads the view state of `options.search` (default the
 * page's query string) into the store, opens its `?model=` (through the open panel when one is
 * mounted; an example's id such as `mnist_cnn` names a bundled model) and selects its `?node=`,
 * then rewrites the URL on every `state` event. Resolves once the model is open (or failed to
 * open) with the state read and a function that stops writing the URL.
 */
export async function bindUrlState(
  session: Session,
  options: Pick<OpenOptions, 'modelBase' | 'examples' | 'search'> = {},
): Promise<{ state: UrlState; stop: () => void }> {
  const state = readUrlState(options.search ?? location.search);
  for (const [key, value] of Object.entries(state.view)) store.set(key, value);
  if (state.model) {
    let opened: Awaited<ReturnType<typeof openUrl>> = null;
    try {
      opened = await openUrl(session, state.model, options);
    } catch (error) {
      console.warn(`The model of the URL did not open: ${(error as Error).message}`);
    }
    if (opened && state.node && opened.ir.graph.nodes.some((n) => n.name === state.node)) {
      session.select(state.node);
    }
  }
  const write = () => writeUrlState(session);
  session.addEventListener('state', write);
  return { state, stop: () => session.removeEventListener('state', write) };
}
