// The verdict of `npm test` (test/outcome.ts) on real runs of fixture files: one with a passing and a
// skipped test (under CI a skip fails the run; elsewhere it passes, and the skip is listed either
// way), one with a failing test (the summary, the last lines of a long log, says what failed and why).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { type Outcome, verdict } from "../outcome";

// Node's runner refuses to run() files from inside a test file (NODE_TEST_CONTEXT): a driver runs
// the fixture through runFiles in a child process outside that context, as test/run.ts does.
function runFixture(file: string): { outcome: Outcome; report: string } {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const driver = path.join(__dirname, "..", "fixtures", "run-fixture.js");
  const r = spawnSync(process.execPath, [driver, file], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { outcome: JSON.parse(r.stdout) as Outcome, report: r.stderr };
}
const { outcome, report } = runFixture("skip.fixture.js");
const skipLine = "  test/fixtures/skip.fixture.ts: needs a part this machine lacks — the part is not installed";

test("the runner counts the fixture's pass and its skip with the reason Node reports", () => {
  const o = outcome;
  assert.equal(o.passed, 1, report);
  assert.equal(o.failed, 0, report);
  assert.deepEqual(o.skipped, [
    { file: "test/fixtures/skip.fixture.ts", name: "needs a part this machine lacks", reason: "the part is not installed" },
  ]);
});

test("with CI=true a skipped test fails the run, and the summary names it and why", () => {
  const { lines, ok } = verdict([outcome], { CI: "true" });
  assert.equal(ok, false);
  assert.match(lines[0], /^fixture\s+FAIL\s/);
  assert.ok(lines.includes(skipLine), lines.join("\n"));
  assert.ok(
    lines.some((l) => l.startsWith("CI is set: 1 skipped test(s) fail the run")),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "total: 1 passed, 0 failed, 1 skipped");
});

test("without CI (or CI=false) skips are allowed, and still listed with their reasons", () => {
  for (const env of [{}, { CI: "false" }]) {
    const { lines, ok } = verdict([outcome], env);
    assert.equal(ok, true, JSON.stringify(env));
    assert.match(lines[0], /^fixture\s+ok\s/);
    assert.ok(lines.includes(skipLine), lines.join("\n"));
    assert.ok(!lines.some((l) => l.startsWith("CI is set")), lines.join("\n"));
    assert.equal(lines.at(-1), "total: 1 passed, 0 failed, 1 skipped");
  }
});

test("a failed test is counted, and the summary ends with its file, its name and its error's lines", () => {
  const failing = runFixture("fail.fixture.js");
  assert.equal(failing.outcome.passed, 1, failing.report);
  assert.equal(failing.outcome.failed, 1, failing.report);
  for (const env of [{}, { CI: "true" }]) {
    const { lines, ok } = verdict([failing.outcome], env);
    assert.equal(ok, false);
    const at = lines.indexOf("failed (1):");
    assert.notEqual(at, -1, lines.join("\n"));
    assert.deepEqual(lines.slice(at, at + 4), [
      "failed (1):",
      "  test/fixtures/fail.fixture.ts: waits for a node that never answers",
      "      timed out waiting for node 0",
      "      last error: connect ECONNREFUSED",
    ]);
    assert.equal(lines.at(-1), "total: 1 passed, 1 failed, 0 skipped");
  }
});
