// Prints the README's conformance table: for every operator in the registry, the ONNX backend
// node cases of Debian's libonnx-testdata 1.12 (test/onnx_node/manifest.json) that
// test/conformance_test.ts runs and those it skips, with the reasons. Every case not skipped must
// pass that test in both runners, so the counts here are what it checks.
// `deno run --allow-read test/conformance_table.ts`
import { SKIPPED } from './conformance_test_skips.ts';
import { supportedOperators } from '../src/onnx/registry.ts';

/** Operators with no single-operator case in the 1.12 test data, and where they are tested. */
const NO_CASES: Record<string, string> = {
  ConcatFromSequence: 'unit tests and folding tests',
  Gelu: 'src/ops/unary_test.ts and the text model',
  GroupNormalization: 'src/onnx/ops/norm_test.ts against PyTorch (opsets 18 and 21)',
  LpNormalization: 'src/onnx/ops/norm_test.ts against PyTorch',
  Mish: 'src/ops/unary_test.ts and src/onnx/ops/math_test.ts',
};

const manifest = JSON.parse(await Deno.readTextFile('test/onnx_node/manifest.json')) as Record<
  string,
  string[]
>;
const rows: string[][] = [];
let passed = 0;
let total = 0;
for (const op of supportedOperators()) {
  const cases = manifest[op] ?? [];
  const reasons = new Map<string, number>();
  for (const c of cases) {
    const r = SKIPPED[c];
    if (r) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const skipped = [...reasons.values()].reduce((a, b) => a + b, 0);
  passed += cases.length - skipped;
  total += cases.length;
  const notes = cases.length === 0
    ? `no single-op case in the 1.12 test data; covered by ${NO_CASES[op] ?? 'unit tests'}`
    : [...reasons].map(([r, n]) => `${n} skipped: ${r}`).join('; ');
  rows.push([op, `${cases.length - skipped} / ${cases.length}`, notes]);
}
rows.push([
  '**total**',
  `**${passed} / ${total}**`,
  `${total - passed} skipped, each with its reason in \`test/conformance_test_skips.ts\``,
]);
const header = ['operator', 'passed / cases', 'notes'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
for (const r of rows) console.log(line(r));
