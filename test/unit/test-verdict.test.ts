// The verdict of `npm test` (test/outcome.ts) on a real run of a fixture file with one passing and
// one skipped test: under CI a skip fails the run; elsewhere it passes, and the skip is listed either way.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { type Outcome, verdict } from "../outcome";

// Node's runner refuses to run() files from inside a test file (NODE_TEST_CONTEXT): a driver runs
// the fixture through runFiles in a child process outside that context, as test/run.ts does.
function runFixture(): { outcome: Outcome; report: string } {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const driver = path.join(__dirname, "..", "fixtures", "run-skip-fixture.js");
  const r = spawnSync(process.execPath, [driver], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { outcome: JSON.parse(r.stdout) as Outcome, report: r.stderr };
}
const { outcome, report } = runFixture();
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
