// The README's parity table is the gallery's report (demo/data/probes_mnist_parity.json).
import { assert, assertEquals } from '../../test/assert.ts';
import {
  normalizeTable,
  type ParityReport,
  parityTable,
  TABLE_END,
  TABLE_START,
  tableInReadme,
} from './parity_table.ts';

const root = new URL('../../', import.meta.url);

Deno.test('README: the parity table matches the report the gallery charts', async () => {
  const report: ParityReport = JSON.parse(
    await Deno.readTextFile(new URL('demo/data/probes_mnist_parity.json', root)),
  );
  const readme = await Deno.readTextFile(new URL('README.md', root));
  const table = tableInReadme(readme);
  assert(table !== null, `README.md has no ${TABLE_START} … ${TABLE_END} block`);
  assertEquals(
    normalizeTable(table),
    normalizeTable(parityTable(report)),
    'README table (regenerate it from the JSON)',
  );
  // The prose figure for pool2 is the table's.
  const pool2 = report.layers.find((l) => l.layer === '/pool2/MaxPool_output_0')!;
  const prose = readme.match(/parity rising to\s+([\d.]+)% at pool2/);
  assert(prose, 'README: the sentence on parity at pool2 is gone');
  assertEquals(prose[1], (100 * pool2.accuracy).toFixed(1), 'README prose figure for pool2');
});

Deno.test('parityTable: one row per layer; a changed figure changes the table', () => {
  const report: ParityReport = {
    layers: [
      { layer: 'a', accuracy: 0.5, controlAccuracy: 0.25, selectivity: 0.25 },
      {
        layer: 'b',
        accuracy: 0.958,
        controlAccuracy: 0.5,
        selectivity: 0.458,
        randomModelAccuracy: 0.6,
      },
    ],
    task: { majority: 0.528 },
    split: { train: 375, test: 125 },
  };
  const t = parityTable(report);
  assert(t.includes('| `b` | 95.8% | 50.0% | 60.0% |'), t);
  assert(t.includes('| `a` | 50.0% | 25.0% | — |'), t);
  const changed = structuredClone(report);
  changed.layers[1].accuracy = 0.928;
  assert(parityTable(changed) !== t);
  assertEquals(tableInReadme(`x\n${TABLE_START}\n${t}\n${TABLE_END}\ny`), t);
  assertEquals(tableInReadme('no markers'), null);
  assertEquals(
    normalizeTable('| a   |   b |\n| --- | --: |\n| `x` | 1.0% |'),
    normalizeTable('| a | b |\n| - | -: |\n| `x` | 1.0% |'),
  );
});
