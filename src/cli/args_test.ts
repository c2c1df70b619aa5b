import { assert, assertEquals, assertRejects } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { type CommandSpec, HELP_WIDTH, parseOptions, UsageError, wrap } from './args.ts';

const ignore = RUNNER === 'browser' ? 'the CLI parses with node:util under Deno' : false;

const SPEC: CommandSpec = {
  name: 'demo',
  summary: 'a command for the tests',
  usage: 'FILE [options]',
  options: {
    input: { type: 'string', value: 'FILE', help: 'repeatable' },
    fill: { type: 'string', value: 'V', help: 'a number' },
    json: { type: 'boolean', help: 'JSON' },
  },
  examples: ['x.npy'],
};

test('parseOptions: positionals, repeated options, booleans, = values, short aliases', async () => {
  const p = await parseOptions(SPEC, [
    'm.onnx',
    '--input',
    'a=x.npy',
    '--input=y.npy',
    '--fill',
    '-1.5',
    '--json',
    '-q',
    '--',
    '--not-an-option',
  ]);
  assertEquals(p.command, 'demo');
  assertEquals(p.positional.join(' '), 'm.onnx --not-an-option');
  assertEquals(p.options.get('input')!.join(' '), 'a=x.npy y.npy');
  assertEquals(p.options.get('fill')!.join(), '-1.5', 'a value with a leading dash');
  assertEquals(p.options.get('json')!.join(), 'true');
  assertEquals(p.options.get('quiet')!.join(), 'true');
  assert(!p.options.has('help'));
}, { ignore });

test('parseOptions: --help or -h anywhere wins over the rest of the line', async () => {
  for (const args of [['--help'], ['-h'], ['x', '--frob', '-qh'], ['--json=1', '--help']]) {
    const p = await parseOptions(SPEC, args);
    assert(p.options.has('help'), args.join(' '));
  }
}, { ignore });

test('parseOptions: one-line usage errors naming the option and the command', async () => {
  const cases: [string[], string][] = [
    [['--frob'], "unknown option --frob for 'demo'; see glassbox help demo"],
    [['-x'], "unknown option -x for 'demo'"],
    [['--constructor'], "unknown option --constructor for 'demo'"],
    [['--input'], 'option --input needs a value'],
    [['--input', '--json'], "option --input needs a value, got the option '--json'"],
    [['--json=1'], "option --json takes no value, got '1'"],
  ];
  for (const [args, message] of cases) {
    const error = await assertRejects(() => parseOptions(SPEC, args), UsageError);
    assert(error.message.startsWith(message), `${args.join(' ')}: ${error.message}`);
    assert(!error.message.includes('\n'), 'one line');
  }
}, { ignore });

test('wrap: breaks at spaces within the help width, continuing with the indent', () => {
  const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
  const lines = wrap(text, '    ').split('\n');
  assert(lines.length > 1, 'wrapped');
  for (const line of lines) assert(line.length <= HELP_WIDTH, line);
  for (const line of lines.slice(1)) assert(line.startsWith('    word'), line);
  assertEquals(lines.join(' ').replace(/ +/g, ' '), text);
  assertEquals(wrap('  two  spaces kept', ''), '  two  spaces kept');
  const shell = wrap(`glassbox x ${'--a b '.repeat(30)}`.trim(), '  ', ' \\').split('\n');
  for (const line of shell.slice(0, -1)) assert(line.endsWith(' \\') && line.length <= 100, line);
});
