// `pulumi up` of a network whose namespace does not exist fails at once with the engine's message
// (the namespace and how to fix it), instead of retrying for the whole convergeTimeoutSeconds.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { kubeConfig, kubeconfigPath } from "../support/cluster";
import { closeTestStack, networkResources, openTestStack, type TestStack } from "../support/pulumi";

let t: TestStack | undefined;
let missingNs = "";
const TIMEOUT_SECONDS = 60;

before(async () => {
  t = await openTestStack("pulumi-ns", "nsmissing", (namespace) => {
    missingNs = `${namespace}-gone`;
    return {
      namespace: missingNs,
      kubeconfigPath,
      networks: [{ name: "lost", nodes: 1, implementation: "btcd" }],
      convergeTimeoutSeconds: TIMEOUT_SECONDS,
    };
  });
});

after(() => closeTestStack(t, { destroy: true }));

test("up into a missing namespace fails fast, naming the namespace and the fix", async () => {
  const started = Date.now();
  const failed = await t!.stack.up({ color: "never" }).then(
    () => "",
    (err: Error) => err.message,
  );
  const ms = Date.now() - started;
  process.stderr.write(
    `[pulumi-namespace] failed after ${ms} ms: ${failed
      .split("\n")
      .find((l) => l.includes("does not exist"))
      ?.trim()}\n`,
  );
  assert.ok(ms < TIMEOUT_SECONDS * 1000, `up failed before the ${TIMEOUT_SECONDS} s converge timeout (${ms} ms)`);
  assert.doesNotMatch(failed, /did not converge/);
  assert.match(failed, new RegExp(`namespace "${missingNs}" does not exist`));
  assert.match(failed, new RegExp(`kubectl create namespace ${missingNs}`));
  await assert.rejects(
    kubeConfig().makeApiClient(k8s.CoreV1Api).readNamespace({ name: missingNs }),
    (e: unknown) => e instanceof k8s.ApiException && e.code === 404,
  );
  // Nothing was made, so nothing is tracked: the stack holds no BitcoinNetwork to retry or destroy.
  const tracked = await networkResources(t!.stack);
  assert.deepEqual(tracked, [], "no BitcoinNetwork in state after a refused create");
});
