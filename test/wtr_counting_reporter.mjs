// A web-test-runner reporter that counts passed, failed and skipped tests over every session
// (a test file that fails to load counts as one failure) and prints `wtr: N passed, N failed,
// N skipped`. With a path, it also writes the counts there as JSON for `npm test`'s summary.
import { writeFileSync } from 'node:fs';

function countSuite(suite, counts) {
  for (const t of suite.tests ?? []) {
    if (t.skipped) counts.skipped++;
    else if (t.passed) counts.passed++;
    else counts.failed++;
  }
  for (const s of suite.suites ?? []) countSuite(s, counts);
}

export function countingReporter(summaryPath) {
  return {
    onTestRunFinished({ sessions }) {
      const counts = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        if (session.testResults) countSuite(session.testResults, counts);
        const fileFailed = !session.passed && (session.errors?.length ?? 0) > 0;
        if (fileFailed || (!session.testResults && !session.passed)) counts.failed++;
      }
      console.log(
        `wtr: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
      );
      if (summaryPath) writeFileSync(summaryPath, JSON.stringify(counts));
    },
  };
}
