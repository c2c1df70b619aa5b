// Unit tests of the input inference, settings persistence and labels files (pure).
import { assert, assertEquals, assertThrows } from '../../test/assert.ts';
import {
  chooseExplainedInput,
  type ImageSettings,
  inferSettings,
  loadSettings,
  mergeSettings,
  parseLabels,
  parseNumberList,
  saveSettings,
  settingsKey,
} from './input_settings.ts';

Deno.test('inferSettings: images NCHW/NHWC, token ids, anything else .npy', () => {
  const mnist = inferSettings({ name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28] });
  assertEquals(mnist.kind, 'image');
  const m = mnist as ImageSettings;
  assertEquals(
    [m.layout, m.channels, m.height, m.width, m.fit, m.scale].join(),
    'nchw,1,28,28,digit,0-1',
  );
  const tf = inferSettings({
    name: 'x',
    dtype: 'float32',
    shape: [1, 224, 224, 3],
  }) as ImageSettings;
  assertEquals([tf.layout, tf.channels, tf.fit, tf.mean.length].join(), 'nhwc,3,center-crop,3');
  const open = inferSettings({
    name: 'x',
    dtype: 'float32',
    shape: ['n', 3, 'h', 'w'],
  }) as ImageSettings;
  assertEquals([open.height, open.width].join(), '224,224');
  const ids = inferSettings({ name: 'input_ids', dtype: 'int64', shape: ['batch', 64] });
  assertEquals(JSON.stringify(ids), '{"kind":"tokens","length":64,"mode":"text"}');
  assertEquals(inferSettings({ name: 'x', dtype: 'int32', shape: [1, 'seq'] }).kind, 'tokens');
  // Not images: 5 channels, int pixels, rank 3; not tokens: float rank 2.
  for (const shape of [[1, 5, 8, 8], [1, 8, 8]]) {
    assertEquals(inferSettings({ name: 'x', dtype: 'float32', shape }).kind, 'npy');
  }
  assertEquals(inferSettings({ name: 'x', dtype: 'uint8', shape: [1, 3, 8, 8] }).kind, 'npy');
  assertEquals(inferSettings({ name: 'x', dtype: 'float32', shape: [1, 10] }).kind, 'npy');
});

Deno.test('inferSettings: an example in [0, 255] scales to [0, 255]', () => {
  const s = inferSettings({ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }, {
    id: 'x',
    title: 'x',
    file: 'x.onnx',
    input: { kind: 'image', shape: [1, 3, 32, 32], range: [0, 255] },
    labels: [],
    samples: { inputs: '', labels: '' },
    data: '',
  }) as ImageSettings;
  assertEquals(s.scale, '0-255');
});

Deno.test('chooseExplainedInput: an image first, then ids that are not a mask', () => {
  const bert = [
    { name: 'attention_mask', dtype: 'int64', shape: [1, 8] },
    { name: 'input_ids', dtype: 'int64', shape: [1, 8] },
  ];
  assertEquals(chooseExplainedInput(bert), 'input_ids');
  assertEquals(
    chooseExplainedInput([{ name: 'a', dtype: 'float32', shape: [1, 4] }, {
      name: 'img',
      dtype: 'float32',
      shape: [1, 3, 8, 8],
    }]),
    'img',
  );
  assertEquals(chooseExplainedInput([{ name: 'a', dtype: 'float32', shape: [1, 4] }]), 'a');
  assertThrows(() => chooseExplainedInput([]), Error, 'declares none');
});

Deno.test('settings are remembered per model and inputs; bad stored fields fall back', () => {
  const store = new Map<string, string>();
  const storage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  };
  const inputs = [{ name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28] }];
  const key = settingsKey('mnist.onnx', inputs);
  assert(key !== settingsKey('mnist.onnx', [{ ...inputs[0], shape: ['batch', 3, 28, 28] }]));
  assert(key !== settingsKey('other.onnx', inputs));
  assertEquals(key, settingsKey('mnist.onnx', inputs.map((d) => ({ ...d }))));
  const defaults = inferSettings(inputs[0]);
  assertEquals(JSON.stringify(loadSettings(storage, key, defaults)), JSON.stringify(defaults));
  const edited = { ...defaults, fit: 'stretch', invert: true, mean: [0.5] } as ImageSettings;
  assert(saveSettings(storage, key, edited));
  assertEquals(JSON.stringify(loadSettings(storage, key, defaults)), JSON.stringify(edited));
  // A stored channel count or a wrong-length mean cannot change the model's.
  const merged = mergeSettings(defaults, { ...edited, channels: 3, mean: [1, 2, 3], fit: 'zoom' });
  assertEquals(JSON.stringify(merged), JSON.stringify({ ...edited, mean: [0], fit: 'digit' }));
  store.set(key, '{broken');
  assertEquals(JSON.stringify(loadSettings(storage, key, defaults)), JSON.stringify(defaults));
  assertEquals(loadSettings(null, key, defaults), defaults);
  const full = {
    setItem: () => {
      throw new Error('QuotaExceededError');
    },
  };
  assertEquals(saveSettings(full, key, edited), false);
});

Deno.test('parseNumberList: one value repeats, n values, errors named', () => {
  assertEquals(parseNumberList('0.5', 3, 'mean').join(), '0.5,0.5,0.5');
  assertEquals(parseNumberList('0.485, 0.456 0.406', 3, 'mean').join(), '0.485,0.456,0.406');
  assertThrows(
    () => parseNumberList('1, 2', 3, 'std'),
    Error,
    'Give the std as 1 or 3 numbers, got 2',
  );
  assertThrows(() => parseNumberList('1, x, 2', 3, 'mean'), Error, "'x' is not a number");
});

Deno.test('parseLabels: lines, JSON arrays, index and name objects, id2label', () => {
  assertEquals(parseLabels('cat\ndog\r\nbird\n\n').join('|'), 'cat|dog|bird');
  assertEquals(parseLabels('["ham", "spam"]', 'l.json').join(), 'ham,spam');
  assertEquals(parseLabels('{"1": "dog", "0": "cat"}').join(), 'cat,dog');
  assertEquals(parseLabels('{"dog": 1, "cat": 0}').join(), 'cat,dog');
  assertEquals(parseLabels('{"id2label": {"0": "neg", "1": "pos"}}').join(), 'neg,pos');
  assertThrows(() => parseLabels(''), Error, 'empty');
  assertThrows(() => parseLabels('{"0": "a", "2": "c"}'), Error, 'Class 1 has no name');
  assertThrows(() => parseLabels('[1, {"x": 2}]'), Error, 'Label 1');
  assertThrows(() => parseLabels('{bad', 'x.json'), Error, 'not valid JSON');
});
