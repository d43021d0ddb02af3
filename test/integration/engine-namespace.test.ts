// A network in a namespace that does not exist: not a transient state, so converge reports it at
// once (not after its whole timeout) with the namespace and the fix, and creates nothing — not the
// namespace either (regnet leaves namespaces to their owners).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { createEngine, NamespaceNotFoundError, type Engine } from "../../provider/engine";
import { validateSpec } from "../../provider/spec";
import { kubeConfig } from "../support/cluster";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
let engine: Engine;
const missingNs = `regnet-missing-${Date.now().toString(36)}`;

before(() => {
  engine = createEngine({ kubeConfig: kc, rpcAccess: "direct", rpcTimeoutMs: 2000 });
});

after(() => engine.close());

test("converge into a missing namespace fails at once, naming the namespace and the fix", async () => {
  const r = validateSpec({ nodes: 1, implementation: "btcd" });
  assert.ok(r.ok);
  const timeoutSeconds = 60;
  const started = Date.now();
  const err = await engine.converge({ name: "lost", namespace: missingNs }, r.spec, { timeoutSeconds }).catch((e: unknown) => e);
  const ms = Date.now() - started;
  console.log(`# failed after ${ms} ms: ${(err as Error).message}`);
  assert.ok(err instanceof Error);
  assert.ok(ms < timeoutSeconds * 1000, `reported before the ${timeoutSeconds} s timeout, not at it (${ms} ms)`);
  assert.doesNotMatch(err.message, /did not converge/);
  assert.match(err.message, new RegExp(`namespace "${missingNs}" does not exist`));
  assert.match(err.message, new RegExp(`kubectl create namespace ${missingNs}`));
  assert.match(err.message, /regnet:namespace/);
  assert.ok(err instanceof NamespaceNotFoundError, "a NamespaceNotFoundError, which the front doors can tell apart");
  // Nothing was made: not the namespace, nor (as they could not be) any of the network's objects.
  await assert.rejects(core.readNamespace({ name: missingNs }), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
});
