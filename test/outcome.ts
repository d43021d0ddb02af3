// What running test files came to, and the verdict on a whole run: test/run.ts prints it. Apart from
// run.ts so the verdict (the CI skip gate) can be tested on a fixture without running the suite.
import * as path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { repoRoot } from "../sandbox/toolchain/paths";

/** A test that did not run (or ran as todo), and why. */
interface Skip {
  file: string;
  name: string;
  reason: string;
}

/** A test that failed, and the first lines of its error: the summary at the end of a long log says why. */
interface Failure {
  file: string;
  name: string;
  error: string;
}

export interface Outcome {
  label: string;
  files: number;
  passed: number;
  failed: number;
  failures: Failure[];
  skipped: Skip[];
  seconds: number;
}

/** dist/test/unit/x.test.js → test/unit/x.test.ts: the file to read. */
const sourceOf = (file: string): string =>
  path
    .relative(repoRoot, file)
    .replace(/^dist\//, "")
    .replace(/\.js$/, ".ts");

/** Runs test files with Node's test runner, writing the spec report to `write`, and counts the results. */
export async function runFiles(
  label: string,
  files: string[],
  opts: { concurrency: number; timeout: number },
  write: (chunk: string) => void = (c) => process.stdout.write(c),
): Promise<Outcome> {
  const started = Date.now();
  const outcome: Outcome = { label, files: files.length, passed: 0, failed: 0, failures: [], skipped: [], seconds: 0 };
  if (!files.length) return outcome;
  const stream = run({ files, ...opts });
  stream.on("test:pass", (t) => {
    const why = t.skip || t.todo;
    // A suite's tests report for themselves, except in a skipped suite, which reports only itself.
    if (t.details.type === "suite" && !why) return;
    if (!why) return void outcome.passed++;
    const reason = typeof why === "string" ? why : "no reason given";
    outcome.skipped.push({ file: sourceOf(t.file ?? "?"), name: t.name, reason: t.todo ? `todo: ${reason}` : reason });
  });
  stream.on("test:fail", (t) => {
    if (t.details.type === "suite") return;
    outcome.failed++;
    outcome.failures.push({ file: sourceOf(t.file ?? "?"), name: t.name, error: firstLines(t.details.error) });
  });
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(spec);
    out.on("data", (chunk) => write(String(chunk)));
    out.on("end", resolve);
    out.on("error", reject);
  });
  outcome.seconds = (Date.now() - started) / 1000;
  return outcome;
}

/** Node wraps a test's error (ERR_TEST_FAILURE); its cause is what the test threw. A few lines of it, not a whole dump. */
function firstLines(err: unknown, maxLines = 8, maxChars = 300): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause ?? err;
  const text = cause instanceof Error ? cause.message : String(cause);
  const lines = text.split("\n");
  const kept = lines.slice(0, maxLines).map((l) => (l.length > maxChars ? `${l.slice(0, maxChars)}…` : l));
  if (lines.length > maxLines) kept.push(`… (${lines.length - maxLines} more lines in the report above)`);
  return kept.join("\n");
}

/** CI=true (as CI runs the suite) and any other value but "", "0" and "false". */
const inCI = (env: NodeJS.ProcessEnv): boolean => !["", "0", "false", undefined].includes(env.CI);

/**
 * The summary lines and whether the run passes. A failure fails it, and so does an empty group (a
 * gap in the suite). Under CI a skip fails it too: a part missing there (e.g. Bitcoin Core) must
 * not pass unnoticed. Skips are listed with their reasons either way.
 */
export function verdict(outcomes: Outcome[], env: NodeJS.ProcessEnv): { lines: string[]; ok: boolean } {
  const ci = inCI(env);
  const lines: string[] = [];
  let ok = true;
  for (const o of outcomes) {
    const v = o.failed || (ci && o.skipped.length) ? "FAIL" : o.files === 0 ? "EMPTY" : "ok";
    if (v !== "ok") ok = false;
    lines.push(
      `${o.label.padEnd(12)} ${v.padEnd(6)} files ${String(o.files).padStart(3)}  passed ${String(o.passed).padStart(4)}` +
        `  failed ${String(o.failed).padStart(3)}  skipped ${String(o.skipped.length).padStart(3)}  ${o.seconds.toFixed(1)}s`,
    );
  }
  const failures = outcomes.flatMap((o) => o.failures);
  if (failures.length)
    lines.push(
      `failed (${failures.length}):`,
      ...failures.flatMap((f) => [`  ${f.file}: ${f.name}`, ...f.error.split("\n").map((l) => `      ${l}`)]),
    );
  const skips = outcomes.flatMap((o) => o.skipped);
  if (skips.length) {
    lines.push(`skipped (${skips.length}):`, ...skips.map((s) => `  ${s.file}: ${s.name} — ${s.reason}`));
    if (ci) lines.push(`CI is set: ${skips.length} skipped test(s) fail the run; every test must run in CI`);
  }
  const total = (k: "passed" | "failed") => outcomes.reduce((n, o) => n + o[k], 0);
  lines.push(`total: ${total("passed")} passed, ${total("failed")} failed, ${skips.length} skipped`);
  return { lines, ok };
}
