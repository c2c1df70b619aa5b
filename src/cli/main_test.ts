import { assert, assertArrayEquals, assertClose, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { cli } from '../../test/cli.ts';
import { COMMANDS } from './main.ts';
import { commandHelp } from './args.ts';

const ignore = RUNNER === 'browser' ? 'the CLI runs under Deno' : false;

test('cli run: writes the output as float32 .npy, matching PyTorch', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const n = 8;
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy((x.data as Float32Array).slice(0, n * 784), [n, 1, 28, 28]));
  const r = await cli(['run', 'models/mnist_cnn.onnx', '--input', input, '--out', `${dir}/y.npy`]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const y = readNpy(await Deno.readFile(`${dir}/y.npy`));
  assertEquals(y.dtype, 'float32');
  assertArrayEquals(y.shape, [n, 10]);
  const torch = readNpy(await Deno.readFile('models/data/mnist_test_logits_torch.npy'));
  assertClose(y.data as Float32Array, (torch.data as Float32Array).slice(0, n * 10), {
    atol: 1e-4,
    rtol: 1e-4,
  });
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli run: int64 token ids by input name', async () => {
  const dir = await Deno.makeTempDir();
  const ids = readNpy(await Deno.readFile('models/data/text_test_ids.npy'));
  const input = `${dir}/ids.npy`;
  await Deno.writeFile(input, writeNpy((ids.data as BigInt64Array).slice(0, 2 * 64), [2, 64]));
  const vocab = JSON.parse(await Deno.readTextFile('models/text_vocab.json'));
  const r = await cli([
    'run',
    'models/text_transformer.onnx',
    '--input',
    `input_ids=${input}`,
    '--out',
    `${dir}/y.npy`,
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const y = readNpy(await Deno.readFile(`${dir}/y.npy`));
  assertArrayEquals(y.shape, [2, vocab.classes.length]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli graph: prints the structure as JSON', async () => {
  const r = await cli(['graph', 'models/mnist_cnn.onnx']);
  assertEquals(r.code, 0, r.err.join('\n'));
  const g = JSON.parse(r.out);
  assert(Array.isArray(g.inputs) && Array.isArray(g.outputs) && Array.isArray(g.nodes));
  assertEquals(g.totals.params, 52138);
  for (const node of g.nodes) {
    for (const key of ['name', 'op', 'inputs', 'outputs', 'shapes', 'params', 'flops']) {
      assert(key in node, `node has ${key}`);
    }
  }
}, { ignore });

test('cli stats: every weight as JSON, or one tensor as a table', async () => {
  const r = await cli(['stats', 'models/mnist_cnn.onnx', '--bins', '10', '--json']);
  assertEquals(r.code, 0, r.err.join('\n'));
  const s = JSON.parse(r.out);
  assertEquals(s.totals.params, 52138);
  assertEquals(s.tensors[0].histogram.counts.length, 10);
  const t = await cli(['stats', 'models/mnist_cnn.onnx', '--tensor', 'fc1.weight']);
  assertEquals(t.code, 0, t.err.join('\n'));
  assert(t.out.includes('fc1.weight') && !t.out.includes('conv1.weight'), t.out);
}, { ignore });

test('cli project: PCA of the MNIST test digits', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'pca',
    '--dims',
    '3',
    '--out',
    `${dir}/p.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  const p = readNpy(await Deno.readFile(`${dir}/p.npy`));
  assertArrayEquals(p.shape, [200, 3]);
  const info = JSON.parse(r.out);
  assertEquals(info.explainedVarianceRatio.length, 3);
  assert(info.explainedVarianceRatio[0] >= info.explainedVarianceRatio[1], 'sorted');
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli project: UMAP with its trustworthiness', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'umap',
    '--iterations',
    '100',
    '--neighbors',
    '10',
    '--out',
    `${dir}/u.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/u.npy`)).shape, [200, 2]);
  const info = JSON.parse(r.out);
  assert(info.trustworthiness > 0.8, `trustworthiness ${info.trustworthiness}`);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli project: t-SNE with its trustworthiness', async () => {
  const dir = await Deno.makeTempDir();
  const x = readNpy(await Deno.readFile('models/data/mnist_test_x.npy'));
  const input = `${dir}/x.npy`;
  await Deno.writeFile(input, writeNpy(x.data as Float32Array, [200, 784]));
  const r = await cli([
    'project',
    input,
    '--method',
    'tsne',
    '--iterations',
    '1000',
    '--perplexity',
    '20',
    '--out',
    `${dir}/t.npy`,
    '--json',
  ]);
  assertEquals(r.code, 0, r.err.join('\n'));
  assertArrayEquals(readNpy(await Deno.readFile(`${dir}/t.npy`)).shape, [200, 2]);
  const info = JSON.parse(r.out);
  assert(info.trustworthiness > 0.8, `trustworthiness ${info.trustworthiness}`);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test('cli: bad input exits non-zero with one clear line', async () => {
  const cases: [string[], number, string][] = [
    [[], 2, 'missing command'],
    [['frobnicate'], 2, "unknown command 'frobnicate'"],
    [['-q', 'graph'], 2, 'unknown option -q before a command'],
    [['help', 'graph', 'stats'], 2, 'help takes one command'],
    [['graph', 'models/mnist_cnn.onnx', '-x'], 2, "unknown option -x for 'graph'"],
    [['stats', 'models/mnist_cnn.onnx', '--json=yes'], 2, 'option --json takes no value'],
    [['stats', 'models/mnist_cnn.onnx', '--bins'], 2, 'option --bins needs a value'],
    [['run', 'm.onnx', '--out', '--input', 'x.npy'], 2, 'option --out needs a value'],
    [['run', 'models/mnist_cnn.onnx', '--out', '/tmp/x.npy'], 2, 'missing --input'],
    [['graph', 'no/such/model.onnx'], 1, "Cannot read model 'no/such/model.onnx'"],
    [['graph', 'README.md'], 1, 'ModelFormatError'],
    [['stats', 'models/mnist_cnn.onnx', '--tensor', 'nope'], 1, "no initializer 'nope'"],
    [['stats', 'models/mnist_cnn.onnx', '--bins', 'x'], 2, '--bins wants a positive integer'],
    [['project', 'x.npy', '--method', 'isomap', '--out', 'y.npy'], 2, "unknown --method 'isomap'"],
    [
      ['project', 'x.npy', '--method', 'umap', '--perplexity', '5', '--out', 'y.npy'],
      2,
      '--perplexity is for tsne',
    ],
    [
      ['run', 'models/mnist_cnn.onnx', '--input', 'README.md', '--out', '/tmp/y.npy'],
      1,
      'NpyFormatError',
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = await cli(args);
    assertEquals(r.code, code, `exit code of ${args.join(' ')}`);
    assertEquals(r.err.length, 1, `one line on stderr for ${args.join(' ')}: ${r.err}`);
    assert(r.err[0].includes(message), `"${r.err[0]}" should mention "${message}"`);
    assert(!r.err[0].includes('\n'), 'a single line, no stack trace');
  }
}, { ignore });

/** The seven commands, in the order `glassbox --help` lists them. */
const SEVEN = ['run', 'graph', 'stats', 'project', 'explain', 'distill', 'probe'];

test('cli: COMMANDS holds the seven commands', () => {
  assertEquals(COMMANDS.map((c) => c.name).join(), SEVEN.join());
});

test('cli --help, -h and help CMD: usage, every option with its default, an example', async () => {
  for (const command of COMMANDS) {
    const name = command.name;
    const r = await cli([name, '--help']);
    assertEquals(r.code, 0, `${name} --help: ${r.err}`);
    assertEquals(r.err.length, 0, `${name} --help prints nothing on stderr: ${r.err}`);
    const lines = r.out.split('\n');
    assert(lines[0].startsWith(`glassbox ${name}: ${command.summary}`), lines[0]);
    assert(r.out.includes(`\nusage: glassbox ${name} `), `${name}: usage line`);
    assert(/\nexamples?:\n {2}glassbox /.test(r.out), `${name}: an example`);
    for (const [option, spec] of Object.entries({ ...command.options, quiet: {}, help: {} })) {
      assert(r.out.includes(`--${option}`), `${name} --help lists --${option}`);
      const d = (spec as { default?: string }).default;
      if (d) {
        // The default may wrap onto the next line with the rest of the help text.
        const flat = r.out.replace(/\s+/g, ' ');
        assert(flat.includes(`(default: ${d.replace(/\s+/g, ' ')})`), `${name} --${option}: ${d}`);
      }
    }
    for (const line of lines) assert(line.length <= 100, `${name} --help line too long: ${line}`);
    for (const args of [[name, '-h'], ['help', name], [name, 'MODEL.onnx', '--frob', '-qh']]) {
      const again = await cli(args);
      assertEquals(again.code, 0, `${args.join(' ')}: ${again.err}`);
      assertEquals(again.out, r.out, `${args.join(' ')} prints the same help`);
    }
  }
  // Defaults that matter for reproducing results are spelled out.
  const explain = (await cli(['explain', '--help'])).out;
  assert(/--steps N +integrated gradients: path points \(default: 50\)/.test(explain), explain);
  assert((await cli(['distill', '-h'])).out.includes('(default: linear)'), 'distill --kind');
}, { ignore });

test('cli --help, -h and help: every command with its one-line summary', async () => {
  for (const args of [['--help'], ['-h'], ['help'], ['help', 'help']]) {
    const r = await cli(args);
    assertEquals(r.code, 0, args.join(' '));
    assertEquals(r.err.length, 0, `${args.join(' ')}: nothing on stderr`);
    for (const command of COMMANDS) {
      const listed = r.out.split('\n').some((l) =>
        l.startsWith(`  ${command.name} `) && l.endsWith(` ${command.summary}`)
      );
      assert(listed, `${args.join(' ')} lists ${command.name}: ${r.out}`);
    }
    assert(r.out.includes('glassbox help COMMAND'), "says how to get a command's help");
    for (const line of r.out.split('\n')) assert(line.length <= 100, `too long: ${line}`);
  }
}, { ignore });

test('cli: an unknown command lists all seven and suggests the closest', async () => {
  const cases: [string[], string | undefined][] = [
    [['explian'], 'explain'],
    [['expalin', 'models/mnist_cnn.onnx'], 'explain'],
    [['distil'], 'distill'],
    [['grpah'], 'graph'],
    [['proj'], 'project'],
    [['Stats'], 'stats'],
    [['help', 'prbe'], 'probe'],
    [['frobnicate'], undefined],
    [['go'], undefined],
  ];
  for (const [args, closest] of cases) {
    const r = await cli(args);
    assertEquals(r.code, 2, args.join(' '));
    assertEquals(r.err.length, 1, `one line: ${r.err}`);
    const line = r.err[0];
    const typed = args[0] === 'help' ? args[1] : args[0];
    assert(line.startsWith(`glassbox: unknown command '${typed}'`), line);
    assert(line.includes(`(commands: ${SEVEN.join(', ')})`), `lists all seven: ${line}`);
    if (closest) assert(line.includes(`did you mean '${closest}'?`), line);
    else assert(!line.includes('did you mean'), `no far-fetched suggestion: ${line}`);
  }
}, { ignore });

test('cli: success prints one summary line on stderr, none with --quiet or -q', async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/x.npy`, writeNpy(new Float32Array([1, -2, 0.5, 3]), [1, 4]));
  const model = 'test/fixtures/external/model.onnx';
  const graph = await cli(['graph', model]);
  assertEquals(graph.code, 0, graph.err.join('\n'));
  assertEquals(graph.err.length, 1, `one summary line: ${graph.err}`);
  assert(
    /^glassbox graph: .*model\.onnx has \d+ nodes, \d+ parameters \(\d+\.\d s\)$/.test(
      graph.err[0],
    ),
    graph.err[0],
  );
  JSON.parse(graph.out); // stdout holds only the data
  const run = ['run', model, '--input', `${dir}/x.npy`, '--out', `${dir}/y.npy`];
  const loud = await cli(run);
  assertEquals(loud.code, 0, loud.err.join('\n'));
  assertEquals(loud.err.length, 1, `${loud.err}`);
  assert(loud.err[0].startsWith(`glassbox run: wrote ${dir}/y.npy: output '`), loud.err[0]);
  assert(loud.err[0].includes('[1, 3]'), loud.err[0]);
  assertEquals(loud.out, '', 'run writes to --out, nothing to stdout');
  for (const flag of ['--quiet', '-q']) {
    const quiet = await cli([...run, flag]);
    assertEquals(quiet.code, 0, quiet.err.join('\n'));
    assertEquals(quiet.err.length, 0, `${flag}: ${quiet.err}`);
    const g = await cli(['graph', flag, model]);
    assertEquals(g.err.length, 0, `graph ${flag}: ${g.err}`);
    assertEquals(g.out, graph.out);
  }
  const stats = await cli(['stats', model, '--bins=4', '--json']);
  assertEquals(stats.code, 0, stats.err.join('\n'));
  assertEquals(JSON.parse(stats.out).tensors[0].histogram.counts.length, 4);
  assert(/^glassbox stats: \d+ weight tensors of /.test(stats.err[0]), stats.err[0]);
  await Deno.remove(dir, { recursive: true });
}, { ignore });

test("cli --version: package.json's version", async () => {
  const { version } = JSON.parse(await Deno.readTextFile('package.json'));
  const r = await cli(['--version']);
  assertEquals(r.code, 0);
  assertEquals(r.out, `glassbox ${version}`);
  assertEquals(r.err.length, 0);
  assert((await cli(['--help'])).out.startsWith(`glassbox ${version}: `), 'the overview too');
}, { ignore });

test('cli: every flag a command names (hints, help, options read) is one of its options', () => {
  const found: string[] = [];
  for (const c of COMMANDS) {
    const defined = new Set([...Object.keys(c.options), 'quiet', 'help']);
    // The source of the command's run function: its error hints and the options it reads.
    const source = c.run.toString();
    const named = [
      ...[...commandHelp(c).matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]),
      ...[...source.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]),
      ...[...source.matchAll(/\(p, '([a-z][a-z0-9-]*)'/g)].map((m) => m[1]),
      ...[...source.matchAll(/options\.(?:has|get)\('([a-z][a-z0-9-]*)'\)/g)].map((m) => m[1]),
    ];
    assert(named.length > 0, `${c.name}: flags found`);
    for (const flag of named) {
      assert(defined.has(flag), `${c.name} names --${flag}, not one of its options`);
      found.push(`${c.name} --${flag}`);
    }
  }
  // The scan sees the hints: a few of those the commands give.
  for (const hint of ['project --perplexity', 'probe --task', 'explain --trapezoid-weights']) {
    assert(found.includes(hint), `${hint} among ${found.length} flags named`);
  }
}, { ignore });

/** The commands that write a file, each with arguments but the file (`--out` last). */
function writers(dir: string): string[][] {
  return [
    ['run', `${dir}/missing.onnx`, '--input', `${dir}/x.npy`, '--out'],
    ['project', `${dir}/missing.npy`, '--method', 'pca', '--out'],
    [
      'explain',
      `${dir}/missing.onnx`,
      '--input',
      `${dir}/x.npy`,
      '--method',
      'saliency',
      '--out',
    ],
    ['distill', `${dir}/missing.onnx`, '--data', `${dir}/missing.npy`, '--out'],
  ];
}

test(
  'cli: an --out that cannot be written fails at once, exit 2, naming --out and the path',
  async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeFile(`${dir}/x.npy`, writeNpy(new Float32Array([1, -2, 0.5, 3]), [1, 4]));
    await Deno.writeTextFile(`${dir}/file`, '');
    const cases: [string, string][] = [
      [`${dir}/no-such-folder/y.npy`, `the folder '${dir}/no-such-folder' does not exist`],
      [dir, 'is a directory, not a file'],
      [`${dir}/file/y.npy`, `'${dir}/file' is not a folder`],
      ['', 'an empty path'],
    ];
    await Deno.writeTextFile(`${dir}/read-only.npy`, '');
    await Deno.chmod(`${dir}/read-only.npy`, 0o444);
    await Deno.mkdir(`${dir}/locked`, { mode: 0o555 });
    // Root writes read-only files anyway: those cases only where permissions hold.
    const enforced = await Deno.open(`${dir}/read-only.npy`, { write: true }).then(
      (f) => (f.close(), false),
      () => true,
    );
    if (enforced) {
      cases.push(
        [`${dir}/read-only.npy`, 'cannot be written: '],
        [`${dir}/locked/y.npy`, `the folder '${dir}/locked' cannot be written: `],
      );
    }
    for (const args of writers(dir)) {
      for (const [path, why] of cases) {
        // The model and data do not exist: the output is checked before they are read.
        const r = await cli([...args, path]);
        assertEquals(r.code, 2, `${args[0]} --out '${path}': ${r.err}`);
        assertEquals(r.err.length, 1, `${r.err}`);
        const line = `glassbox: --out '${path}': ${why}`;
        assert(why.endsWith(': ') ? r.err[0].startsWith(line) : r.err[0] === line, r.err[0]);
      }
    }
    await Deno.chmod(`${dir}/locked`, 0o755);
    await Deno.remove(dir, { recursive: true });
  },
  { ignore },
);

/** Runs `glassbox ...args` as a process; returns the exit code, stdout's bytes and stderr. */
async function glassbox(args: string[]): Promise<{ code: number; out: Uint8Array; err: string }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', 'src/cli/main.ts', ...args],
    stdout: 'piped',
    stderr: 'piped',
    env: { NO_COLOR: '1' },
  }).output();
  return { code: p.code, out: p.stdout, err: new TextDecoder().decode(p.stderr) };
}

test('cli: --out /dev/stdout writes only the data to stdout, reports to stderr', async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/x.npy`, writeNpy(new Float32Array([1, -2, 0.5, 3]), [1, 4]));
  const model = 'test/fixtures/external/model.onnx';
  const file = await cli(['run', model, '--input', `${dir}/x.npy`, '--out', `${dir}/y.npy`, '-q']);
  assertEquals(file.code, 0, file.err.join('\n'));
  const run = await glassbox(['run', model, '--input', `${dir}/x.npy`, '--out', '/dev/stdout']);
  assertEquals(run.code, 0, run.err);
  const y = readNpy(run.out);
  assertArrayEquals(y.shape, [1, 3]);
  assertArrayEquals(
    y.data as Float32Array,
    readNpy(await Deno.readFile(`${dir}/y.npy`)).data as Float32Array,
  );
  assert(
    /^glassbox run: wrote \/dev\/stdout: output '.*' \[1, 3\] \(\d+\.\d s\)\n$/.test(run.err),
    run.err,
  );
  // --json's report, which goes to stdout otherwise, goes to stderr with the data on stdout.
  const rows = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) + (i % 3));
  await Deno.writeFile(`${dir}/rows.npy`, writeNpy(rows, [8, 3]));
  const project = await glassbox([
    'project',
    `${dir}/rows.npy`,
    '--method',
    'pca',
    '--json',
    '--out',
    '/dev/stdout',
  ]);
  assertEquals(project.code, 0, project.err);
  assertArrayEquals(readNpy(project.out).shape, [8, 2]);
  const report = JSON.parse(project.err.slice(0, project.err.lastIndexOf('\nglassbox project: ')));
  assertEquals(report.method, 'pca');
  assertEquals(report.explainedVariance.length, 2);
  await Deno.remove(dir, { recursive: true });
}, { ignore });
