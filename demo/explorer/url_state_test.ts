// Unit tests of the shareable URL state (demo/explorer/url_state.ts): parsing, formatting on top
// of other query parameters, and the view-state store.
import { assertEquals, assertThrows } from '../../test/assert.ts';
import {
  clearViewState,
  formatUrlState,
  getViewState,
  readUrlState,
  setViewState,
} from './url_state.ts';

Deno.test('url_state: a full state round-trips through formatUrlState and readUrlState', () => {
  const options = { steps: 32, baseline: 'blur', target: [3] };
  const search = formatUrlState({
    model: 'https://example.org/m odels/net.onnx?x=1&y=2',
    node: '/layers.0/attn/Softmax',
    view: { method: 'integrated-gradients', options: JSON.stringify(options) },
  });
  const state = readUrlState(search);
  assertEquals(state.model, 'https://example.org/m odels/net.onnx?x=1&y=2');
  assertEquals(state.node, '/layers.0/attn/Softmax');
  assertEquals(state.method, 'integrated-gradients');
  assertEquals(JSON.stringify(state.options), JSON.stringify(options));
  assertEquals(Object.keys(state.view).sort().join(), 'method,options');
});

Deno.test('url_state: an empty query and a query without state read as nulls', () => {
  for (const search of ['', '?', 'other=1']) {
    const s = readUrlState(search);
    assertEquals([s.model, s.node, s.method, s.options].join(), ',,,', search);
  }
  assertEquals(readUrlState('other=1').view.other, '1');
});

Deno.test('url_state: options that are not a JSON object read as null, kept raw in view', () => {
  for (const raw of ['{not json', '[1,2]', '3', 'null']) {
    const s = readUrlState(`?options=${encodeURIComponent(raw)}`);
    assertEquals(s.options, null, raw);
    assertEquals(s.view.options, raw);
  }
});

Deno.test('url_state: formatting keeps keys it does not manage and removes emptied ones', () => {
  const base = '?wtr-session-id=abc&model=old.onnx&node=n1&method=saliency';
  const search = formatUrlState({ model: null, node: 'n2', view: { method: null } }, base);
  const params = new URLSearchParams(search);
  assertEquals(params.get('wtr-session-id'), 'abc');
  assertEquals(params.has('model'), false);
  assertEquals(params.get('node'), 'n2');
  assertEquals(params.has('method'), false);
  assertEquals(formatUrlState({}, ''), '');
});

Deno.test('url_state: the view-state store sets, reads and removes keys; model/node are refused', () => {
  clearViewState();
  assertEquals(getViewState('method'), null);
  setViewState('method', 'smoothgrad');
  assertEquals(getViewState('method'), 'smoothgrad');
  setViewState('method', null);
  assertEquals(getViewState('method'), null);
  assertThrows(() => setViewState('node', 'x'), Error, 'kept by the session');
  assertThrows(() => formatUrlState({ view: { model: 'x' } }), Error, 'kept by the session');
});
