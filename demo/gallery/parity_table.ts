/**
 * The README's table of the parity probes, made from the same report the gallery charts
 * (`demo/data/probes_mnist_parity.json`), so the two cannot disagree: `parity_table_test.ts`
 * checks that the README holds exactly this table between its markers.
 *
 * @module
 */

/** The fields of a probe report the table shows. */
export interface ParityReport {
  layers: {
    layer: string;
    accuracy: number;
    controlAccuracy: number;
    selectivity: number;
    randomModelAccuracy?: number;
  }[];
  task: { majority: number };
  split: { train: number; test: number };
}

/** Where the table sits in the README: between these two lines. */
export const TABLE_START = '<!-- parity table: demo/data/probes_mnist_parity.json -->';
export const TABLE_END = '<!-- end of parity table -->';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The Markdown table (no markers): one row per layer, held-out accuracies. */
export function parityTable(report: ParityReport): string {
  const rows = report.layers.map((l) =>
    `| \`${l.layer}\` | ${pct(l.accuracy)} | ${pct(l.controlAccuracy)} | ${
      l.randomModelAccuracy === undefined ? '—' : pct(l.randomModelAccuracy)
    } |`
  );
  return [
    `Held-out accuracy of the parity probe (${report.split.train} training and ` +
    `${report.split.test} test digits; majority class ${pct(report.task.majority)}):`,
    '',
    '| layer | probe | control task | random-weights model |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The text between the README's markers, or null without them. */
export function tableInReadme(readme: string): string | null {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) return null;
  return readme.slice(a + TABLE_START.length, b).trim();
}

/**
 * A table's text with the padding Markdown formatters add removed (cells trimmed, separator
 * dashes collapsed), for comparing a formatted README with {@linkcode parityTable}.
 */
export function normalizeTable(text: string): string {
  return text.split('\n').map((line) => {
    const t = line.trim();
    if (!t.startsWith('|')) return t;
    return t.split('|').map((cell) => cell.trim().replace(/^(:?)-+(:?)$/, '$1---$2')).join('|');
  }).join('\n');
}
