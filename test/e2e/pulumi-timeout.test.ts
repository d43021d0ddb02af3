// A network that cannot converge within `convergeTimeoutSeconds`: `up` fails with the engine's
// node-by-node account of what is missing and the resource stays tracked in state (an
// initialization error, not an orphan in the cluster). Right after that failed `up`, `destroy`
// removes everything, also for Core nodes that take their grace period to stop; after another failed
// `up`, `refresh` reads it and the next `up` with time to spare completes it.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { kubeconfigPath } from "../support/cluster";
import { missing } from "../support/prereqs";
import { closeTestStack, namespaceObjects, networkResources, openTestStack, type StateResource, type TestStack } from "../support/pulumi";

let t: TestStack | undefined;
let ns: TestStack["ns"];
let stack: Stack;
const NETWORK = [{ name: "slow", nodes: 2, implementation: "btcd" }];

before(async () => {
  t = await openTestStack("pulumi-timeout", "timeout", (namespace) => ({
    namespace,
    kubeconfigPath,
    networks: NETWORK,
    convergeTimeoutSeconds: 1,
  }));
  ({ ns, stack } = t);
});

after(() => closeTestStack(t, { destroy: true }));

async function tracked(): Promise<StateResource | undefined> {
  return (await networkResources(stack))[0];
}

/** `up` with the 1 s bound: fails naming what the nodes lack, and leaves the network tracked. */
async function failedUp(name = "slow"): Promise<void> {
  const failed = await stack.up({ color: "never" }).then(
    () => "",
    (err: Error) => err.message,
  );
  process.stderr.write(
    `[pulumi-timeout] ${failed
      .split("\n")
      .find((l) => l.includes("did not converge"))
      ?.trim()}\n`,
  );
  assert.match(failed, /did not converge within 1 s/);
  assert.match(failed, /node [01]\b.*(no pod yet|not Ready|peers|RPC not answering)|the network has no StatefulSet yet/);
  const res = await tracked();
  assert.ok(res, "the network is in state despite the timeout");
  assert.equal(res.id, `${ns.name}/${name}`);
  assert.ok((res.initErrors ?? []).length > 0, JSON.stringify(res.initErrors));
}

test("destroy right after a failed up removes the network and empties the stack", async () => {
  await failedUp();
  assert.notDeepEqual(await namespaceObjects(ns.name), [], "the failed up made objects");

  await stack.destroy({ color: "never" });
  assert.deepEqual(await namespaceObjects(ns.name), []);
  assert.equal(await tracked(), undefined);
});

test("after a failed up, refresh reads the network and an up with time to spare completes it", async () => {
  await failedUp();
  const refresh = await stack.refresh({ color: "never" });
  assert.equal(refresh.summary.result, "succeeded");
  assert.ok(await tracked(), "refresh keeps the network tracked");

  await stack.setConfig("regnet:convergeTimeoutSeconds", { value: "300" });
  const up = await stack.up({ color: "never" });
  const net = (up.outputs.networks.value as Record<string, { readyNodes: number; wired: boolean }>).slow;
  assert.deepEqual([net.readyNodes, net.wired], [2, true]);

  await stack.destroy({ color: "never" });
  assert.deepEqual(await namespaceObjects(ns.name), []);
});

test(
  "destroy after a failed up waits for Core nodes to stop, however short convergeTimeoutSeconds is",
  { skip: missing("bitcoin-core") },
  async () => {
    await stack.setAllConfig({
      "regnet:convergeTimeoutSeconds": { value: "1" },
      "regnet:networks": { value: JSON.stringify([{ name: "core", nodes: 1, implementation: "bitcoin-core" }]) },
    });
    await failedUp("core");
    const started = Date.now();
    await stack.destroy({ color: "never" });
    process.stderr.write(`[pulumi-timeout] destroy of the Core network took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    assert.deepEqual(await namespaceObjects(ns.name), []);
    assert.equal(await tracked(), undefined);
  },
);
