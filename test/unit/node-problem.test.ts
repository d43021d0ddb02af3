// Why a node's pod is not Ready, read from what the kubelet reports (observe.ts nodeProblem): the
// words regnet puts in status, the converge error and the controller's Events.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as k8s from "@kubernetes/client-node";
import { nodeProblem } from "../../provider/engine/observe";

function pod(node: Partial<k8s.V1ContainerStatus>, over: Partial<k8s.V1PodStatus> = {}): k8s.V1Pod {
  return {
    metadata: { name: "net-0" },
    status: {
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [
        { name: "miner", image: "x", imageID: "x", ready: false, restartCount: 0, state: { running: {} } },
        { name: "node", image: "x", imageID: "x", ready: false, restartCount: 0, ...node },
      ],
      ...over,
    },
  };
}

test("a crash-looping node: its exit code and the last lines its run printed, the same on every restart", () => {
  const crashed = (restartCount: number, state: k8s.V1ContainerState) =>
    pod({
      restartCount,
      state,
      lastState: { terminated: { exitCode: 1, reason: "Error", message: "unknown flag `foo'\nUse btcd -h to show usage\n" } },
    });
  const waiting = nodeProblem(crashed(2, { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s restarting failed container" } }));
  assert.equal(waiting, "container node exited with code 1: unknown flag `foo' | Use btcd -h to show usage");
  assert.equal(nodeProblem(crashed(3, { running: {} })), waiting, "restarting again: worded the same (no status write per restart)");
});

test("only the last three lines of a long log, and a long one cut from its start", () => {
  const message = ["a", "b", "c", "d", "Error: Error parsing command line arguments: Invalid parameter -foo"].join("\n");
  assert.equal(
    nodeProblem(pod({ state: { terminated: { exitCode: 1, message } } })),
    "container node exited with code 1: c | d | Error: Error parsing command line arguments: Invalid parameter -foo",
  );
  const long = nodeProblem(pod({ state: { terminated: { exitCode: 1, message: `${"x".repeat(1000)} the end` } } }))!;
  assert.ok(long.length < 500 && long.endsWith("the end"), long);
});

test("a kill or an OOM says so; an exit without a message gives the code alone", () => {
  assert.equal(
    nodeProblem(pod({ state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } } })),
    "container node exited with code 137 (OOMKilled)",
  );
  assert.equal(nodeProblem(pod({ lastState: { terminated: { exitCode: 137, reason: "Error" } } })), "container node exited with code 137");
});

test("waiting for something other than starting: the reason and the kubelet's message", () => {
  assert.equal(
    nodeProblem(pod({ state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "net-rpc" not found' } } })),
    'container node waiting: CreateContainerConfigError: secret "net-rpc" not found',
  );
  assert.equal(nodeProblem(pod({ state: { waiting: { reason: "ContainerCreating" } } })), undefined, "starting is no problem");
  assert.equal(nodeProblem(pod({ state: { running: {} } })), undefined, "running, not Ready yet, never failed");
});

test("a pod the scheduler cannot place", () => {
  assert.equal(
    nodeProblem({
      status: {
        phase: "Pending",
        conditions: [
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Insufficient memory." },
        ],
      },
    }),
    "not scheduled: Unschedulable: 0/1 nodes are available: 1 Insufficient memory.",
  );
});

test("a Ready pod has no problem, whatever its last run did", () => {
  const ready = pod({ ready: true, state: { running: {} }, lastState: { terminated: { exitCode: 137 } } });
  ready.status!.phase = "Running";
  ready.status!.conditions = [{ type: "Ready", status: "True" }];
  assert.equal(nodeProblem(ready), undefined);
});
