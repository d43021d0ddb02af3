// The `regnet` command line without a cluster: --help on every command (generated from the one
// definition), usage errors that name the argument or option and exit 2 before anything is done,
// kubeconfig errors naming the setting, an unreachable API server (exit 1), and the value parsers.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { runCli } from "../../provider/cli/main";
import { parseDuration, parseOrdinal, parseRpcParams } from "../../provider/cli/args";
import type { Io } from "../../provider/cli/io";
import { tempDirs } from "../support/tmp";

const tmpDir = tempDirs("regnet-cli-args-");

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = {
    out: { write: (c) => (out += String(c)) },
    err: { write: (c) => (err += String(c)) },
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

const COMMANDS = ["status", "rpc", "mine", "logs", "wait", "graph"];

test("--help: the program lists every command and the exit codes", async () => {
  const r = await run("--help");
  assert.equal(r.code, 0);
  for (const c of COMMANDS) assert.match(r.out, new RegExp(`^  ${c} `, "m"));
  assert.match(r.out, /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /);
});

test("--help on every command: its usage, its arguments and the shared cluster options", async () => {
  for (const c of COMMANDS) {
    for (const form of [
      [c, "--help"],
      ["help", c],
    ]) {
      const r = await run(...form);
      assert.equal(r.code, 0, form.join(" "));
      assert.match(r.out, new RegExp(`^Usage: regnet ${c} \\[options\\]`), form.join(" "));
      for (const opt of ["--kubeconfig <file>", "--context <name>", "-n, --namespace <namespace>"])
        assert.ok(r.out.includes(opt), `${c}: ${opt}`);
      assert.equal(r.out.includes("--rpc-access"), c !== "logs", `${c}: --rpc-access only where RPC is used`);
    }
  }
});

test("usage errors name the argument or option and exit 2, before any cluster is asked", async () => {
  const cases: [string[], RegExp][] = [
    [["frob"], /unknown command 'frob'/],
    [["rpc"], /missing required argument 'network'/],
    [["rpc", "net", "x", "getinfo"], /value 'x' is invalid for argument 'ordinal'\. Use a node's ordinal/],
    [["mine", "net", "0"], /value '0' is invalid for argument 'blocks'\. Use a whole number of at least 1/],
    [["mine", "net", "--node", "-1"], /option '--node <ordinal>' argument '-1' is invalid/],
    [["status", "-o", "xml"], /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are table, json, yaml/],
    [["status", "net", "-A"], /-A\/--all-namespaces lists networks: leave it out to show one network/],
    [
      ["wait", "net", "--for", "happy"],
      /option '--for <condition>' argument 'happy' is invalid\. Allowed choices are ready, wired, synced, converged/,
    ],
    [["wait", "net", "--timeout", "soon"], /option '--timeout <duration>' argument 'soon' is invalid\. Use a duration such as 90s/],
    [["status", "--rpc-access", "teleport"], /Allowed choices are auto, direct, port-forward/],
    [["graph", "net"], /required option '-o, --output <file>' not specified/],
    [
      ["graph", "net", "-o", "net.jpg"],
      /-o\/--output: cannot tell the picture's format from "net.jpg": name the file \.svg, \.png or \.dot, or pass --format/,
    ],
    [["graph", "net", "-o", "-"], /-o -: pass --format svg\|png\|dot/],
    [["logs", "net", "0", "--tail", "many"], /option '--tail <lines>' argument 'many' is invalid/],
    [
      ["status", "--kubeconfig", "/nonexistent/kubeconfig"],
      /--kubeconfig: no file at \/nonexistent\/kubeconfig: pass the path of a kubeconfig file/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
    assert.match(r.err, message, argv.join(" "));
    assert.equal(r.out, "", argv.join(" "));
  }
});

/** A kubeconfig whose one context points at `server`. */
function kubeconfigFile(server: string): string {
  const file = path.join(tmpDir(), "kubeconfig");
  fs.writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: '" + server + "'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: here, context: {cluster: c, user: u, namespace: regtest}}]",
      "current-context: here",
      "",
    ].join("\n"),
  );
  return file;
}

test("a --context the kubeconfig lacks is named with the contexts it has (exit 2)", async () => {
  const r = await run("status", "--kubeconfig", kubeconfigFile("https://127.0.0.1:1"), "--context", "there");
  assert.equal(r.code, 2);
  assert.match(r.err, /--context: no context "there" in --kubeconfig .*; it has here/);
});

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("an API server that does not answer: exit 1 at once, naming the server and the fix", async () => {
  const port = await closedPort();
  const r = await run("status", "--kubeconfig", kubeconfigFile(`https://127.0.0.1:${port}`));
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    new RegExp(`cannot reach the Kubernetes API server https://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): check --kubeconfig/--context`),
  );
});

test("rpc: a param that starts with '-' is an unknown option, unless it comes after --", async () => {
  const kubeconfig = kubeconfigFile(`https://127.0.0.1:${await closedPort()}`);
  const bare = await run("rpc", "net", "0", "echo", "-NHIgu_H", "--kubeconfig", kubeconfig);
  assert.equal(bare.code, 2, bare.err);
  assert.match(bare.err, /unknown option '-NHIgu_H'/);
  const after = await run("rpc", "net", "0", "echo", "--kubeconfig", kubeconfig, "--", "-NHIgu_H");
  assert.equal(after.code, 1, `parsed, then the cluster is asked: ${after.err}`);
  assert.match(after.err, /cannot reach the Kubernetes API server/);
});

test("parseDuration: seconds by default, ms/s/m/h, never zero", () => {
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1.5m"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1h"), 3_600_000);
  for (const bad of ["", "0", "-1s", "5 minutes", "1d"]) assert.throws(() => parseDuration(bad), /duration/, bad);
});

test("parseOrdinal", () => {
  assert.equal(parseOrdinal("0"), 0);
  assert.equal(parseOrdinal("12"), 12);
  for (const bad of ["-1", "1.5", "node-1", ""]) assert.throws(() => parseOrdinal(bad), /ordinal/, bad);
});

test("rpc params: valid JSON as that JSON, anything else as a string", () => {
  assert.deepEqual(parseRpcParams(["5", "true", "null", "[1,2]", '{"a":1}', '"5"', "bcrt1qxyz", "00ab", "0f".repeat(32)]), [
    5,
    true,
    null,
    [1, 2],
    { a: 1 },
    "5",
    "bcrt1qxyz",
    "00ab",
    "0f".repeat(32),
  ]);
});
