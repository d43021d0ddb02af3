// refusals() (test/support/controller-log.ts): what platform-controller.test.ts counts as the
// controller being refused a request. It once matched /forbidden|\b403\b/ on whole lines, so a
// reconcile that took 403 ms, or 1.403 s, read as a refusal.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { refusals } from "../support/controller-log";

const line = (o: object) => JSON.stringify({ level: 30, time: 1796583824061, pid: 9894, name: "regnet-controller", ...o });

test("a reconcile that took 403 ms or 1.403 s, or waits 403 ms, is not a refusal", () => {
  const log = [
    line({
      component: "engine",
      network: "ring",
      ms: 403,
      boot: "mined",
      changes: ["wire Pod ring-0: node 0 added peer 10.244.0.7:18444"],
      msg: "reconciled",
    }),
    line({ network: "ns/ring", result: "requeue", changes: 3, requeueAfterMs: 403, seconds: 1.403, msg: "reconcile done" }),
    line({
      level: 40,
      network: "ns/ring",
      err: "HTTP 409: Operation cannot be fulfilled",
      retries: 1,
      retryInMs: 403,
      msg: "reconcile failed; will retry",
    }),
    "",
  ].join("\n");
  assert.deepEqual(refusals(log), []);
});

test("an err of HTTP 403 or naming 'forbidden' is a refusal, and so is a plain line saying forbidden", () => {
  const denied = line({
    level: 40,
    network: "ns/ring",
    err: 'HTTP 403: secrets "ring-rpc" is forbidden: User "system:serviceaccount:x:y" cannot get resource "secrets"',
    msg: "reconcile failed; will retry",
  });
  const watch = line({ level: 40, err: "Forbidden", retryInMs: 800, msg: "list/watch failed; restarting the informer" });
  const plain = "Error from server (Forbidden): pods is forbidden";
  assert.deepEqual(refusals([line({ msg: "starting" }), denied, watch, plain].join("\n")), [denied, watch, plain]);
});
