// When a network that is still coming together is looked at again: soon after a pass that wrote to
// nodes (its effect shows within a second and the next step waits on it), else at the fallback
// (pods turning Ready arrive as watch events); never once converged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { REQUEUE_AFTER_NODE_WRITE_MS, REQUEUE_MS, requeueAfter } from "../../provider/engine/reconcile";
import type { Change } from "../../provider/engine";

const change = (action: Change["action"]): Change => ({ kind: "Pod", name: "n-0", action, detail: "" });

test("soon after wiring, unwiring or mining; the fallback after API-only changes or none; never once converged", () => {
  assert.ok(REQUEUE_AFTER_NODE_WRITE_MS < 1000 && REQUEUE_AFTER_NODE_WRITE_MS < REQUEUE_MS);
  for (const a of ["wire", "unwire", "mine"] as const)
    assert.equal(requeueAfter([change("create"), change(a)], false), REQUEUE_AFTER_NODE_WRITE_MS, a);
  assert.equal(requeueAfter([change("create"), change("scale")], false), REQUEUE_MS);
  assert.equal(requeueAfter([], false), REQUEUE_MS);
  assert.equal(requeueAfter([change("wire")], true), undefined);
});
