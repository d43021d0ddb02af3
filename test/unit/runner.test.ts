// Pure rules of the sandbox node runner: image -> program resolution, `$(VAR)` expansion and the
// downward API, pod phase and back-off, the launch script's quoting, pod address allocation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { globMatch, profileFor, resolveCommand, type Lookup } from "../../sandbox/runner/images";
import { ConfigError, containerEnv, expandVars, fieldRefValue, shareInFlight } from "../../sandbox/runner/env";
import { PooledKubeConfig } from "../../sandbox/runner/kubeconfig";
import { backoffSeconds, podPhase, shouldRestart } from "../../sandbox/runner/status";
import { TAIL_BYTES, launchScript, logTail, shQuote } from "../../sandbox/runner/container";
import { terminationMessage } from "../../sandbox/runner/pod";
import { AddressPool, netnsName } from "../../sandbox/runner/netns";
import { MountPoints } from "../../sandbox/runner/volumes";
import { execPrograms } from "../../sandbox/runner/runner";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const lookup = (onPath: string[]): Lookup => ({
  which: (n) => (onPath.includes(n) ? `/usr/bin/${n}` : undefined),
  tool: (n) => (["btcd", "btcctl"].includes(n) ? `/cache/btcd-0.26.2/bin/${n}` : undefined),
  node: "/opt/node22/bin/node",
  repoRoot: "/repo",
});

describe("image -> program", () => {
  const table: Array<[string, string | undefined]> = [
    ["ghcr.io/regnet-dev/btcd:v0.26.2", "btcd"],
    ["btcd:latest", "btcd"],
    ["docker.io/someone/btcd:v1@sha256:abc", "btcd"],
    ["bitcoin/bitcoin:29.0", "bitcoin-core"],
    ["ghcr.io/x/bitcoind:30", "bitcoin-core"],
    ["ghcr.io/regnet-dev/regnet-controller:0.1.0", "regnet-controller"],
    ["busybox:1.36", "shell"],
    ["nginx:1.27", undefined],
    ["ghcr.io/x/btcd-exporter:1", undefined],
  ];
  for (const [image, profile] of table) {
    it(`${image} -> ${profile ?? "no profile"}`, () => assert.equal(profileFor(image)?.name, profile));
  }

  it("glob * spans slashes and other characters are literal", () => {
    assert.ok(globMatch("*/btcd:*", "a/b/btcd:v1"));
    assert.ok(!globMatch("btcd:*", "xbtcd:v1"));
    assert.ok(!globMatch("a.b", "axb"));
  });

  it("the entrypoint runs with args when no command is given; btcctl's folder goes on PATH", () => {
    const r = resolveCommand("ghcr.io/regnet-dev/btcd:v0.26.2", undefined, ["--regtest"], lookup([]));
    assert.deepEqual(r, { ok: true, argv: ["/cache/btcd-0.26.2/bin/btcd", "--regtest"], pathDirs: ["/cache/btcd-0.26.2/bin"] });
  });

  it("command replaces the entrypoint; command[0] resolves through the image's programs, then the host", () => {
    const r1 = resolveCommand("btcd:x", ["btcctl", "getinfo"], ["-s"], lookup([]));
    assert.ok(r1.ok);
    assert.deepEqual(r1.argv, ["/cache/btcd-0.26.2/bin/btcctl", "getinfo", "-s"]);
    const r2 = resolveCommand("btcd:x", ["sh", "-c", "exec btcd"], undefined, lookup(["sh"]));
    assert.ok(r2.ok);
    assert.deepEqual(r2.argv, ["/usr/bin/sh", "-c", "exec btcd"]);
  });

  it("the controller image runs the repository's controller with this Node", () => {
    const r = resolveCommand("ghcr.io/regnet-dev/regnet-controller:0.1.0", undefined, ["--x"], lookup([]));
    assert.ok(r.ok);
    assert.deepEqual(r.argv, ["/opt/node22/bin/node", "/repo/dist/provider/controller/main.js", "--x"]);
  });

  it("Bitcoin Core runs the pinned bitcoind, with bitcoin-cli beside it; not installed is a clear, named failure", () => {
    const r = resolveCommand("bitcoin/bitcoin:29.0", undefined, ["-regtest"], lookup([]));
    assert.equal(r.ok, false);
    assert.ok(
      !r.ok && r.reason === "ProgramNotInstalled" && /bitcoind/.test(r.message) && /npm run setup/.test(r.message),
      JSON.stringify(r),
    );
    // A bitcoind on the host's PATH is not what the network pins: it is not used.
    assert.equal(resolveCommand("bitcoin/bitcoin:29.0", undefined, ["-regtest"], lookup(["bitcoind"])).ok, false);
    const core: Lookup = {
      ...lookup([]),
      tool: (n) => (["bitcoind", "bitcoin-cli"].includes(n) ? `/cache/bitcoin-core-29.99.0/bin/${n}` : undefined),
    };
    const ok = resolveCommand("bitcoin/bitcoin:29.0", undefined, ["-regtest"], core);
    assert.ok(
      ok.ok && ok.argv[0] === "/cache/bitcoin-core-29.99.0/bin/bitcoind" && ok.pathDirs.includes("/cache/bitcoin-core-29.99.0/bin"),
      JSON.stringify(ok),
    );
  });

  it("a shell image's default command is sh, which args replace (kubectl run busybox -- sh -c ...)", () => {
    const plain = resolveCommand("busybox:1.36", undefined, undefined, lookup(["sh"]));
    assert.ok(plain.ok && plain.argv.join(" ") === "/usr/bin/sh");
    const withArgs = resolveCommand("busybox:1.36", undefined, ["sh", "-c", "echo hi"], lookup(["sh"]));
    assert.ok(withArgs.ok && withArgs.argv.join(" ") === "/usr/bin/sh -c echo hi");
  });

  it("an unmapped image names the config file to extend", () => {
    const r = resolveCommand("nginx:1.27", undefined, undefined, lookup(["nginx"]));
    assert.ok(!r.ok && r.reason === "ImageNotMapped" && /images\.json/.test(r.message));
  });
});

describe("environment", () => {
  it("$(VAR) expansion: defined refs replaced, $$ escapes, unknown refs kept", () => {
    const env = new Map([
      ["A", "1"],
      ["B", "x y"],
    ]);
    const table: Array<[string, string]> = [
      ["$(A)", "1"],
      ["--a=$(A) --b=$(B)", "--a=1 --b=x y"],
      ["$$(A)", "$(A)"],
      ["$(C)", "$(C)"],
      ["$A", "$A"],
      ["$(A", "$(A"],
      ["cost $", "cost $"],
    ];
    for (const [input, want] of table) assert.equal(expandVars(input, env), want, input);
  });

  const pod: k8s.V1Pod = {
    metadata: { name: "btcd-0", namespace: "net1", uid: "u-1", labels: { app: "btcd" } },
    spec: { containers: [], nodeName: "kwok-node-0", serviceAccountName: "sa" },
  };

  it("downward API fields", () => {
    assert.equal(fieldRefValue(pod, "metadata.name", "10.244.0.7", "10.244.0.1"), "btcd-0");
    assert.equal(fieldRefValue(pod, "metadata.namespace", "10.244.0.7", "10.244.0.1"), "net1");
    assert.equal(fieldRefValue(pod, "status.podIP", "10.244.0.7", "10.244.0.1"), "10.244.0.7");
    assert.equal(fieldRefValue(pod, "status.hostIP", "10.244.0.7", "10.244.0.1"), "10.244.0.1");
    assert.equal(fieldRefValue(pod, "metadata.labels['app']", "10.244.0.7", "10.244.0.1"), "btcd");
    assert.throws(() => fieldRefValue(pod, "spec.bogus", "", ""), ConfigError);
  });

  const refs = {
    secret: async (_ns: string, name: string) => (name === "rpc" ? { user: "u", pass: "p@ss" } : undefined),
    configMap: async () => undefined,
  };

  it("env in order with secretKeyRef, fieldRef and expansion of earlier variables", async () => {
    const env = await containerEnv({
      pod,
      podIP: "10.244.0.7",
      hostIP: "10.244.0.1",
      base: { PATH: "/bin" },
      refs,
      container: {
        name: "c",
        env: [
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "USER", valueFrom: { secretKeyRef: { name: "rpc", key: "user" } } },
          { name: "LISTEN", value: "$(IP):18444" },
          { name: "LATER", value: "$(NOT_YET)" },
          { name: "NOT_YET", value: "x" },
        ],
      },
    });
    assert.equal(env.get("LISTEN"), "10.244.0.7:18444");
    assert.equal(env.get("USER"), "u");
    assert.equal(env.get("LATER"), "$(NOT_YET)");
    assert.equal(env.get("PATH"), "/bin");
  });

  it("a missing secret names the secret and the variable", async () => {
    await assert.rejects(
      containerEnv({
        pod,
        podIP: "",
        hostIP: "",
        base: {},
        refs,
        container: { name: "c", env: [{ name: "P", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }] },
      }),
      /secret "nope" not found \(env P\)/,
    );
  });
});

describe("API reads and connections", () => {
  it("concurrent reads of one object share one request; a read after it settled asks again", async () => {
    const asked: string[] = [];
    const gates: Array<() => void> = [];
    const read = shareInFlight(async (ns, name) => {
      asked.push(`${ns}/${name}`);
      await new Promise<void>((r) => gates.push(r));
      return { name };
    });
    const first = Array.from({ length: 5 }, () => read("n", "rpc"));
    const other = read("n", "other");
    assert.deepEqual(asked, ["n/rpc", "n/other"]);
    gates.forEach((g) => g());
    const got = await Promise.all(first);
    assert.ok(got.every((g) => g === got[0] && g.name === "rpc"));
    assert.equal((await other).name, "other");
    const again = read("n", "rpc");
    assert.deepEqual(asked, ["n/rpc", "n/other", "n/rpc"]);
    gates[2]();
    await again;
  });

  it("a failed read is shared by its waiters and not remembered", async () => {
    let n = 0;
    const read = shareInFlight(async () => {
      n++;
      throw new Error(`boom ${n}`);
    });
    const both = await Promise.allSettled([read("n", "x"), read("n", "x")]);
    assert.deepEqual(
      both.map((b) => b.status === "rejected" && (b.reason as Error).message),
      ["boom 1", "boom 1"],
    );
    await assert.rejects(read("n", "x"), /boom 2/);
  });

  it("the runner's API client sends every request through one connection pool (client-node makes one per request)", async () => {
    const options = {
      clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    };
    const dispatchers = async (kc: k8s.KubeConfig) => {
      const out = [];
      for (let i = 0; i < 3; i++) {
        const ctx = new k8s.RequestContext("https://127.0.0.1:6443/api/v1/pods", k8s.HttpMethod.GET);
        await kc.applySecurityAuthentication(ctx);
        out.push(ctx.getDispatcher());
      }
      return out;
    };
    const plain = new k8s.KubeConfig();
    plain.loadFromOptions(options);
    const [a, b] = await dispatchers(plain);
    assert.notEqual(a, b, "client-node itself: a new agent (connection) per request — the reason for PooledKubeConfig");
    const pooled = new PooledKubeConfig();
    pooled.loadFromOptions(options);
    const ds = await dispatchers(pooled);
    assert.ok(ds[0] !== undefined && ds.every((d) => d === ds[0]));
  });
});

describe("pod status rules", () => {
  it("restart policy", () => {
    assert.equal(shouldRestart("Always", 0), true);
    assert.equal(shouldRestart("OnFailure", 0), false);
    assert.equal(shouldRestart("OnFailure", 1), true);
    assert.equal(shouldRestart("Never", 1), false);
  });

  it("back-off doubles from 10 s and is capped at 300 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(backoffSeconds), [10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it("phase", () => {
    const run = { running: true };
    const wait = { running: false };
    const ok = { running: false, terminatedFor: { exitCode: 0 } };
    const bad = { running: false, terminatedFor: { exitCode: 2 } };
    const initDone = { done: true, failed: false };
    assert.equal(podPhase({ done: false, failed: false }, [wait], false), "Pending");
    assert.equal(podPhase({ done: false, failed: true }, [wait], false), "Failed");
    assert.equal(podPhase(initDone, [wait], false), "Pending");
    assert.equal(podPhase(initDone, [run, wait], true), "Running");
    assert.equal(podPhase(initDone, [wait], true), "Running"); // in restart back-off
    assert.equal(podPhase(initDone, [ok, ok], true), "Succeeded");
    assert.equal(podPhase(initDone, [ok, bad], true), "Failed");
  });
});

describe("process plumbing", () => {
  it("the launch script quotes every path and execs the program", () => {
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    const s = launchScript({
      hostname: "btcd-0",
      workingDir: "/",
      mounts: [{ source: "/state/v/my dir", target: "/data", readOnly: true }],
    });
    assert.match(s, /mount --bind '\/state\/v\/my dir' '\/data'\n/);
    assert.match(s, /mount -o remount,bind,ro '\/data'\n/);
    assert.match(s, /exec "\$@"\n$/);
  });

  it("addresses skip the bridge's .0.1, are not reused at once, cross octets and wrap", () => {
    const pool = new AddressPool("10.244.0.1");
    assert.equal(pool.allocate(), "10.244.0.2");
    assert.equal(pool.allocate(), "10.244.0.3");
    pool.release("10.244.0.2");
    assert.equal(pool.allocate(), "10.244.0.4");
    for (let i = 5; i < 256; i++) pool.allocate();
    assert.equal(pool.allocate(), "10.244.1.0");
    const other = new AddressPool("10.247.0.1");
    assert.equal(other.allocate(), "10.247.0.2");
    for (let i = 3; i <= 65534; i++) other.allocate();
    other.release("10.247.0.9");
    assert.equal(other.allocate(), "10.247.0.9");
    assert.throws(() => other.allocate(), /exhausted/);
    const again = new AddressPool("10.244.0.1");
    assert.equal(again.claim("10.244.3.7"), true);
    assert.equal(again.claim("10.244.3.7"), false, "taken");
    assert.equal(again.claim("10.245.0.9"), false, "another subnet");
    assert.equal(again.claim("10.244.0.1"), false, "the bridge");
  });

  it("network namespace names fit and come from the pod UID", () => {
    assert.equal(netnsName("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), "regnet-0f1e2d3c");
  });
});

describe("host mount points", () => {
  it("makes missing mountPaths, shares them between users, removes only what it made once unused", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-mp-"));
    try {
      fs.mkdirSync(path.join(root, "existing"));
      const mp = new MountPoints();
      const a = mp.ensure(path.join(root, "var/run/secrets/sa"), false);
      const b = mp.ensure(path.join(root, "var/run/secrets/other"), false);
      const c = mp.ensure(path.join(root, "existing/data"), false);
      const d = mp.ensure(path.join(root, "etc/app/config.toml"), true);
      assert.ok(fs.statSync(path.join(root, "var/run/secrets/sa")).isDirectory());
      assert.ok(fs.statSync(path.join(root, "etc/app/config.toml")).isFile());
      a();
      assert.ok(fs.existsSync(path.join(root, "var/run/secrets/other")), "still used by b");
      b();
      assert.ok(!fs.existsSync(path.join(root, "var")), "the top folder it made is gone");
      c();
      assert.ok(fs.existsSync(path.join(root, "existing")) && !fs.existsSync(path.join(root, "existing/data")));
      fs.writeFileSync(path.join(root, "etc/app/keep.me"), "x");
      d();
      assert.ok(fs.existsSync(path.join(root, "etc/app/keep.me")), "a folder holding other files is left alone");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("exec wrappers", () => {
  it("cover the images' programs and every executable on PATH, but not the wrapper folder itself", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-ex-"));
    try {
      for (const d of ["bin", "shim"]) fs.mkdirSync(path.join(root, d));
      fs.writeFileSync(path.join(root, "bin/tool"), "#!/bin/sh\n", { mode: 0o755 });
      fs.writeFileSync(path.join(root, "bin/data.txt"), "not a program", { mode: 0o644 });
      fs.writeFileSync(path.join(root, "bin/bad name"), "#!/bin/sh\n", { mode: 0o755 });
      fs.writeFileSync(path.join(root, "shim/old"), "#!/bin/sh\n", { mode: 0o755 });
      const names = execPrograms(`${root}/shim:${root}/bin:${root}/missing`, path.join(root, "shim"));
      for (const n of ["tool", "btcd", "btcctl", "bitcoind", "bitcoin-cli", "kubectl"]) assert.ok(names.includes(n), n);
      for (const n of ["data.txt", "bad name", "old"]) assert.ok(!names.includes(n), n);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("mount points behind a symlink (/var/run → /run)", () => {
  it("a folder made through a link is not removed while another mount namespace mounts there", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-mp-link-"));
    fs.mkdirSync(path.join(root, "run"));
    fs.symlinkSync(path.join(root, "run"), path.join(root, "var-run"));
    const { spawn } = await import("node:child_process");
    let pod: ReturnType<typeof spawn> | undefined;
    try {
      const mp = new MountPoints();
      const release = mp.ensure(path.join(root, "var-run", "secrets", "sa"), false);
      // Another sandbox's pod: a private mount namespace that mounts at the real path.
      const mountAt = path.join(root, "run", "secrets", "sa");
      // `exec sleep`: killing the process then kills what holds the pipe, so this file can exit.
      pod = spawn(
        "unshare",
        ["--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs regnet-test ${mountAt} && echo up && exec sleep 60`],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve, reject) => {
        pod!.stdout!.once("data", () => resolve());
        pod!.once("exit", (code) => reject(new Error(`unshare exited ${code}`)));
      });
      release();
      assert.ok(fs.existsSync(mountAt), "the mount point another namespace uses is still there");
    } finally {
      pod?.kill("SIGKILL");
      pod?.stdout?.destroy();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("termination message (FallbackToLogsOnError)", () => {
  const exit = (exitCode: number, tail: string) => ({ exitCode, finishedAt: new Date(), logTail: tail });
  it("a failed run's log tail with the policy; nothing without it or after a clean exit", () => {
    const policy = { terminationMessagePolicy: "FallbackToLogsOnError" };
    assert.deepEqual(terminationMessage(policy, exit(1, "unknown flag `foo'")), { message: "unknown flag `foo'" });
    assert.deepEqual(terminationMessage({}, exit(1, "unknown flag `foo'")), {});
    assert.deepEqual(terminationMessage({ terminationMessagePolicy: "File" }, exit(1, "x")), {});
    assert.deepEqual(terminationMessage(policy, exit(0, "bye")), {});
    assert.deepEqual(terminationMessage(policy, exit(1, "")), {});
  });
  it("the tail is the last 80 lines and at most 2048 bytes, as a kubelet's", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    assert.equal(logTail(lines), lines.slice(20).join("\n"));
    const wide = Array.from({ length: 50 }, (_, i) => `${i} ${"w".repeat(100)}`);
    const t = logTail(wide);
    assert.equal(Buffer.byteLength(t), TAIL_BYTES);
    assert.ok(t.endsWith(wide[49]));
  });
});
