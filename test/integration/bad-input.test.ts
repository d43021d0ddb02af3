// The bad-input battery (issue 12): every case of test/support/bad-input-cases.ts is tried through the
// real API server with the CRD installed and through the real Pulumi CLI (preview, or up where only
// the cluster can tell), must be refused with a message naming the field and the fix, and the test
// namespace is listed after each to prove nothing was created. Ends with one summary line.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { apiStatus } from "../../provider/kube/errors";
import { GROUP, PLURAL, VERSION } from "../../provider/spec";
import { BAD_INPUT_CASES, type BadInputCase, type Surface } from "../support/bad-input-cases";
import { kubeConfig, kubeconfigPath, repoRoot, waitFor } from "../support/cluster";
import { closeTestStack, namespaceObjects, openTestStack, runElsewhere, type TestStack } from "../support/pulumi";
import { applyPlatform } from "./platform-helpers";

const controllerMain = path.join(repoRoot, "dist", "provider", "controller", "main.js");
const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
let t: TestStack;
let ns: string;
let files: { missing: string; deadServer: string };

before(async () => {
  applyPlatform();
  t = await openTestStack("bad-input", "bad", (namespace) => ({ namespace, kubeconfigPath, networks: [] }));
  ns = t.ns.name;
  fs.writeFileSync(path.join(t.root, "dead.kubeconfig"), deadServerKubeconfig(await closedPort()));
  files = { missing: path.join(t.root, "no-such.kubeconfig"), deadServer: path.join(t.root, "dead.kubeconfig") };
  // Right after the CRD is (re)established its storage may still answer 429 for a moment.
  await waitFor("the BitcoinNetwork list to answer", () => listing().then(() => true));
});

after(() => closeTestStack(t));

/** A port nothing listens on: one the kernel just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A kubeconfig like the sandbox's, but its server is a port nothing listens on. */
function deadServerKubeconfig(port: number): string {
  const kc = kubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const dead = new k8s.KubeConfig();
  dead.loadFromOptions({
    clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return dead.exportConfig();
}

const network = (name: string, spec: unknown) => ({ apiVersion: `${GROUP}/${VERSION}`, kind: "BitcoinNetwork", metadata: { name }, spec });
const crd = { group: GROUP, version: VERSION, plural: PLURAL };

/** Everything in the test namespace: the networks and every object a network would make. */
async function listing(): Promise<string[]> {
  const nets = (await custom.listNamespacedCustomObject({ ...crd, namespace: ns })) as { items: { metadata: { name: string } }[] };
  return [...nets.items.map((n) => `bitcoinnetwork/${n.metadata.name}`), ...(await namespaceObjects(ns))].sort();
}

/** The refusal's message, or undefined when the surface accepted the input. */
type Attempt = () => Promise<string | undefined>;

function apiMessage(err: unknown): string {
  const status = apiStatus(err);
  if (status && [400, 422].includes(status.code)) return status.message ?? "";
  throw err;
}

/** A run elsewhere that failed said why in its output; one that succeeded accepted the input. */
const refusal = async (exited: Promise<{ code: number | null; output: string }>) => {
  const { code, output } = await exited;
  return code === 0 ? undefined : output;
};

function attempt(c: BadInputCase, surface: Surface): Attempt {
  const name = c.name ?? "bad";
  switch (surface) {
    case "api":
      return () =>
        custom
          .createNamespacedCustomObject({ ...crd, namespace: ns, body: network(name, c.spec), fieldValidation: "Strict" })
          .then(() => undefined, apiMessage);
    case "update":
      return async () => {
        const live = (await custom.getNamespacedCustomObject({ ...crd, namespace: ns, name })) as Record<string, unknown>;
        return custom
          .replaceNamespacedCustomObject({ ...crd, namespace: ns, name, body: { ...live, spec: c.spec } })
          .then(() => undefined, apiMessage);
      };
    // Each run in a process of its own, as a user's `pulumi preview` or `up` is: a failed inline run's
    // late rejections (the Node SDK's) would fail the next case's run in this process (CI saw
    // "14 UNAVAILABLE: No connection established" in a preview that should have said spec.image).
    case "preview":
    case "up":
      return async () => {
        const config = { namespace: ns, kubeconfigPath, networks: [{ name, ...(c.spec as object) }], ...c.config?.(files) };
        return refusal(runElsewhere(surface, { options: { ...t.options, config } }).exited);
      };
    case "controller":
      return async () => {
        // A controller that accepted its flags keeps running: the timeout ends it, and it counts as accepted.
        const r = spawnSync(process.execPath, [controllerMain, ...c.controllerArgs!(files)], { encoding: "utf8", timeout: 20_000 });
        return r.status !== null && r.status !== 0 ? r.stderr : undefined;
      };
    case "unknown":
      return () =>
        refusal(
          runElsewhere("preview", {
            options: { stackName: "unknown", stateDir: path.join(t.root, "state"), config: {} },
            unknownNodes: { name, namespace: ns, kubeconfigPath, spec: c.spec as Record<string, unknown> },
          }).exited,
        );
  }
}

/** Stores what a case needs to exist before it: a live network, a Secret that is not the network's. */
async function arrange(c: BadInputCase): Promise<() => Promise<void>> {
  const name = c.name ?? "bad";
  if (c.live !== undefined) await custom.createNamespacedCustomObject({ ...crd, namespace: ns, body: network(name, c.live) });
  if (c.foreignSecret)
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: c.foreignSecret }, stringData: { note: "someone else's" } },
    });
  return async () => {
    if (c.live !== undefined) await custom.deleteNamespacedCustomObject({ ...crd, namespace: ns, name });
    if (c.foreignSecret) await core.deleteNamespacedSecret({ namespace: ns, name: c.foreignSecret });
  };
}

/** Removes what an accepted case made, so that the next case starts from the same namespace. */
async function undo(before: string[]): Promise<void> {
  for (const item of (await listing()).filter((i) => !before.includes(i))) {
    const [kind, name] = item.split("/");
    if (kind === "bitcoinnetwork") await custom.deleteNamespacedCustomObject({ ...crd, namespace: ns, name });
  }
  await t.stack.destroy({ color: "never" }).catch(() => undefined);
}

interface Outcome {
  id: string;
  refused: boolean;
  created: string[];
  lines: string[];
}
const outcomes: Outcome[] = [];

for (const c of BAD_INPUT_CASES) {
  test(`bad input: ${c.id}`, async () => {
    const cleanup = await arrange(c);
    const before = await listing();
    const problems: string[] = [];
    const lines: string[] = [];
    for (const surface of c.surfaces) {
      const message = await attempt(c, surface)();
      const fix = c.fix[surface]!;
      if (message === undefined) problems.push(`${surface}: accepted`);
      else {
        if (!message.includes(c.field)) problems.push(`${surface}: does not name ${c.field}: ${message}`);
        if (!fix.test(message)) problems.push(`${surface}: does not say the fix ${fix}: ${message}`);
      }
      lines.push(`  ${surface.padEnd(7)} ${message === undefined ? "ACCEPTED" : oneLine(message)}`);
    }
    const now = await listing();
    const created = now.filter((i) => !before.includes(i));
    if (created.length) await undo(before);
    await cleanup();
    outcomes.push({ id: c.id, refused: problems.length === 0, created, lines });
    assert.deepEqual({ created, problems }, { created: [], problems: [] }, c.id);
  });
}

/** The part of a (possibly multi-line Pulumi) message that says what is wrong. */
function oneLine(message: string): string {
  const hit = message
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /error: |Invalid value|Unsupported value|unknown field|is invalid|refused/.test(l));
  return (hit ?? message.split("\n")[0]).slice(0, 240);
}

test("summary", () => {
  // Each surface's answer to a case that was not refused as it should be; then the one summary line.
  for (const o of outcomes.filter((o) => !o.refused || o.created.length)) console.log(`FAILED ${o.id}\n${o.lines.join("\n")}`);
  const refused = outcomes.filter((o) => o.refused).length;
  const created = outcomes.filter((o) => o.created.length).length;
  console.log(`bad-input: ${outcomes.length} tried, ${refused} refused, ${created} created`);
  assert.equal(outcomes.length, BAD_INPUT_CASES.length, "every case ran");
  assert.ok(outcomes.length >= 30);
  assert.equal(refused, outcomes.length, "every case refused, naming the field and the fix");
  assert.equal(created, 0, "nothing created");
});
