import { assertEquals } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { splitInputSpec } from './inputs.ts';

test('splitInputSpec: NAME=FILE, or a path (which may hold = after a slash)', () => {
  const cases: [string, { name?: string; path: string }][] = [
    ['x.npy', { path: 'x.npy' }],
    ['input_ids=ids.npy', { name: 'input_ids', path: 'ids.npy' }],
    ['a=dir/b=c.npy', { name: 'a', path: 'dir/b=c.npy' }],
    ['dir/b=c.npy', { path: 'dir/b=c.npy' }],
    ['dir\\b=c.npy', { path: 'dir\\b=c.npy' }],
    ['=x.npy', { path: '=x.npy' }],
    ['/tmp/x=1.npy', { path: '/tmp/x=1.npy' }],
  ];
  for (const [spec, want] of cases) {
    assertEquals(JSON.stringify(splitInputSpec(spec)), JSON.stringify(want), spec);
  }
});
