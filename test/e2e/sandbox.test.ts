// End to end on the sandbox, against the node runner (sandbox/runner): a 2-replica StatefulSet of
// real btcd v0.26.2 nodes, each pod a host of its own on the sandbox bridge (readiness that follows
// the RPC, RPC on both pod IPs, block relay after addnode, kubectl logs/exec/port-forward, deletion
// that stops the process and lets the StatefulSet start a new one); the pods' service-account
// token, RBAC and per-container volumes; restarts with back-off, probes, grace periods, claims.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { kubeConfig, sandboxKubeconfig, tempNamespace, waitFor } from "../support/cluster";
import { toolPath } from "../../sandbox/toolchain/paths";
import { currentInstance } from "../../sandbox/cluster/instance";

const run = promisify(execFile);
const IMAGE = "ghcr.io/regnet-dev/btcd:v0.26.2";
const MINING_ADDR = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq3xueyj";
const RPC_USER = "regnet";
const RPC_PASS = `pw-${Math.random().toString(36).slice(2)}`;
const kubeconfigPath = process.env.KUBECONFIG ?? sandboxKubeconfig;
/** The sandbox bridge's address: the pods' gateway and hostIP (of the sandbox REGNET_SANDBOX names). */
const GATEWAY = process.env.REGNET_GATEWAY ?? currentInstance().gateway;
const SUBNET = GATEWAY.split(".").slice(0, 2).join(".");

/** JSON-RPC 1.0 to btcd over TLS (its self-made certificate: not verified in this test). */
function rpc<T>(host: string, port: number, method: string, params: unknown[] = []): Promise<T> {
  const body = JSON.stringify({ jsonrpc: "1.0", id: 1, method, params });
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host,
        port,
        method: "POST",
        path: "/",
        rejectUnauthorized: false,
        auth: `${RPC_USER}:${RPC_PASS}`,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: 3000,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (data += c));
        res.on("end", () => {
          try {
            const j = JSON.parse(data) as { result: T; error: { message: string } | null };
            if (j.error) reject(new Error(`${method}: ${j.error.message}`));
            else resolve(j.result);
          } catch {
            reject(new Error(`${method}: HTTP ${res.statusCode}: ${data.slice(0, 200)}`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method}: timeout`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** kubectl against the sandbox; a failure carries the command's whole stderr. */
async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(toolPath("kubectl"), ["--kubeconfig", kubeconfigPath, ...args], { encoding: "utf8", timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${args.join(" ")} failed: ${e.message}\nstdout: ${e.stdout ?? ""}\nstderr: ${e.stderr ?? ""}`, { cause: err });
  }
}

const isReady = (p: k8s.V1Pod | undefined): boolean =>
  p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const pidOf = (p: k8s.V1Pod): number => Number(/^regnet:\/\/(\d+)$/.exec(p.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// btcd gets its RPC credentials from a config file written at start from env (a Secret), so they
// never appear in any process's arguments; btcctl reads the same file. The start is delayed, so
// the pod is Running-but-not-Ready until btcd's RPC answers the readiness probe.
const START = [
  "sleep 3",
  "umask 077",
  `printf '[Application Options]\\nrpcuser=%s\\nrpcpass=%s\\n' "$RPC_USER" "$RPC_PASS" > /data/btcd.conf`,
  [
    "exec btcd --regtest --datadir=/data/chain --logdir=/data/logs -C /data/btcd.conf",
    "--listen=0.0.0.0:18444 --rpclisten=0.0.0.0:18334 --rpccert=/data/rpc.cert --rpckey=/data/rpc.key",
    `--miningaddr=${MINING_ADDR} --utxocachemaxsize=8 --sigcachemaxsize=1000 --externalip=$(POD_IP)`,
  ].join(" "),
].join("\n");
const BTCCTL = "btcctl --regtest --rpcserver=127.0.0.1:18334 --rpccert=/data/rpc.cert -C /data/btcd.conf";

describe("sandbox node runner: a btcd StatefulSet", { timeout: 240_000 }, () => {
  let ns: string;
  let cleanup: () => Promise<void>;
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const pod = (name: string) => core.readNamespacedPod({ name, namespace: ns });

  before(async () => {
    ({ name: ns, cleanup } = await tempNamespace("sandbox"));
    await waitFor("the default service account", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true),
    );
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "btcd-rpc" }, stringData: { user: RPC_USER, password: RPC_PASS } },
    });
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: "btcd" },
        spec: {
          serviceName: "btcd",
          replicas: 2,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: { app: "btcd" } },
          template: {
            metadata: { labels: { app: "btcd" } },
            spec: {
              terminationGracePeriodSeconds: 10,
              volumes: [{ name: "data", emptyDir: {} }],
              containers: [
                {
                  name: "btcd",
                  image: IMAGE,
                  command: ["sh", "-c", START],
                  env: [
                    { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                    { name: "RPC_USER", valueFrom: { secretKeyRef: { name: "btcd-rpc", key: "user" } } },
                    { name: "RPC_PASS", valueFrom: { secretKeyRef: { name: "btcd-rpc", key: "password" } } },
                  ],
                  ports: [
                    { name: "p2p", containerPort: 18444 },
                    { name: "rpc", containerPort: 18334 },
                  ],
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                  readinessProbe: { exec: { command: ["sh", "-c", `${BTCCTL} getblockcount`] }, periodSeconds: 1, timeoutSeconds: 3 },
                },
              ],
            },
          },
        },
      },
    });
  });

  after(async () => {
    await cleanup?.();
  });

  it("marks both pods Ready only once their RPC answers, on their own pod IPs", async () => {
    const sawRunningNotReady = new Set<string>();
    const readyWithoutRpc: string[] = [];
    // Both pods start in parallel: watch both in one loop, so neither's not-Ready phase is missed.
    const observe = async (name: string): Promise<boolean> => {
      const p = await pod(name).catch(() => undefined);
      const ip = p?.status?.podIP;
      if (!p || !ip) return false;
      const ready = isReady(p);
      const answers = await rpc<number>(ip, 18334, "getblockcount").then(
        () => true,
        () => false,
      );
      // Readiness follows the RPC: a pod seen Ready must answer (its probe went through btcctl).
      if (ready && !answers) readyWithoutRpc.push(name);
      if (!ready && !answers && p.status?.containerStatuses?.[0]?.state?.running) sawRunningNotReady.add(name);
      return ready;
    };
    await waitFor("btcd-0 and btcd-1 Ready", async () => (await Promise.all([observe("btcd-0"), observe("btcd-1")])).every(Boolean), {
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    assert.deepEqual(readyWithoutRpc, [], "no pod is Ready before its RPC answers");
    assert.deepEqual(
      [...sawRunningNotReady].sort(),
      ["btcd-0", "btcd-1"],
      "each pod was seen Running but not Ready while its RPC did not answer",
    );

    const [p0, p1] = await Promise.all([pod("btcd-0"), pod("btcd-1")]);
    const ips = [p0.status!.podIP!, p1.status!.podIP!];
    assert.notEqual(ips[0], ips[1]);
    for (const ip of ips) {
      assert.ok(ip.startsWith(`${SUBNET}.`), `${ip} is in the bridge's subnet ${SUBNET}.0.0/16`);
      assert.notEqual(ip, GATEWAY);
      assert.equal(await rpc<number>(ip, 18334, "getblockcount"), 0);
    }
    assert.deepEqual(
      p0.status?.podIPs?.map((x) => x.ip),
      [ips[0]],
    );
    assert.equal(p0.status?.hostIP, GATEWAY);
    assert.equal(p0.status?.phase, "Running");
  });

  it("relays blocks mined on one pod to the other after addnode", async () => {
    const [p0, p1] = await Promise.all([pod("btcd-0"), pod("btcd-1")]);
    const [ip0, ip1] = [p0.status!.podIP!, p1.status!.podIP!];
    await rpc(ip1, 18334, "addnode", [`${ip0}:18444`, "add"]);
    await waitFor("btcd-1 connected to btcd-0", async () => {
      const peers = await rpc<Array<{ addr: string; inbound: boolean }>>(ip1, 18334, "getpeerinfo");
      return peers.some((p) => p.addr === `${ip0}:18444`);
    });
    const hashes = await rpc<string[]>(ip0, 18334, "generate", [5]);
    assert.equal(hashes.length, 5);
    await waitFor("btcd-1 at height 5", async () => (await rpc<number>(ip1, 18334, "getblockcount")) === 5, { timeoutMs: 30_000 });
    assert.equal(await rpc<string>(ip1, 18334, "getbestblockhash"), hashes[4]);
    // btcd-0 sees its peer by its real pod address (each pod is a host of its own).
    const inbound = await rpc<Array<{ addr: string; inbound: boolean }>>(ip0, 18334, "getpeerinfo");
    assert.ok(
      inbound.some((p) => p.inbound && p.addr.startsWith(`${ip1}:`)),
      JSON.stringify(inbound),
    );
  });

  it("serves kubectl logs, exec and port-forward", async () => {
    const logs = await kubectl("logs", "-n", ns, "btcd-0");
    assert.match(logs.stdout, /RPC server listening on 0\.0\.0\.0:18334/);
    assert.ok(!logs.stdout.includes(RPC_PASS), "the RPC password is not in the logs");

    const exec = await kubectl("exec", "-n", ns, "btcd-0", "--", ...BTCCTL.split(" "), "getinfo");
    const info = JSON.parse(exec.stdout) as { blocks: number; version: number; connections: number };
    assert.equal(info.blocks, 5);
    assert.equal(info.connections, 1);

    const pf = spawn(toolPath("kubectl"), ["--kubeconfig", kubeconfigPath, "port-forward", "-n", ns, "pod/btcd-1", ":18334"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        pf.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 18334/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        pf.stderr.on("data", (b: Buffer) => (out += b.toString()));
        pf.on("exit", (code) => reject(new Error(`kubectl port-forward exited ${code}: ${out}`)));
      });
      assert.equal(await rpc<number>("127.0.0.1", port, "getblockcount"), 5);
    } finally {
      pf.kill();
    }
  });

  it("deleting a pod stops its process; the StatefulSet's replacement runs a new one", async () => {
    const old = await pod("btcd-0");
    const oldPid = pidOf(old);
    assert.ok(oldPid > 0 && alive(oldPid), `btcd-0's process ${oldPid} runs before the delete`);
    const cmdline = fs.readFileSync(`/proc/${oldPid}/cmdline`, "utf8");
    assert.match(cmdline, /btcd/);
    assert.ok(!cmdline.includes(RPC_PASS), "the RPC password is not in btcd's arguments");
    const oldNetns = (await run("ip", ["netns", "identify", String(oldPid)], { encoding: "utf8" })).stdout.trim();
    assert.ok(oldNetns, `btcd-0's process runs in a network namespace of its own`);

    await core.deleteNamespacedPod({ name: "btcd-0", namespace: ns });
    await waitFor(`process ${oldPid} gone`, async () => !alive(oldPid), { timeoutMs: 30_000 });
    const fresh = await waitFor(
      "a new, Ready btcd-0",
      async () => {
        const p = await pod("btcd-0").catch(() => undefined);
        return p && p.metadata?.uid !== old.metadata?.uid && isReady(p) ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const newPid = pidOf(fresh);
    assert.ok(newPid > 0 && newPid !== oldPid && alive(newPid));
    assert.equal(await rpc<number>(fresh.status!.podIP!, 18334, "getblockcount"), 0, "a fresh emptyDir: a new chain");
    const { stdout } = await run("ip", ["netns", "list"], { encoding: "utf8" });
    assert.ok(!stdout.split("\n").some((l) => l.startsWith(`${oldNetns} `) || l === oldNetns), "the old pod's network namespace is gone");
  });
});

// A pod's identity and files: a real TokenRequest bound to the pod, mounted where client libraries
// look for it, so in-cluster kubectl authenticates and RBAC decides; ConfigMap and emptyDir volumes
// mounted per container (two containers, two different volumes at one mountPath).
describe("sandbox node runner: service-account token, RBAC and per-container volumes", { timeout: 120_000 }, () => {
  let ns: string;
  let cleanup: () => Promise<void>;
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);

  before(async () => {
    ({ name: ns, cleanup } = await tempNamespace("sandbox-sa"));
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "reader" } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: "pod-reader" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "reader-reads-pods" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns }],
      },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "cfg" }, data: { greeting: "hello from a configmap" } },
    });
  });

  after(async () => {
    await cleanup?.();
  });

  it("runs in-cluster kubectl with the pod's token: pods allowed, secrets forbidden", async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: "checker" },
        spec: {
          serviceAccountName: "reader",
          restartPolicy: "Never",
          volumes: [
            { name: "cfg", configMap: { name: "cfg" } },
            { name: "scratch", emptyDir: {} },
            { name: "sync", emptyDir: {} },
          ],
          containers: [
            {
              name: "check",
              image: "bitnami/kubectl:1.35",
              command: ["sh", "-c"],
              args: [
                [
                  "set -e",
                  "kubectl get pods -o name",
                  "if kubectl get secrets 2>/tmp/err; then echo 'secrets readable'; exit 1; fi",
                  "grep -q Forbidden /tmp/err && echo secrets-forbidden",
                  "cat /etc/cfg/greeting; echo",
                  // Positive control: first see that "other" has written its marker (into its own
                  // /etc/cfg), then that this container's /etc/cfg does not have it.
                  "i=0; while [ ! -e /sync/marker-written ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done",
                  "test -e /sync/marker-written && echo marker-written-elsewhere",
                  "test ! -e /etc/cfg/marker && echo no-marker",
                  "echo ns=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace) via=$KUBERNETES_SERVICE_HOST",
                ].join("\n"),
              ],
              volumeMounts: [
                { name: "cfg", mountPath: "/etc/cfg", readOnly: true },
                { name: "sync", mountPath: "/sync" },
              ],
            },
            {
              name: "other",
              image: "busybox:1.36",
              command: [
                "sh",
                "-c",
                "echo x > /etc/cfg/marker && touch /sync/marker-written && test ! -e /etc/cfg/greeting && echo own-volume",
              ],
              volumeMounts: [
                { name: "scratch", mountPath: "/etc/cfg" },
                { name: "sync", mountPath: "/sync" },
              ],
            },
          ],
        },
      },
    });
    const done = await waitFor(
      "checker to finish",
      async () => {
        const p = await core.readNamespacedPod({ name: "checker", namespace: ns });
        return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const check = (await kubectl("logs", "-n", ns, "checker", "-c", "check")).stdout;
    const other = (await kubectl("logs", "-n", ns, "checker", "-c", "other")).stdout;
    assert.equal(done.status?.phase, "Succeeded", `check:\n${check}\nother:\n${other}`);
    assert.match(check, /^pod\/checker$/m);
    assert.match(check, /^secrets-forbidden$/m);
    assert.match(check, /^hello from a configmap$/m);
    assert.match(check, /^marker-written-elsewhere$/m);
    assert.match(check, /^no-marker$/m);
    assert.match(check, new RegExp(`^ns=${ns} via=${GATEWAY.replace(/\./g, "\\.")}$`, "m"));
    assert.match(other, /^own-volume$/m);
    for (const s of done.status?.containerStatuses ?? []) assert.equal(s.state?.terminated?.exitCode, 0, s.name);
  });
});

// Container lifecycle as a kubelet runs it: restarts with back-off and restartCount, OnFailure,
// liveness kills, and a Bitcoin Core image on a machine without bitcoind.
describe("sandbox node runner: restarts, liveness and unmapped programs", { timeout: 120_000 }, () => {
  let ns: string;
  let cleanup: () => Promise<void>;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const status = (name: string) => core.readNamespacedPod({ name, namespace: ns }).then((p) => p.status);
  const make = (name: string, spec: k8s.V1PodSpec) => core.createNamespacedPod({ namespace: ns, body: { metadata: { name }, spec } });

  before(async () => {
    ({ name: ns, cleanup } = await tempNamespace("sandbox-life"));
    await waitFor("the default service account", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true),
    );
  });

  after(async () => {
    await cleanup?.();
  });

  it("restarts a crashing container after a back-off, counting restarts; OnFailure lets success end", async () => {
    await make("crash", { containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "echo run; exit 3"] }] });
    await make("once", { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "exit 0"] }] });
    const backoff = await waitFor(
      "crash in CrashLoopBackOff after its exit",
      async () => {
        const c = (await status("crash"))?.containerStatuses?.[0];
        return c?.state?.waiting?.reason === "CrashLoopBackOff" ? c : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(backoff.lastState?.terminated?.exitCode, 3);
    assert.match(backoff.state?.waiting?.message ?? "", /back-off 10s/);
    assert.equal(backoff.ready, false);
    await waitFor(
      "crash restarted after the back-off (restartCount 1)",
      async () => ((await status("crash"))?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      {
        timeoutMs: 30_000,
      },
    );
    assert.match((await kubectl("logs", "-n", ns, "crash", "--previous")).stdout, /^run$/m);
    const once = await status("once");
    assert.equal(once?.phase, "Succeeded");
    assert.equal(once?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(once?.containerStatuses?.[0]?.state?.terminated?.reason, "Completed");
  });

  it("kills a container whose liveness probe fails", async () => {
    await make("live", {
      volumes: [{ name: "state", emptyDir: {} }],
      containers: [
        {
          name: "c",
          image: "busybox:1.36",
          command: ["sh", "-c", "touch /state/alive; sleep 2; rm /state/alive; exec sleep 3600"],
          volumeMounts: [{ name: "state", mountPath: "/state" }],
          livenessProbe: { exec: { command: ["test", "-e", "/state/alive"] }, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    });
    const killed = await waitFor(
      "live killed by its liveness probe",
      async () => {
        const c = (await status("live"))?.containerStatuses?.[0];
        return c?.lastState?.terminated ? c : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.notEqual(killed.lastState?.terminated?.exitCode, 0);
    // The runner records the Event without waiting for it: it may land after the status that shows the kill.
    await waitFor("an Unhealthy event for the failed liveness probe", async () => {
      const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: "involvedObject.name=live" });
      return events.items.some((e) => e.reason === "Unhealthy" && /Liveness probe failed/.test(e.message ?? ""));
    });
  });

  it("pods created together start together: none waits for another to run", async () => {
    // Each pod's init container checks in, then waits until all have: a runner that held one pod's
    // start until another's container ran (or turned Ready) would never finish any of them.
    const n = 5;
    const barrier = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-barrier-"));
    fs.chmodSync(barrier, 0o777);
    try {
      const names = Array.from({ length: n }, (_, i) => `together-${i}`);
      await Promise.all(
        names.map((name) =>
          make(name, {
            volumes: [{ name: "barrier", hostPath: { path: barrier, type: "Directory" } }],
            initContainers: [
              {
                name: "barrier",
                image: "busybox:1.36",
                command: ["sh", "-c", `touch /barrier/$HOSTNAME; until [ "$(ls /barrier | wc -l)" -ge ${n} ]; do sleep 0.2; done`],
                volumeMounts: [{ name: "barrier", mountPath: "/barrier" }],
              },
            ],
            containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "exec sleep 3600"] }],
          }),
        ),
      );
      await waitFor(
        `all ${n} pods Ready`,
        async () => (await Promise.all(names.map(status))).every((s) => s?.containerStatuses?.[0]?.ready === true),
        { timeoutMs: 60_000 },
      );
      assert.deepEqual(fs.readdirSync(barrier).sort(), names, "each pod checked in, under its own name");
    } finally {
      fs.rmSync(barrier, { recursive: true, force: true });
    }
  });

  it("a startup probe holds readiness back; once it succeeds readiness runs at once, not a period later", async () => {
    // The node pods rely on this (a kubelet triggers readiness when the container has started):
    // startup every second, readiness every 10 s, Ready right after the first answer.
    await make("starts", {
      volumes: [{ name: "state", emptyDir: {} }],
      containers: [
        {
          name: "c",
          image: "busybox:1.36",
          command: ["sh", "-c", "sleep 2; touch /state/up; exec sleep 3600"],
          volumeMounts: [{ name: "state", mountPath: "/state" }],
          startupProbe: { exec: { command: ["test", "-e", "/state/up"] }, periodSeconds: 1, failureThreshold: 60 },
          // A period no test waits for: Ready can only come from the run right after startup.
          readinessProbe: { exec: { command: ["sh", "-c", "echo run >> /state/readiness"] }, periodSeconds: 3600 },
        },
      ],
    });
    let sawStarting = false;
    await waitFor(
      "starts Ready",
      async () => {
        const c = (await status("starts"))?.containerStatuses?.[0];
        if (c?.state?.running && !c.started) {
          sawStarting = true;
          assert.equal(c.ready, false, "not Ready before the startup probe succeeded");
        }
        return c?.ready === true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.ok(sawStarting, "Running, not yet started, while the startup probe failed");
    const runs = (await kubectl("exec", "-n", ns, "starts", "--", "cat", "/state/readiness")).stdout;
    assert.equal(runs, "run\n", "readiness ran once, right after startup, never before");
  });

  it("gates readiness on an httpGet probe that turns from 503 to 200", async () => {
    // A tiny HTTP server (Node, from the machine's PATH) that answers 503 for its first 2 s.
    const server = "const t=Date.now();require('http').createServer((q,r)=>{r.statusCode=Date.now()-t<2000?503:200;r.end()}).listen(8080)";
    await make("web", {
      containers: [
        {
          name: "c",
          image: "busybox:1.36",
          command: ["node", "-e", server],
          ports: [{ name: "http", containerPort: 8080 }],
          readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    let sawUnready = false;
    await waitFor(
      "web Ready",
      async () => {
        const st = await status("web");
        const c = st?.containerStatuses?.[0];
        if (c?.state?.running && !c.ready) sawUnready = true;
        return c?.ready === true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.ok(sawUnready, "web was Running but not Ready while its probe got 503");
  });

  it("kills a container that ignores SIGTERM once the grace period is over", async () => {
    await make("stubborn", {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "trap '' TERM; sleep 3600 & wait; sleep 3600"] }],
    });
    const pod = await waitFor("stubborn running", async () => {
      const p = await core.readNamespacedPod({ name: "stubborn", namespace: ns });
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    const pid = pidOf(pod);
    const t0 = Date.now();
    await core.deleteNamespacedPod({ name: "stubborn", namespace: ns });
    await waitFor(
      "stubborn gone",
      async () =>
        core.readNamespacedPod({ name: "stubborn", namespace: ns }).then(
          () => false,
          () => true,
        ),
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    const took = Date.now() - t0;
    assert.ok(took >= 2000, `deletion waited for the grace period (${took} ms)`);
    assert.ok(!alive(pid), `process ${pid} was killed`);
    // A slow deletion alone would pass the two checks above: the runner itself says it had to SIGKILL
    // this very process once the grace period was over (it survived the SIGTERM).
    await waitFor(`the runner's log: process ${pid} SIGKILLed after its grace period`, async () =>
      fs
        .readFileSync(currentInstance().runnerLog, "utf8")
        .split("\n")
        .some((l) => l.includes('"msg":"grace period over: SIGKILL"') && l.includes(`"pid":${pid},`)),
    );
  });

  it("provisions volumeClaimTemplates: data outlives the pod, and goes with the claim", async () => {
    const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: "per" },
        spec: {
          serviceName: "per",
          replicas: 1,
          selector: { matchLabels: { app: "per" } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
          volumeClaimTemplates: [
            { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
          ],
          template: {
            metadata: { labels: { app: "per" } },
            spec: {
              terminationGracePeriodSeconds: 2,
              containers: [
                {
                  name: "c",
                  image: "busybox:1.36",
                  command: [
                    "sh",
                    "-c",
                    "echo start-$(cat /proc/sys/kernel/random/uuid) >> /data/starts; cat /data/starts; exec sleep 3600",
                  ],
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
            },
          },
        },
      },
    });
    const running = async (): Promise<k8s.V1Pod | undefined> => {
      const p = await core.readNamespacedPod({ name: "per-0", namespace: ns }).catch(() => undefined);
      return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    };
    const first = await waitFor("per-0 running on its claim", running, { timeoutMs: 30_000 });
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: "data-per-0", namespace: ns });
    assert.equal(pvc.status?.phase, "Bound");
    await core.deleteNamespacedPod({ name: "per-0", namespace: ns });
    await waitFor("a new per-0", async () => {
      const p = await running();
      return p && p.metadata?.uid !== first.metadata?.uid ? p : undefined;
    });
    const starts = await waitFor("two starts recorded", async () => {
      const out = (await kubectl("logs", "-n", ns, "per-0")).stdout.trim().split("\n");
      return out.length === 2 ? out : undefined;
    });
    assert.ok(starts.every((l) => /^start-[0-9a-f-]{36}$/.test(l)) && starts[0] !== starts[1]);
    const volume = pvc.spec!.volumeName!;
    await apps.deleteNamespacedStatefulSet({ name: "per", namespace: ns });
    await waitFor(
      "the claim's volume deleted",
      async () =>
        await core.readPersistentVolume({ name: volume }).then(
          () => false,
          () => true,
        ),
      {
        timeoutMs: 30_000,
      },
    );
  });

  it("reports a Bitcoin Core image that this machine cannot run, or runs it", async () => {
    await make("core", { containers: [{ name: "bitcoind", image: "bitcoin/bitcoin:29.0", args: ["-regtest", "-printtoconsole"] }] });
    const haveBitcoind = (process.env.PATH ?? "").split(":").some((d) => d && fs.existsSync(`${d}/bitcoind`));
    if (haveBitcoind) {
      await waitFor("core running", async () => (await status("core"))?.containerStatuses?.[0]?.state?.running !== undefined);
      return;
    }
    await waitFor(
      "core waiting: ProgramNotFound",
      async () => (await status("core"))?.containerStatuses?.[0]?.state?.waiting?.reason === "ProgramNotFound",
    );
    const events = await waitFor("a ProgramNotFound event", async () => {
      const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: "involvedObject.name=core" });
      return list.items.find((e) => e.reason === "ProgramNotFound");
    });
    assert.match(events.message ?? "", /bitcoind.*not on this machine's PATH/);
    assert.equal((await status("core"))?.phase, "Pending");
  });
});
