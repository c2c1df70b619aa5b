/**
 * The README's code is the examples' code. A fenced block preceded by the marker line
 * `<!-- example: examples/PATH -->` must equal that file byte for byte (trailing newlines aside);
 * every file under `examples/` (outside `dist/` and `node_modules/`) is shown that way or listed in
 * {@linkcode NOT_SHOWN} with the reason; and in the sections whose snippets are examples
 * ({@linkcode EXAMPLE_SECTIONS}) no HTML/TypeScript/JavaScript block goes without a marker. The
 * examples themselves run in the package check (`test/package_check.mjs`).
 *
 * Deno only (`deno test --allow-read`): it reads the repository's files.
 *
 * @module
 */

import { assert, assertEquals } from './assert.ts';
import { RUNNER, test } from './harness.ts';

const ignore = RUNNER === 'browser' ? 'reads the repository with Deno.readTextFile' : false;

const ROOT = new URL('../', import.meta.url);

/** Files under examples/ that the README does not show, and why. */
const NOT_SHOWN: Record<string, string> = {
  'examples/README.md': 'the folder index; the README links the folder',
  'examples/bundler/README.md': 'its two commands; the README links the folder',
  'examples/bundler/main.js': 'the same digit as the CDN page, imported from npm; the README ' +
    'gives the import forms inline and links the folder',
  'examples/bundler/index.html': 'a heading, two elements and the script tag of the bundle',
  'examples/react/index.html': 'a root div and the script tag of the bundle (described in prose)',
};

/** `## ` sections in which every HTML/TS/JS block must be a marked example. */
const EXAMPLE_SECTIONS = [
  'Use it',
  'Components',
  'Models: the ONNX runtime',
  'Attributions: reverse mode and `explain`',
  'Global explanations',
  'Statistics',
];

/** Block languages the marker rule covers. */
const CODE_LANGUAGES = new Set([
  'html',
  'ts',
  'typescript',
  'js',
  'javascript',
  'mjs',
  'jsx',
  'tsx',
]);

const MARKER = /^<!-- example: (\S+) -->$/;

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word. */
  lang: string;
  /** The lines between the fences, joined. */
  body: string;
  /** The `## ` heading the block is under. */
  section: string;
  /** The path of the marker line before it (blank lines between allowed), if any. */
  example: string | null;
}

interface Markdown {
  blocks: Block[];
  /** Marker lines (path and line) wherever they are. */
  markers: { path: string; line: number }[];
}

/** Fenced code blocks (``` or ~~~, any length) with their section and marker. */
function parse(text: string): Markdown {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  const markers: { path: string; line: number }[] = [];
  let section = '';
  let pending: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const open = /^(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (open) {
      const fence = open[1];
      const close = new RegExp(`^${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
      let j = i + 1;
      while (j < lines.length && !close.test(lines[j])) j++;
      assert(j < lines.length, `README.md:${i + 1}: the code block never closes`);
      blocks.push({
        line: i + 1,
        lang: open[2].toLowerCase(),
        body: lines.slice(i + 1, j).join('\n'),
        section,
        example: pending,
      });
      pending = null;
      i = j;
      continue;
    }
    const marker = MARKER.exec(line);
    if (marker) {
      markers.push({ path: marker[1], line: i + 1 });
      pending = marker[1];
    } else if (line.trim() !== '') {
      assert(
        pending === null,
        `README.md:${i + 1}: the marker for ${pending} is followed by text, not a code block`,
      );
    }
    const heading = /^## (.*)$/.exec(line);
    if (heading) section = heading[1].trim();
  }
  assert(pending === null, `README.md: the marker for ${pending} is followed by no code block`);
  return { blocks, markers };
}

async function exampleFiles(dir = 'examples'): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name !== 'dist' && entry.name !== 'node_modules') {
        out.push(...await exampleFiles(path));
      }
    } else out.push(path);
  }
  return out.sort();
}

const stripEnd = (s: string) => s.replace(/\n+$/, '');

async function readme(): Promise<Markdown> {
  return parse(await Deno.readTextFile(new URL('README.md', ROOT)));
}

test('README examples: each marked block is its file, byte for byte', async () => {
  const { blocks, markers } = await readme();
  assert(markers.length > 0, 'README.md marks no example');
  const marked = blocks.filter((b) => b.example !== null);
  assertEquals(marked.length, markers.length, 'every marker is followed by its block');
  for (const b of marked) {
    assert(
      b.example!.startsWith('examples/'),
      `README.md:${b.line}: ${b.example} is not under examples/`,
    );
    let file: string;
    try {
      file = await Deno.readTextFile(new URL(b.example!, ROOT));
    } catch (e) {
      throw new Error(`README.md:${b.line}: cannot read ${b.example} (${(e as Error).message})`);
    }
    if (stripEnd(file) !== stripEnd(b.body)) {
      const want = stripEnd(file).split('\n');
      const got = stripEnd(b.body).split('\n');
      let k = 0;
      while (k < want.length && k < got.length && want[k] === got[k]) k++;
      throw new Error(
        `README.md:${b.line}: the block differs from ${b.example} at its line ${k + 1}:\n` +
          `  file:   ${JSON.stringify(want[k] ?? '(end)')}\n` +
          `  README: ${JSON.stringify(got[k] ?? '(end)')}`,
      );
    }
  }
}, { ignore });

test('README examples: every file in examples/ is shown or listed as not shown', async () => {
  const { markers } = await readme();
  const shown = new Set(markers.map((m) => m.path));
  const files = await exampleFiles();
  const missing = files.filter((f) => !shown.has(f) && !(f in NOT_SHOWN));
  assert(
    missing.length === 0,
    `examples not in README.md (show each under a marker, or add it to NOT_SHOWN with the ` +
      `reason): ${missing.join(', ')}`,
  );
  for (const path of Object.keys(NOT_SHOWN)) {
    assert(files.includes(path), `NOT_SHOWN lists ${path}, which does not exist`);
    assert(!shown.has(path), `NOT_SHOWN lists ${path}, which README.md shows`);
  }
  const twice = markers.filter((m, i) => markers.findIndex((n) => n.path === m.path) !== i);
  assert(twice.length === 0, `README.md shows ${twice.map((m) => m.path).join(', ')} twice`);
}, { ignore });

test('README examples: no code block in the example sections goes without a marker', async () => {
  const { blocks } = await readme();
  for (const section of EXAMPLE_SECTIONS) {
    assert(
      blocks.some((b) => b.section === section),
      `README.md has no blocks under ## ${section}`,
    );
  }
  const bare = blocks.filter((b) =>
    EXAMPLE_SECTIONS.includes(b.section) && CODE_LANGUAGES.has(b.lang) && b.example === null
  );
  assert(
    bare.length === 0,
    `code blocks without an example marker: ${
      bare.map((b) => `README.md:${b.line} (${b.lang}, ## ${b.section})`).join(', ')
    }`,
  );
}, { ignore });

test('README examples: the parser finds markers, blocks and sections (control case)', () => {
  const md = [
    '## Use it',
    '',
    '<!-- example: examples/a.html -->',
    '',
    '```html',
    '<p>a</p>',
    '```',
    '',
    '````ts',
    '```inner```',
    '````',
    '## Other',
    '```js',
    'x',
    '```',
  ].join('\n');
  const { blocks, markers } = parse(md);
  assertEquals(JSON.stringify(markers), JSON.stringify([{ path: 'examples/a.html', line: 3 }]));
  assertEquals(
    JSON.stringify(blocks.map((b) => [b.lang, b.section, b.example, b.body])),
    JSON.stringify([
      ['html', 'Use it', 'examples/a.html', '<p>a</p>'],
      ['ts', 'Use it', null, '```inner```'],
      ['js', 'Other', null, 'x'],
    ]),
  );
  let error = '';
  try {
    parse('<!-- example: examples/a.html -->\ntext\n');
  } catch (e) {
    error = (e as Error).message;
  }
  assert(error.includes('followed by text'), error);
}, { ignore });
