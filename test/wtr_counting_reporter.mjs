// A web-test-runner reporter that counts passed, failed and skipped tests over every session
// (a test file that fails to load counts as one failure) and prints `wtr: N passed, N failed,
// N skipped`, then the slowest test files (wall time from one file's report to the next, with
// concurrency 1 that is the file's own time) and the slowest tests (mocha's durations). With a
// path, it also writes the counts there as JSON for `npm test`'s summary, with every file's time.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const SLOWEST = 15;

function countSuite(suite, counts) {
  for (const t of suite.tests ?? []) {
    if (t.skipped) counts.skipped++;
    else if (t.passed) counts.passed++;
    else counts.failed++;
  }
  for (const s of suite.suites ?? []) countSuite(s, counts);
}

function testTimes(suite, file, out) {
  for (const t of suite.tests ?? []) {
    if (!t.skipped && t.duration !== undefined) out.push({ file, test: t.name, ms: t.duration });
  }
  for (const s of suite.suites ?? []) testTimes(s, file, out);
}

export function countingReporter(summaryPath) {
  let last = Date.now();
  const files = [];
  return {
    start() {
      last = Date.now();
    },
    reportTestFileResults({ testFile }) {
      const now = Date.now();
      files.push({ file: relative(process.cwd(), testFile), seconds: (now - last) / 1000 });
      last = now;
    },
    onTestRunFinished({ sessions }) {
      const counts = { passed: 0, failed: 0, skipped: 0 };
      const tests = [];
      for (const session of sessions) {
        if (session.testResults) {
          countSuite(session.testResults, counts);
          testTimes(session.testResults, relative(process.cwd(), session.testFile), tests);
        }
        const fileFailed = !session.passed && (session.errors?.length ?? 0) > 0;
        if (fileFailed || (!session.testResults && !session.passed)) counts.failed++;
      }
      const byTime = (a, b) => b.seconds - a.seconds;
      const total = files.reduce((s, f) => s + f.seconds, 0);
      console.log(`wtr: ${files.length} files in ${total.toFixed(0)} s; slowest files:`);
      for (const f of [...files].sort(byTime).slice(0, SLOWEST)) {
        console.log(`  ${f.seconds.toFixed(1).padStart(6)} s  ${f.file}`);
      }
      console.log('wtr: slowest tests:');
      for (const t of tests.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) {
        console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file}: ${t.test}`);
      }
      console.log(
        `wtr: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
      );
      if (summaryPath) {
        writeFileSync(summaryPath, JSON.stringify({ ...counts, files, tests }, null, 1));
      }
    },
  };
}
