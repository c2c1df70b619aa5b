// `npm test`: every check in order — deno fmt --check, deno lint, deno check, deno doc --lint,
// the WGSL compile check, the custom-elements.json check, deno test (WebGPU via wgpu) and
// web-test-runner (Chromium, WebGPU via Dawn) — all run even when an earlier one fails, so one run shows every problem. Ends with one
// plain line, `N passed, N failed, N skipped`, counting the tests of both runners plus one
// failure per failed static check; exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const env = { ...process.env };
env.PATH = `${join(root, 'node_modules', '.bin')}${delimiter}${env.PATH}`;
env.DENO_NO_UPDATE_CHECK = '1';
// wgpu warns without it; any existing folder will do.
env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'glassbox-xdg-'));

const only = process.argv.slice(2);
// `deno test` type-checks every test module before it runs one (8–11 s on the 2-core machine even
// after `deno check` has filled its cache); when the typecheck step runs too, it has checked the
// same files (src/, test/, components/), so the test step skips that second pass.
const typechecked = only.length === 0 || only.includes('typecheck');
const steps = [
  { name: 'fmt', cmd: ['deno', 'fmt', '--check'] },
  { name: 'lint', cmd: ['deno', 'lint'] },
  { name: 'typecheck', cmd: ['deno', 'check', 'src/', 'test/', 'bench/', 'demo/', 'components/'] },
  { name: 'doc-lint', cmd: ['deno', 'doc', '--lint', 'src/mod.ts'] },
  { name: 'wgsl', cmd: ['deno', 'run', '--allow-read', '--allow-env', 'test/check_wgsl.ts'] },
  {
    name: 'manifest',
    cmd: ['deno', 'run', '--allow-read', 'components/make_manifest.ts', '--check'],
  },
  {
    name: 'deno-test',
    cmd: [
      'deno',
      'test',
      '--allow-read',
      '--allow-write',
      '--allow-env',
      // The CLI's tests run it as a subprocess too (what reaches stdout with --out /dev/stdout).
      '--allow-run',
      ...(typechecked ? ['--no-check'] : []),
      `--junit-path=${join(results, 'deno.xml')}`,
    ],
    counts: () => denoCounts(join(results, 'deno.xml')),
  },
  // The JSR package: `deno publish` refuses slow types, so the dry run checks them.
  { name: 'jsr', cmd: ['deno', 'publish', '--dry-run', '--allow-dirty'] },
  {
    name: 'package',
    cmd: ['node', 'test/package_check.mjs'],
    env: { GLASSBOX_PACKAGE_SUMMARY: join(results, 'package.json') },
    counts: () => JSON.parse(readFileSync(join(results, 'package.json'), 'utf8')),
  },
  {
    name: 'browser-test',
    cmd: ['wtr'],
    env: { GLASSBOX_WTR_SUMMARY: join(results, 'wtr.json') },
    counts: () => JSON.parse(readFileSync(join(results, 'wtr.json'), 'utf8')),
  },
].filter((s) => only.length === 0 || only.includes(s.name));

function denoCounts(path) {
  const xml = readFileSync(path, 'utf8');
  const cases = xml.split('<testcase ').slice(1);
  let failed = 0;
  let skipped = 0;
  for (const c of cases) {
    if (/<(failure|error)[\s>]/.test(c)) failed++;
    else if (/<skipped/.test(c)) skipped++;
  }
  return { passed: cases.length - failed - skipped, failed, skipped };
}

const total = { passed: 0, failed: 0, skipped: 0 };
const report = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const started = Date.now();
  let run;
  for (let attempt = 1;; attempt++) {
    run = spawnSync(step.cmd[0], step.cmd.slice(1), {
      cwd: root,
      env: { ...env, ...step.env },
      stdio: 'inherit',
    });
    // Deno's WebGPU (wgpu on lavapipe) sometimes aborts in its native teardown ("double free
    // or corruption") after every test has run and the report is written. Only that case is
    // run again — a signal with a complete report and no failed test — at most twice; any test
    // failure, or a crash before the report, counts as it is.
    let report = null;
    try {
      report = step.counts?.();
    } catch {
      // no report
    }
    const teardownCrash = run.signal && report && report.failed === 0 && report.passed > 0;
    if (!teardownCrash || attempt === 3) break;
    console.log(
      `\n=== ${step.name}: ${run.signal} after all tests reported (runtime teardown crash); ` +
        `running again (${attempt}/2)`,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let line;
  if (step.counts) {
    let counts = null;
    try {
      counts = step.counts();
    } catch {
      // No results file: the runner did not get as far as running tests.
    }
    if (counts) {
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
      if (run.status !== 0 && counts.failed === 0) total.failed++;
      line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
    } else {
      total.failed++;
      line = 'did not run its tests';
    }
  } else {
    if (run.status !== 0) total.failed++;
    line = run.status === 0 ? 'clean' : 'FAILED';
  }
  const status = run.error
    ? `could not start (${run.error.message})`
    : run.signal
    ? `killed by ${run.signal}`
    : `exit ${run.status}`;
  report.push(`${step.name.padEnd(13)} ${status.padEnd(8)} ${seconds.padStart(6)} s  ${line}`);
}

console.log('\n=== summary');
for (const line of report) console.log(line);
if (!existsSync(join(root, 'node_modules'))) console.log('(node_modules missing: run npm ci)');
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
