// converge's loop (pure: the pass is a function): an aborted signal stops it — no pass starts after
// the abort, and the call rejects — so a caller can delete the network knowing nothing re-creates it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { converge } from "../../provider/engine/converge";
import type { ReconcileResult } from "../../provider/engine/types";
import { validateSpec } from "../../provider/spec";

const spec = (() => {
  const r = validateSpec({ nodes: 1 });
  if (!r.ok) throw new Error("spec");
  return r.spec;
})();
const ref = { name: "net", namespace: "ns" };
/** A pass that never converges (no StatefulSet yet), asking to be followed soon. */
const unsettled = async (): Promise<ReconcileResult> => ({ status: undefined as never, changes: [], requeueAfterMs: 10 });

test("an aborted converge starts no further pass and rejects", async () => {
  const stop = new AbortController();
  let passes = 0;
  const done = converge(
    async () => {
      passes++;
      return unsettled();
    },
    ref,
    spec,
    { timeoutSeconds: 2, signal: stop.signal },
  );
  // Let a few passes run, then abort while it waits for the next one.
  while (passes < 3) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await assert.rejects(done, { name: "AbortError" });
  const seen = passes;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(passes, seen, "no pass after the abort");
});

test("a pass in flight when the signal is aborted finishes, and no other starts", async () => {
  const stop = new AbortController();
  let passes = 0;
  const done = converge(
    async () => {
      passes++;
      stop.abort();
      return unsettled();
    },
    ref,
    spec,
    { timeoutSeconds: 2, signal: stop.signal },
  );
  await assert.rejects(done, { name: "AbortError" });
  assert.equal(passes, 1);
});
